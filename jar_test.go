package httpsession

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the fixed time the tests start at.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: t0} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// response is one response's Set-Cookie lines and the URL it came from.
type response struct {
	from string
	set  []string
}

func TestStorageAndRetrieval(t *testing.T) {
	tests := []struct {
		name      string
		responses []response
		to        string
		want      string
	}{
		// Domain and host-only (§5.7 steps 7 to 10, §5.8.3 step 1).
		{"host-only cookie goes back to its host (§5.8.3)",
			[]response{{"http://www.example.com/", []string{"a=1"}}}, "http://www.example.com/", "a=1"},
		{"host-only cookie does not reach a subdomain (§5.8.3)",
			[]response{{"http://example.com/", []string{"a=1"}}}, "http://www.example.com/", ""},
		{"domain cookie reaches subdomains (§5.8.3)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain=example.com"}}}, "http://x.y.example.com/", "a=1"},
		{"domain cookie reaches the domain itself (§5.1.3)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain=.example.com"}}}, "http://example.com/", "a=1"},
		{"domain cookie does not reach a sibling suffix (§5.1.3)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain=example.com"}}}, "http://notexample.com/", ""},
		{"Domain that the host does not domain-match is refused (§5.7 step 10)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain=other.com"}}}, "http://other.com/", ""},
		{"Domain of a subdomain is refused (§5.7 step 10)",
			[]response{{"http://example.com/", []string{"a=1; Domain=www.example.com"}}}, "http://www.example.com/", ""},
		{"Domain on a public suffix is refused (§5.7 step 9)",
			[]response{{"http://www.example.co.uk/", []string{"a=1; Domain=co.uk"}}}, "http://other.co.uk/", ""},
		{"public suffix host gets a host-only cookie for Domain=itself (§5.7 step 9)",
			[]response{{"http://co.uk/", []string{"a=1; Domain=co.uk"}}}, "http://co.uk/", "a=1"},
		{"that host-only cookie does not reach below the suffix (§5.7 step 9)",
			[]response{{"http://co.uk/", []string{"a=1; Domain=co.uk"}}}, "http://www.co.uk/", ""},
		{"private public suffix is honoured (§5.7 step 9)",
			[]response{{"https://me.github.io/", []string{"a=1; Domain=github.io"}}}, "https://you.github.io/", ""},
		{"non-ASCII Domain is refused (§5.7 step 8)",
			[]response{{"http://www.xn--bcher-kva.example/", []string{"a=1; Domain=bücher.example"}}}, "http://www.xn--bcher-kva.example/", ""},
		{"Domain with a trailing dot is refused, as in Chromium (§5.7 step 10)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain=example.com."}}}, "http://www.example.com/", ""},
		{"empty Domain means host-only (§5.6.3)",
			[]response{{"http://www.example.com/", []string{"a=1; Domain="}}}, "http://x.www.example.com/", ""},
		{"Domain equal to an IP host makes a host-only cookie (§5.1.3)",
			[]response{{"http://192.0.2.1/", []string{"a=1; Domain=192.0.2.1"}}}, "http://192.0.2.1/", "a=1"},
		{"Domain that is a suffix of an IP is refused (§5.1.3)",
			[]response{{"http://192.0.2.1/", []string{"a=1; Domain=0.2.1"}}}, "http://192.0.2.1/", ""},
		{"IPv6 literal hosts work (§5.1.2)",
			[]response{{"http://[2001:db8::1]:8080/", []string{"a=1"}}}, "http://[2001:DB8:0::1]/", "a=1"},
		{"host names compare case-insensitively (§5.1.2)",
			[]response{{"http://WWW.Example.COM/", []string{"a=1; Domain=EXAMPLE.com"}}}, "http://www.example.com/", "a=1"},
		{"a trailing dot on the host is dropped (§5.1.2)",
			[]response{{"http://www.example.com./", []string{"a=1"}}}, "http://www.example.com/", "a=1"},
		{"IDN hosts are compared in punycode (§5.1.2)",
			[]response{{"http://bücher.example/", []string{"a=1"}}}, "http://xn--bcher-kva.example/", "a=1"},
		{"ports do not matter (§8.5)",
			[]response{{"http://example.com:8080/", []string{"a=1"}}}, "http://example.com:9090/", "a=1"},
		{"non-http schemes get no cookies",
			[]response{{"ftp://example.com/", []string{"a=1"}}}, "ftp://example.com/", ""},

		// Paths (§5.1.4, §5.7 step 11).
		{"default-path is the directory of the request (§5.1.4)",
			[]response{{"http://h.com/a/b/c", []string{"a=1"}}}, "http://h.com/a/b/x", "a=1"},
		{"default-path does not reach a parent (§5.1.4)",
			[]response{{"http://h.com/a/b/c", []string{"a=1"}}}, "http://h.com/a", ""},
		{"path-match needs a '/' boundary (§5.1.4)",
			[]response{{"http://h.com/", []string{"a=1; Path=/a"}}}, "http://h.com/ab", ""},
		{"path-match takes subpaths (§5.1.4)",
			[]response{{"http://h.com/", []string{"a=1; Path=/a"}}}, "http://h.com/a/b", "a=1"},
		{"cookie path ending in '/' matches by prefix (§5.1.4)",
			[]response{{"http://h.com/", []string{"a=1; Path=/a/"}}}, "http://h.com/a/b", "a=1"},
		{"paths match in escaped form (§5.1.4)",
			[]response{{"http://h.com/", []string{"a=1; Path=/a%2Fb"}}}, "http://h.com/a%2Fb", "a=1"},
		{"an escaped slash is not a slash (§5.1.4)",
			[]response{{"http://h.com/", []string{"a=1; Path=/a%2Fb"}}}, "http://h.com/a/b", ""},
		{"root default-path for a one-segment path (§5.1.4)",
			[]response{{"http://h.com/login", []string{"a=1"}}}, "http://h.com/other", "a=1"},

		// Secure (§5.7 steps 13 and 16, §5.8.3).
		{"Secure cookie from https goes back over https (§5.8.3)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}}, "https://h.com/", "a=1"},
		{"Secure cookie never goes over http (§5.8.3)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}}, "http://h.com/", ""},
		{"Secure cookie from http is refused (§5.7 step 13)",
			[]response{{"http://h.com/", []string{"a=1; Secure"}}}, "https://h.com/", ""},
		{"localhost counts as secure (§5.7 step 13)",
			[]response{{"http://localhost:8080/", []string{"a=1; Secure"}}}, "http://localhost/", "a=1"},
		{"*.localhost counts as secure (§5.7 step 13)",
			[]response{{"http://app.localhost/", []string{"a=1; Secure"}}}, "http://app.localhost/", "a=1"},
		{"loopback IPv4 counts as secure (§5.7 step 13)",
			[]response{{"http://127.0.0.2/", []string{"a=1; Secure"}}}, "http://127.0.0.2/", "a=1"},
		{"loopback IPv6 counts as secure (§5.7 step 13)",
			[]response{{"http://[::1]/", []string{"a=1; Secure"}}}, "http://[::1]/", "a=1"},
		{"http may not overwrite a Secure cookie (§5.7 step 16)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}, {"http://h.com/", []string{"a=2"}}}, "https://h.com/", "a=1"},
		{"http may not shadow a Secure cookie on a deeper path (§5.7 step 16)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}, {"http://h.com/", []string{"a=2; Path=/x"}}}, "https://h.com/x", "a=1"},
		{"http may not shadow a Secure cookie of a parent domain (§5.7 step 16)",
			[]response{{"https://h.com/", []string{"a=1; Secure; Domain=h.com"}}, {"http://w.h.com/", []string{"a=2"}}}, "https://w.h.com/", "a=1"},
		{"http may not shadow a Secure cookie of a subdomain (§5.7 step 16)",
			[]response{{"https://w.h.com/", []string{"a=1; Secure"}}, {"http://w.h.com/", []string{"a=2; Domain=h.com"}}}, "https://w.h.com/", "a=1"},
		{"http may set a cookie on a path the Secure one does not cover (§5.7 step 16)",
			[]response{{"https://h.com/", []string{"a=1; Secure; Path=/x"}}, {"http://h.com/", []string{"a=2; Path=/"}}}, "https://h.com/x", "a=1; a=2"},
		{"http may not delete a Secure cookie (§5.7 step 16)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}, {"http://h.com/", []string{"a=; Max-Age=0"}}}, "https://h.com/", "a=1"},
		{"https may overwrite a Secure cookie (§5.7 step 23)",
			[]response{{"https://h.com/", []string{"a=1; Secure"}}, {"https://h.com/", []string{"a=2"}}}, "http://h.com/", "a=2"},

		// SameSite, Partitioned, prefixes (§5.7 steps 19 to 22, §5.4).
		{"SameSite=None without Secure is refused (§5.7 step 19)",
			[]response{{"https://h.com/", []string{"a=1; SameSite=None"}}}, "https://h.com/", ""},
		{"SameSite=None with Secure is kept (§5.7 step 19)",
			[]response{{"https://h.com/", []string{"a=1; SameSite=None; Secure"}}}, "https://h.com/", "a=1"},
		{"SameSite does not limit a non-browser client (§5.8.3)",
			[]response{{"https://h.com/", []string{"a=1; SameSite=Strict"}}}, "https://h.com/", "a=1"},
		{"Partitioned without Secure is refused, as in Chromium",
			[]response{{"https://h.com/", []string{"a=1; Partitioned"}}}, "https://h.com/", ""},
		{"Partitioned with Secure is kept",
			[]response{{"https://h.com/", []string{"a=1; Partitioned; Secure"}}}, "https://h.com/", "a=1"},
		{"__Secure- needs Secure (§5.7 step 20)",
			[]response{{"https://h.com/", []string{"__Secure-a=1"}}}, "https://h.com/", ""},
		{"__Secure- with Secure is kept (§5.7 step 20)",
			[]response{{"https://h.com/", []string{"__Secure-a=1; Secure"}}}, "https://h.com/", "__Secure-a=1"},
		{"prefixes match case-insensitively (§5.4)",
			[]response{{"https://h.com/", []string{"__SECURE-a=1", "__host-b=1; Secure"}}}, "https://h.com/", ""},
		{"__Host- with Secure, no Domain and Path=/ is kept (§5.7 step 21)",
			[]response{{"https://h.com/", []string{"__Host-a=1; Secure; Path=/"}}}, "https://h.com/", "__Host-a=1"},
		{"__Host- with Domain is refused (§5.7 step 21)",
			[]response{{"https://h.com/", []string{"__Host-a=1; Secure; Path=/; Domain=h.com"}}}, "https://h.com/", ""},
		{"__Host- without a Path attribute is refused (§5.7 step 21)",
			[]response{{"https://h.com/", []string{"__Host-a=1; Secure"}}}, "https://h.com/", ""},
		{"__Host- with another Path is refused (§5.7 step 21)",
			[]response{{"https://h.com/", []string{"__Host-a=1; Secure; Path=/x"}}}, "https://h.com/x", ""},
		{"nameless cookie that looks prefixed is refused (§5.7 step 22)",
			[]response{{"https://h.com/", []string{"__Host-a=1; Secure; Path=/"[:0] + "=__Host-a=1", "__secure-x"}}}, "https://h.com/", ""},

		// Expiry (§5.7 step 6, §5.6.1, §5.6.2).
		{"Max-Age=0 deletes (§5.6.2)",
			[]response{{"http://h.com/", []string{"a=1"}}, {"http://h.com/", []string{"a=1; Max-Age=0"}}}, "http://h.com/", ""},
		{"negative Max-Age deletes (§5.6.2)",
			[]response{{"http://h.com/", []string{"a=1"}}, {"http://h.com/", []string{"a=x; Max-Age=-5"}}}, "http://h.com/", ""},
		{"Expires in the past deletes (§5.6.1)",
			[]response{{"http://h.com/", []string{"a=1"}}, {"http://h.com/", []string{"a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}}}, "http://h.com/", ""},
		{"Max-Age wins over Expires (§5.7 step 6)",
			[]response{{"http://h.com/", []string{"a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}}}, "http://h.com/", "a=1"},
		{"Max-Age wins over Expires in either order (§5.7 step 6)",
			[]response{{"http://h.com/", []string{"a=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=0"}}}, "http://h.com/", ""},
		{"a deletion only removes its own identity (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"a=1; Path=/", "a=2; Path=/x"}}, {"http://h.com/", []string{"a=; Path=/x; Max-Age=0"}}}, "http://h.com/x", "a=1"},

		// Identity and order (§5.7 step 23, §5.8.3).
		{"same name on another path is another cookie (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"a=1; Path=/", "a=2; Path=/x"}}}, "http://h.com/x/y", "a=2; a=1"},
		{"host-only and domain cookies of one name coexist (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"a=1", "a=2; Domain=h.com"}}}, "http://h.com/", "a=1; a=2"},
		{"a later cookie of the same identity replaces the earlier (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"a=1", "a=2"}}}, "http://h.com/", "a=2"},
		{"longest path first (§5.8.3)",
			[]response{{"http://h.com/", []string{"a=1; Path=/", "b=2; Path=/x/y", "c=3; Path=/x"}}}, "http://h.com/x/y/z", "b=2; c=3; a=1"},
		{"then earliest creation first (§5.8.3)",
			[]response{{"http://h.com/", []string{"z=1", "y=2"}}, {"http://h.com/", []string{"x=3"}}}, "http://h.com/", "z=1; y=2; x=3"},
		{"a replacement keeps its place in the order (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"a=1", "b=2"}}, {"http://h.com/", []string{"a=3"}}}, "http://h.com/", "a=3; b=2"},
		{"nameless cookie is sent as its value alone (§5.8.3)",
			[]response{{"http://h.com/", []string{"foo", "a=1"}}}, "http://h.com/", "foo; a=1"},
		{"nameless cookies replace each other (§5.7 step 23)",
			[]response{{"http://h.com/", []string{"foo", "=bar"}}}, "http://h.com/", "bar"},
		{"quotes are sent as received (§5.6)",
			[]response{{"http://h.com/", []string{`a="b c"`}}}, "http://h.com/", `a="b c"`},
		{"UTF-8 is sent as received (§5.6)",
			[]response{{"http://h.com/", []string{"ü=✓"}}}, "http://h.com/", "ü=✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newTestClock()
			j := NewJar(WithClock(clock.now))
			for _, r := range tt.responses {
				j.SetRawCookies(mustURL(t, r.from), r.set)
				clock.advance(time.Second)
			}
			assert.Equal(t, tt.want, j.CookieHeader(mustURL(t, tt.to)))
		})
	}
}

func TestSetRawCookieExplainsRefusal(t *testing.T) {
	j := NewJar()
	err := j.SetRawCookie(mustURL(t, "http://h.com/"), "a=1; Secure")
	require.ErrorIs(t, err, ErrInvalidCookie)
	assert.Contains(t, err.Error(), "§5.7 step 13")
	assert.ErrorIs(t, j.SetRawCookie(mustURL(t, "http://h.com/"), "a=\x00"), ErrInvalidCookie)
	assert.NoError(t, j.SetRawCookie(mustURL(t, "http://h.com/"), "a=1"))
}

func TestExpiryAndLifetime(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	u := mustURL(t, "http://h.com/")
	j.SetRawCookies(u, []string{
		"session=1",
		"short=1; Max-Age=10",
		"dated=1; Expires=" + t0.Add(20*time.Second).Format(http.TimeFormat),
		"forever=1; Max-Age=999999999",
		"farexpires=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
	})
	byName := func() map[string]Cookie {
		m := map[string]Cookie{}
		for _, c := range j.All() {
			m[c.Name] = c
		}
		return m
	}
	got := byName()
	require.Len(t, got, 5)
	assert.True(t, got["session"].Expires.IsZero(), "session cookie has no expiry (§5.7 step 6)")
	assert.Equal(t, t0.Add(10*time.Second), got["short"].Expires, "Max-Age counts from now (§5.6.2)")
	assert.Equal(t, t0.Add(20*time.Second), got["dated"].Expires)
	assert.Equal(t, t0.Add(400*24*time.Hour), got["forever"].Expires, "Max-Age capped at 400 days (§5.5)")
	assert.Equal(t, t0.Add(400*24*time.Hour), got["farexpires"].Expires, "Expires capped at 400 days (§5.5)")

	clock.advance(10 * time.Second)
	assert.NotContains(t, byName(), "short", "a cookie expires at its expiry time (§5.7)")
	clock.advance(10 * time.Second)
	assert.Equal(t, "session=1; forever=1; farexpires=1", j.CookieHeader(u))
	assert.Equal(t, 3, j.Len())
}

func TestTimesKept(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	u := mustURL(t, "http://h.com/")
	j.SetRawCookies(u, []string{"a=1"})
	clock.advance(time.Minute)
	j.SetRawCookies(u, []string{"a=2"})
	c := j.All()[0]
	assert.Equal(t, t0, c.Created, "replacement keeps the creation time (§5.7 step 23)")
	assert.Equal(t, t0.Add(time.Minute), c.LastAccess)

	clock.advance(time.Minute)
	_, ok := j.Get(u, "a")
	require.True(t, ok)
	assert.Equal(t, t0.Add(time.Minute), j.All()[0].LastAccess, "Get is not an access")
	j.CookieHeader(u)
	assert.Equal(t, t0.Add(2*time.Minute), j.All()[0].LastAccess, "sending updates last-access (§5.8.3)")
}

func TestLimits(t *testing.T) {
	t.Run("per registrable domain, least recently used first (§5.7)", func(t *testing.T) {
		clock := newTestClock()
		j := NewJar(WithClock(clock.now), WithLimits(3, 100))
		for i, host := range []string{"a.example.com", "b.example.com", "example.com"} {
			j.SetRawCookies(mustURL(t, "http://"+host+"/"), []string{fmt.Sprintf("c%d=1", i)})
			clock.advance(time.Second)
		}
		j.CookieHeader(mustURL(t, "http://a.example.com/")) // c0 is now the most recent
		clock.advance(time.Second)
		j.SetRawCookies(mustURL(t, "http://other.com/"), []string{"o=1"})
		j.SetRawCookies(mustURL(t, "http://example.com/"), []string{"c3=1"})
		names := cookieNames(j.All())
		assert.Equal(t, []string{"c0", "c2", "c3", "o"}, names, "c1 was least recently used")
	})
	t.Run("non-Secure cookies are evicted before Secure ones (§5.7)", func(t *testing.T) {
		clock := newTestClock()
		j := NewJar(WithClock(clock.now), WithLimits(2, 100))
		j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"s=1; Secure"})
		clock.advance(time.Second)
		j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"p=1"})
		clock.advance(time.Second)
		j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"q=1"})
		assert.Equal(t, []string{"q", "s"}, cookieNames(j.All()))
	})
	t.Run("expired cookies are evicted first (§5.7)", func(t *testing.T) {
		clock := newTestClock()
		j := NewJar(WithClock(clock.now), WithLimits(2, 100))
		j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"old=1; Max-Age=1", "s=1; Secure"})
		clock.advance(2 * time.Second)
		j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"new=1"})
		assert.Equal(t, []string{"new", "s"}, cookieNames(j.All()))
	})
	t.Run("total limit", func(t *testing.T) {
		clock := newTestClock()
		j := NewJar(WithClock(clock.now), WithLimits(10, 5))
		for i := range 8 {
			j.SetRawCookies(mustURL(t, fmt.Sprintf("http://site%d.com/", i)), []string{"a=1"})
			clock.advance(time.Second)
		}
		require.Equal(t, 5, j.Len())
		assert.Equal(t, "site3.com", j.All()[0].Domain, "the three oldest went")
	})
	t.Run("defaults are Chromium's: 181 cookies purge a domain to 150 (§5.7)", func(t *testing.T) {
		clock := newTestClock()
		j := NewJar(WithClock(clock.now))
		for i := range 181 {
			j.SetRawCookies(mustURL(t, "http://h.com/"), []string{fmt.Sprintf("c%03d=1", i)})
			clock.advance(time.Millisecond)
		}
		names := cookieNames(j.All())
		require.Len(t, names, 150)
		assert.Equal(t, "c031", names[0], "the 31 least recently used went")
		assert.Equal(t, "c180", names[149])
	})
	t.Run("the total limit is purged to from a tenth above it, as Chromium's 3300 → 3000", func(t *testing.T) {
		j := NewJar(WithLimits(0, 100))
		for i := range 110 {
			j.SetRawCookies(mustURL(t, fmt.Sprintf("http://s%d.com/", i)), []string{"a=1"})
		}
		assert.Equal(t, 110, j.Len())
		j.SetRawCookies(mustURL(t, "http://last.com/"), []string{"a=1"})
		assert.Equal(t, 100, j.Len())
	})
	t.Run("zero means no limit", func(t *testing.T) {
		j := NewJar(WithLimits(0, 0))
		for i := range 500 {
			j.SetRawCookies(mustURL(t, "http://h.com/"), []string{fmt.Sprintf("c%d=1", i)})
		}
		assert.Equal(t, 500, j.Len())
	})
}

func cookieNames(cs []Cookie) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}

func TestCookiesForNetHTTP(t *testing.T) {
	j := NewJar()
	u := mustURL(t, "http://h.com/")
	j.SetRawCookies(u, []string{`q="quoted"`, "p=plain"})
	got := j.Cookies(u)
	require.Len(t, got, 2)
	assert.Equal(t, http.Cookie{Name: "q", Value: "quoted", Quoted: true}, *got[0], "quotes handed over as net/http's parser would")
	assert.Equal(t, http.Cookie{Name: "p", Value: "plain"}, *got[1])

	// SetCookies takes net/http's parse and sends it back the same.
	j2 := NewJar()
	resp := &http.Response{Header: http.Header{"Set-Cookie": {`q="quoted"`, "s=a b"}}}
	j2.SetCookies(u, resp.Cookies())
	assert.Equal(t, `q="quoted"; s="a b"`, j2.CookieHeader(u))
	assert.Nil(t, j2.Cookies(mustURL(t, "http://other.com/")))
}

func TestSetValidates(t *testing.T) {
	j := NewJar()
	tests := []struct {
		name string
		c    Cookie
		ok   bool
	}{
		{"host-only cookie", Cookie{Name: "a", Value: "1", Domain: "h.com", HostOnly: true}, true},
		{"domain cookie with a leading dot", Cookie{Name: "a", Value: "1", Domain: ".h.com"}, true},
		{"IDN domain is converted to punycode", Cookie{Name: "a", Value: "1", Domain: "bücher.example"}, true},
		{"domain cookie on a public suffix is refused (§5.7 step 9)", Cookie{Name: "a", Value: "1", Domain: "co.uk"}, false},
		{"host-only cookie on a public suffix is allowed (§5.7 step 9)", Cookie{Name: "a", Value: "1", Domain: "co.uk", HostOnly: true}, true},
		{"no domain", Cookie{Name: "a", Value: "1"}, false},
		{"control byte in domain", Cookie{Name: "a", Value: "1", Domain: "exa\x01mple.com"}, false},
		{"space in domain", Cookie{Name: "a", Value: "1", Domain: "exa mple.com"}, false},
		{"IPv6 host-only", Cookie{Name: "a", Value: "1", Domain: "2001:db8::1", HostOnly: true}, true},
		{"relative path", Cookie{Name: "a", Value: "1", Domain: "h.com", Path: "x"}, false},
		{"';' in value", Cookie{Name: "a", Value: "1;2", Domain: "h.com"}, false},
		{"control character in name (§5.7 step 3)", Cookie{Name: "a\n", Value: "1", Domain: "h.com"}, false},
		{"empty cookie (§5.7 step 2)", Cookie{Domain: "h.com"}, false},
		{"__Host- on a domain cookie (§5.7 step 21)", Cookie{Name: "__Host-a", Value: "1", Domain: "h.com", Secure: true, Path: "/"}, false},
		{"__Host- done right (§5.7 step 21)", Cookie{Name: "__Host-a", Value: "1", Domain: "h.com", HostOnly: true, Secure: true, Path: "/"}, true},
		{"SameSite=None without Secure (§5.7 step 19)", Cookie{Name: "a", Value: "1", Domain: "h.com", SameSite: http.SameSiteNoneMode}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.Set(tt.c)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidCookie)
			}
		})
	}
	c, ok := j.Get(mustURL(t, "http://www.xn--bcher-kva.example/"), "a")
	require.True(t, ok)
	assert.Equal(t, "xn--bcher-kva.example", c.Domain)
}

func TestSetKeepsTimes(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	created := t0.Add(-time.Hour)
	accessed := t0.Add(-time.Minute)
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "h.com", HostOnly: true, Created: created, LastAccess: accessed, Expires: t0.Add(time.Hour)}))
	got := j.All()[0]
	assert.Equal(t, created, got.Created)
	assert.Equal(t, accessed, got.LastAccess)
	assert.Equal(t, "/", got.Path)

	require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "h.com", HostOnly: true, Expires: t0.Add(-time.Second)}))
	assert.Zero(t, j.Len(), "an expired cookie deletes (§5.7)")
}

