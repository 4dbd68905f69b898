package browsercookies

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// lineErrors returns the FileError's reasons by line, failing the test for
// any other error.
func lineErrors(t *testing.T, err error, path string) map[int]error {
	t.Helper()
	if err == nil {
		return nil
	}
	var fe *httpsession.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error is not a *httpsession.FileError: %v", err)
	}
	if fe.Path != path {
		t.Errorf("FileError.Path = %q, want the database %q", fe.Path, path)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	got := byName(cookies)
	if len(got) != 9 {
		t.Fatalf("got %d cookies, want 9: %v", len(got), cookies)
	}
	check := func(name string, want httpsession.Cookie) {
		t.Helper()
		c := got[name]
		if c.Domain != want.Domain || c.HostOnly != want.HostOnly || c.Path != want.Path || c.Value != want.Value ||
			c.Secure != want.Secure || c.HttpOnly != want.HttpOnly || c.SameSite != want.SameSite || c.Partitioned != want.Partitioned ||
			!c.Expires.Equal(future) {
			t.Errorf("%s = %+v, want %+v (expires %v)", name, c, want, future)
		}
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
	if c := got["host"]; !c.Created.Equal(created) || !c.LastAccess.Equal(created.Add(time.Microsecond)) {
		t.Errorf("host: Created %v LastAccess %v, want %v and a microsecond later", c.Created, c.LastAccess, created)
	}
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
			if err != nil || len(cookies) != 1 {
				t.Fatalf("Read = %v, %v", cookies, err)
			}
			if !cookies[0].Expires.Equal(future) {
				t.Errorf("Expires = %v, want %v", cookies[0].Expires, future)
			}
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
	if len(cookies) != 1 || cookies[0].Name != "good" {
		t.Errorf("cookies = %v, want good alone (expired omitted)", cookies)
	}
	bad := lineErrors(t, err, path)
	want := map[int]error{
		2: httpsession.ErrInvalidCookie, 3: httpsession.ErrInvalidCookie, 4: ErrOutOfRange, 5: ErrOutOfRange,
		6: ErrOutOfRange, 7: ErrForeignPartition, 8: httpsession.ErrInvalidCookie, 9: httpsession.ErrInvalidCookie,
		11: ErrOutOfRange, 12: ErrOutOfRange,
	}
	if len(bad) != len(want) {
		t.Errorf("reported lines %v, want %v", bad, want)
	}
	for line, target := range want {
		if !errors.Is(bad[line], target) {
			t.Errorf("line %d: %v, want %v", line, bad[line], target)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows a value: %v", err)
	}
	if !strings.Contains(err.Error(), `"super"`) || !strings.Contains(err.Error(), path) {
		t.Errorf("the error does not name the cookie and the database: %v", err)
	}
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
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		var names []string
		for _, c := range cookies {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", spec, names, want)
		}
	}
	if _, err := Read(context.Background(), path+"::Nope"); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("unknown container: %v", err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO moz_cookies (id, name, value, host, path, expiry, isSecure, isHttpOnly, sameSite) VALUES (2, 'second', '2', 'example.com', '/', ?, 0, 0, 256)`, ms); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi := stateOf(path + "-wal"); !fi.exists || fi.size == 0 {
		t.Fatalf("the test needs the rows in the -wal file: %+v", fi)
	}
	cookies, err := Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if got := byName(cookies); len(got) != 2 || got["second"].Value != "2" {
		t.Errorf("cookies = %v, want first and second (from the log)", cookies)
	}
	// The holder goes on as before.
	insertFirefox(t, db, []ffRow{{id: 3, name: "third", value: "3", host: "example.com", expiry: ms}})
	var n int
	if err := db.QueryRow("SELECT count(*) FROM moz_cookies").Scan(&n); err != nil || n != 3 {
		t.Errorf("after Read, the holder counts %d rows (%v), want 3", n, err)
	}
}

func TestParseOriginAttributes(t *testing.T) {
	for in, want := range map[string]originAttributes{
		"":                 {},
		"^userContextId=3": {userContextID: 3},
		"^partitionKey=%28https%2Cexample.com%29":                     {partitionHost: "example.com"},
		"^partitionKey=%28http%2Clocalhost%2C8080%29&userContextId=1": {partitionHost: "localhost", userContextID: 1},
		"^firstPartyDomain=example.org":                               {firstPartyDomain: "example.org"},
		"^partitionKey=%28https%2Cexample.com%2Cf%29":                 {partitionHost: "example.com"},
	} {
		got, err := parseOriginAttributes(in)
		if err != nil || got != want {
			t.Errorf("parseOriginAttributes(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"userContextId=1", "^userContextId=x", "^partitionKey=https", "^partitionKey=%28https%29", "^%zz"} {
		if _, err := parseOriginAttributes(in); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("parseOriginAttributes(%q) = %v, want ErrOutOfRange", in, err)
		}
	}
}
