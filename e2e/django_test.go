//go:build unix

package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// Lifetimes Django gives its cookies (testdata/django/e2esite/settings.py)
// and the attribute view's (views.py).
const (
	sessionCookieAge = 1209600 * time.Second  // two weeks
	csrfCookieAge    = 31449600 * time.Second // a year
	attrMaxAge       = time.Hour
	attrExpiresIn    = 48 * time.Hour
)

// assertExpiresIn checks that a cookie expires d after it was set: d after
// a moment between the start of the test and now, give or take the second
// Django's dates round to. (Not "about d from now": on a busy machine the
// test may check a cookie long after it was set.)
func assertExpiresIn(t *testing.T, c httpsession.Cookie, d time.Duration) {
	t.Helper()
	if assert.False(t, c.Expires.IsZero(), "%s is a session cookie; want one that expires in %v", c.Name, d) {
		earliest := testStart(t).Add(d - 2*time.Second)
		latest := time.Now().Add(d + 2*time.Second)
		assert.WithinRange(t, c.Expires, earliest, latest, "%s expires %v after it was set", c.Name, d)
	}
}

// djangoLogin logs s in on the Django site as a browser does: GET the login
// form (Django sets csrftoken), POST it with the token taken from the
// cookie (as requests users do with session.cookies['csrftoken']). It
// returns the final response, after the redirect to the protected page.
func djangoLogin(t *testing.T, s *httpsession.Session, base string) result {
	t.Helper()
	ctx := testContext(t)
	login := read(t)(s.Get(ctx, base+"/accounts/login/"))
	require.Equal(t, http.StatusOK, login.status)
	csrf, ok := s.Jar().Get(mustURL(t, base+"/accounts/login/"), "csrftoken")
	require.True(t, ok, "Django set no csrftoken cookie with its login form; Set-Cookie: %q", login.resp.Header.Values("Set-Cookie"))
	return read(t)(s.PostForm(ctx, base+"/accounts/login/", url.Values{
		"username":            {djangoUser},
		"password":            {djangoPassword},
		"csrfmiddlewaretoken": {csrf.Value},
		"next":                {"/private/"},
	}))
}

