//go:build unix && !linux

package e2e

import "syscall"

// serverSysProcAttr puts a server in its own process group, so that stop
// ends it with everything it started. (Its stdin closing when the test
// process dies stops it too.)
func serverSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
