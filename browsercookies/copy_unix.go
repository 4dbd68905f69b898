//go:build unix

package browsercookies

import "syscall"

// openNonBlock keeps an open from waiting for a FIFO's writer (a FIFO is
// then refused); openNoFollow refuses a symbolic link.
const (
	openNonBlock = syscall.O_NONBLOCK
	openNoFollow = syscall.O_NOFOLLOW
)
