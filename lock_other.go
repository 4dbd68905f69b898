//go:build !unix

package httpsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofrs/flock"
)

// lockFile takes an exclusive lock on the lock file at path, waiting up to
// timeout or until ctx ends. The file must be a regular file if it exists.
func lockFile(ctx context.Context, path string, timeout time.Duration) (func(), error) {
	if err := checkLockPath(path); err != nil {
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fl := flock.New(path, flock.SetPermissions(filePerm))
	ok, err := fl.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		_ = fl.Close()
		return nil, fmt.Errorf("%w: %s held by another process (%v)", ErrLocked, path, err)
	}
	return func() { _ = fl.Unlock(); _ = fl.Close() }, nil
}
