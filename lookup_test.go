package httpsession

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// responseTo makes a response to rawURL with these Set-Cookie lines.
func responseTo(t *testing.T, rawURL string, lines ...string) *http.Response {
	t.Helper()
	resp := &http.Response{Header: http.Header{}, Request: httptest.NewRequest(http.MethodGet, rawURL, nil)}
	for _, l := range lines {
		resp.Header.Add("Set-Cookie", l)
	}
	return resp
}

func TestResponseCookies(t *testing.T) {
	type want struct {
		name, value, domain, path string
		hostOnly, secure          bool
	}
	tests := []struct {
		rule  string
		url   string
		lines []string
		want  []want
	}{
		{"no Domain: host-only, the request's host (§5.7 step 10)",
			"http://www.example.com/a/b", []string{"a=1"},
			[]want{{"a", "1", "www.example.com", "/a", true, false}}},
		{"Domain: a domain cookie, leading dot ignored (§5.6.3)",
			"http://www.example.com/", []string{"a=1; Domain=.Example.COM; Path=/"},
			[]want{{"a", "1", "example.com", "/", false, false}}},
		{"default-path from the request path (§5.1.4)",
			"http://example.com/dir/page?x=1", []string{"a=1", "b=2; Path=/other", "c=3; Path=relative"},
			[]want{{"a", "1", "example.com", "/dir", true, false}, {"b", "2", "example.com", "/other", true, false}, {"c", "3", "example.com", "/dir", true, false}}},
		{"Domain that does not match the host is refused (§5.7 step 10)",
			"http://example.com/", []string{"a=1; Domain=other.com", "b=2"},
			[]want{{"b", "2", "example.com", "/", true, false}}},
		{"a supercookie on a public suffix is refused (§5.7 step 9)",
			"http://shop.github.io/", []string{"a=1; Domain=github.io", "b=2"},
			[]want{{"b", "2", "shop.github.io", "/", true, false}}},
		{"Secure from plain http is refused (§5.7 step 13)",
			"http://example.com/", []string{"a=1; Secure"},
			nil},
		{"Secure over https is kept",
			"https://example.com/", []string{"a=1; Secure"},
			[]want{{"a", "1", "example.com", "/", true, true}}},
		{"a broken __Host- prefix is refused (§5.7 step 21)",
			"https://example.com/", []string{"__Host-a=1; Secure; Path=/; Domain=example.com", "__Host-b=2; Secure; Path=/"},
			[]want{{"__Host-b", "2", "example.com", "/", true, true}}},
		{"an already expired cookie is a deletion, not a cookie (§5.7 step 6)",
			"http://example.com/", []string{"a=1; Max-Age=0", "b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "c=3"},
			[]want{{"c", "3", "example.com", "/", true, false}}},
		{"a later line replaces an earlier one of the same identity (§5.7 step 23)",
			"http://example.com/", []string{"a=1", "b=2", "a=3"},
			[]want{{"a", "3", "example.com", "/", true, false}, {"b", "2", "example.com", "/", true, false}}},
		{"a later deletion removes an earlier set",
			"http://example.com/", []string{"a=1", "a=; Max-Age=0", "b=2"},
			[]want{{"b", "2", "example.com", "/", true, false}}},
		{"the same name on two paths is two cookies",
			"http://example.com/", []string{"a=1; Path=/", "a=2; Path=/x"},
			[]want{{"a", "1", "example.com", "/", true, false}, {"a", "2", "example.com", "/x", true, false}}},
		{"lines the parser ignores are skipped (§5.6)",
			"http://example.com/", []string{"", "=", "; Path=/", "ok=1"},
			[]want{{"ok", "1", "example.com", "/", true, false}}},
		{"quotes and UTF-8 are kept as sent (§5.6)",
			"http://example.com/", []string{`q="a b"`, "u=café"},
			[]want{{"q", `"a b"`, "example.com", "/", true, false}, {"u", "café", "example.com", "/", true, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			var got []want
			for _, c := range ResponseCookies(responseTo(t, tt.url, tt.lines...)) {
				got = append(got, want{c.Name, c.Value, c.Domain, c.Path, c.HostOnly, c.Secure})
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestResponseCookiesExpiry(t *testing.T) {
	before := time.Now()
	got := ResponseCookies(responseTo(t, "http://example.com/", "a=1; Max-Age=60", "b=2", "c=3; Max-Age=999999999"))
	require.Len(t, got, 3)
	assert.WithinDuration(t, before.Add(time.Minute), got[0].Expires, 5*time.Second, "Max-Age counts from now (§5.6.2)")
	assert.True(t, got[1].Expires.IsZero(), "no Max-Age or Expires: a session cookie")
	assert.WithinDuration(t, before.Add(400*24*time.Hour), got[2].Expires, 5*time.Second, "capped at 400 days (§5.5)")
}

func TestResponseCookiesWithoutARequest(t *testing.T) {
	assert.Nil(t, ResponseCookies(nil))
	assert.Nil(t, ResponseCookies(&http.Response{Header: http.Header{"Set-Cookie": {"a=1"}}}))
	assert.Nil(t, ResponseCookies(responseTo(t, "http://example.com/")))
	resp := responseTo(t, "http://example.com/", "a=1")
	resp.Request.URL.Scheme = "ftp"
	assert.Nil(t, ResponseCookies(resp), "cookies apply to http(s) only")
}

// Each hop of a redirect chain has its own cookies, as requests'
// response.history; and the session's jar holds them all.
func TestResponseCookiesOnEveryHop(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			w.Header().Add("Set-Cookie", "first=1")
			http.Redirect(w, r, "/next", http.StatusFound)
		case "/next":
			w.Header().Add("Set-Cookie", "second=2")
			http.Redirect(w, r, "/end", http.StatusSeeOther)
		default:
			w.Header().Add("Set-Cookie", "third=3")
		}
	})
	s := sessNew(t, WithBaseURL(ts.URL))
	resp, _ := sessDone(t)(s.Get(context.Background(), "/start"))
	var names [][]string
	for r := resp; r != nil; r = r.Request.Response {
		var hop []string
		for _, c := range ResponseCookies(r) {
			hop = append(hop, c.Name+"="+c.Value)
		}
		names = append(names, hop)
	}
	assert.Equal(t, [][]string{{"third=3"}, {"second=2"}, {"first=1"}}, names)

	c, ok := s.Cookie("second")
	require.True(t, ok)
	assert.Equal(t, "2", c.Value)
	_, ok = s.Cookie("nope")
	assert.False(t, ok)
	assert.Equal(t, map[string]string{"first": "1", "second": "2", "third": "3"}, s.CookieMap(""))
	assert.Equal(t, map[string]string{"first": "1", "second": "2", "third": "3"}, s.CookieMap(ts.URL+"/any/path"))
}

func TestSessionCookieNeedsABaseURL(t *testing.T) {
	s := sessNew(t)
	require.NoError(t, s.Jar().Set(Cookie{Name: "a", Value: "1", Domain: "example.com"}))
	_, ok := s.Cookie("a")
	assert.False(t, ok, "no base URL: nothing to compare with")
	assert.Equal(t, map[string]string{}, s.CookieMap(""))
	assert.Equal(t, map[string]string{}, s.CookieMap("::not a url"))
	assert.Equal(t, map[string]string{"a": "1"}, s.CookieMap("http://www.example.com/"))
}

// Of two cookies with one name, the map holds the one sent first (§5.8.3
// step 2: longer path first).
func TestCookieMapKeepsTheCookieSentFirst(t *testing.T) {
	j := NewJar()
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "root", Domain: "example.com", Path: "/"}))
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "deep", Domain: "example.com", Path: "/x"}))
	require.NoError(t, j.Set(Cookie{Name: "s", Value: "1", Domain: "example.com", Secure: true}))
	assert.Equal(t, map[string]string{"a": "deep"}, j.CookieMap(mustURL(t, "http://example.com/x/y")))
	assert.Equal(t, map[string]string{"a": "root", "s": "1"}, j.CookieMap(mustURL(t, "https://example.com/")))
	assert.Equal(t, map[string]string{}, j.CookieMap(nil))
}

// Session.Cookie without a base URL says why it finds nothing (issue 20,
// point 13).
func TestSessionCookieWithoutABaseURLSaysWhy(t *testing.T) {
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger))
	_, ok := s.Cookie("sid")
	assert.False(t, ok)
	assert.Contains(t, strings.Join(buf.lines(), "\n"), "needs a base URL")
}
