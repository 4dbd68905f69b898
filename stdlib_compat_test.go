package httpsession_test

// These tests check that the Jar keeps the behaviour Go programs rely on
// from net/http/cookiejar (the cases of its own test suite and of the
// Chromium cookie tests it borrows), and pin down, with rows that say so,
// where the Jar deliberately follows RFC 6265bis instead.
//
// Everything goes through the public API the way net/http drives a jar:
// Set-Cookie lines are parsed by net/http and handed to SetCookies, requests
// carry what Cookies returns. A fake clock moves one second forward after
// every operation, so creation order and expiry are deterministic.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// compatPSL is a public suffix list with two rules: "co.uk", and the default
// rule that makes the last label of any name a public suffix.
type compatPSL struct{}

func (compatPSL) PublicSuffix(domain string) string {
	if domain == "co.uk" || strings.HasSuffix(domain, ".co.uk") {
		return "co.uk"
	}
	return domain[strings.LastIndexByte(domain, '.')+1:]
}

func (compatPSL) String() string { return "co.uk and *" }

// compatStart is the fake clock's first reading.
var compatStart = time.Date(2024, time.March, 1, 9, 30, 0, 0, time.UTC)

// compatTick is how far the fake clock moves after each operation.
const compatTick = time.Second

// compatExpires returns an Expires attribute d away from compatStart.
func compatExpires(d time.Duration) string {
	return "Expires=" + compatStart.Add(d).Format(http.TimeFormat)
}

// compatClient is a Jar with a clock the test controls.
type compatClient struct {
	t   *testing.T
	now time.Time
	jar *httpsession.Jar
}

func newCompatClient(t *testing.T, psl httpsession.JarOption) *compatClient {
	c := &compatClient{t: t, now: compatStart}
	c.jar = httpsession.NewJar(psl, httpsession.WithClock(func() time.Time { return c.now }))
	return c
}

func (c *compatClient) url(raw string) *url.URL {
	u, err := url.Parse(raw)
	require.NoError(c.t, err, raw)
	return u
}

// receive hands the jar the Set-Cookie lines of a response from rawURL, after
// net/http has parsed them.
func (c *compatClient) receive(rawURL string, lines []string) {
	cookies := make([]*http.Cookie, 0, len(lines))
	for _, line := range lines {
		hc, err := http.ParseSetCookie(line)
		require.NoError(c.t, err, "net/http cannot parse %q", line)
		cookies = append(cookies, hc)
	}
	c.jar.SetCookies(c.url(rawURL), cookies)
	c.now = c.now.Add(compatTick)
}

// header returns the Cookie header net/http would send to rawURL.
func (c *compatClient) header(rawURL string) string {
	parts := []string{}
	for _, hc := range c.jar.Cookies(c.url(rawURL)) {
		parts = append(parts, hc.String())
	}
	c.now = c.now.Add(compatTick)
	return strings.Join(parts, "; ")
}

// contents lists every cookie in the jar as name=value, in All's order.
func (c *compatClient) contents() []string {
	out := []string{}
	for _, ck := range c.jar.All() {
		out = append(out, ck.String())
	}
	c.now = c.now.Add(compatTick)
	return out
}

// compatRequest is a request and the Cookie header it must carry.
type compatRequest struct {
	to     string
	header string
}

// compatRow is one response received by the jar, what the jar then holds, and
// the requests made after it.
type compatRow struct {
	name     string
	from     string   // URL of the response
	set      []string // its Set-Cookie lines
	contents []string // the jar's cookies afterwards, name=value, any order
	requests []compatRequest
	// knownBug, when set, says why the jar fails this row today; the row is
	// skipped until the jar is fixed.
	knownBug string
}

func (r compatRow) check(t *testing.T, c *compatClient) {
	t.Helper()
	if r.knownBug != "" {
		t.Skip("known bug: " + r.knownBug)
	}
	c.t = t
	c.receive(r.from, r.set)
	assert.ElementsMatch(t, r.contents, c.contents(), "jar contents")
	for _, q := range r.requests {
		assert.Equal(t, q.header, c.header(q.to), "Cookie header for %s", q.to)
	}
}

// runCompatFresh runs every row on a new jar.
func runCompatFresh(t *testing.T, rows []compatRow) {
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			r.check(t, newCompatClient(t, httpsession.WithPublicSuffixList(compatPSL{})))
		})
	}
}

// runCompatChain runs the rows in order on one jar: each row starts from
// what the previous ones left.
func runCompatChain(t *testing.T, rows []compatRow) {
	c := newCompatClient(t, httpsession.WithPublicSuffixList(compatPSL{}))
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) { r.check(t, c) })
	}
}

