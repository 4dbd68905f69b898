//go:build unix

package safefile

import "syscall"

// openNonBlock makes an open return at once on a FIFO instead of waiting
// for a writer (the FIFO is then refused); openNoFollow makes it fail on a
// symbolic link instead of following it.
const (
	openNonBlock = syscall.O_NONBLOCK
	openNoFollow = syscall.O_NOFOLLOW
)
