package browsercookies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/safefile"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// columns returns the columns of table, or an error if there is no such
// table.
func columns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	// A view of that name is no browser's table: one can make rows
	// without end from a few bytes (a recursive query).
	var kind, ddl string
	err := db.QueryRowContext(ctx, "SELECT type, coalesce(sql, '') FROM sqlite_master WHERE name = ? COLLATE NOCASE", table).Scan(&kind, &ddl)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no table %s", table)
	}
	if err != nil {
		return nil, err
	}
	if kind != "table" {
		return nil, fmt.Errorf("%w: %s is a %s, not a table", errNotTable, table, kind)
	}
	// A virtual table (FTS5 over a recursive view, say) reads rows from
	// anywhere, without end: no browser makes one.
	if strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ddl), " ")), "CREATE VIRTUAL TABLE") {
		return nil, fmt.Errorf("%w: %s is a virtual table", errNotTable, table)
	}
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

// errNotTable is the error of a cookie table that is a view, or another
// kind of object.
var errNotTable = errors.New("not a browser's cookie table")

// MaxCookies bounds the cookies read from one database: browsers keep a
// few thousand (Chromium 3,300, Firefox about as many); a table with more
// is refused, with ErrCorrupt, before it fills the memory.
const MaxCookies = 1 << 20

// selectList builds the columns of a SELECT from wanted: each the first of
// its spellings the table has, else its default. A table without a column
// every version of the browser has (def "") is not the browser's: reading
// it would return wrong cookies (every one expired, or none persistent).
func selectList(have map[string]bool, wanted []column) (string, error) {
	parts := make([]string, len(wanted))
	var missing []string
	for i, w := range wanted {
		parts[i] = w.def
		for _, name := range w.names {
			if have[strings.ToLower(name)] {
				parts[i] = `"` + name + `"`
				break
			}
		}
		if parts[i] == "" {
			missing = append(missing, w.names[0])
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("the table has no column %s", strings.Join(missing, ", "))
	}
	return strings.Join(parts, ", "), nil
}

// scanRows reads the columns cols of every row of table (whose columns are
// have) and turns each row into a record with each; a row for which each
// returns false is not read (a cookie of another jar). kind names the
// browser in the error for a table that is not the browser's.
func scanRows(ctx context.Context, db *sql.DB, path, kind, table string, have map[string]bool, cols []column,
	each func(vals []any) (record, bool)) ([]record, error) {
	return scanRowsUpTo(ctx, db, path, kind, table, have, cols, MaxCookies, each)
}

// scanRowsUpTo is scanRows for a table of limit rows at most: past them,
// it fails with ErrCorrupt.
func scanRowsUpTo(ctx context.Context, db *sql.DB, path, kind, table string, have map[string]bool, cols []column,
	limit int, each func(vals []any) (record, bool)) ([]record, error) {
	list, err := selectList(have, cols)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: %s: not a %s cookie database: %w", path, kind, err)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+list+" FROM "+table+" LIMIT "+strconv.Itoa(limit+1))
	if err != nil {
		return nil, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	n := 0
	defer rows.Close()
	var recs []record
	vals := make([]any, len(cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if n++; n > limit {
			return nil, fmt.Errorf("browsercookies: %s: %w: more than %d cookies in %s, more than any browser keeps", path, httpsession.ErrCorrupt, limit, table)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("browsercookies: %s: %w", path, err)
		}
		if r, keep := each(vals); keep {
			recs = append(recs, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	return recs, nil
}

// column is a column a reader wants: its spellings across versions, newest
// first, and the SQL to use when the table has none of them, "" for a
// column every version has.
type column struct {
	names []string
	def   string
}

// nullInRequired reports a NULL in a column every version of the browser
// fills (a damaged row): read as empty, it would be a cookie the browser
// never held.
func nullInRequired(v []any, cols []column) error {
	for i, c := range cols {
		if c.def == "" && v[i] == nil {
			return fmt.Errorf("%w: %s is NULL", ErrOutOfRange, c.names[0])
		}
	}
	return nil
}

// domainOf reads a browser's host column: a leading dot makes a domain
// cookie, none a host-only cookie. More than one dot is no host a browser
// writes.
func domainOf(host, field string) (domain string, hostOnly bool, err error) {
	domain, dotted := strings.CutPrefix(host, ".")
	if strings.HasPrefix(domain, ".") {
		return "", false, fmt.Errorf("%w: %s starts with two dots", ErrOutOfRange, field)
	}
	return domain, !dotted, nil
}

// sqliteHeader checks that the file at path starts as an SQLite database
// does, without blocking on a FIFO.
func sqliteHeader(path string) error {
	f, _, err := safefile.Open(path, true)
	if err != nil {
		return refused(err, "")
	}
	defer f.Close()
	header := make([]byte, 16)
	if _, err := io.ReadFull(f, header); err != nil || string(header) != "SQLite format 3\x00" {
		return fmt.Errorf("browsercookies: %s is not an SQLite database", path)
	}
	return nil
}

// sniff tells a Firefox database from a Chromium one by its tables.
func sniff(ctx context.Context, db *sql.DB, path string) (string, error) {
	var problems []error
	for _, kind := range []struct{ browser, table string }{{"firefox", "moz_cookies"}, {"chromium", "cookies"}} {
		_, err := columns(ctx, db, kind.table)
		if err == nil {
			return kind.browser, nil
		}
		if errors.Is(err, errNotTable) {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("browsercookies: %s: %w", path, errors.Join(problems...))
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