func TestStdlibCompatBasics(t *testing.T) {
	runCompatFresh(t, []compatRow{
		{
			name:     "host-only cookie goes back to its host on every path and scheme (§5.7 step 10, §5.8.3 step 1)",
			from:     "http://www.example.test/",
			set:      []string{"id=7"},
			contents: []string{"id=7"},
			requests: []compatRequest{
				{"http://www.example.test", "id=7"},
				{"http://www.example.test/", "id=7"},
				{"http://www.example.test/a/b", "id=7"},
				{"https://www.example.test", "id=7"},
				{"https://www.example.test/a/b", "id=7"},
			},
		},
		{
			name:     "host-only cookie is not sent to other, sibling, parent or child hosts (§5.8.3 step 1)",
			from:     "http://www.example.test/",
			set:      []string{"id=7"},
			contents: []string{"id=7"},
			requests: []compatRequest{
				{"http://www.elsewhere.test/", ""},
				{"http://mail.example.test/", ""},
				{"http://example.test/", ""},
				{"http://deep.www.example.test/", ""},
			},
		},
		{
			name:     "cookies are not sent over a scheme that is not HTTP (§5.8.3)",
			from:     "http://www.example.test/",
			set:      []string{"id=7"},
			contents: []string{"id=7"},
			requests: []compatRequest{
				{"ftp://www.example.test", ""},
				{"ftp://www.example.test/", ""},
				{"ftp://www.example.test/a/b", ""},
			},
		},
		{
			name:     "cookies from a response that is not HTTP are not stored (§5.7 step 1)",
			from:     "ftp://www.example.test/",
			set:      []string{"id=7"},
			contents: []string{},
			requests: []compatRequest{{"http://www.example.test/", ""}},
		},
		{
			name:     "Secure cookie set over https is sent over https only (§5.7 step 12, §5.8.3 step 1)",
			from:     "https://www.example.test/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://www.example.test", ""},
				{"http://www.example.test/a/b", ""},
				{"https://www.example.test", "s=1"},
				{"https://www.example.test/a/b", "s=1"},
			},
		},
		{
			name:     "Secure cookie from http is refused, unlike net/http/cookiejar (§5.7 step 13)",
			from:     "http://www.example.test/",
			set:      []string{"s=1; Secure"},
			contents: []string{},
			requests: []compatRequest{
				{"http://www.example.test/", ""},
				{"https://www.example.test/", ""},
			},
		},
		{
			name:     "localhost is a secure origin: Secure cookie set and sent over http (§5.7 step 13, §5.8.3 step 1)",
			from:     "http://localhost:8910/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://localhost:8910", "s=1"},
				{"http://localhost:8910/a/b", "s=1"},
				{"https://localhost:8910/", "s=1"},
			},
		},
		{
			name:     "a *.localhost name, in any case, is a secure origin (§5.7 step 13, §5.8.3 step 1)",
			from:     "http://app.LOCALHOST:8910/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://app.LOCALHOST:8910", "s=1"},
				{"http://app.localhost:8910/a/b", "s=1"},
				{"https://app.LOCALHOST:8910/", "s=1"},
			},
		},
		{
			name:     "IPv6 loopback is a secure origin (§5.7 step 13, §5.8.3 step 1)",
			from:     "http://[::1]:8910/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://[::1]:8910", "s=1"},
				{"http://[::1]:8910/a/b", "s=1"},
				{"https://[::1]:8910/", "s=1"},
			},
		},
		{
			name:     "IPv4 loopback is a secure origin (§5.7 step 13, §5.8.3 step 1)",
			from:     "http://127.0.0.1:8910/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://127.0.0.1:8910/a", "s=1"},
				{"https://127.0.0.1/", "s=1"},
			},
		},
		{
			name:     "a name merely ending in localhost is not secure: Secure cookie from http is refused, unlike net/http/cookiejar (§5.7 step 13)",
			from:     "http://notlocalhost/",
			set:      []string{"s=1; Secure"},
			contents: []string{},
			requests: []compatRequest{
				{"http://notlocalhost/", ""},
				{"https://notlocalhost/", ""},
			},
		},
		{
			name:     "a name merely ending in localhost gets Secure cookies over https only (§5.8.3 step 1)",
			from:     "https://notlocalhost/",
			set:      []string{"s=1; Secure"},
			contents: []string{"s=1"},
			requests: []compatRequest{
				{"http://notlocalhost", ""},
				{"http://notlocalhost/a/b", ""},
				{"https://notlocalhost", "s=1"},
				{"https://notlocalhost/a/b", "s=1"},
			},
		},
		{
			name:     "Path attribute limits the cookie to that path and the paths below it (§5.1.4, §5.8.3 step 1)",
			from:     "http://www.example.test/",
			set:      []string{"p=1; Path=/docs/api"},
			contents: []string{"p=1"},
			requests: []compatRequest{
				{"http://www.example.test", ""},
				{"http://www.example.test/", ""},
				{"http://www.example.test/docs", ""},
				{"http://www.example.test/docs/", ""},
				{"http://www.example.test/docs/api", "p=1"},
				{"http://www.example.test/docs/apis", ""},
				{"http://www.example.test/docs/api/v2", "p=1"},
				{"http://www.example.test/docs/api/v2/", "p=1"},
			},
		},
		{
			name:     "default-path of a URL ending in a slash drops that slash (§5.1.4, §5.7 step 11)",
			from:     "http://www.example.test/docs/api/",
			set:      []string{"p=1"},
			contents: []string{"p=1"},
			requests: []compatRequest{
				{"http://www.example.test/", ""},
				{"http://www.example.test/docs/", ""},
				{"http://www.example.test/docs/api", "p=1"},
				{"http://www.example.test/docs/apis", ""},
				{"http://www.example.test/docs/api/v2/", "p=1"},
			},
		},
		{
			name:     "default-path of a file URL is its directory (§5.1.4, §5.7 step 11)",
			from:     "http://www.example.test/docs/api/index.html",
			set:      []string{"p=1"},
			contents: []string{"p=1"},
			requests: []compatRequest{
				{"http://www.example.test/", ""},
				{"http://www.example.test/docs/", ""},
				{"http://www.example.test/docs/api", "p=1"},
				{"http://www.example.test/docs/apis", ""},
				{"http://www.example.test/docs/api/v2", "p=1"},
			},
		},
		{
			name:     "a URL without a path has default-path / (§5.1.4, §5.7 step 11)",
			from:     "http://www.example.test",
			set:      []string{"p=1"},
			contents: []string{"p=1"},
			requests: []compatRequest{
				{"http://www.example.test", "p=1"},
				{"http://www.example.test/", "p=1"},
				{"http://www.example.test/docs/api", "p=1"},
			},
		},
		{
			name:     "path-match needs a / after the cookie path: /wee matches /wee/x, not /weehee (§5.1.4)",
			from:     "http://www.example.test/",
			set:      []string{"w=1; Path=/wee"},
			contents: []string{"w=1"},
			requests: []compatRequest{
				{"http://www.example.test/wee", "w=1"},
				{"http://www.example.test/wee/", "w=1"},
				{"http://www.example.test/wee/war", "w=1"},
				{"http://www.example.test/wee/war/more/more", "w=1"},
				{"http://www.example.test/weehee", ""},
				{"http://www.example.test/", ""},
			},
		},
		{
			name: "longer paths are sent first (§5.8.3 step 2)",
			from: "http://www.example.test/",
			set: []string{
				"two=2; Path=/a/b",
				"four=4; Path=/a/b/c/d",
				"three=3; Path=/a/b/c",
				"one=1; Path=/a",
			},
			contents: []string{"one=1", "two=2", "three=3", "four=4"},
			requests: []compatRequest{
				{"http://www.example.test/a/b/c/d", "four=4; three=3; two=2; one=1"},
				{"http://www.example.test/a/b/c/", "three=3; two=2; one=1"},
				{"http://www.example.test/a/b", "two=2; one=1"},
			},
		},
		{
			name: "paths of equal length go in creation order (§5.8.3 step 2)",
			from: "http://www.example.test/",
			set: []string{
				"m=1; Path=/a/b",
				"b=2; Path=/a/b",
				"z=3; Path=/a/b/c/d",
				"c=4; Path=/a/b/c/d",
				"y=5; Path=/a/b/c",
				"d=6; Path=/a/b/c",
				"x=7; Path=/a",
				"e=8; Path=/a",
			},
			contents: []string{"m=1", "b=2", "z=3", "c=4", "y=5", "d=6", "x=7", "e=8"},
			requests: []compatRequest{
				{"http://www.example.test/a/b/c/d", "z=3; c=4; y=5; d=6; m=1; b=2; x=7; e=8"},
				{"http://www.example.test/a/b/c/", "y=5; d=6; m=1; b=2; x=7; e=8"},
				{"http://www.example.test/a/b", "m=1; b=2; x=7; e=8"},
			},
		},
		{
			name: "same-name host and domain cookies: longer path first, then creation order (§5.8.3 step 2)",
			from: "http://www.example.test/",
			set: []string{
				"n=1; Path=/",
				"n=2; Path=/p",
				"n=3; Path=/q",
				"n=4; Path=/p/r",
				"n=5; Domain=.example.test; Path=/p",
				"n=6; Domain=.example.test; Path=/q",
				"n=7; Domain=.example.test; Path=/p/r",
			},
			contents: []string{"n=1", "n=2", "n=3", "n=4", "n=5", "n=6", "n=7"},
			requests: []compatRequest{
				{"http://www.example.test/p", "n=2; n=5; n=1"},
				{"http://www.example.test/p/r", "n=4; n=7; n=2; n=5; n=1"},
				{"http://other.example.test/p/r", "n=7; n=5"},
			},
		},
		{
			name:     "Domain that is a public suffix is refused; the host cookie beside it is kept (§5.7 step 9)",
			from:     "http://www.shop.co.uk",
			set:      []string{"a=1", "b=2; Domain=co.uk"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://www.shop.co.uk", "a=1"},
				{"http://www.other.co.uk", ""},
			},
		},
		{
			name:     "an IP host gets host-only cookies (§5.7 step 10)",
			from:     "http://192.168.0.10",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://192.168.0.10", "a=1"}},
		},
		{
			name: "an IP host may name itself in Domain but no other IP (§5.1.3, §5.7 step 10)",
			from: "http://192.168.0.10",
			set: []string{
				"a=1; Domain=192.168.0.10",
				"b=2; Domain=172.31.9.9",
			},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://192.168.0.10", "a=1"},
				{"http://172.31.9.9", ""},
				{"http://www.fancy.192.168.0.10", ""},
			},
		},
		{
			name:     "an IP host takes its own address with a leading dot as Domain, host-only, as Chromium does; net/http/cookiejar refuses it (§5.6.3 drops the dot, §5.1.3)",
			from:     "http://192.168.0.10",
			set:      []string{"c=3; Domain=.192.168.0.10"},
			contents: []string{"c=3"},
			requests: []compatRequest{{"http://192.168.0.10", "c=3"}},
		},
		{
			name:     "the port does not scope a cookie: set on the default port, sent to any port (§8.5)",
			from:     "http://www.example.test/",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://www.example.test", "a=1"},
				{"http://www.example.test:8080/", "a=1"},
			},
		},
		{
			name:     "the port does not scope a cookie: set on 8080, sent to any port (§8.5)",
			from:     "http://www.example.test:8080/",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://www.example.test", "a=1"},
				{"http://www.example.test:8080/", "a=1"},
				{"http://www.example.test:1234/", "a=1"},
			},
		},
		{
			name:     "an IPv6 zone is not part of the host: example.test's cookie does not reach [::1%.example.test] (§5.1.2)",
			from:     "https://example.test/",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"https://[::1%25.example.test]:80/", ""}},
		},
		{
			name: "quoted values keep their quotes; values with a space or comma are sent quoted (§5.6, §5.8.3 step 4)",
			from: "http://www.example.test/",
			set: []string{
				`q1="quoted"`,
				`q2="with spaces"`,
				`q3="with,commas"`,
				`q4= ,`,
			},
			contents: []string{`q1="quoted"`, `q2="with spaces"`, `q3="with,commas"`, `q4=" ,"`},
			requests: []compatRequest{
				{"http://www.example.test", `q1="quoted"; q2="with spaces"; q3="with,commas"; q4=" ,"`},
			},
		},
		{
			name:     "the request path is matched in escaped form, escapes of unreserved characters decoded, as Chromium does (§5.1.4)",
			from:     "http://www.example.test/",
			set:      []string{"p=1; Path=/a%2Fb", "q=1; Path=/~user"},
			contents: []string{"p=1", "q=1"},
			requests: []compatRequest{
				{"http://www.example.test/a%2Fb/x", "p=1"},
				{"http://www.example.test/a/b/x", ""},
				{"http://www.example.test/%7Euser/x", "q=1"},
				{"http://www.example.test/~user/x", "q=1"},
			},
		},
		{
			name:     "ws and wss URLs take part in cookies like http and https, unlike net/http/cookiejar (§5.8.3 step 1)",
			from:     "wss://www.example.test/",
			set:      []string{"w=1", "s=2; Secure"},
			contents: []string{"w=1", "s=2"},
			requests: []compatRequest{
				{"ws://www.example.test/", "w=1"},
				{"wss://www.example.test/", "w=1; s=2"},
				{"https://www.example.test/", "w=1; s=2"},
			},
		},
	})
}

