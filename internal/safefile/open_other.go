//go:build !unix

package safefile

// The system has no such open flags: a FIFO cannot be opened by path here,
// and Resolve and the checks after each open still refuse what is not a
// regular file.
const (
	openNonBlock = 0
	openNoFollow = 0
)
