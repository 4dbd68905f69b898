package browsercookies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// companions are the files SQLite keeps beside a database: the write-ahead
// log and its index, and the rollback journal. A copy without them would
// miss what is still in the log, or hold half a transaction.
var companions = []string{"-wal", "-shm", "-journal"}

// copyAttempts bounds how often a copy is taken again because a file
// changed while it was being copied.
const copyAttempts = 5

// openCopy copies the database at path and its companion files into a new
// private temporary directory and opens the copy. The browser may go on
// writing the original: the copy is read as it was, and the browser's locks
// do not stop a copy (they are advisory). close removes the copy.
func openCopy(ctx context.Context, path string) (db *sql.DB, close func(), err error) {
	dir, err := os.MkdirTemp("", "browsercookies-")
	if err != nil {
		return nil, nil, fmt.Errorf("browsercookies: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	dst := filepath.Join(dir, "cookies.db")
	for attempt := 1; ; attempt++ {
		stable, err := copyOnce(path, dst)
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
		if err := ctx.Err(); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	// The copy is private, so it is opened read-write: SQLite replays the
	// journal or rebuilds the log's index in place, as it would for the
	// browser.
	db, err = sql.Open("sqlite", "file:"+dst+"?_pragma=busy_timeout(10000)")
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, func() { db.Close(); cleanup() }, nil
}

// fileState is what tells that a file changed while it was copied.
type fileState struct {
	exists  bool
	size    int64
	modTime time.Time
}

func stateOf(p string) fileState {
	fi, err := os.Stat(p)
	if err != nil {
		return fileState{}
	}
	return fileState{exists: true, size: fi.Size(), modTime: fi.ModTime()}
}

// copyOnce copies the database and its companions and reports whether none
// of them changed meanwhile.
func copyOnce(path, dst string) (stable bool, err error) {
	files := append([]string{""}, companions...)
	before := make([]fileState, len(files))
	for i, suffix := range files {
		before[i] = stateOf(path + suffix)
	}
	if !before[0].exists {
		if _, err := os.Stat(path); err != nil {
			return false, fmt.Errorf("browsercookies: %w", err)
		}
	}
	for i, suffix := range files {
		os.Remove(dst + suffix)
		if !before[i].exists {
			continue
		}
		if err := copyFile(path+suffix, dst+suffix); err != nil {
			if i > 0 && errors.Is(err, os.ErrNotExist) {
				continue // the log was checkpointed away meanwhile
			}
			return false, fmt.Errorf("browsercookies: copying %s: %w", path+suffix, err)
		}
	}
	for i, suffix := range files {
		if stateOf(path+suffix) != before[i] {
			return false, nil
		}
	}
	return true, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// columns returns the columns of table, or an error if there is no such
// table.
func columns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		cols[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no table %s", table)
	}
	return cols, nil
}

// selectList builds the columns of a SELECT from wanted: each the first of
// its spellings the table has, else its default.
func selectList(have map[string]bool, wanted []column) string {
	parts := make([]string, len(wanted))
	for i, w := range wanted {
		parts[i] = w.def
		for _, name := range w.names {
			if have[strings.ToLower(name)] {
				parts[i] = `"` + name + `"`
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// column is a column a reader wants: its spellings across versions, newest
// first, and the SQL to use when the table has none of them.
type column struct {
	names []string
	def   string
}

// sniff tells a Firefox database from a Chromium one by its tables.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("browsercookies: %w", err)
	}
	header := make([]byte, 16)
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || string(header) != "SQLite format 3\x00" {
		return "", fmt.Errorf("browsercookies: %s is not an SQLite database", path)
	}
	ctx := context.Background()
	db, closeDB, err := openCopy(ctx, path)
	if err != nil {
		return "", err
	}
	defer closeDB()
	if _, err := columns(ctx, db, "moz_cookies"); err == nil {
		return "firefox", nil
	}
	if _, err := columns(ctx, db, "cookies"); err == nil {
		return "chromium", nil
	}
	return "", fmt.Errorf("browsercookies: %s holds neither moz_cookies (Firefox) nor cookies (Chromium)", path)
}

// Values as SQLite gives them: a column's declared type does not bind what
// a row holds, so each is checked.

func asInt(v any, field string) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case nil:
		return 0, nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	case []byte:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: %s is not an integer", ErrOutOfRange, field)
}

func asBool(v any, field string) (bool, error) {
	n, err := asInt(v, field)
	if err != nil {
		return false, err
	}
	if n != 0 && n != 1 {
		return false, fmt.Errorf("%w: %s is %d, not 0 or 1", ErrOutOfRange, field, n)
	}
	return n == 1, nil
}

func asText(v any, field string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%w: %s is not text", ErrOutOfRange, field)
}

func asBlob(v any, field string) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return slices.Clone(x), nil
	case string:
		return []byte(x), nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %s is not a blob", ErrOutOfRange, field)
}

// maxTime is the latest time a cookie may hold (from the Unix epoch on):
// the end of the year 9999, which every cookie file format can write.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// unixMicro converts microseconds since 1970, checking the range.
func unixMicro(us int64, field string) (time.Time, error) {
	if us < 0 || us > maxTime.UnixMicro() {
		return time.Time{}, fmt.Errorf("%w: %s is %d", ErrOutOfRange, field, us)
	}
	return time.UnixMicro(us).UTC(), nil
}

// asTime reads an integer column and converts it to a time with conv (the
// browser's epoch and unit), naming field in either error.
func asTime(v any, field string, conv func(int64, string) (time.Time, error)) (time.Time, error) {
	n, err := asInt(v, field)
	if err != nil {
		return time.Time{}, err
	}
	return conv(n, field)
}
