//go:build unix

package httpsession

import (
	"errors"
	"os"
	"syscall"
)

// processAlive reports whether a process of this host with that id runs:
// signal 0 tells, without sending anything. One that exists but belongs to
// another user (EPERM) runs.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// hostID names this host, and its process id namespace when the system
// says (Linux): a lease holder's process id is looked up only by a
// process that shares both, so that two containers with one host name and
// their own process ids never take each other's lease for dead.
func hostID() string {
	host, _ := os.Hostname()
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		host += " " + ns
	}
	return host
}
