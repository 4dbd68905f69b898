package browsercookies

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The schemas the browsers tested here write (Firefox ESR 153, schema 17;
// Chromium 156, cookies version 24), as read from their databases.
const (
	firefoxSchema  = `CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER, isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0, isPartitionedAttributeSet INTEGER DEFAULT 0, updateTime INTEGER, CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes))`
	chromiumSchema = `CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL,name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL,expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL,last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL,priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL,source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL,has_cross_site_ancestor INTEGER NOT NULL);
CREATE UNIQUE INDEX cookies_unique_index ON cookies(host_key, top_frame_site_key, has_cross_site_ancestor, name, path, source_scheme, source_port)`
)

const day = 24 * time.Hour

// ffRow is one moz_cookies row.
type ffRow struct {
	id                int64
	attrs             string
	name, value, host string
	path              string
	expiry            any // seconds or milliseconds, as the test wants
	lastAccessed      int64
	creationTime      int64
	secure, httpOnly  int
	sameSite          int
	partitioned       int
}

// newDB creates an SQLite database at path with the statements given.
func newDB(t testing.TB, path string, stmts ...string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, s := range stmts {
		_, err = db.Exec(s)
		require.NoError(t, err, s)
	}
	return db
}

// writeFirefox writes a cookies.sqlite of the given schema version.
func writeFirefox(t testing.TB, path string, userVersion int, rows []ffRow) {
	t.Helper()
	db := newDB(t, path, firefoxSchema, "PRAGMA user_version = "+strconv.Itoa(userVersion))
	insertFirefox(t, db, rows)
	db.Close()
}

func insertFirefox(t testing.TB, db *sql.DB, rows []ffRow) {
	t.Helper()
	for _, r := range rows {
		if r.path == "" {
			r.path = "/"
		}
		var id any
		if r.id != 0 {
			id = r.id
		}
		_, err := db.Exec(`INSERT INTO moz_cookies (id, originAttributes, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite, isPartitionedAttributeSet, schemeMap, updateTime)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,2,0)`,
			id, r.attrs, r.name, r.value, r.host, r.path, r.expiry, r.lastAccessed, r.creationTime, r.secure, r.httpOnly, r.sameSite, r.partitioned)
		require.NoError(t, err)
	}
}

// crRow is one Chromium cookies row; value is the plaintext, encrypted by
// the writer unless plain is set.
type crRow struct {
	host, topFrame, name, value, path string
	expires                           time.Time // zero: a session cookie
	secure, httpOnly                  int
	sameSite                          int
	encrypted                         []byte // used as it is when not nil
	plain                             bool   // value in the value column
	created                           time.Time
	crossSiteAncestor                 int
}

func chromiumMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro() + windowsEpochMicros
}

// encryptV10 encrypts a value as Chromium on Linux does without a keyring
// (version 24 and later put SHA-256 of the host first when hashPrefix).
func encryptCBC(key []byte, prefix, host, value string, hashPrefix bool) []byte {
	pt := []byte(value)
	if hashPrefix {
		sum := sha256.Sum256([]byte(host))
		pt = append(sum[:], pt...)
	}
	n := aes.BlockSize - len(pt)%aes.BlockSize
	for range n {
		pt = append(pt, byte(n))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, cbcIV).CryptBlocks(ct, pt)
	return append([]byte(prefix), ct...)
}

func v10Key() []byte { return deriveKey([]byte(v10Password), linuxIterations) }

// writeChromium writes a Cookies database of the given meta version,
// encrypting values as v10.
func writeChromium(t testing.TB, path string, version int, rows []crRow) {
	t.Helper()
	db := newDB(t, path, chromiumSchema,
		"INSERT INTO meta VALUES ('version', '"+strconv.Itoa(version)+"'), ('last_compatible_version', '"+strconv.Itoa(version)+"')")
	for _, r := range rows {
		if r.path == "" {
			r.path = "/"
		}
		enc, value := r.encrypted, ""
		if r.plain {
			value = r.value
			enc = []byte{}
		} else if enc == nil {
			enc = encryptCBC(v10Key(), "v10", r.host, r.value, version >= hashPrefixVersion)
		}
		hasExpires := 0
		if !r.expires.IsZero() {
			hasExpires = 1
		}
		created := r.created
		if created.IsZero() {
			created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		_, err := db.Exec(`INSERT INTO cookies VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,2,443,?,0,?)`,
			chromiumMicros(created), r.host, r.topFrame, r.name, value, enc, r.path, chromiumMicros(r.expires),
			r.secure, r.httpOnly, chromiumMicros(created), hasExpires, hasExpires, r.sameSite, chromiumMicros(created), r.crossSiteAncestor)
		require.NoError(t, err)
	}
	db.Close()
}

// tempDB returns a path for a database in a new temporary directory.
func tempDB(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	return filepath.Join(dir, name)
}

func mkdirAll(t testing.TB, p string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(p, 0o700))
}

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	mkdirAll(t, filepath.Dir(p))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
}
