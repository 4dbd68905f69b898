//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// mkfifo makes a FIFO named name in dir and returns its path; ok is false
// where the system has none.
func mkfifo(t *testing.T, dir, name string) (path string, ok bool) {
	t.Helper()
	path = filepath.Join(dir, name)
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path, true
}
