package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/httpsession/httpsession/internal/safefile"
)

// fileLoginLock is the LoginLock of a session made by Open: the processes
// sharing a cookie file FILE log in one at a time under a lock on
// FILE.login.lock (flock: it dies with its process), and the holder that
// logged in records a new generation in FILE.login after saving the
// cookies. A process that finds a generation it has not seen loads the file
// instead of logging in.
type fileLoginLock struct {
	s      *Session
	target string // the cookie file, resolved
}

func (f *fileLoginLock) lockPath() string { return f.target + ".login.lock" }
func (f *fileLoginLock) genPath() string  { return f.target + ".login" }

// AcquireLogin implements LoginLock.
func (f *fileLoginLock) AcquireLogin(ctx context.Context) (uint64, func(bool) error, error) {
	unlock, err := safefile.Lock(ctx, f.lockPath(), 0)
	if err != nil {
		return 0, nil, fileErr(err)
	}
	gen, err := readLoginGeneration(f.genPath())
	if err != nil {
		unlock()
		return 0, nil, err
	}
	release := func(loggedIn bool) error {
		defer unlock()
		if !loggedIn {
			return nil
		}
		return safefile.WriteFile(f.genPath(), filePerm, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%d\n", gen+1)
			return err
		})
	}
	return gen, release, nil
}

// SyncLogin implements LoginLock: the file is merged into the jar. Records
// of the file that cannot be read were reported when it was opened.
func (f *fileLoginLock) SyncLogin(context.Context) error {
	err := f.s.jar.Load(f.s.path)
	var fe *FileError
	if errors.As(err, &fe) {
		return nil
	}
	return err
}

// readLoginGeneration reads FILE.login: a missing file is generation 0, and
// so is one that does not hold a number (its next login writes a good one).
func readLoginGeneration(path string) (uint64, error) {
	data, _, err := safefile.ReadRegular(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, fileErr(err))
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, nil
	}
	return n, nil
}