func TestDeleteAndClear(t *testing.T) {
	j := NewJar()
	j.SetRawCookies(mustURL(t, "https://www.h.com/"), []string{"a=1", "b=1; Domain=h.com", "c=1; Max-Age=60"})
	j.SetRawCookies(mustURL(t, "https://other.com/"), []string{"a=1"})
	j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"d=1"})

	assert.True(t, j.Delete("www.h.com", "/", "a"))
	assert.False(t, j.Delete("www.h.com", "/", "a"))
	assert.True(t, j.Delete(".H.com", "/", "b"), "leading dot and case do not matter")
	assert.Equal(t, 2, j.DeleteDomain("h.com"), "a domain and its subdomains")
	assert.Equal(t, 1, j.Len())
	j.SetRawCookies(mustURL(t, "https://h.com/"), []string{"p=1; Max-Age=60"})
	assert.Equal(t, 1, j.ClearSession())
	assert.Equal(t, []string{"p"}, cookieNames(j.All()))
	j.Clear()
	assert.Zero(t, j.Len())
	assert.Empty(t, j.All())
}

func TestAllIsStableAndCopied(t *testing.T) {
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://b.com/"), []string{"z=1", "a=1"})
	j.SetRawCookies(mustURL(t, "http://a.com/x/y"), []string{"m=1", "m=2; Path=/"})
	all := j.All()
	var got []string
	for _, c := range all {
		got = append(got, c.Domain+c.Path+" "+c.String())
	}
	assert.Equal(t, []string{"a.com/ m=2", "a.com/x m=1", "b.com/ a=1", "b.com/ z=1"}, got)
	all[0].Value = "changed"
	assert.Equal(t, "m=2", j.All()[0].String())
}

