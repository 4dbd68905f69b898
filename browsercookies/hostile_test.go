//go:build unix

package browsercookies

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// Bad input of every kind beside a good database: each is a clear error,
// never a hang, an endless read, a leak of a value or a silent misreading.

// bounded fails the test if fn has not returned within a minute: fn must
// not block at all, and a minute is only a bound on a broken build.
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s blocked", what)
	}
}

// privateTemp points the temporary directory at a new empty one and
// returns it, so that a test can see that every copy was removed.
func privateTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "copies left in the temporary directory")
}

func goodFirefox(t *testing.T) string {
	t.Helper()
	path := tempDB(t, "cookies.sqlite")
	writeFirefox(t, path, 17, []ffRow{{id: 1, name: "sid", value: "v", host: "example.com", expiry: future.UnixMilli(), sameSite: ffSameSiteUnset}})
	return path
}

// A companion file (-wal, -shm, -journal) that is not a regular file is
// refused, never opened for reading: a FIFO would block the open or the
// read forever, a device would be copied without end, and a link may lead
// to another profile's log.
func TestCompanionFilesThatAreNotRegularAreRefused(t *testing.T) {
	other := goodFirefox(t) // a regular file elsewhere, reached by a link
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, p string)
	}{
		{"FIFO", func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) }},
		{"link to a device", func(t *testing.T, p string) { require.NoError(t, os.Symlink("/dev/zero", p)) }},
		{"link to a regular file", func(t *testing.T, p string) { require.NoError(t, os.Symlink(other, p)) }},
		{"directory", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o700)) }},
	} {
		for _, suffix := range companions {
			t.Run(tc.name+suffix, func(t *testing.T) {
				tmp := privateTemp(t)
				path := goodFirefox(t)
				tc.plant(t, path+suffix)
				bounded(t, "Read", func() {
					cookies, err := Read(context.Background(), path)
					assert.ErrorIs(t, err, httpsession.ErrUnsafePath)
					assert.Contains(t, err.Error(), path+suffix, "the error names the file")
					assert.Empty(t, cookies)
				})
				assertEmptyDir(t, tmp)
			})
		}
	}
	t.Run("database is a FIFO", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cookies.sqlite")
		require.NoError(t, syscall.Mkfifo(p, 0o600))
		bounded(t, "Read", func() {
			_, err := Read(context.Background(), p)
			assert.ErrorIs(t, err, httpsession.ErrUnsafePath)
		})
	})
}

// A database whose files together exceed MaxDatabaseSize is refused before
// anything is copied (a sparse journal costs no disk here).
func TestDatabaseLargerThanTheBoundIsRefused(t *testing.T) {
	tmp := privateTemp(t)
	path := goodFirefox(t)
	f, err := os.Create(path + "-journal")
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxDatabaseSize+1))
	require.NoError(t, f.Close())
	bounded(t, "Read", func() {
		_, err := Read(context.Background(), path)
		assert.ErrorIs(t, err, httpsession.ErrCorrupt)
		assert.Contains(t, err.Error(), "larger than")
	})
	assertEmptyDir(t, tmp)
}

// The copy stops when the context ends: a cancelled context copies nothing.
func TestCopyEndsWithTheContext(t *testing.T) {
	tmp := privateTemp(t)
	path := goodFirefox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, path)
	assert.ErrorIs(t, err, context.Canceled)
	assertEmptyDir(t, tmp)
	// That a context ending during a copy ends it at the next read is
	// internal/safefile's to test (TestContextReaderEndsAtTheNextRead).
}

// A temporary directory whose name holds the characters of a URI's query,
// fragment or escapes is still where the copy is opened.
func TestTemporaryDirectoryWithURICharacters(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{"a?b", "c#d", "e%41f", "g h", "i?mode=ro&vfs=x"} {
		tmp := filepath.Join(base, name)
		mkdirAll(t, tmp)
		t.Setenv("TMPDIR", tmp)
		path := goodFirefox(t)
		cookies, err := Read(context.Background(), path)
		require.NoError(t, err, "TMPDIR %q", name)
		assert.Len(t, cookies, 1, "TMPDIR %q", name)
		assertEmptyDir(t, tmp)
	}
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Len(t, entries, 5, "a file was made outside the temporary directory")
}

