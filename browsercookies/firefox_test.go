package browsercookies

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// future is a time every fixture's cookies live past the test.
var future = time.Now().Add(240 * 24 * time.Hour).Truncate(time.Second).UTC()

func byName(cookies []httpsession.Cookie) map[string]httpsession.Cookie {
	m := map[string]httpsession.Cookie{}
	for _, c := range cookies {
		m[c.Name] = c
	}
	return m
}

// attributesOf returns c without what the attribute checks leave out or
// compare apart: its name, quoting and times (compared with time.Time.Equal).
func attributesOf(c httpsession.Cookie) httpsession.Cookie {
	c.Name, c.Quoted = "", false
	c.Expires, c.Created, c.LastAccess = time.Time{}, time.Time{}, time.Time{}
	return c
}

// lineErrors returns the FileError's reasons by line, failing the test for
// any other error.
func lineErrors(t *testing.T, err error, path string) map[int]error {
	t.Helper()
	if err == nil {
		return nil
	}
	var fe *httpsession.FileError
	require.ErrorAs(t, err, &fe, "want a *httpsession.FileError")
	assert.Equal(t, path, fe.Path, "FileError.Path, want the database")
	m := map[int]error{}
	for _, l := range fe.Lines {
		m[l.Line] = l.Err
	}
	return m
}

func TestFirefoxAttributes(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	created := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "host", value: "1", host: "www.example.com", expiry: ms, creationTime: created.UnixMicro(), lastAccessed: created.UnixMicro() + 1, sameSite: ffSameSiteUnset},
		{id: 2, name: "dom", value: "2", host: ".example.com", path: "/app", expiry: ms, httpOnly: 1, sameSite: ffSameSiteLax},
		{id: 3, name: "strict", value: "3", host: "example.com", expiry: ms, sameSite: ffSameSiteStrict},
		{id: 4, name: "none", value: "4", host: "example.com", expiry: ms, secure: 1, sameSite: ffSameSiteNone},
		{id: 5, name: "utf8", value: "héllo wörld ✓", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 6, name: "json", value: `{"user":"alice","roles":["a","b"]}`, host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 7, name: "chips", value: "7", host: "example.com", expiry: ms, secure: 1, sameSite: ffSameSiteNone, partitioned: 1,
			attrs: "^partitionKey=%28https%2Cexample.com%29"},
		{id: 8, name: "ip", value: "8", host: "127.0.0.1", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 9, name: "oldnone", value: "9", host: "example.com", expiry: ms, sameSite: ffSameSiteNone}, // None without Secure: "not given"
	})
	cookies, err := Read(context.Background(), path)
	require.NoError(t, err)
	got := byName(cookies)
	require.Len(t, got, 9, "cookies: %v", cookies)
	check := func(name string, want httpsession.Cookie) {
		t.Helper()
		c := got[name]
		assert.Equal(t, attributesOf(want), attributesOf(c), name)
		assert.True(t, future.Equal(c.Expires), "%s: Expires %v, want %v", name, c.Expires, future)
	}
	check("host", httpsession.Cookie{Value: "1", Domain: "www.example.com", HostOnly: true, Path: "/"})
	check("dom", httpsession.Cookie{Value: "2", Domain: "example.com", Path: "/app", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	check("strict", httpsession.Cookie{Value: "3", Domain: "example.com", HostOnly: true, Path: "/", SameSite: http.SameSiteStrictMode})
	check("none", httpsession.Cookie{Value: "4", Domain: "example.com", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode})
	check("utf8", httpsession.Cookie{Value: "héllo wörld ✓", Domain: "example.com", HostOnly: true, Path: "/"})
	check("json", httpsession.Cookie{Value: `{"user":"alice","roles":["a","b"]}`, Domain: "example.com", HostOnly: true, Path: "/"})
	check("chips", httpsession.Cookie{Value: "7", Domain: "example.com", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
	check("ip", httpsession.Cookie{Value: "8", Domain: "127.0.0.1", HostOnly: true, Path: "/"})
	check("oldnone", httpsession.Cookie{Value: "9", Domain: "example.com", HostOnly: true, Path: "/"})
	c := got["host"]
	assert.True(t, created.Equal(c.Created), "host: Created %v, want %v", c.Created, created)
	assert.True(t, created.Add(time.Microsecond).Equal(c.LastAccess), "host: LastAccess %v, want a microsecond after %v", c.LastAccess, created)
}

// Before schema 16 expiry is in seconds; from it in milliseconds; a value
// only milliseconds can be is milliseconds whatever the schema.
func TestFirefoxExpiryUnits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema int
		expiry int64
	}{
		{"seconds, schema 12", 12, future.Unix()},
		{"milliseconds, schema 16", 16, future.UnixMilli()},
		{"milliseconds, schema 17", 17, future.UnixMilli()},
		{"milliseconds in an old schema", 12, future.UnixMilli()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempDB(t, "cookies.sqlite")
			writeFirefox(t, path, tc.schema, []ffRow{{id: 1, name: "a", value: "1", host: "example.com", expiry: tc.expiry, sameSite: ffSameSiteUnset}})
			cookies, err := Read(context.Background(), path)
			require.NoError(t, err, "Read")
			require.Len(t, cookies, 1, "Read")
			assert.True(t, future.Equal(cookies[0].Expires), "Expires = %v, want %v", cookies[0].Expires, future)
		})
	}
}