// TestStdlibCompatUpdateAndDelete replaces, updates and deletes cookies on
// one jar. Where net/http/cookiejar lets an http response overwrite or
// delete a Secure cookie, the Jar refuses, and the rows say so.
func TestStdlibCompatUpdateAndDelete(t *testing.T) {
	runCompatChain(t, []compatRow{
		{
			name: "cookies with every mix of Secure and HttpOnly are stored from https (§5.7 steps 12 and 14)",
			from: "https://www.example.test",
			set:  []string{"a=1", "b=2; Secure", "c=3; HttpOnly", "d=4; Secure; HttpOnly"},
			contents: []string{
				"a=1", "b=2", "c=3", "d=4",
			},
			requests: []compatRequest{
				{"http://www.example.test", "a=1; c=3"},
				{"https://www.example.test", "a=1; b=2; c=3; d=4"},
			},
		},
		{
			name:     "a response from https replaces every cookie with the same identity (§5.7 step 23)",
			from:     "https://www.example.test",
			set:      []string{"a=w", "b=x; Secure", "c=y; HttpOnly", "d=z; Secure; HttpOnly"},
			contents: []string{"a=w", "b=x", "c=y", "d=z"},
			requests: []compatRequest{
				{"http://www.example.test", "a=w; c=y"},
				{"https://www.example.test", "a=w; b=x; c=y; d=z"},
			},
		},
		{
			name:     "a response from http replaces non-Secure cookies, which keep their place (§5.7 step 23, §5.8.3 step 2)",
			from:     "http://www.example.test/",
			set:      []string{"a=ww", "c=yy; HttpOnly"},
			contents: []string{"a=ww", "b=x", "c=yy", "d=z"},
			requests: []compatRequest{
				{"http://www.example.test", "a=ww; c=yy"},
				{"https://www.example.test", "a=ww; b=x; c=yy; d=z"},
			},
		},
		{
			name:     "http cannot overwrite a Secure cookie or clear its Secure flag, unlike net/http/cookiejar (§5.7 step 16)",
			from:     "http://www.example.test/",
			set:      []string{"b=xx", "d=zz; HttpOnly"},
			contents: []string{"a=ww", "b=x", "c=yy", "d=z"},
			requests: []compatRequest{
				{"http://www.example.test", "a=ww; c=yy"},
				{"https://www.example.test", "a=ww; b=x; c=yy; d=z"},
			},
		},
		{
			name:     "http cannot delete a Secure cookie, unlike net/http/cookiejar (§5.7 step 16)",
			from:     "http://www.example.test/",
			set:      []string{"b=; Max-Age=0", "d=; " + compatExpires(-time.Hour)},
			contents: []string{"a=ww", "b=x", "c=yy", "d=z"},
			requests: []compatRequest{
				{"http://www.example.test", "a=ww; c=yy"},
				{"https://www.example.test", "a=ww; b=x; c=yy; d=z"},
			},
		},
		{
			name: "expiry in the past deletes: by Max-Age, by Expires, by both, and Max-Age beats a future Expires (§5.6.1, §5.6.2, §5.7 step 6)",
			from: "https://www.example.test/",
			set: []string{
				"a=1; Max-Age=-1",
				"b=2; " + compatExpires(-time.Hour),
				"c=2; Max-Age=0; " + compatExpires(-time.Hour),
				"d=4; Max-Age=-1; " + compatExpires(time.Hour),
			},
			contents: []string{},
			requests: []compatRequest{{"https://www.example.test", ""}},
		},
		{
			name: "name, domain, host-only flag and path together make a cookie's identity (§5.7 step 23)",
			from: "http://www.example.test",
			set: []string{
				"A=1",
				"A=2; Path=/foo",
				"A=3; Domain=.example.test",
				"A=4; Path=/foo; Domain=example.test",
			},
			contents: []string{"A=1", "A=2", "A=3", "A=4"},
			requests: []compatRequest{{"http://www.example.test/foo", "A=2; A=4; A=1; A=3"}},
		},
		{
			name: "a second site's cookies of the same name are separate (§5.7 step 23)",
			from: "http://www.other.test",
			set: []string{
				"A=6",
				"A=7; Path=/foo",
				"A=8; Domain=.other.test",
				"A=9; Path=/foo; Domain=.other.test",
			},
			contents: []string{"A=1", "A=2", "A=3", "A=4", "A=6", "A=7", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=4; A=1; A=3"},
				{"http://www.other.test/foo", "A=7; A=9; A=6; A=8"},
			},
		},
		{
			name:     "deleting a host-only cookie needs its path (§5.7 step 23)",
			from:     "http://www.other.test",
			set:      []string{"A=; Path=/foo; Max-Age=-1"},
			contents: []string{"A=1", "A=2", "A=3", "A=4", "A=6", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=4; A=1; A=3"},
				{"http://www.other.test/foo", "A=9; A=6; A=8"},
			},
		},
		{
			name:     "deleting a domain cookie needs its Domain and path (§5.7 step 23)",
			from:     "http://www.example.test",
			set:      []string{"A=; Path=/foo; Domain=example.test; Max-Age=-1"},
			contents: []string{"A=1", "A=2", "A=3", "A=6", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1; A=3"},
				{"http://www.other.test/foo", "A=9; A=6; A=8"},
			},
		},
		{
			name:     "a deletion without Domain removes only the host-only cookie (§5.7 step 23)",
			from:     "http://www.other.test",
			set:      []string{"A=; Max-Age=-1"},
			contents: []string{"A=1", "A=2", "A=3", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1; A=3"},
				{"http://www.other.test/foo", "A=9; A=8"},
			},
		},
		{
			name:     "a deletion with Domain removes only the domain cookie (§5.7 step 23)",
			from:     "http://www.example.test",
			set:      []string{"A=; Domain=example.test; Max-Age=-1"},
			contents: []string{"A=1", "A=2", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1"},
				{"http://www.other.test/foo", "A=9; A=8"},
			},
		},
		{
			name: "a site cannot delete another site's cookies (§5.7 step 10)",
			from: "http://www.example.test",
			set: []string{
				"A=; Domain=other.test; Max-Age=-1",
				"A=; Path=/foo; Domain=other.test; Max-Age=-1",
			},
			contents: []string{"A=1", "A=2", "A=8", "A=9"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1"},
				{"http://www.other.test/foo", "A=9; A=8"},
			},
		},
		{
			name: "the owning site deletes its domain cookies (§5.7 step 23)",
			from: "http://www.other.test",
			set: []string{
				"A=; Domain=other.test; Max-Age=-1",
				"A=; Path=/foo; Domain=other.test; Max-Age=-1",
			},
			contents: []string{"A=1", "A=2"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1"},
				{"http://www.other.test/foo", ""},
			},
		},
		{
			name:     "Domain equal to the host makes a domain cookie beside the host-only one, unlike net/http/cookiejar which replaces it (§5.7 step 23)",
			from:     "http://www.example.test",
			set:      []string{"A=5; Domain=www.example.test"},
			contents: []string{"A=1", "A=2", "A=5"},
			requests: []compatRequest{
				{"http://www.example.test/foo", "A=2; A=1; A=5"},
				{"http://sub.www.example.test/foo", "A=5"},
			},
		},
		{
			name:     "a deletion with Domain equal to the host leaves the host-only cookie, unlike net/http/cookiejar (§5.7 step 23)",
			from:     "http://www.example.test",
			set:      []string{"A=; Domain=www.example.test; Max-Age=0"},
			contents: []string{"A=1", "A=2"},
			requests: []compatRequest{{"http://www.example.test/foo", "A=2; A=1"}},
		},
	})
}