// An encrypted_value that is no encryption this package knows is reported
// without any of its bytes: it may be a plain value another program wrote.
func TestUnknownEncryptionNeverShowsTheValue(t *testing.T) {
	path := tempDB(t, "Cookies")
	writeChromium(t, path, 24, []crRow{
		{host: "example.com", name: "short", encrypted: []byte("pw!"), expires: future, sameSite: -1},
		{host: "example.com", name: "plain", encrypted: []byte("SECRETVAL17"), expires: future, sameSite: -1},
		{host: "example.com", name: "two", encrypted: []byte("Zq"), expires: future, sameSite: -1},
	})
	_, err := Read(context.Background(), path)
	bad := lineErrors(t, err, path)
	assert.Len(t, bad, 3)
	for _, e := range bad {
		assert.ErrorIs(t, e, ErrUnknownEncryption)
	}
	for _, secret := range []string{"pw", "SEC", "Zq", "5a71", "7077"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

// A table without a column every version of the browser has is not the
// browser's table: reading it would make every cookie expired (Firefox
// without expiry) or a session cookie (Chromium without expires_utc).
func TestTableWithoutTheBrowsersColumnsIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, file, schema, missing string }{
		{"Firefox without expiry", "cookies.sqlite", `CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, name TEXT, value TEXT, host TEXT, path TEXT)`, "expiry"},
		{"Firefox of one column", "cookies.sqlite", `CREATE TABLE moz_cookies (x INTEGER)`, "name"},
		{"Chromium without expires_utc", "Cookies", `CREATE TABLE cookies (host_key TEXT, name TEXT, value TEXT, path TEXT)`, "expires_utc"},
	} {
		path := tempDB(t, tc.file)
		db := newDB(t, path, tc.schema)
		require.NoError(t, db.Close())
		cookies, err := Read(context.Background(), path)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.missing, tc.name)
		var fe *httpsession.FileError
		assert.NotErrorAs(t, err, &fe, "%s: nothing was read", tc.name)
		assert.Empty(t, cookies, tc.name)
	}
}