// Cookies that cannot be read are named in a FileError by their id, never
// with their value; the others are returned.
func TestFirefoxReportsEachBadRow(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "good", value: "fine", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 2, name: "super", value: "secret-super", host: ".com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 3, name: "supercouk", value: "secret-couk", host: ".co.uk", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 4, name: "badsamesite", value: "secret-ss", host: "example.com", expiry: ms, sameSite: 7},
		{id: 5, name: "negexpiry", value: "secret-neg", host: "example.com", expiry: -5, sameSite: ffSameSiteUnset},
		{id: 6, name: "textexpiry", value: "secret-text", host: "example.com", expiry: "soon", sameSite: ffSameSiteUnset},
		{id: 7, name: "foreign", value: "secret-foreign", host: "tracker.example", expiry: ms, secure: 1, sameSite: ffSameSiteNone,
			attrs: "^partitionKey=%28https%2Cnews.example.org%29"},
		{id: 8, name: "__Host-bad", value: "secret-prefix", host: ".example.com", expiry: ms, secure: 1, sameSite: ffSameSiteUnset},
		{id: 9, name: "semi", value: "secret;semi", host: "example.com", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 10, name: "expired", value: "old", host: "example.com", expiry: time.Now().Add(-time.Hour).UnixMilli(), sameSite: ffSameSiteUnset},
		{id: 11, name: "badattrs", value: "secret-attrs", host: "example.com", expiry: ms, attrs: "userContextId=1"},
		{id: 12, name: "hugeexpiry", value: "secret-huge", host: "example.com", expiry: int64(1) << 62, sameSite: ffSameSiteUnset},
	})
	cookies, err := Read(context.Background(), path)
	if assert.Len(t, cookies, 1, "want good alone (expired omitted)") {
		assert.Equal(t, "good", cookies[0].Name, "want good alone (expired omitted)")
	}
	bad := lineErrors(t, err, path)
	want := map[int]error{
		2: httpsession.ErrInvalidCookie, 3: httpsession.ErrInvalidCookie, 4: ErrOutOfRange, 5: ErrOutOfRange,
		6: ErrOutOfRange, 7: ErrForeignPartition, 8: httpsession.ErrInvalidCookie, 9: httpsession.ErrInvalidCookie,
		11: ErrOutOfRange, 12: ErrOutOfRange,
	}
	assert.Len(t, bad, len(want), "reported lines %v, want %v", bad, want)
	for line, target := range want {
		assert.ErrorIs(t, bad[line], target, "line %d", line)
	}
	assert.NotContains(t, err.Error(), "secret", "the error shows a value")
	assert.Contains(t, err.Error(), `"super"`, "the error does not name the cookie")
	assert.Contains(t, err.Error(), path, "the error does not name the database")
}

