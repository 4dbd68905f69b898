//go:build unix

package httpsession

import (
	"errors"
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
