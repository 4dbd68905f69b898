package browsercookies

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
			require.NoError(t, err)
			got := byName(cookies)
			require.Len(t, got, 10, "cookies: %v", cookies)
			check := func(name string, want httpsession.Cookie) {
				t.Helper()
				c := got[name]
				assert.Equal(t, attributesOf(want), attributesOf(c), name)
				assert.True(t, want.Expires.Equal(c.Expires), "%s: Expires %v, want %v", name, c.Expires, want.Expires)
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
			c := got["host"]
			assert.True(t, created.Equal(c.Created), "host: Created %v, want %v", c.Created, created)
			assert.True(t, created.Equal(c.LastAccess), "host: LastAccess %v, want %v", c.LastAccess, created)
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
	if assert.Len(t, cookies, 1, "want good alone") {
		assert.Equal(t, "good", cookies[0].Name, "want good alone")
		assert.Equal(t, "fine", cookies[0].Value, "good")
	}
	bad := lineErrors(t, err, path)
	want := map[int]error{
		2: httpsession.ErrInvalidCookie, 3: ErrAppBound, 4: ErrDecrypt, 5: ErrDecrypt, 6: ErrOutOfRange,
		7: ErrForeignPartition, 8: httpsession.ErrInvalidCookie,
		// no Secret Service holds "another password" (or there is none)
		10: ErrDecrypt, 11: ErrForeignPartition,
	}
	assert.Len(t, bad, len(want), "reported lines %v, want %v", bad, want)
	for line, target := range want {
		if line == 10 && errors.Is(bad[line], ErrNoKey) {
			continue
		}
		assert.ErrorIs(t, bad[line], target, "line %d", line)
	}
	assert.NotContains(t, err.Error(), "secret", "the error shows a value")
}

// A database of an old layout: no top_frame_site_key, secure and httponly
// spelled the old way, no samesite, values in the clear, no meta version.
func TestChromiumOldSchema(t *testing.T) {
	path := tempDB(t, "Cookies")
	db := newDB(t, path, `CREATE TABLE cookies (creation_utc INTEGER NOT NULL UNIQUE PRIMARY KEY, host_key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, path TEXT NOT NULL, expires_utc INTEGER NOT NULL, secure INTEGER NOT NULL, httponly INTEGER NOT NULL, last_access_utc INTEGER NOT NULL)`)
	_, err := db.Exec(`INSERT INTO cookies VALUES (?, '.example.com', 'old', 'v', '/', ?, 1, 1, ?)`,
		chromiumMicros(time.Unix(1e9, 0)), chromiumMicros(future), chromiumMicros(time.Unix(1e9, 0)))
	require.NoError(t, err)
	db.Close()
	cookies, err := Read(context.Background(), path)
	require.NoError(t, err, "Read")
	require.Len(t, cookies, 1, "Read")
	c := cookies[0]
	assert.Equal(t, "old", c.Name, "cookie = %+v", c)
	assert.Equal(t, "v", c.Value, "cookie = %+v", c)
	assert.False(t, c.HostOnly, "cookie = %+v", c)
	assert.True(t, c.Secure, "cookie = %+v", c)
	assert.True(t, c.HttpOnly, "cookie = %+v", c)
	assert.Zero(t, c.SameSite, "cookie = %+v", c)
	assert.True(t, future.Equal(c.Expires), "cookie = %+v", c)
}

func TestChromiumTime(t *testing.T) {
	got, err := chromiumTime(0, "t")
	assert.NoError(t, err, "chromiumTime(0)")
	assert.True(t, got.IsZero(), "chromiumTime(0) = %v", got)
	got, err = chromiumTime(13440276373785958, "t")
	assert.NoError(t, err, "chromiumTime(2026)")
	assert.Equal(t, 2026, got.Year(), "chromiumTime(2026) = %v", got)
	for _, bad := range []int64{-1, 5, 1 << 62} {
		_, err := chromiumTime(bad, "t")
		assert.ErrorIs(t, err, ErrOutOfRange, "chromiumTime(%d)", bad)
	}
}