// TestStdlibCompatShadowing checks the "Leave Secure Cookies Alone" rule
// beyond plain overwriting; net/http/cookiejar has no such rule.
func TestStdlibCompatShadowing(t *testing.T) {
	runCompatChain(t, []compatRow{
		{
			name:     "a Secure cookie is stored from https (§5.7 step 12)",
			from:     "https://www.example.test/",
			set:      []string{"sid=s; Secure; Path=/"},
			contents: []string{"sid=s"},
			requests: []compatRequest{{"https://www.example.test/", "sid=s"}},
		},
		{
			name:     "http cannot shadow a Secure cookie with a parent-domain cookie, unlike net/http/cookiejar (§5.7 step 16)",
			from:     "http://www.example.test/",
			set:      []string{"sid=x; Domain=example.test"},
			contents: []string{"sid=s"},
			requests: []compatRequest{{"http://www.example.test/", ""}},
		},
		{
			name:     "http cannot shadow a Secure cookie on a path below it, unlike net/http/cookiejar (§5.7 step 16)",
			from:     "http://www.example.test/",
			set:      []string{"sid=x; Path=/login"},
			contents: []string{"sid=s"},
			requests: []compatRequest{{"http://www.example.test/login", ""}},
		},
		{
			name:     "http may set the same name on an unrelated host (§5.7 step 16)",
			from:     "http://mail.example.test/",
			set:      []string{"sid=m"},
			contents: []string{"sid=s", "sid=m"},
			requests: []compatRequest{{"http://mail.example.test/", "sid=m"}},
		},
		{
			name:     "https may overwrite a Secure cookie with a non-Secure one (§5.7 step 23)",
			from:     "https://www.example.test/",
			set:      []string{"sid=plain; Path=/"},
			contents: []string{"sid=plain", "sid=m"},
			requests: []compatRequest{{"http://www.example.test/", "sid=plain"}},
		},
	})
}

// TestStdlibCompatPolicies covers rules of RFC 6265bis that
// net/http/cookiejar does not have at all.
func TestStdlibCompatPolicies(t *testing.T) {
	runCompatFresh(t, []compatRow{
		{
			name:     "SameSite=None without Secure is refused, unlike net/http/cookiejar (§5.7 step 19)",
			from:     "https://www.example.test/",
			set:      []string{"n=1; SameSite=None", "ok=2; SameSite=None; Secure"},
			contents: []string{"ok=2"},
		},
		{
			name:     "__Secure- prefix without Secure is refused, unlike net/http/cookiejar (§5.7 step 20)",
			from:     "https://www.example.test/",
			set:      []string{"__Secure-a=1", "__Secure-b=2; Secure"},
			contents: []string{"__Secure-b=2"},
		},
		{
			name: "__Host- prefix needs Secure, no Domain and Path=/, unlike net/http/cookiejar (§5.7 step 21)",
			from: "https://www.example.test/",
			set: []string{
				"__Host-a=1; Secure; Path=/; Domain=www.example.test",
				"__Host-b=2; Secure",
				"__Host-c=3; Path=/",
				"__Host-d=4; Secure; Path=/",
			},
			contents: []string{"__Host-d=4"},
		},
	})
}

// TestStdlibCompatExpiration sets cookies once and reads them back as the
// fixed clock passes their expiry.
func TestStdlibCompatExpiration(t *testing.T) {
	c := newCompatClient(t, httpsession.WithPublicSuffixList(compatPSL{}))
	const site = "http://www.example.test"
	lines := []string{
		"a=1",
		"b=2; Max-Age=3",
		"c=3; " + compatExpires(3*time.Second),
		"d=4; Max-Age=5",
		"e=5; " + compatExpires(5*time.Second),
		"f=6; Max-Age=100",
		"g=7; Max-Age=" + fmt.Sprint(int((500 * 24 * time.Hour).Seconds())),
		"h=8; " + compatExpires(500*24*time.Hour),
		"i=9; " + compatExpires(-time.Second),
	}
	var cookies []*http.Cookie
	for _, line := range lines {
		hc, err := http.ParseSetCookie(line)
		require.NoError(t, err, line)
		cookies = append(cookies, hc)
	}
	c.now = compatStart
	c.jar.SetCookies(c.url(site), cookies)

	limit := compatStart.Add(400 * 24 * time.Hour)
	rows := []struct {
		name string
		at   time.Duration // time since the cookies were set
		want string        // Cookie header at that time
	}{
		{"an Expires in the past stores nothing; all others are live at first (§5.6.1, §5.7)", time.Second,
			"a=1; b=2; c=3; d=4; e=5; f=6; g=7; h=8"},
		{"cookies are live until their expiry-time (§5.6.1, §5.6.2)", 2500 * time.Millisecond,
			"a=1; b=2; c=3; d=4; e=5; f=6; g=7; h=8"},
		{"Max-Age=3 and Expires=now+3s are gone after 3 s (§5.6.1, §5.6.2, §5.7)", 3500 * time.Millisecond,
			"a=1; d=4; e=5; f=6; g=7; h=8"},
		{"nothing else has expired after 4.5 s (§5.7)", 4500 * time.Millisecond,
			"a=1; d=4; e=5; f=6; g=7; h=8"},
		{"Max-Age=5 and Expires=now+5s are gone after 5 s (§5.6.1, §5.6.2, §5.7)", 5500 * time.Millisecond,
			"a=1; f=6; g=7; h=8"},
		{"session cookies never expire by time (§5.7 step 6)", 6500 * time.Millisecond,
			"a=1; f=6; g=7; h=8"},
		{"lifetimes beyond 400 days are cut to 400 days, unlike net/http/cookiejar (§5.5)", 400*24*time.Hour + time.Second,
			"a=1"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c.t = t
			c.now = compatStart.Add(r.at)
			assert.Equal(t, r.want, c.header(site+"/"))
		})
	}

	t.Run("the expiry-time of an over-long Max-Age or Expires is now+400 days, unlike net/http/cookiejar (§5.5)", func(t *testing.T) {
		j := httpsession.NewJar(httpsession.WithPublicSuffixList(compatPSL{}),
			httpsession.WithClock(func() time.Time { return compatStart }))
		j.SetCookies(c.url(site), cookies)
		got := map[string]time.Time{}
		for _, ck := range j.All() {
			got[ck.Name] = ck.Expires
		}
		assert.Equal(t, limit, got["g"], "Max-Age")
		assert.Equal(t, limit, got["h"], "Expires")
		assert.True(t, got["a"].IsZero(), "session cookie")
		assert.Equal(t, compatStart.Add(100*time.Second), got["f"])
	})
}

func TestStdlibCompatChromiumBasics(t *testing.T) {
	runCompatFresh(t, []compatRow{
		{
			name:     "Domain with one or two trailing dots does not domain-match the host and is refused (§5.1.3, §5.7 step 10)",
			from:     "http://www.example.test/",
			set:      []string{"a=1; Domain=.www.example.test.", "b=2; Domain=.www.example.test.."},
			contents: []string{},
			requests: []compatRequest{{"http://www.example.test", ""}},
		},
		{
			name:     "a trailing-dot Domain is refused while the host cookie beside it is kept (§5.7 step 10)",
			from:     "http://www.example.test",
			set:      []string{"a=1", "b=2; Domain=.www.example.test."},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://www.example.test", "a=1"}},
		},
		{
			name: "Domain may name the host or any parent above the public suffix (§5.1.3, §5.7 step 10)",
			from: "http://a.b.c.d.test",
			set: []string{
				"a=1; Domain=.a.b.c.d.test",
				"b=2; Domain=.b.c.d.test",
				"c=3; Domain=.c.d.test",
				"d=4; Domain=.d.test",
			},
			contents: []string{"a=1", "b=2", "c=3", "d=4"},
			requests: []compatRequest{
				{"http://a.b.c.d.test", "a=1; b=2; c=3; d=4"},
				{"http://b.c.d.test", "b=2; c=3; d=4"},
				{"http://c.d.test", "c=3; d=4"},
				{"http://d.test", "d=4"},
			},
		},
		{
			name: "one name on two parent domains gives two cookies, sent in creation order (§5.7 step 23, §5.8.3 step 2)",
			from: "http://a.b.c.d.test",
			set: []string{
				"a=1; Domain=.a.b.c.d.test",
				"b=2; Domain=.b.c.d.test",
				"c=3; Domain=.c.d.test",
				"d=4; Domain=.d.test",
				"X=bcd; Domain=.b.c.d.test",
				"X=cd; Domain=.c.d.test",
			},
			contents: []string{"a=1", "b=2", "c=3", "d=4", "X=bcd", "X=cd"},
			requests: []compatRequest{
				{"http://b.c.d.test", "b=2; c=3; d=4; X=bcd; X=cd"},
				{"http://c.d.test", "c=3; d=4; X=cd"},
			},
		},
		{
			name: "Domain of a child, a sibling, an unrelated name or a partial label is refused (§5.1.3, §5.7 step 10)",
			from: "http://foo.bar.test",
			set: []string{
				"a=1; Domain=.yo.foo.bar.test",
				"b=2; Domain=.foo.test",
				"c=3; Domain=.bar.foo.test",
				"d=4; Domain=.foo.bar.test.net",
				"e=5; Domain=ar.test",
			},
			contents: []string{},
			requests: []compatRequest{{"http://foo.bar.test", ""}},
		},
		{
			name: "malformed Domain values (a URL, a path, a port, a query, a fragment, two dots) are refused (§5.7 step 10)",
			from: "http://foo.bar.test",
			set: []string{
				"g=7; Domain=/",
				"h=8; Domain=http://foo.bar.test",
				"i=9; Domain=..foo.bar.test",
				"j=10; Domain=..bar.test",
				"k=11; Domain=.foo.bar.test?blah",
				"l=12; Domain=.foo.bar.test/blah",
				"m=13; Domain=.foo.bar.test:80",
				"n=14; Domain=.foo.bar.test:",
				"o=15; Domain=.foo.bar.test#sup",
			},
			contents: []string{},
			requests: []compatRequest{{"http://foo.bar.test", ""}},
		},
		{
			name:     `Domain="." is refused, as in net/http/cookiejar and Chromium (§5.6.3, §5.7 step 10)`,
			from:     "http://foo.bar.test",
			set:      []string{"f=6; Domain=."},
			contents: []string{},
			requests: []compatRequest{{"http://foo.bar.test", ""}},
		},
		{
			name:     "Domain longer than the host is refused (§5.1.3, §5.7 step 10)",
			from:     "http://foo.com.test",
			set:      []string{"a=1; Domain=.foo.com.test.test"},
			contents: []string{},
			requests: []compatRequest{{"http://foo.com.test", ""}},
		},
		{
			name:     "Domain without a leading dot names the same domain (§5.6.3)",
			from:     "http://manage.hosted.files.test",
			set:      []string{"a=1; Domain=files.test"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://www.files.test", "a=1"}},
		},
		{
			name:     "Domain equal to the host makes a domain cookie that reaches subdomains (§5.7 step 10, §5.8.3 step 1)",
			from:     "http://www.example.test",
			set:      []string{"a=1; Domain=www.example.test"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://www.example.test", "a=1"},
				{"http://sub.www.example.test", "a=1"},
				{"http://something-else.test", ""},
			},
		},
		{
			name:     "the Domain attribute is case-insensitive (§5.6.3)",
			from:     "http://www.example.test",
			set:      []string{"a=1; Domain=.EXAMPLE.TEST", "b=2; Domain=.www.eXaMpLe.TeSt"},
			contents: []string{"a=1", "b=2"},
			requests: []compatRequest{{"http://www.example.test", "a=1; b=2"}},
		},
		{
			name:     "an IP host takes Path=/ from a deeper URL (§5.7 step 11)",
			from:     "http://1.2.3.4/foo",
			set:      []string{"a=1; Path=/"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://1.2.3.4/foo", "a=1"}},
		},
		{
			name:     "an IP host refuses a trailing part of its address as Domain (§5.1.3, §5.7 step 10)",
			from:     "http://1.2.3.4/foo",
			set:      []string{"b=2; Domain=.3.4"},
			contents: []string{},
			requests: []compatRequest{{"http://1.2.3.4/foo", ""}},
		},
		{
			name:     "an IP host takes its address with a leading dot as Domain, as Chromium does; net/http/cookiejar refuses it (§5.6.3, §5.1.3)",
			from:     "http://1.2.3.4/foo",
			set:      []string{"a=1; Domain=.1.2.3.4"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://1.2.3.4/foo", "a=1"}},
		},
		{
			name:     "an IP host refuses a neighbouring address as Domain (§5.1.3, §5.7 step 10)",
			from:     "http://1.2.3.4/foo",
			set:      []string{"a=1; Domain=1.2.3.3"},
			contents: []string{},
			requests: []compatRequest{{"http://1.2.3.4/foo", ""}},
		},
		{
			name:     "an IP host accepts its own address as Domain (§5.7 step 10)",
			from:     "http://1.2.3.4/foo",
			set:      []string{"a=1; Domain=1.2.3.4"},
			contents: []string{"a=1"},
			requests: []compatRequest{{"http://1.2.3.4/foo", "a=1"}},
		},
		{
			name:     "a host with a trailing dot is the same host; its host cookie reaches no subdomain (§5.1.2)",
			from:     "http://com./index.html",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://com./index.html", "a=1"},
				{"http://com/index.html", "a=1"},
				{"http://no-cookies.com./index.html", ""},
			},
		},
		{
			name:     "a single-label Domain that is the public suffix above the host is refused (§5.7 step 9)",
			from:     "http://a.b",
			set:      []string{"a=1; Domain=.b", "b=2; Domain=b"},
			contents: []string{},
			requests: []compatRequest{{"http://bar.foo", ""}},
		},
		{
			name:     "a top-level domain as Domain is refused (§5.7 step 9)",
			from:     "http://google.test",
			set:      []string{"a=1; Domain=.test", "b=2; Domain=test"},
			contents: []string{},
			requests: []compatRequest{{"http://google.test", ""}},
		},
		{
			name:     "a multi-label public suffix or its TLD as Domain is refused (§5.7 step 9)",
			from:     "http://google.co.uk",
			set:      []string{"a=1; Domain=.co.uk", "b=2; Domain=.uk"},
			contents: []string{},
			requests: []compatRequest{
				{"http://google.co.uk", ""},
				{"http://else.co.com", ""},
				{"http://else.uk", ""},
			},
		},
	})
}

// TestStdlibCompatChromiumDomain builds up host and domain cookies on one jar.
func TestStdlibCompatChromiumDomain(t *testing.T) {
	runCompatChain(t, []compatRow{
		{
			name:     "a host cookie is stored (§5.7 step 10)",
			from:     "http://www.site.izzle",
			set:      []string{"A=B"},
			contents: []string{"A=B"},
			requests: []compatRequest{{"http://www.site.izzle", "A=B"}},
		},
		{
			name:     "a domain cookie is stored beside it (§5.7 step 10)",
			from:     "http://www.site.izzle",
			set:      []string{"C=D; Domain=.site.izzle"},
			contents: []string{"A=B", "C=D"},
			requests: []compatRequest{{"http://www.site.izzle", "A=B; C=D"}},
		},
		{
			name:     "a subdomain gets the domain cookie but not the host cookie (§5.8.3 step 1)",
			from:     "http://unused.nil",
			contents: []string{"A=B", "C=D"},
			requests: []compatRequest{{"http://foo.www.site.izzle", "C=D"}},
		},
		{
			name:     "a domain cookie for the host itself is sent to the host (§5.8.3 step 1)",
			from:     "http://www.site.izzle",
			set:      []string{"E=F; Domain=.www.site.izzle"},
			contents: []string{"A=B", "C=D", "E=F"},
			requests: []compatRequest{{"http://www.site.izzle", "A=B; C=D; E=F"}},
		},
		{
			name:     "the leading dot of Domain is optional (§5.6.3)",
			from:     "http://www.site.izzle",
			set:      []string{"G=H; Domain=www.site.izzle"},
			contents: []string{"A=B", "C=D", "E=F", "G=H"},
			requests: []compatRequest{{"http://www.site.izzle", "A=B; C=D; E=F; G=H"}},
		},
		{
			name:     "a host cannot set a cookie for its subdomain (§5.7 step 10)",
			from:     "http://www.site.izzle",
			set:      []string{"K=L; Domain=.bar.www.site.izzle"},
			contents: []string{"A=B", "C=D", "E=F", "G=H"},
			requests: []compatRequest{{"http://bar.www.site.izzle", "C=D; E=F; G=H"}},
		},
		{
			name:     "the refused cookie left nothing behind (§5.7 step 10)",
			from:     "http://unused.nil",
			contents: []string{"A=B", "C=D", "E=F", "G=H"},
			requests: []compatRequest{{"http://www.site.izzle", "A=B; C=D; E=F; G=H"}},
		},
	})
}

// TestStdlibCompatChromiumDeletion creates and deletes session and
// persistent cookies on one jar.
func TestStdlibCompatChromiumDeletion(t *testing.T) {
	const site = "http://www.example.test"
	runCompatChain(t, []compatRow{
		{
			name: "a session cookie is stored (§5.7 step 6)", from: site,
			set: []string{"a=1"}, contents: []string{"a=1"},
			requests: []compatRequest{{site, "a=1"}},
		},
		{
			name: "a negative Max-Age deletes a session cookie (§5.6.2)", from: site,
			set: []string{"a=1; Max-Age=-1"}, contents: []string{},
			requests: []compatRequest{{site, ""}},
		},
		{
			name: "another session cookie is stored (§5.7 step 6)", from: site,
			set: []string{"b=2"}, contents: []string{"b=2"},
			requests: []compatRequest{{site, "b=2"}},
		},
		{
			name: "an Expires in the past deletes a session cookie (§5.6.1)", from: site,
			set: []string{"b=2; " + compatExpires(-time.Hour)}, contents: []string{},
			requests: []compatRequest{{site, ""}},
		},
		{
			name: "a persistent cookie is stored (§5.6.2, §5.7 step 6)", from: site,
			set: []string{"c=3; Max-Age=3600"}, contents: []string{"c=3"},
			requests: []compatRequest{{site, "c=3"}},
		},
		{
			name: "a negative Max-Age deletes a persistent cookie (§5.6.2)", from: site,
			set: []string{"c=3; Max-Age=-1"}, contents: []string{},
			requests: []compatRequest{{site, ""}},
		},
		{
			name: "another persistent cookie is stored (§5.6.2, §5.7 step 6)", from: site,
			set: []string{"d=4; Max-Age=3600"}, contents: []string{"d=4"},
			requests: []compatRequest{{site, "d=4"}},
		},
		{
			name: "an Expires in the past deletes a persistent cookie (§5.6.1)", from: site,
			set: []string{"d=4; " + compatExpires(-time.Hour)}, contents: []string{},
			requests: []compatRequest{{site, ""}},
		},
	})
}

func TestStdlibCompatDomainHandling(t *testing.T) {
	everywhere := func(want string) []compatRequest {
		return []compatRequest{
			{"http://www.host.test", want},
			{"http://host.test", want},
			{"http://bar.host.test", want},
			{"http://foo.www.host.test", want},
			{"http://other.test", ""},
			{"http://test", ""},
		}
	}
	idna := func(www, parent, sub string) []compatRequest {
		return []compatRequest{
			{"http://www.bücher.test", www},
			{"http://www.xn--bcher-kva.test", www},
			{"http://bücher.test", parent},
			{"http://xn--bcher-kva.test", parent},
			{"http://bar.bücher.test", parent},
			{"http://bar.xn--bcher-kva.test", parent},
			{"http://foo.www.bücher.test", sub},
			{"http://foo.www.xn--bcher-kva.test", sub},
			{"http://other.test", ""},
			{"http://test", ""},
		}
	}
	runCompatFresh(t, []compatRow{
		{
			name:     "a host cookie reaches its host only (§5.7 step 10, §5.8.3 step 1)",
			from:     "http://www.host.test",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://www.host.test", "a=1"},
				{"http://host.test", ""},
				{"http://bar.host.test", ""},
				{"http://foo.www.host.test", ""},
				{"http://other.test", ""},
				{"http://test", ""},
			},
		},
		{
			name:     "a domain cookie reaches the domain and all its subdomains (§5.1.3, §5.8.3 step 1)",
			from:     "http://www.host.test",
			set:      []string{"a=1; Domain=host.test"},
			contents: []string{"a=1"},
			requests: everywhere("a=1"),
		},
		{
			name:     "a leading dot in Domain changes nothing (§5.6.3)",
			from:     "http://www.host.test",
			set:      []string{"a=1; Domain=.host.test"},
			contents: []string{"a=1"},
			requests: everywhere("a=1"),
		},
		{
			name:     "an internationalised host is one host in Unicode and punycode: host cookie (§5.1.2)",
			from:     "http://www.bücher.test",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: idna("a=1", "", ""),
		},
		{
			name:     "a host cookie set through the punycode URL reaches the Unicode URL (§5.1.2)",
			from:     "http://www.xn--bcher-kva.test",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: idna("a=1", "", ""),
		},
		{
			name:     "a punycode Domain from a Unicode URL reaches the domain in both forms (§5.1.2, §5.7 step 8)",
			from:     "http://www.bücher.test",
			set:      []string{"a=1; Domain=xn--bcher-kva.test"},
			contents: []string{"a=1"},
			requests: idna("a=1", "a=1", "a=1"),
		},
		{
			name:     "a punycode Domain from a punycode URL reaches the domain in both forms (§5.1.2, §5.7 step 8)",
			from:     "http://www.xn--bcher-kva.test",
			set:      []string{"a=1; Domain=xn--bcher-kva.test"},
			contents: []string{"a=1"},
			requests: idna("a=1", "a=1", "a=1"),
		},
		{
			name:     "a host that is a TLD gets a host cookie (§5.7 step 10)",
			from:     "http://com",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://com", "a=1"},
				{"http://any.com", ""},
				{"http://any.test", ""},
			},
		},
		{
			name:     "a TLD host naming itself in Domain gets a host-only cookie (§5.7 step 9)",
			from:     "http://com",
			set:      []string{"a=1; Domain=com"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://com", "a=1"},
				{"http://any.com", ""},
				{"http://any.test", ""},
			},
		},
		{
			name:     "a host that is a multi-label public suffix gets a host cookie (§5.7 step 10)",
			from:     "http://co.uk",
			set:      []string{"a=1"},
			contents: []string{"a=1"},
			requests: []compatRequest{
				{"http://co.uk", "a=1"},
				{"http://uk", ""},
				{"http://some.co.uk", ""},
				{"http://foo.some.co.uk", ""},
				{"http://any.uk", ""},
			},
		},
		{
			name:     "a registrable host cannot put a cookie on its public suffix (§5.7 step 9)",
			from:     "http://some.co.uk",
			set:      []string{"a=1; Domain=co.uk"},
			contents: []string{},
			requests: []compatRequest{
				{"http://co.uk", ""},
				{"http://uk", ""},
				{"http://some.co.uk", ""},
				{"http://foo.some.co.uk", ""},
				{"http://any.uk", ""},
			},
		},
	})
}

