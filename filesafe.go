package httpsession

import (
	"errors"
	"fmt"

	"github.com/httpsession/httpsession/internal/safefile"
)

// ErrUnsafePath is wrapped by the error for a cookie file path that this
// package will not read or replace: a FIFO, device, socket or directory
// where a regular file belongs, a symbolic link that another user planted
// in a shared directory, or a lock file that is not a regular file.
var ErrUnsafePath = errors.New("httpsession: unsafe cookie file path")

// MaxFileSize bounds a cookie file: 64 MiB, some 200,000 cookies. Load,
// Open and Save read no more of a file unless ReadLarge says so, and a save
// never writes more: it forgets the oldest tombstones to fit, or fails with
// an error that wraps ErrTooLarge and leaves the old file as it was. A
// larger file is refused with an error that wraps ErrCorrupt and
// ErrTooLarge, and never overwritten.
const MaxFileSize = 64 << 20

// ErrTooLarge is wrapped by the error for a cookie file larger than
// MaxFileSize (ReadLarge opens it), and by that of a save whose live
// cookies alone would pass it (the file is left as it was).
var ErrTooLarge = errors.New("httpsession: cookie file larger than MaxFileSize")

// fileErr puts an error of internal/safefile in this package's words: a
// refused path wraps ErrUnsafePath, a lock held by another process
// ErrLocked, and a file past its bound ErrCorrupt and ErrTooLarge. Other
// errors, the os package's among them, are returned as they are. It is
// applied where safefile is called, before any wrapping of this package's.
func fileErr(err error) error {
	var large *safefile.TooLargeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &large):
		return tooLarge(large.Path, large.Limit)
	case errors.Is(err, safefile.ErrUnsafePath):
		return fmt.Errorf("%w: %w", ErrUnsafePath, err)
	case errors.Is(err, safefile.ErrLocked):
		return fmt.Errorf("%w: %w", ErrLocked, err)
	}
	return err
}

func tooLarge(path string, limit int64) error {
	err := fmt.Errorf("%w: %s is larger than %d MiB, more than a cookie file holds (%w)", ErrCorrupt, path, limit>>20, ErrTooLarge)
	return &RemedyError{Err: err, Remedy: "ReadLarge", advice: "ReadLarge opens it"}
}