// Containers are separate jars: the default one is read unless a spec
// names a container, by number or by its name in containers.json.
func TestFirefoxContainers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cookies.sqlite")
	ms := future.UnixMilli()
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "plain", value: "0", host: "example.com", expiry: ms},
		{id: 2, name: "work", value: "2", host: "example.com", expiry: ms, attrs: "^userContextId=2"},
		{id: 3, name: "personal", value: "1", host: "example.com", expiry: ms, attrs: "^userContextId=1"},
		{id: 4, name: "workchips", value: "2", host: "example.com", expiry: ms, secure: 1, partitioned: 1,
			attrs: "^partitionKey=%28https%2Cexample.com%29&userContextId=2"},
		{id: 5, name: "private", value: "p", host: "example.com", expiry: ms, attrs: "^privateBrowsingId=1"},
	})
	writeFile(t, filepath.Join(dir, "containers.json"), `{"version":5,"lastUserContextId":2,"identities":[
		{"userContextId":1,"public":true,"icon":"fingerprint","color":"blue","l10nID":"userContextPersonal.label","accessKey":"userContextPersonal.accesskey"},
		{"userContextId":2,"public":true,"icon":"briefcase","color":"orange","name":"Work"}]}`)
	for spec, want := range map[string][]string{
		path:                {"plain"},
		path + "::none":     {"plain"},
		path + "::Work":     {"work", "workchips"},
		path + "::2":        {"work", "workchips"},
		path + "::Personal": {"personal"},
		dir + "::personal":  {"personal"},
	} {
		cookies, err := Read(context.Background(), spec)
		if !assert.NoError(t, err, spec) {
			continue
		}
		var names []string
		for _, c := range cookies {
			names = append(names, c.Name)
		}
		assert.Equal(t, want, names, spec)
	}
	_, err := Read(context.Background(), path+"::Nope")
	assert.ErrorContains(t, err, "Nope", "unknown container")
}

// What is still in the write-ahead log of a database another connection
// holds open is read, and the holder is not disturbed.
func TestFirefoxWAL(t *testing.T) {
	path := tempDB(t, "cookies.sqlite")
	db := newDB(t, path, "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", firefoxSchema, "PRAGMA user_version=17")
	ms := future.UnixMilli()
	insertFirefox(t, db, []ffRow{{id: 1, name: "first", value: "1", host: "example.com", expiry: ms}})
	// A reader holding a transaction open keeps a checkpoint from
	// emptying the log, as a running browser's connection may.
	tx, err := db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec(`INSERT INTO moz_cookies (id, name, value, host, path, expiry, isSecure, isHttpOnly, sameSite) VALUES (2, 'second', '2', 'example.com', '/', ?, 0, 0, 256)`, ms)
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	fi := stateOf(path+"-wal", true)
	require.True(t, fi.exists, "the test needs the rows in the -wal file: %+v", fi)
	require.NotZero(t, fi.size, "the test needs the rows in the -wal file: %+v", fi)
	cookies, err := Read(context.Background(), path)
	require.NoError(t, err)
	got := byName(cookies)
	assert.Len(t, got, 2, "cookies = %v, want first and second (from the log)", cookies)
	assert.Equal(t, "2", got["second"].Value, "second (from the log)")
	// The holder goes on as before.
	insertFirefox(t, db, []ffRow{{id: 3, name: "third", value: "3", host: "example.com", expiry: ms}})
	var n int
	err = db.QueryRow("SELECT count(*) FROM moz_cookies").Scan(&n)
	assert.NoError(t, err, "after Read, the holder's count")
	assert.Equal(t, 3, n, "after Read, the rows the holder counts")
}

func TestParseOriginAttributes(t *testing.T) {
	for in, want := range map[string]originAttributes{
		"":                 {},
		"^userContextId=3": {userContextID: 3},
		"^partitionKey=%28https%2Cexample.com%29":                     {partitionHost: "example.com"},
		"^partitionKey=%28http%2Clocalhost%2C8080%29&userContextId=1": {partitionHost: "localhost", userContextID: 1},
		"^firstPartyDomain=example.org":                               {firstPartyDomain: "example.org"},
		"^partitionKey=%28https%2Cexample.com%2Cf%29":                 {partitionHost: "example.com", crossSiteAncestor: true},
	} {
		got, err := parseOriginAttributes(in)
		assert.NoError(t, err, "parseOriginAttributes(%q)", in)
		assert.Equal(t, want, got, "parseOriginAttributes(%q)", in)
	}
	for _, in := range []string{"userContextId=1", "^userContextId=x", "^partitionKey=https", "^partitionKey=%28https%29", "^%zz"} {
		_, err := parseOriginAttributes(in)
		assert.ErrorIs(t, err, ErrOutOfRange, "parseOriginAttributes(%q)", in)
	}
}
