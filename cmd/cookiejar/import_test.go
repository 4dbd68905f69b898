package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/httpsession/httpsession"
)

// firefoxDB writes a Firefox cookies.sqlite (schema 17, expiry in
// milliseconds) with a good cookie and a supercookie.
func firefoxDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cookies.sqlite")
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	stmts := []string{
		`CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER, isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0, isPartitionedAttributeSet INTEGER DEFAULT 0, updateTime INTEGER, CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes))`,
		`PRAGMA user_version = 17`,
	}
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err)
	}
	ms := time.Now().Add(30 * 24 * time.Hour).UnixMilli()
	for i, r := range []struct{ name, value, host string }{
		{"sid", "logged-in", "app.example.com"},
		{"super", "secret-super", ".com"},
	} {
		_, err := db.Exec(`INSERT INTO moz_cookies (id, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite, updateTime) VALUES (?,?,?,?,'/',?,0,0,0,0,256,0)`,
			i+1, r.name, r.value, r.host, ms)
		require.NoError(t, err)
	}
	return path
}

// cookiejar import SPEC -o FILE copies a browser profile's cookies into a
// cookie file; the cookies it could not take are reported by row, without
// their values, and the exit status is 3.
func TestImportFromABrowserProfile(t *testing.T) {
	db := firefoxDB(t)
	out := filepath.Join(t.TempDir(), "cookies.txt")
	var stdout, stderr bytes.Buffer
	code := run([]string{"import", db, "-o", out}, &stdout, &stderr)
	assert.Equal(t, exitPartial, code, stderr.String())
	assert.Contains(t, stderr.String(), "record not loaded")
	assert.NotContains(t, stderr.String(), "secret-super", "no value in a message")

	j := httpsession.NewJar()
	require.NoError(t, j.Load(out))
	require.Len(t, j.All(), 1)
	assert.Equal(t, "sid", j.All()[0].Name)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "# Netscape HTTP Cookie File"), "a .txt is cookies.txt")

	stderr.Reset()
	assert.Equal(t, exitUsage, run([]string{"import", db}, &stdout, &stderr), "-o is required")
	assert.Equal(t, exitFailure, run([]string{"import", filepath.Join(t.TempDir(), "none.sqlite"), "-o", out}, &stdout, &stderr))
}
