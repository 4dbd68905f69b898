//go:build !unix

package main

import "testing"

// mkfifo makes a FIFO named name in dir and returns its path; ok is false
// where the system has none, as here.
func mkfifo(t *testing.T, dir, name string) (path string, ok bool) {
	t.Helper()
	return "", false
}
