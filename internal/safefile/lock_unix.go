//go:build unix

package safefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Lock takes an exclusive advisory lock (flock) on the lock file at path,
// waiting up to timeout (none if timeout is 0) or until ctx ends, and
// returns the function that releases it. The file is created 0600 if
// missing, opened without following a link and without blocking, and must
// be a regular file that no other user planted in a shared directory
// (ErrUnsafePath). A lock still held when the wait ends gives an error
// wrapping ErrLocked. The lock dies with the process that holds it.
func Lock(ctx context.Context, path string, timeout time.Duration) (unlock func(), err error) {
	if err := checkLockPath(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|openNoFollow|openNonBlock|syscall.O_CLOEXEC, lockPerm)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = Regular(path, fi)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fd := int(f.Fd())
	wait := firstLockRetry
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(fd, syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, locked(path, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, lockRetry)
	}
}