// Rows a browser never writes are reported by row, not read as something
// else: a NULL in a column every row fills, a host with two leading dots.
func TestDamagedRowsAreReported(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	db := newDB(t, path, firefoxSchema, "PRAGMA user_version = 17")
	insertFirefox(t, db, []ffRow{
		{id: 1, name: "good", value: "v", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 2, name: "nullexpiry", value: "secret-null", host: "example.com", expiry: nil, sameSite: ffSameSiteUnset},
		{id: 3, name: "dots", value: "secret-dots", host: "..example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 4, name: "nullpath", value: "secret-path", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 5, name: "nullhost", value: "secret-host", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
	})
	_, err := db.Exec(`UPDATE moz_cookies SET path = NULL WHERE id = 4`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE moz_cookies SET host = NULL WHERE id = 5`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	cookies, err := Read(context.Background(), path)
	if assert.Len(t, cookies, 1) {
		assert.Equal(t, "good", cookies[0].Name)
	}
	bad := lineErrors(t, err, path)
	assert.Len(t, bad, 4)
	for line := 2; line <= 5; line++ {
		assert.ErrorIs(t, bad[line], ErrOutOfRange, "row %d", line)
	}
	assert.NotContains(t, err.Error(), "secret")
}

// Two rows of one identity (partition keys that differ only in their
// scheme) give one cookie, the newer, and the other row is reported.
func TestRowsOfOneIdentityAreReported(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	older := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	newer := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "dup", value: "new", host: "example.com", expiry: ms, secure: 1, partitioned: 1, creationTime: newer,
			attrs: "^partitionKey=%28https%2Cexample.com%29", sameSite: ffSameSiteUnset},
		{id: 2, name: "dup", value: "old", host: "example.com", expiry: ms, secure: 1, partitioned: 1, creationTime: older,
			attrs: "^partitionKey=%28http%2Cexample.com%29", sameSite: ffSameSiteUnset},
		{id: 3, name: "dup", value: "unpartitioned", host: "example.com", expiry: ms, secure: 1, creationTime: older, sameSite: ffSameSiteUnset},
	})
	cookies, err := Read(context.Background(), path)
	got := map[string]bool{}
	for _, c := range cookies {
		got[c.Value] = c.Partitioned
	}
	assert.Equal(t, map[string]bool{"new": true, "unpartitioned": false}, got)
	bad := lineErrors(t, err, path)
	require.Len(t, bad, 1)
	assert.ErrorIs(t, bad[2], ErrDuplicate)
	assert.Contains(t, bad[2].Error(), "row 1")
}

// Firefox's partition key with the ancestor bit (",f") is a partition for
// frames with a cross-site ancestor, as Chromium's has_cross_site_ancestor:
// both are reported, whatever the site.
func TestCrossSiteAncestorPartitionsAreReported(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "own", value: "v", host: "example.com", expiry: ms, secure: 1, partitioned: 1,
			attrs: "^partitionKey=%28https%2Cexample.com%29", sameSite: ffSameSiteUnset},
		{id: 2, name: "ancestor", value: "v", host: "example.com", expiry: ms, secure: 1, partitioned: 1,
			attrs: "^partitionKey=%28https%2Cexample.com%2Cf%29", sameSite: ffSameSiteUnset},
		{id: 3, name: "portancestor", value: "v", host: "example.com", expiry: ms, secure: 1, partitioned: 1,
			attrs: "^partitionKey=%28https%2Cexample.com%2C8443%2Cf%29", sameSite: ffSameSiteUnset},
	})
	cookies, err := Read(context.Background(), path)
	require.Len(t, cookies, 1)
	assert.Equal(t, "own", cookies[0].Name)
	bad := lineErrors(t, err, path)
	assert.ErrorIs(t, bad[2], ErrForeignPartition)
	assert.ErrorIs(t, bad[3], ErrForeignPartition)

	cpath := tempDB(t, "Cookies")
	writeChromium(t, cpath, 24, []crRow{
		{host: "example.com", topFrame: "https://example.com", name: "ancestor", value: "v", expires: future, secure: 1, sameSite: -1, crossSiteAncestor: 1},
	})
	_, err = Read(context.Background(), cpath)
	assert.ErrorIs(t, lineErrors(t, err, cpath)[1], ErrForeignPartition)
}

// Chromium's meta version is text: spaces around the number are read, a
// NULL or a word is a clear error (the version decides how values are
// decrypted).
func TestChromiumMetaVersion(t *testing.T) {
	for _, tc := range []struct {
		value string // SQL
		ok    bool
	}{
		{"' 24'", true},
		{"24", true},
		{"NULL", false},
		{"'24.0'", false},
		{"'new'", false},
	} {
		path := tempDB(t, "Cookies")
		writeChromium(t, path, 24, []crRow{{host: "example.com", name: "sid", value: "v", expires: future, sameSite: -1}})
		db := newDB(t, path, "UPDATE meta SET value = "+tc.value+" WHERE key = 'version'")
		require.NoError(t, db.Close())
		cookies, err := Read(context.Background(), path)
		if tc.ok {
			require.NoError(t, err, tc.value)
			assert.Len(t, cookies, 1, tc.value)
			continue
		}
		require.Error(t, err, tc.value)
		assert.Contains(t, err.Error(), "meta table's version is not a number", tc.value)
		assert.NotContains(t, err.Error(), "Scan", tc.value)
	}
}

// Profile names that name more than one profile are an error listing them,
// never a guess (Go's map order made it a different guess each run).
func TestAmbiguousProfileNames(t *testing.T) {
	t.Run("Chromium", func(t *testing.T) {
		home := fakeHome(t)
		ud := filepath.Join(home, ".config", "chromium")
		chromiumProfileAt(t, filepath.Join(ud, "Profile 1"), "one")
		chromiumProfileAt(t, filepath.Join(ud, "Profile 2"), "two")
		chromiumProfileAt(t, filepath.Join(ud, "Profile 3"), "three")
		writeFile(t, filepath.Join(ud, "Local State"), `{"profile":{"info_cache":{
			"Profile 1":{"name":"Work"},"Profile 2":{"name":"Work"},"Profile 3":{"name":"Home"}}}}`)
		for range 10 {
			_, err := Read(context.Background(), "chromium:Work")
			require.ErrorIs(t, err, errAmbiguous)
			assert.Contains(t, err.Error(), "Profile 1, Profile 2")
		}
		assert.Equal(t, "three", where(t, "chromium:Home"))
		assert.Equal(t, "two", where(t, "chromium:Profile 2"), "the directory name still selects")
	})
	t.Run("Firefox profiles.ini", func(t *testing.T) {
		home := fakeHome(t)
		root := filepath.Join(home, ".mozilla", "firefox")
		firefoxProfileAt(t, filepath.Join(root, "a.work"), "a")
		firefoxProfileAt(t, filepath.Join(root, "b.work"), "b")
		writeFile(t, filepath.Join(root, "profiles.ini"), "[Profile0]\nName=work\nPath=a.work\nIsRelative=1\n\n[Profile1]\nName=work\nPath=b.work\nIsRelative=1\n")
		_, err := Read(context.Background(), "firefox:work")
		require.ErrorIs(t, err, errAmbiguous)
		assert.Equal(t, "b", where(t, "firefox:b.work"))
	})
	t.Run("Firefox without profiles.ini", func(t *testing.T) {
		home := fakeHome(t)
		root := filepath.Join(home, ".mozilla", "firefox")
		firefoxProfileAt(t, filepath.Join(root, "a.default-release"), "a")
		firefoxProfileAt(t, filepath.Join(root, "b.default-release"), "b")
		_, err := Read(context.Background(), "firefox")
		require.ErrorIs(t, err, errAmbiguous)
		assert.Contains(t, err.Error(), "a.default-release")
		assert.Contains(t, err.Error(), "b.default-release")
	})
}

// With the browser installed twice (native and Flatpak), the profile whose
// database was written last is the one in use, and is read.
func TestTheInstallationInUseIsRead(t *testing.T) {
	home := fakeHome(t)
	native := filepath.Join(home, ".config", "chromium", "Default")
	flatpak := filepath.Join(home, ".var", "app", "org.chromium.Chromium", "config", "chromium", "Default")
	chromiumProfileAt(t, native, "native")
	chromiumProfileAt(t, flatpak, "flatpak")
	old, recent := time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(native, "Cookies"), old, old))
	require.NoError(t, os.Chtimes(filepath.Join(flatpak, "Cookies"), recent, recent))
	assert.Equal(t, "flatpak", where(t, "chromium"))
	require.NoError(t, os.Chtimes(filepath.Join(native, "Cookies"), recent.Add(time.Minute), recent.Add(time.Minute)))
	assert.Equal(t, "native", where(t, "chromium"))

	_, err := Read(context.Background(), "chromium:Nope")
	require.Error(t, err)
	for _, d := range []string{filepath.Join(home, ".config", "chromium"), filepath.Dir(flatpak)} {
		assert.Contains(t, err.Error(), d, "the error names every installation looked in")
	}
}

// Session reports a cookie its own jar refuses by the row it was read
// from, in the same error as Read's reports.
func TestSessionReportsRefusalsByRow(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	writeFirefox(t, path, 17, []ffRow{
		{id: 7, name: "wide", value: "v", host: ".example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 9, name: "host", value: "v", host: "www.example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 11, name: "super", value: "v", host: ".com", expiry: ms, sameSite: ffSameSiteUnset},
	})
	s, err := Session(context.Background(), path,
		httpsession.WithJarOptions(httpsession.WithPublicSuffixList(suffixes{"example.com": true, "com": true})))
	require.NotNil(t, s)
	defer s.Close()
	var fe *httpsession.FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, path, fe.Path)
	lines := map[int]bool{}
	for _, l := range fe.Lines {
		lines[l.Line] = true
	}
	assert.Equal(t, map[int]bool{7: true, 11: true}, lines, "row 7 by the session's jar, row 11 by Read")
	assert.Len(t, s.Jar().All(), 1)
}

// suffixes is a public suffix list of the given suffixes.
type suffixes map[string]bool

func (s suffixes) PublicSuffix(domain string) string {
	for d := domain; ; {
		if s[d] {
			return d
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			return d
		}
		d = rest
	}
}

func (s suffixes) String() string { return "test suffixes" }

// A cookies table that is a view, however small its file, is refused
// before it is read: a recursive view makes rows without end (issue 20,
// point 8).
func TestCookieTableThatIsAViewIsRefused(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	db := newDB(t, path, `CREATE VIEW moz_cookies AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n)
SELECT i AS id, 'a' AS name, 'v' AS value, 'example.com' AS host, '/' AS path, 0 AS expiry,
0 AS lastAccessed, 0 AS creationTime, 0 AS isSecure, 0 AS isHttpOnly, 0 AS sameSite FROM n`)
	require.NoError(t, db.Close())
	cookies, err := Read(context.Background(), path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a view, not a table")
	assert.Empty(t, cookies)
}

// A table with more rows than any browser keeps is refused at the bound
// (MaxCookies; here a small one), before the rows fill the memory.
func TestMoreCookiesThanTheBoundAreRefused(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	db := newDB(t, path, firefoxSchema,
		`INSERT INTO moz_cookies (id, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5)
SELECT i, 'c' || i, 'v', 'example.com', '/', 0, 0, 0, 0, 0, 0 FROM n`)
	have, err := columns(context.Background(), db, "moz_cookies")
	require.NoError(t, err)
	each := func([]any) (record, bool) { return record{}, true }
	_, err = scanRowsUpTo(context.Background(), db, path, "Firefox", "moz_cookies", have, firefoxColumns, 4, each)
	require.ErrorIs(t, err, httpsession.ErrCorrupt)
	assert.Contains(t, err.Error(), "more than 4 cookies")
	recs, err := scanRowsUpTo(context.Background(), db, path, "Firefox", "moz_cookies", have, firefoxColumns, 5, each)
	require.NoError(t, err)
	assert.Len(t, recs, 5)
}

// A virtual table under the browser's table name (FTS5 over a recursive
// view, which never ends) is refused as a view is.
func TestCookieTableThatIsAVirtualTableIsRefused(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	db := newDB(t, path, `CREATE VIEW v AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x AS rowid, 'n' || x AS name, 'v' AS value FROM c`,
		`CREATE VIRTUAL TABLE moz_cookies USING fts5(name, value, content='v', content_rowid='rowid')`)
	require.NoError(t, db.Close())
	cookies, err := Read(context.Background(), path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a virtual table")
	assert.Empty(t, cookies)
}