// TestStdlibCompatDomainAndHostOnly checks the domain and host-only flag a
// single cookie gets from the request host and its Domain attribute.
func TestStdlibCompatDomainAndHostOnly(t *testing.T) {
	const refused = "refused"
	rows := []struct {
		name     string
		host     string // as in a URL: IPv6 in brackets
		domain   string // the Domain attribute; "" for none
		want     string // the cookie's domain, or refused
		hostOnly bool
		knownBug string
	}{
		{"no Domain gives a host-only cookie (§5.7 step 10)", "www.example.test", "", "www.example.test", true, ""},
		{"no Domain on an IPv4 host gives a host-only cookie (§5.7 step 10)", "127.0.0.1", "", "127.0.0.1", true, ""},
		{"no Domain on an IPv6 host gives a host-only cookie (§5.7 step 10)", "[2001:4860:0:2001::68]", "", "2001:4860:0:2001::68", true, ""},
		{"a parent Domain gives a domain cookie (§5.7 step 10)", "www.example.test", "example.test", "example.test", false, ""},
		{"a parent Domain with a leading dot gives the same domain cookie (§5.6.3)", "www.example.test", ".example.test", "example.test", false, ""},
		{"Domain equal to the host gives a domain cookie (§5.7 step 10)", "www.example.test", "www.example.test", "www.example.test", false, ""},
		{"Domain equal to the host with a leading dot gives a domain cookie (§5.6.3)", "www.example.test", ".www.example.test", "www.example.test", false, ""},
		{"a grandparent Domain gives a domain cookie (§5.1.3)", "foo.sso.example.test", "sso.example.test", "sso.example.test", false, ""},
		{"a registrable domain under co.uk is a valid Domain (§5.7 step 9)", "bar.co.uk", "bar.co.uk", "bar.co.uk", false, ""},
		{"a registrable parent under co.uk is a valid Domain (§5.7 step 9)", "foo.bar.co.uk", ".bar.co.uk", "bar.co.uk", false, ""},
		{"an IPv4 host naming itself gets a host-only cookie (§5.7 step 10)", "127.0.0.1", "127.0.0.1", "127.0.0.1", true, ""},
		{"an IPv6 host naming itself gets a host-only cookie (§5.7 step 10)", "[2001:4860:0:2001::68]", "2001:4860:0:2001::68", "2001:4860:0:2001::68", true, ""},
		{`Domain "." is refused, as in net/http/cookiejar (§5.7 step 10)`, "www.example.test", ".", refused, false, ""},
		{`Domain ".." is refused (§5.7 step 10)`, "www.example.test", "..", refused, false, ""},
		{"an unrelated Domain is refused (§5.7 step 10)", "www.example.test", "other.test", refused, false, ""},
		{"a TLD Domain is refused (§5.7 step 9)", "www.example.test", "test", refused, false, ""},
		{"a TLD Domain with a leading dot is refused (§5.7 step 9)", "www.example.test", ".test", refused, false, ""},
		{"a multi-label public suffix Domain is refused (§5.7 step 9)", "foo.bar.co.uk", ".co.uk", refused, false, ""},
		{"an IP Domain on a name that looks like one is refused (§5.1.3)", "127.www.0.0.1", "127.0.0.1", refused, false, ""},
		{"a TLD host gets a host-only cookie (§5.7 step 10)", "com", "", "com", true, ""},
		{"a TLD host naming itself gets a host-only cookie (§5.7 step 9)", "com", "com", "com", true, ""},
		{"a TLD host naming itself with a leading dot gets a host-only cookie (§5.7 step 9)", "com", ".com", "com", true, ""},
		{"a public-suffix host gets a host-only cookie (§5.7 step 10)", "co.uk", "", "co.uk", true, ""},
		{"a public-suffix host naming itself gets a host-only cookie (§5.7 step 9)", "co.uk", "co.uk", "co.uk", true, ""},
		{"a public-suffix host naming itself with a leading dot gets a host-only cookie (§5.7 step 9)", "co.uk", ".co.uk", "co.uk", true, ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.knownBug != "" {
				t.Skip("known bug: " + r.knownBug)
			}
			c := newCompatClient(t, httpsession.WithPublicSuffixList(compatPSL{}))
			line := "k=v"
			if r.domain != "" {
				line += "; Domain=" + r.domain
			}
			c.receive("https://"+r.host+"/", []string{line})
			all := c.jar.All()
			if r.want == refused {
				assert.Empty(t, all)
				return
			}
			require.Len(t, all, 1)
			assert.Equal(t, r.want, all[0].Domain)
			assert.Equal(t, r.hostOnly, all[0].HostOnly)
		})
	}
}

