package browsercookies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
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
	flags := os.O_RDONLY | openNonBlock
	if companion {
		flags |= openNoFollow
	}
	in, err := os.OpenFile(src, flags, 0)
	if err != nil {
		return fmt.Errorf("browsercookies: copying %s: %w", src, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("browsercookies: copying %s: %w", src, err)
	}
	if err := notRegular(src, fi); err != nil {
		return err // replaced since it was looked at
	}
	if fi.Size() > *budget {
		return tooLarge(src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("browsercookies: %w", err)
	}
	n, err := io.Copy(out, &ctxReader{ctx: ctx, r: io.LimitReader(in, *budget+1)})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	*budget -= n
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("browsercookies: copying %s: %w", src, err)
	case *budget < 0:
		return tooLarge(src) // grew while it was copied
	}
	return nil
}

// notRegular returns an error wrapping httpsession.ErrUnsafePath unless fi
// is a regular file.
func notRegular(path string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return fmt.Errorf("browsercookies: %w: %s is %s", httpsession.ErrUnsafePath, path, kind)
}

func tooLarge(path string) error {
	return fmt.Errorf("browsercookies: %w: %s and its companion files are larger than %d MiB, more than a cookie database holds",
		httpsession.ErrCorrupt, path, MaxDatabaseSize>>20)
}

// ctxReader ends a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
