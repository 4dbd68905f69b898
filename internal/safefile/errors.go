// Package safefile reads, locks and replaces files that other users may
// share a directory with: it resolves a path under Linux's
// protected_symlinks and protected_regular rules, reads only regular files
// and only up to a bound, takes advisory locks that honour a context, and
// replaces a file atomically, flushed to disk. It knows nothing of what the
// files hold.
//
// Its refusals wrap ErrUnsafePath, ErrTooLarge or ErrLocked. The message of
// an ErrUnsafePath or ErrLocked refusal is its detail alone ("/tmp/x is a
// FIFO"): the caller names the kind in its own words when it wraps it.
package safefile

import (
	"errors"
	"fmt"
)

// ErrUnsafePath is wrapped by the error for a path that is refused: a FIFO,
// device, socket or directory where a regular file belongs, a symbolic
// link or a file that another user planted in a shared directory, or a
// path that changed under its caller.
var ErrUnsafePath = errors.New("unsafe path")

// ErrTooLarge is wrapped by the error for a file larger than the bound a
// read was given; that error is a *TooLargeError.
var ErrTooLarge = errors.New("file larger than its bound")

// ErrLocked is wrapped by the error of a Lock that could not take the lock
// before its context ended: another process holds it.
var ErrLocked = errors.New("file locked by another process")

// ErrNotRegular is wrapped by the error of WriteFile when its path exists
// and is not a regular file: a device, FIFO, socket, directory or symbolic
// link is never replaced.
var ErrNotRegular = errors.New("not a regular file")

// refusal is the error for a path or a lock that is refused: its message is
// the detail alone, its kind (ErrUnsafePath, ErrLocked) is what it unwraps
// to.
type refusal struct {
	kind   error
	detail string
}

// Error returns the detail of the refusal.
func (e *refusal) Error() string { return e.detail }

// Unwrap returns the kind of refusal.
func (e *refusal) Unwrap() error { return e.kind }

// unsafePath returns a refusal wrapping ErrUnsafePath.
func unsafePath(format string, args ...any) error {
	return &refusal{kind: ErrUnsafePath, detail: fmt.Sprintf(format, args...)}
}

// TooLargeError is the error for a file larger than the bound a read was
// given. It wraps ErrTooLarge.
type TooLargeError struct {
	Path  string // the file, as the read was given it
	Limit int64  // the bound, in bytes
}

// Error says which file passed which bound.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes", e.Path, e.Limit)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }
