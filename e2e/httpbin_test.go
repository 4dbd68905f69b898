//go:build unix

package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// These tests replay the cookie examples of Python requests' documentation
// (Quickstart: Cookies; Advanced: Session Objects) against httpbin, the
// service those examples use, with a Session in place of requests'.

// httpbinCookies returns what httpbin's /cookies says it received.
func httpbinCookies(t *testing.T, res result) map[string]string {
	t.Helper()
	require.Equal(t, http.StatusOK, res.status, res.body)
	var body struct {
		Cookies map[string]string `json:"cookies"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &body), res.body)
	require.NotNil(t, body.Cookies, res.body)
	return body.Cookies
}

// TestHttpbinCookiesOfOneRequestAreSentAndNotKept replays
//
//	r = requests.get(url + '/cookies', cookies=dict(cookies_are='working'))
//	r.text  # '{"cookies": {"cookies_are": "working"}}'
func TestHttpbinCookiesOfOneRequestAreSentAndNotKept(t *testing.T) {
	srv := httpbinServer(t)
	s := newSession(t)
	ctx := testContext(t)
	res := read(t)(s.Get(ctx, srv.url+"/cookies", httpsession.Cookies(&http.Cookie{Name: "cookies_are", Value: "working"})))
	assert.Equal(t, map[string]string{"cookies_are": "working"}, httpbinCookies(t, res))
	assert.Zero(t, s.Jar().Len(), "a request's own cookies must not be stored")
	res = read(t)(s.Get(ctx, srv.url+"/cookies"))
	assert.Empty(t, httpbinCookies(t, res))
}

// TestHttpbinSessionKeepsCookiesTheServerSets replays requests' Session
// Objects example, the cookie set by a redirecting response:
//
//	s.get(url + '/cookies/set/sessioncookie/123456789')
//	r = s.get(url + '/cookies')
//	r.text  # '{"cookies": {"sessioncookie": "123456789"}}'
//
// and "method-level parameters will not be persisted across requests":
//
//	s.get(url + '/cookies', cookies={'from-my': 'browser'})  # both
//	s.get(url + '/cookies')                                   # session only
func TestHttpbinSessionKeepsCookiesTheServerSets(t *testing.T) {
	srv := httpbinServer(t)
	s := newSession(t)
	ctx := testContext(t)

	res := read(t)(s.Get(ctx, srv.url+"/cookies/set/sessioncookie/123456789"))
	// Set by the 302, sent on the redirect to /cookies.
	assert.Equal(t, map[string]string{"sessioncookie": "123456789"}, httpbinCookies(t, res))
	chain := hops(res.resp)
	require.Len(t, chain, 2)
	assert.Equal(t, http.StatusFound, chain[0].Status)
	assert.Nil(t, chain[0].Cookie)

	res = read(t)(s.Get(ctx, srv.url+"/cookies"))
	assert.Equal(t, map[string]string{"sessioncookie": "123456789"}, httpbinCookies(t, res))

	res = read(t)(s.Get(ctx, srv.url+"/cookies", httpsession.Cookies(&http.Cookie{Name: "from-my", Value: "browser"})))
	assert.Equal(t, map[string]string{"sessioncookie": "123456789", "from-my": "browser"}, httpbinCookies(t, res))
	res = read(t)(s.Get(ctx, srv.url+"/cookies"))
	assert.Equal(t, map[string]string{"sessioncookie": "123456789"}, httpbinCookies(t, res))

	c, ok := s.Jar().Get(mustURL(t, srv.url+"/"), "sessioncookie")
	require.True(t, ok)
	assert.Equal(t, "127.0.0.1", c.Domain)
	assert.True(t, c.HostOnly)
	assert.Equal(t, "/", c.Path)
	assert.True(t, c.Expires.IsZero(), "httpbin sets a session cookie")
}

// TestHttpbinCookiesSetByQueryThroughRedirectsAreSentOnEachHop: cookies set
// by /cookies/set?name=value at the end of a redirect chain, then carried
// through every hop of another chain; a value with a space, which Werkzeug
// quotes, goes back as it came and reads as it was set.
func TestHttpbinCookiesSetByQueryThroughRedirectsAreSentOnEachHop(t *testing.T) {
	srv := httpbinServer(t)
	s := newSession(t)
	ctx := testContext(t)

	target := "/cookies/set?" + url.Values{"a": {"1"}, "b": {"2"}}.Encode()
	res := read(t)(s.Get(ctx, srv.url+"/redirect-to", httpsession.Query("url", target)))
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, httpbinCookies(t, res))
	chain := hops(res.resp)
	require.Len(t, chain, 3, "redirect-to, cookies/set, cookies")
	assert.Nil(t, chain[0].Cookie)
	assert.Nil(t, chain[1].Cookie)
	if assert.NotNil(t, chain[2].Cookie) {
		assert.Equal(t, "a=1; b=2", *chain[2].Cookie)
	}

	res = read(t)(s.Get(ctx, srv.url+"/redirect/3"))
	require.Equal(t, http.StatusOK, res.status)
	chain = hops(res.resp)
	require.Len(t, chain, 4)
	for _, h := range chain {
		if assert.NotNil(t, h.Cookie, h.URL) {
			assert.Equal(t, "a=1; b=2", *h.Cookie, h.URL)
		}
	}

	res = read(t)(s.Get(ctx, srv.url+"/cookies/set", httpsession.Query("greeting", "hello world")))
	assert.Equal(t, "hello world", httpbinCookies(t, res)["greeting"])
	assert.Equal(t, `a=1; b=2; greeting="hello world"`, sentCookie(res.resp))
	c, ok := s.Jar().Get(mustURL(t, srv.url+"/"), "greeting")
	require.True(t, ok)
	assert.Equal(t, `"hello world"`, c.Value, "the quotes Werkzeug sent are part of the value (RFC 6265bis §5.6)")
}

// TestHttpbinDeletedCookieIsGone: /cookies/delete?name answers with an
// expired cookie, which removes it from the jar.
func TestHttpbinDeletedCookieIsGone(t *testing.T) {
	srv := httpbinServer(t)
	s := newSession(t)
	ctx := testContext(t)
	read(t)(s.Get(ctx, srv.url+"/cookies/set?keep=1&drop=2"))
	res := read(t)(s.Get(ctx, srv.url+"/cookies/delete?drop"))
	assert.Equal(t, map[string]string{"keep": "1"}, httpbinCookies(t, res))
	names := cookieByName(t, s.Jar())
	assert.Contains(t, names, "keep")
	assert.NotContains(t, names, "drop")
}

// TestHttpbinSessionCookiesSurviveSaveAndLoad: a session kept in a file
// gets cookies from httpbin, is closed, and a new session from the file
// sends them; a deletion also reaches the file.
func TestHttpbinSessionCookiesSurviveSaveAndLoad(t *testing.T) {
	srv := httpbinServer(t)
	file := filepath.Join(t.TempDir(), "httpbin.json")
	ctx := testContext(t)

	s1 := openSession(t, file)
	res := read(t)(s1.Get(ctx, srv.url+"/cookies/set/sessioncookie/123456789"))
	require.Equal(t, http.StatusOK, res.status)
	res = read(t)(s1.Get(ctx, srv.url+"/cookies/set", httpsession.Query("greeting", "hello world"), httpsession.Query("tmp", "x")))
	require.Equal(t, http.StatusOK, res.status)
	require.NoError(t, s1.Close())

	s2 := openSession(t, file)
	res = read(t)(s2.Get(ctx, srv.url+"/cookies"))
	assert.Equal(t, map[string]string{"sessioncookie": "123456789", "greeting": "hello world", "tmp": "x"}, httpbinCookies(t, res))
	res = read(t)(s2.Get(ctx, srv.url+"/cookies/delete?tmp"))
	assert.NotContains(t, httpbinCookies(t, res), "tmp")
	require.NoError(t, s2.Close())

	loaded := httpsession.NewJar()
	require.NoError(t, loaded.Load(file))
	names := cookieByName(t, loaded)
	assert.Contains(t, names, "sessioncookie")
	assert.Contains(t, names, "greeting")
	assert.NotContains(t, names, "tmp")

	s3 := openSession(t, file)
	res = read(t)(s3.Get(ctx, srv.url+"/cookies"))
	assert.Equal(t, map[string]string{"sessioncookie": "123456789", "greeting": "hello world"}, httpbinCookies(t, res))
}

// TestHttpbinFromRequestsSnippets runs the README's "From requests" ports
// against the real httpbin: snippet 2's cookie comes with the redirect
// (requests' response.history[0].cookies), and snippet 3's POST to
// /cookies/set is answered 405 and sets nothing, as it does for requests.
func TestHttpbinFromRequestsSnippets(t *testing.T) {
	srv := httpbinServer(t)
	s := newSession(t, httpsession.WithBaseURL(srv.url))
	ctx := testContext(t)

	res := read(t)(s.Get(ctx, "/cookies/set/course/python"))
	assert.Empty(t, httpsession.ResponseCookies(res.resp), "the final response sets nothing")
	set := httpsession.ResponseCookies(res.resp.Request.Response)
	require.Len(t, set, 1)
	assert.Equal(t, "course", set[0].Name)
	assert.Equal(t, "python", set[0].Value)
	assert.Equal(t, "/", set[0].Path)
	assert.True(t, set[0].HostOnly)
	c, ok := s.Cookie("course")
	require.True(t, ok)
	assert.Equal(t, "python", c.Value)
	assert.Equal(t, map[string]string{"course": "python"}, s.CookieMap("/cookies"))

	fresh := newSession(t)
	res = read(t)(fresh.PostForm(ctx, srv.url+"/cookies/set/course/python", url.Values{"username": {"user"}, "password": {"pass"}}))
	assert.Equal(t, http.StatusMethodNotAllowed, res.status)
	assert.Zero(t, fresh.Jar().Len())
}
