//go:build !linux

package redisjar_test

import "syscall"

// elsewhereSysProcAttr: no process-id namespaces outside Linux.
func elsewhereSysProcAttr() *syscall.SysProcAttr { return nil }
