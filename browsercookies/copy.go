package browsercookies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/safefile"
)

// companions are the files SQLite keeps beside a database: the write-ahead
// log and its index, and the rollback journal. A copy without them would
// miss what is still in the log, or hold half a transaction.
var companions = []string{"-wal", "-shm", "-journal"}

// copyAttempts bounds how often a copy is taken again because a file
// changed while it was being copied.
const copyAttempts = 5

// MaxDatabaseSize bounds the bytes Read copies of one database, its
// companion files included. A browser's cookie database is a few
// megabytes; a larger one is refused (with an error wrapping
// httpsession.ErrCorrupt) rather than copied into the temporary directory.
const MaxDatabaseSize = 1 << 30

// openCopy copies the database at path and its companion files into a new
// private temporary directory and opens the copy. The browser may go on
// writing the original: the copy is read as it was, and the browser's locks
// do not stop a copy (they are advisory). close removes the copy.
//
// The database may be reached through a symbolic link (the caller named
// it); its companions may not, since a browser never links them. Each must
// be a regular file: a FIFO, a device or a socket is refused, never opened
// for reading (which could block or never end).
func openCopy(ctx context.Context, path string) (db *sql.DB, close func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "browsercookies-")
	if err != nil {
		return nil, nil, fmt.Errorf("browsercookies: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	dst := filepath.Join(dir, "cookies.db")
	for attempt := 1; ; attempt++ {
		stable, err := copyOnce(ctx, path, dst)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		if stable || attempt == copyAttempts {
			// After the last attempt the copy is used as it is: SQLite's
			// own recovery (the journal, the log's checksums) makes a
			// consistent database of it, at worst without the newest
			// transaction.
			break
		}
	}
	// The copy is private, so it is opened read-write: SQLite replays the
	// journal or rebuilds the log's index in place, as it would for the
	// browser.
	db, err = sql.Open("sqlite", sqliteURI(dst)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, func() { db.Close(); cleanup() }, nil
}

// sqliteURI returns the "file:" URI of a path (RFC 8089, as SQLite reads
// it), so that a '?', '#' or '%' in the temporary directory's name is part
// of the name and not a query.
func sqliteURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// fileState is what tells that a file changed while it was copied.
type fileState struct {
	exists  bool
	size    int64
	modTime time.Time
	mode    fs.FileMode
}

// stateOf returns the state of the database (following a link) or of a
// companion (not following one).
func stateOf(p string, companion bool) fileState {
	stat := os.Stat
	if companion {
		stat = os.Lstat
	}
	fi, err := stat(p)
	if err != nil {
		return fileState{}
	}
	return fileState{exists: true, size: fi.Size(), modTime: fi.ModTime(), mode: fi.Mode().Type()}
}

// copyOnce copies the database and its companions and reports whether none
// of them changed meanwhile.
func copyOnce(ctx context.Context, path, dst string) (stable bool, err error) {
	files := append([]string{""}, companions...)
	before := make([]fileState, len(files))
	for i, suffix := range files {
		before[i] = stateOf(path+suffix, i > 0)
	}
	if !before[0].exists {
		if _, err := os.Stat(path); err != nil {
			return false, fmt.Errorf("browsercookies: %w", err)
		}
	}
	budget := int64(MaxDatabaseSize)
	for i, suffix := range files {
		os.Remove(dst + suffix)
		if !before[i].exists {
			continue
		}
		if err := copyFile(ctx, path+suffix, dst+suffix, i > 0, &budget); err != nil {
			if i > 0 && errors.Is(err, fs.ErrNotExist) {
				continue // the log was checkpointed away meanwhile
			}
			return false, err
		}
	}
	for i, suffix := range files {
		if stateOf(path+suffix, i > 0) != before[i] {
			return false, nil
		}
	}
	return true, nil
}

// copyFile copies the regular file src to a new private file dst, taking
// its size from budget. A companion is not opened through a link.
func copyFile(ctx context.Context, src, dst string, companion bool, budget *int64) error {
	if companion {
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		if err := notRegular(src, fi); err != nil {
			return err
		}
	}
	in, fi, err := safefile.Open(src, !companion)
	if err != nil {
		// Not a regular file (a companion: replaced since it was looked
		// at), or the os package's error.
		return refused(err, fmt.Sprintf("copying %s", src))
	}
	defer in.Close()
	if fi.Size() > *budget {
		return tooLarge(src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("browsercookies: %w", err)
	}
	n, err := safefile.Copy(ctx, out, in, src, *budget)
	grew := errors.Is(err, safefile.ErrTooLarge)
	if cerr := out.Close(); cerr != nil && (err == nil || grew) {
		err, grew = cerr, false // reported as the copy's own error would be
	}
	*budget -= n
	switch {
	case grew:
		return tooLarge(src) // grew while it was copied
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("browsercookies: copying %s: %w", src, err)
	}
	return nil
}

// notRegular returns an error wrapping httpsession.ErrUnsafePath unless fi
// is a regular file.
func notRegular(path string, fi fs.FileInfo) error {
	if err := safefile.Regular(path, fi); err != nil {
		return refused(err, "")
	}
	return nil
}

// refused wraps an error of internal/safefile: a refusal in
// httpsession.ErrUnsafePath, any other error in doing ("copying path"), if
// given.
func refused(err error, doing string) error {
	switch {
	case errors.Is(err, safefile.ErrUnsafePath):
		return fmt.Errorf("browsercookies: %w: %w", httpsession.ErrUnsafePath, err)
	case doing != "":
		return fmt.Errorf("browsercookies: %s: %w", doing, err)
	}
	return fmt.Errorf("browsercookies: %w", err)
}

func tooLarge(path string) error {
	return fmt.Errorf("browsercookies: %w: %s and its companion files are larger than %d MiB, more than a cookie database holds",
		httpsession.ErrCorrupt, path, MaxDatabaseSize>>20)
}
