//go:build linux

package redisjar_test

import "syscall"

// childSysProcAttr has the kernel kill a server the tests start if the
// test binary dies first (a run cut short by -timeout skips every cleanup).
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
