//go:build !linux

package redisjar_test

import "syscall"

// childSysProcAttr: elsewhere, the servers end with the tests' cleanups.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
