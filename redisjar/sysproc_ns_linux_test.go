//go:build linux

package redisjar_test

import (
	"os"
	"syscall"
)

// elsewhereSysProcAttr runs a child in a process-id namespace of its own
// (and, without root, a user namespace to make one in): a pool takes it
// for a process of another machine, whose process id it cannot look up.
func elsewhereSysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Cloneflags: syscall.CLONE_NEWPID}
	if os.Geteuid() != 0 {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	return a
}
