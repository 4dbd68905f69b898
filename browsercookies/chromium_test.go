package browsercookies

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
)

func TestChromiumAttributes(t *testing.T) {
	for _, version := range []int{23, 24} {
		t.Run("meta version "+strconv.Itoa(version), func(t *testing.T) {
			path := tempDB(t, "Cookies")
			created := time.Date(2026, 5, 6, 7, 8, 9, 654321000, time.UTC)
			writeChromium(t, path, version, []crRow{
				{host: "www.example.com", name: "host", value: "1", expires: future, sameSite: -1, created: created},
				{host: ".example.com", name: "dom", value: "2", path: "/app", expires: future, httpOnly: 1, sameSite: 1},
				{host: "example.com", name: "strict", value: "3", expires: future, sameSite: 2},
				{host: "example.com", name: "none", value: "4", expires: future, secure: 1, sameSite: 0},
				{host: "example.com", name: "session", value: "5", sameSite: -1},
				{host: "example.com", name: "utf8", value: "héllo wörld ✓", expires: future, sameSite: -1},
				{host: "example.com", name: "json", value: `{"user":"alice","n":[1,2]}`, expires: future, sameSite: -1},
				{host: "example.com", topFrame: "https://example.com", name: "chips", value: "8", expires: future, secure: 1, sameSite: 0},
				{host: "example.com", name: "plain", value: "9", expires: future, sameSite: -1, plain: true},
				{host: "example.com", name: "empty", value: "", expires: future, sameSite: -1},
			})
			cookies, err := Read(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			got := byName(cookies)
			if len(got) != 10 {
				t.Fatalf("got %d cookies, want 10: %v", len(got), cookies)
			}
			check := func(name string, want httpsession.Cookie) {
				t.Helper()
				c := got[name]
				if c.Domain != want.Domain || c.HostOnly != want.HostOnly || c.Path != want.Path || c.Value != want.Value ||
					c.Secure != want.Secure || c.HttpOnly != want.HttpOnly || c.SameSite != want.SameSite || c.Partitioned != want.Partitioned ||
					!c.Expires.Equal(want.Expires) {
					t.Errorf("%s = %+v, want %+v", name, c, want)
				}
			}
			check("host", httpsession.Cookie{Value: "1", Domain: "www.example.com", HostOnly: true, Path: "/", Expires: future})
			check("dom", httpsession.Cookie{Value: "2", Domain: "example.com", Path: "/app", HttpOnly: true, SameSite: http.SameSiteLaxMode, Expires: future})
			check("strict", httpsession.Cookie{Value: "3", Domain: "example.com", HostOnly: true, Path: "/", SameSite: http.SameSiteStrictMode, Expires: future})
			check("none", httpsession.Cookie{Value: "4", Domain: "example.com", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode, Expires: future})
			check("session", httpsession.Cookie{Value: "5", Domain: "example.com", HostOnly: true, Path: "/"})
			check("utf8", httpsession.Cookie{Value: "héllo wörld ✓", Domain: "example.com", HostOnly: true, Path: "/", Expires: future})
			check("json", httpsession.Cookie{Value: `{"user":"alice","n":[1,2]}`, Domain: "example.com", HostOnly: true, Path: "/", Expires: future})
			check("chips", httpsession.Cookie{Value: "8", Domain: "example.com", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true, Expires: future})
			check("plain", httpsession.Cookie{Value: "9", Domain: "example.com", HostOnly: true, Path: "/", Expires: future})
			check("empty", httpsession.Cookie{Value: "", Domain: "example.com", HostOnly: true, Path: "/", Expires: future})
			if c := got["host"]; !c.Created.Equal(created) || !c.LastAccess.Equal(created) {
				t.Errorf("host: Created %v LastAccess %v, want %v", c.Created, c.LastAccess, created)
			}
		})
	}
}

func TestChromiumReportsEachBadRow(t *testing.T) {
	path := tempDB(t, "Cookies")
	other := deriveKey([]byte("another password"), 1)
	writeChromium(t, path, 24, []crRow{
		{host: "example.com", name: "good", value: "fine", expires: future, sameSite: -1},
		{host: ".com", name: "super", value: "secret-super", expires: future, sameSite: -1},
		{host: "example.com", name: "v20", value: "", encrypted: append([]byte("v20"), make([]byte, 60)...), expires: future, sameSite: -1},
		{host: "example.com", name: "wrongkey", encrypted: encryptCBC(other, "v10", "example.com", "secret-wrong", true), expires: future, sameSite: -1},
		{host: "example.com", name: "swapped", encrypted: encryptCBC(v10Key(), "v10", "other.example", "secret-swapped", true), expires: future, sameSite: -1},
		{host: "example.com", name: "badsamesite", value: "secret-ss", expires: future, sameSite: 5},
		{host: "tracker.example", topFrame: "https://news.example.org", name: "foreign", value: "secret-foreign", expires: future, secure: 1, sameSite: 0},
		{host: "example.com", name: "ctl", value: "secret\x01ctl", expires: future, sameSite: -1},
		{host: "example.com", name: "expired", value: "old", expires: time.Now().Add(-time.Hour), sameSite: -1},
		{host: "example.com", name: "nokeyring", encrypted: encryptCBC(other, "v11", "example.com", "secret-v11", true), expires: future, sameSite: -1},
		{host: "example.com", topFrame: "https://example.com", crossSiteAncestor: 1, name: "ancestor", value: "secret-ancestor", expires: future, secure: 1, sameSite: 0},
	})
	cookies, err := Read(context.Background(), path)
	if len(cookies) != 1 || cookies[0].Name != "good" || cookies[0].Value != "fine" {
		t.Errorf("cookies = %v, want good alone", cookies)
	}
	bad := lineErrors(t, err, path)
	want := map[int]error{
		2: httpsession.ErrInvalidCookie, 3: ErrAppBound, 4: ErrDecrypt, 5: ErrDecrypt, 6: ErrOutOfRange,
		7: ErrForeignPartition, 8: httpsession.ErrInvalidCookie,
		// no Secret Service holds "another password" (or there is none)
		10: ErrDecrypt, 11: ErrForeignPartition,
	}
	if len(bad) != len(want) {
		t.Errorf("reported lines %v, want %v", bad, want)
	}
	for line, target := range want {
		if line == 10 && errors.Is(bad[line], ErrNoKey) {
			continue
		}
		if !errors.Is(bad[line], target) {
			t.Errorf("line %d: %v, want %v", line, bad[line], target)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows a value: %v", err)
	}
}

// A database of an old layout: no top_frame_site_key, secure and httponly
// spelled the old way, no samesite, values in the clear, no meta version.
func TestChromiumOldSchema(t *testing.T) {
	path := tempDB(t, "Cookies")
	db := newDB(t, path, `CREATE TABLE cookies (creation_utc INTEGER NOT NULL UNIQUE PRIMARY KEY, host_key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, path TEXT NOT NULL, expires_utc INTEGER NOT NULL, secure INTEGER NOT NULL, httponly INTEGER NOT NULL, last_access_utc INTEGER NOT NULL)`)
	if _, err := db.Exec(`INSERT INTO cookies VALUES (?, '.example.com', 'old', 'v', '/', ?, 1, 1, ?)`,
		chromiumMicros(time.Unix(1e9, 0)), chromiumMicros(future), chromiumMicros(time.Unix(1e9, 0))); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cookies, err := Read(context.Background(), path)
	if err != nil || len(cookies) != 1 {
		t.Fatalf("Read = %v, %v", cookies, err)
	}
	c := cookies[0]
	if c.Name != "old" || c.Value != "v" || c.HostOnly || !c.Secure || !c.HttpOnly || c.SameSite != 0 || !c.Expires.Equal(future) {
		t.Errorf("cookie = %+v", c)
	}
}

func TestChromiumTime(t *testing.T) {
	if got, err := chromiumTime(0, "t"); err != nil || !got.IsZero() {
		t.Errorf("chromiumTime(0) = %v, %v", got, err)
	}
	if got, err := chromiumTime(13440276373785958, "t"); err != nil || got.Year() != 2026 {
		t.Errorf("chromiumTime(2026) = %v, %v", got, err)
	}
	for _, bad := range []int64{-1, 5, 1 << 62} {
		if _, err := chromiumTime(bad, "t"); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("chromiumTime(%d) = %v", bad, err)
		}
	}
}
