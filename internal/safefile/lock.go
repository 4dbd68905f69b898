package safefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockPerm is the mode of a new lock file.
const lockPerm fs.FileMode = 0o600

// lockRetry is how often Lock tries again, at most, while another process
// holds the lock; on unix it starts at firstLockRetry and doubles, since
// most locks are held for well under a millisecond.
const (
	lockRetry      = 5 * time.Millisecond
	firstLockRetry = 50 * time.Microsecond
)

// checkLockPath refuses a lock file path that exists and is not a regular
// file, a symbolic link among others, or that another user planted in a
// shared directory.
func checkLockPath(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	if err := Regular(path, fi); err != nil {
		return err
	}
	return ownerAllowed(path, fi)
}

// ProbeLock creates the lock file at path if it is missing, to tell at once
// whether Lock will be able to: never through a link, and only as a
// regular file that no other user planted in a shared directory
// (ErrUnsafePath). A missing or read-only directory gives the os package's
// error.
func ProbeLock(path string) error {
	if err := checkLockPath(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|openNoFollow|openNonBlock, lockPerm)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return Regular(path, fi)
}

// locked returns the error for a lock another process held until ctx
// ended.
func locked(path string, cause error) error {
	return &refusal{kind: ErrLocked, detail: fmt.Sprintf("%s held by another process (%v)", path, cause)}
}

// TryLock takes the lock at path (as Lock does) only if no one holds it,
// without waiting: ok is false, and err nil, when another holder has it.
// Within one process too, a lock file's lock taken through another open
// file is held.
func TryLock(path string) (unlock func(), ok bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	unlock, err = Lock(ctx, path, 0)
	switch {
	case err == nil:
		return unlock, true, nil
	case errors.Is(err, ErrLocked):
		return nil, false, nil
	}
	return nil, false, err
}