// TestDjangoLoginSurvivesSaveAndLoadAndLogoutDeletesTheSession: a session
// posts Django's CSRF-protected login form with the token from the
// csrftoken cookie and gets sessionid; saved to a file, a new session from
// that file reaches the @login_required page; logging out (a POST) deletes
// sessionid from the jar and from the saved file.
func TestDjangoLoginSurvivesSaveAndLoadAndLogoutDeletesTheSession(t *testing.T) {
	srv := djangoServer(t)
	base := srv.url
	file := filepath.Join(t.TempDir(), "django-session.json")
	ctx := testContext(t)

	s1 := openSession(t, file)
	res := djangoLogin(t, s1, base)
	require.Equal(t, http.StatusOK, res.status, "login did not lead to the protected page: %s", res.body)
	assert.Equal(t, "/private/", res.resp.Request.URL.Path)
	assert.Contains(t, res.body, "Logged in as "+djangoUser)
	chain := hops(res.resp)
	require.Len(t, chain, 2, "POST /accounts/login/ then GET /private/")
	assert.Equal(t, http.StatusFound, chain[0].Status)
	if assert.NotNil(t, chain[0].Cookie, "the login POST carried no cookie") {
		assert.Contains(t, *chain[0].Cookie, "csrftoken=", "the login POST must carry the CSRF cookie")
	}
	if assert.NotNil(t, chain[1].Cookie) {
		assert.Contains(t, *chain[1].Cookie, "sessionid=", "the redirect after login must carry the new session cookie")
	}

	// sessionid as Django sets it: host-only, Path=/, HttpOnly,
	// SameSite=Lax, two weeks.
	u := mustURL(t, base+"/private/")
	sid, ok := s1.Jar().Get(u, "sessionid")
	require.True(t, ok, "no sessionid after login")
	assert.Equal(t, "127.0.0.1", sid.Domain)
	assert.True(t, sid.HostOnly)
	assert.Equal(t, "/", sid.Path)
	assert.True(t, sid.HttpOnly)
	assert.False(t, sid.Secure)
	assert.Equal(t, http.SameSiteLaxMode, sid.SameSite)
	assertExpiresIn(t, sid, sessionCookieAge)
	csrf, ok := s1.Jar().Get(u, "csrftoken")
	require.True(t, ok)
	assert.False(t, csrf.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, csrf.SameSite)
	assertExpiresIn(t, csrf, csrfCookieAge)
	require.NoError(t, s1.Save())
	require.NoError(t, s1.Close())

	// A new session from the file is logged in; no redirect is followed,
	// so a 302 to the login page would show.
	s2 := openSession(t, file, httpsession.WithMaxRedirects(0))
	res = read(t)(s2.Get(ctx, base+"/private/"))
	require.Equal(t, http.StatusOK, res.status, "the session loaded from the file is not logged in: %s", res.resp.Header.Get("Location"))
	assert.Contains(t, res.body, "Logged in as "+djangoUser)
	assert.Contains(t, sentCookie(res.resp), "sessionid="+sid.Value)

	// Logout is a POST with the CSRF token; Django answers with an expired
	// sessionid, which deletes it.
	csrf, ok = s2.Jar().Get(u, "csrftoken")
	require.True(t, ok)
	res = read(t)(s2.PostForm(ctx, base+"/accounts/logout/", url.Values{"csrfmiddlewaretoken": {csrf.Value}}))
	require.Equal(t, http.StatusFound, res.status, "logout: %s", res.body)
	assert.Condition(t, func() bool {
		for _, line := range res.resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(strings.TrimSpace(line), "sessionid=") && strings.Contains(line, "Max-Age=0") {
				return true
			}
		}
		return false
	}, "Django's logout sent no expired sessionid: %q", res.resp.Header.Values("Set-Cookie"))
	_, ok = s2.Jar().Get(u, "sessionid")
	assert.False(t, ok, "sessionid survived the logout")
	require.NoError(t, s2.Save())

	// The file reflects the logout: no sessionid cookie (only the record
	// of its deletion, without its value), the CSRF cookie kept.
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	live, deleted, _ := strings.Cut(string(data), `"deleted"`)
	assert.NotContains(t, live, "sessionid")
	assert.Contains(t, deleted, `"name":"sessionid"`)
	assert.NotContains(t, string(data), sid.Value)
	loaded := httpsession.NewJar()
	require.NoError(t, loaded.Load(file))
	names := cookieByName(t, loaded)
	assert.NotContains(t, names, "sessionid")
	assert.Contains(t, names, "csrftoken")

	// And a session from the file is logged out: Django sends it to log in.
	s3 := openSession(t, file, httpsession.WithMaxRedirects(0))
	res = read(t)(s3.Get(ctx, base+"/private/"))
	assert.Equal(t, http.StatusFound, res.status)
	assert.Equal(t, "/accounts/login/?next=/private/", res.resp.Header.Get("Location"))
}

// TestDjangoWrongCSRFTokenIsRefused: the login succeeds above because the
// token is right, not because Django does not check: a wrong token is a 403.
func TestDjangoWrongCSRFTokenIsRefused(t *testing.T) {
	srv := djangoServer(t)
	s := newSession(t)
	ctx := testContext(t)
	read(t)(s.Get(ctx, srv.url+"/accounts/login/"))
	res := read(t)(s.PostForm(ctx, srv.url+"/accounts/login/", url.Values{
		"username":            {djangoUser},
		"password":            {djangoPassword},
		"csrfmiddlewaretoken": {strings.Repeat("x", 64)},
	}))
	assert.Equal(t, http.StatusForbidden, res.status)
	_, ok := s.Jar().Get(mustURL(t, srv.url+"/"), "sessionid")
	assert.False(t, ok)
}