func TestNilAndOddInputs(t *testing.T) {
	j := NewJar()
	assert.NotPanics(t, func() {
		j.SetCookies(nil, []*http.Cookie{{Name: "a", Value: "b"}})
		j.SetRawCookies(nil, []string{"a=b"})
		j.SetCookies(mustURL(t, "http://h.com/"), []*http.Cookie{nil})
		assert.Empty(t, j.Cookies(nil))
		assert.Empty(t, j.CookieHeader(nil))
		for _, host := range []string{"", ".", "..", "[::1]", "%zz"} {
			u := &url.URL{Scheme: "http", Host: host, Path: "/"}
			j.SetRawCookies(u, []string{"a=1"})
			j.CookieHeader(u)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	j := NewJar()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				u := mustURL(t, fmt.Sprintf("https://s%d.example.com/p%d", g, i%5))
				j.SetRawCookies(u, []string{fmt.Sprintf("c%d=%d; Domain=example.com", i%20, i)})
				j.CookieHeader(u)
				j.Cookies(u)
				if i%50 == 0 {
					j.All()
					j.Len()
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, j.Len(), DefaultPerDomainLimit)
	assert.True(t, strings.HasPrefix(j.All()[0].Name, "c"))
}

func TestPartitionedCookies(t *testing.T) {
	t.Run("a Partitioned cookie lives beside an unpartitioned one of its name, as in Chromium (CHIPS)", func(t *testing.T) {
		j := NewJar()
		u := mustURL(t, "https://www.example.com/")
		j.SetRawCookies(u, []string{"a=1", "a=2; Secure; Partitioned", "b=3; Secure; Partitioned", "b=; Max-Age=0"})
		assert.Equal(t, "a=1; a=2; b=3", j.CookieHeader(u))
		assert.Len(t, j.All(), 3)
	})
	t.Run("the partition is the top-level site with its scheme", func(t *testing.T) {
		j := NewJar()
		j.SetRawCookies(mustURL(t, "http://localhost/"), []string{"a=1; Secure; Partitioned", "b=2"})
		assert.Equal(t, "a=1; b=2", j.CookieHeader(mustURL(t, "http://localhost/")))
		assert.Equal(t, "b=2", j.CookieHeader(mustURL(t, "https://localhost/")))
	})
	t.Run("a Partitioned domain cookie reaches the whole site", func(t *testing.T) {
		j := NewJar()
		j.SetRawCookies(mustURL(t, "https://www.example.com/"), []string{"a=1; Secure; Partitioned; Domain=example.com"})
		assert.Equal(t, "a=1", j.CookieHeader(mustURL(t, "https://api.example.com/")))
	})
	t.Run("the partition survives a file", func(t *testing.T) {
		j := NewJar()
		j.SetRawCookies(mustURL(t, "http://localhost/"), []string{"a=1; Secure; Partitioned"})
		path := filepath.Join(t.TempDir(), "c.json")
		require.NoError(t, j.Save(path))
		j2 := NewJar()
		require.NoError(t, j2.Load(path))
		assert.Equal(t, "a=1", j2.CookieHeader(mustURL(t, "http://localhost/")))
		assert.Empty(t, j2.CookieHeader(mustURL(t, "https://localhost/")))
		assert.True(t, j2.Delete("localhost", "/", "a"), "Delete removes every partition's cookie")
		assert.Zero(t, j2.Len())
	})
}

// A server deletes the copy of a cookie it was sent (RFC 6265bis §5.7: an
// expired cookie removes the stored one); it cannot mean a newer copy set
// since, here or in another jar sharing the file. (Not in the RFC, which
// has one client; see Jar.serverDelete.)
func TestServerDeletionIsAboutTheCopyTheRequestCarried(t *testing.T) {
	u := mustURL(t, "http://example.com/")
	tests := []struct {
		name  string
		held  string // the jar's value of sid before the response, "" for none
		sent  string // the Cookie header the request carried
		after string // the jar's Cookie header after the deletion
	}{
		{"the copy sent is deleted", "X", "sid=X", ""},
		{"a copy set since (a concurrent login) survives", "Y", "sid=X", "sid=Y"},
		{"a copy already deleted by an earlier response stays deleted", "", "sid=X", ""},
		{"a request that did not carry it deletes what the jar holds", "Y", "other=1", "other=1"},
		{"a cookie neither carried nor held is not deleted: the server never saw it", "", "", ""},
		{"with no request known, the jar's copy is deleted", "Y", "unknown", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJar()
			if tt.held != "" {
				j.SetRawCookies(u, []string{"sid=" + tt.held})
			}
			if tt.sent == "other=1" {
				j.SetRawCookies(u, []string{"other=1"})
			}
			var sent *string
			if tt.sent != "unknown" {
				sent = &tt.sent
			}
			j.storeResponse(u, []string{"sid=; Max-Age=0"}, sent)
			assert.Equal(t, tt.after, j.CookieHeader(u))
		})
	}
}

// The deletion of the copy a jar held is a change just after that copy's,
// so that a newer copy in the shared file wins the merge.
func TestServerDeletionLosesToANewerCopyInTheFile(t *testing.T) {
	u := mustURL(t, "http://example.com/")
	path := filepath.Join(t.TempDir(), "cookies.json")
	a, b := NewJar(), NewJar()
	a.SetRawCookies(u, []string{"sid=X"})
	require.NoError(t, a.Save(path))
	require.NoError(t, b.Load(path))
	a.SetRawCookies(u, []string{"sid=Y"}) // a logs in again
	require.NoError(t, a.Save(path))
	// b's request still carried X; the server deletes it.
	sent := "sid=X"
	b.storeResponse(u, []string{"sid=; Max-Age=0"}, &sent)
	assert.Equal(t, "", b.CookieHeader(u))
	require.NoError(t, b.Save(path))
	require.NoError(t, b.Load(path))
	assert.Equal(t, "sid=Y", b.CookieHeader(u), "the newer login survives the stale deletion")
	require.NoError(t, a.Load(path))
	assert.Equal(t, "sid=Y", a.CookieHeader(u))
}
