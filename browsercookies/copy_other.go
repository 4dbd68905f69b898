//go:build !unix

package browsercookies

// Elsewhere a FIFO cannot be opened by path and links are checked with
// Lstat before the open.
const (
	openNonBlock = 0
	openNoFollow = 0
)
