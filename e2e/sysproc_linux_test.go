//go:build linux

package e2e

import "syscall"

// serverSysProcAttr puts a server in its own process group, so that stop
// ends it with everything it started, and has the kernel kill it if the
// test process dies first.
func serverSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