// TestStdlibCompatDegenerateHosts hands the jar URLs whose host is empty or
// only dots, as a Request built by hand can have. The jar must not panic,
// and it treats each as a host of its own.
func TestStdlibCompatDegenerateHosts(t *testing.T) {
	lists := []struct {
		name string
		opt  httpsession.JarOption
	}{
		{"two-rule list", httpsession.WithPublicSuffixList(compatPSL{})},
		{"no list", httpsession.WithPublicSuffixList(nil)},
	}
	for _, list := range lists {
		for _, host := range []string{"", ".", "..", "..."} {
			name := fmt.Sprintf("host %q with %s stores and returns a host-only cookie (§5.1.2, §5.7 step 10)", host, list.name)
			t.Run(name, func(t *testing.T) {
				j := httpsession.NewJar(list.opt, httpsession.WithClock(func() time.Time { return compatStart }))
				u := &url.URL{Scheme: "http", Host: host, Path: "/"}
				require.NotPanics(t, func() {
					assert.Empty(t, j.Cookies(u), "before")
					j.SetCookies(u, []*http.Cookie{{Name: "name", Value: "value"}})
				})
				got := j.Cookies(u)
				require.Len(t, got, 1)
				assert.Equal(t, "value", got[0].Value)
			})
		}
	}
}

// TestStdlibCompatReplacementOrder: a replaced cookie keeps its creation time,
// and so its place among cookies created at the same instant.
func TestStdlibCompatReplacementOrder(t *testing.T) {
	runCompatChain(t, []compatRow{
		{
			name:     "two cookies set in one response are sent in the order received (§5.8.3 step 2)",
			from:     "http://www.example.test/",
			set:      []string{"a=1", "b=2"},
			contents: []string{"a=1", "b=2"},
			requests: []compatRequest{{"http://www.example.test/", "a=1; b=2"}},
		},
		{
			name:     "replacing the first keeps it first, as net/http/cookiejar does (§5.7 step 23, §5.8.3 step 2)",
			from:     "http://www.example.test/",
			set:      []string{"a=3"},
			contents: []string{"a=3", "b=2"},
			requests: []compatRequest{{"http://www.example.test/", "a=3; b=2"}},
		},
	})
}