// TestDjangoWelcomeCookieCountsVisitsAndDeleteCookieRemovesIt: the view of
// Django's cookie documentation, which reads request.COOKIES: "Welcome to
// my website!" first, "Welcome back!" with the cookie, and again the first
// greeting after delete_cookie.
func TestDjangoWelcomeCookieCountsVisitsAndDeleteCookieRemovesIt(t *testing.T) {
	srv := djangoServer(t)
	s := newSession(t)
	ctx := testContext(t)
	u := mustURL(t, srv.url+"/welcome/")

	res := read(t)(s.Get(ctx, u.String()))
	assert.Equal(t, "Welcome to my website!", res.body)
	res = read(t)(s.Get(ctx, u.String()))
	assert.Equal(t, "Welcome back!", res.body)
	assert.Equal(t, "visits=1", sentCookie(res.resp))
	visits, ok := s.Jar().Get(u, "visits")
	require.True(t, ok)
	assert.Equal(t, "2", visits.Value)
	assertExpiresIn(t, visits, 365*24*time.Hour)

	res = read(t)(s.Get(ctx, u.String()+"?goodbye=1"))
	assert.Equal(t, "Welcome back!", res.body)
	_, ok = s.Jar().Get(u, "visits")
	assert.False(t, ok, "delete_cookie did not delete visits")
	res = read(t)(s.Get(ctx, u.String()))
	assert.Equal(t, "Welcome to my website!", res.body)
	assert.Empty(t, sentCookie(res.resp))
}

// attrSetCookie returns the Set-Cookie line for the named cookie.
func attrSetCookie(t *testing.T, resp *http.Response, name string) string {
	t.Helper()
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(strings.TrimSpace(line), name+"=") {
			return line
		}
	}
	t.Fatalf("Django sent no Set-Cookie for %s: %q", name, resp.Header.Values("Set-Cookie"))
	return ""
}

// TestDjangoSetCookieAttributesAreSeenInAll: each attribute Django's
// set_cookie writes (max_age, expires, path, domain, httponly, samesite) is
// in the jar as Django meant it, the site reached under its real name; and
// the cookies go where those attributes say.
func TestDjangoSetCookieAttributesAreSeenInAll(t *testing.T) {
	srv := djangoServer(t)
	s := newSession(t)
	ctx := testContext(t)
	www := srv.at("www.example.test", "")

	res := read(t)(s.Get(ctx, www+"/cookies/attributes/?domain=example.test"))
	require.Equal(t, http.StatusOK, res.status, res.body)
	got := cookieByName(t, s.Jar())

	for name, c := range got {
		if name == "attr_domain" {
			continue
		}
		assert.Equal(t, "www.example.test", c.Domain, name)
		assert.True(t, c.HostOnly, "%s has no domain attribute: host-only", name)
	}
	if c, ok := got["attr_plain"]; assert.True(t, ok) {
		assert.Equal(t, "p1", c.Value)
		assert.Equal(t, "/", c.Path)
		assert.True(t, c.Expires.IsZero(), "no max_age, no expires: a session cookie")
		assert.False(t, c.HttpOnly)
		assert.False(t, c.Secure)
		assert.Equal(t, http.SameSite(0), c.SameSite, "no samesite attribute")
	}
	if c, ok := got["attr_max_age"]; assert.True(t, ok) {
		assertExpiresIn(t, c, attrMaxAge)
	}
	if c, ok := got["attr_expires"]; assert.True(t, ok) {
		// "Wdy, DD-Mon-YYYY HH:MM:SS GMT", as Django's documentation has it.
		assert.Regexp(t, `expires=\w{3}, \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d GMT`, attrSetCookie(t, res.resp, "attr_expires"))
		assertExpiresIn(t, c, attrExpiresIn)
	}
	if c, ok := got["attr_path"]; assert.True(t, ok) {
		assert.Equal(t, "/cookies/", c.Path)
	}
	if c, ok := got["attr_httponly"]; assert.True(t, ok) {
		assert.True(t, c.HttpOnly)
	}
	if c, ok := got["attr_strict"]; assert.True(t, ok) {
		assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	}
	if c, ok := got["attr_lax"]; assert.True(t, ok) {
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	}
	if c, ok := got["attr_domain"]; assert.True(t, ok) {
		assert.Equal(t, "example.test", c.Domain)
		assert.False(t, c.HostOnly)
	}

	// Secure cookies over plain http from a name that is not loopback are
	// refused on purpose (RFC 6265bis §5.7 step 13): Django sent them, the
	// jar says why it refused them.
	for _, name := range []string{"attr_secure", "attr_none"} {
		assert.NotContains(t, got, name)
		line := attrSetCookie(t, res.resp, name)
		assert.Contains(t, line, "Secure")
		err := httpsession.NewJar().SetRawCookie(mustURL(t, www+"/cookies/attributes/"), line)
		assert.ErrorIs(t, err, httpsession.ErrInvalidCookie, name)
		assert.ErrorContains(t, err, "§5.7 step 13", name)
	}

	// Where they go: the domain cookie to a sibling host, the host-only
	// ones not; the path cookie under /cookies/ only.
	res = read(t)(s.Get(ctx, srv.at("api.example.test", "/echo/")))
	assert.Equal(t, "attr_domain=d1", sentCookie(res.resp))
	res = read(t)(s.Get(ctx, www+"/echo/"))
	assert.NotContains(t, sentCookie(res.resp), "attr_path=")
	assert.Contains(t, sentCookie(res.resp), "attr_domain=d1")
	assert.Contains(t, sentCookie(res.resp), "attr_plain=p1")
	res = read(t)(s.Get(ctx, www+"/cookies/show/"))
	assert.True(t, strings.HasPrefix(sentCookie(res.resp), "attr_path=pa1; "),
		"the cookie with the longer path goes first: %q", sentCookie(res.resp))
}

