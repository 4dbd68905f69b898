//go:build !unix

package safefile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofrs/flock"
)

// Lock takes an exclusive lock on the lock file at path, waiting up to
// timeout (none if timeout is 0) or until ctx ends, and returns the
// function that releases it. The file must be a regular file if it exists
// (ErrUnsafePath). A lock still held when the wait ends gives an error
// wrapping ErrLocked.
func Lock(ctx context.Context, path string, timeout time.Duration) (unlock func(), err error) {
	if err := checkLockPath(path); err != nil {
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fl := flock.New(path, flock.SetPermissions(lockPerm))
	ok, err := fl.TryLockContext(ctx, lockRetry)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		_ = fl.Close()
		return nil, locked(path, err)
	}
	return func() { _ = fl.Unlock(); _ = fl.Close() }, nil
}