// TestDjangoSecureCookieOverHTTPIsKeptFromLoopbackOnly: Django sets Secure
// cookies whatever the scheme. Over plain http the jar takes them from
// 127.0.0.1 and localhost (loopback counts as a secure origin, as in
// browsers) and sends them back there; from www.example.test, the same
// server under a name, it refuses them (RFC 6265bis §5.7 step 13).
func TestDjangoSecureCookieOverHTTPIsKeptFromLoopbackOnly(t *testing.T) {
	srv := djangoServer(t)
	ctx := testContext(t)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			s := newSession(t)
			base := srv.at(host, "")
			res := read(t)(s.Get(ctx, base+"/cookies/attributes/"))
			require.Equal(t, http.StatusOK, res.status, res.body)
			got := cookieByName(t, s.Jar())
			if c, ok := got["attr_secure"]; assert.True(t, ok, "Secure cookie from %s refused", host) {
				assert.True(t, c.Secure)
			}
			if c, ok := got["attr_none"]; assert.True(t, ok, "SameSite=None; Secure from %s refused", host) {
				assert.True(t, c.Secure)
				assert.Equal(t, http.SameSiteNoneMode, c.SameSite)
			}
			res = read(t)(s.Get(ctx, base+"/echo/"))
			assert.Contains(t, sentCookie(res.resp), "attr_secure=s1")
			assert.Contains(t, sentCookie(res.resp), "attr_none=sn1")
		})
	}
	t.Run("www.example.test", func(t *testing.T) {
		s := newSession(t)
		base := srv.at("www.example.test", "")
		res := read(t)(s.Get(ctx, base+"/cookies/secure/"))
		require.Equal(t, http.StatusOK, res.status, res.body)
		line := attrSetCookie(t, res.resp, "secure_only")
		assert.Empty(t, s.Jar().All(), "a Secure cookie from plain http was stored")
		err := s.Jar().SetRawCookie(mustURL(t, base+"/cookies/secure/"), line)
		assert.ErrorIs(t, err, httpsession.ErrInvalidCookie)
		assert.ErrorContains(t, err, "Secure cookie from an insecure origin (§5.7 step 13)")
	})
}
