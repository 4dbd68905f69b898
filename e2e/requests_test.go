//go:build unix

// Python requests as a second client: the same scripted flows run with
// requests.Session (testdata/requests_flow.py, Debian's python3-requests)
// and with our Session against the same servers, and the Cookie header
// each sent at each hop of each step, as the server received it, is
// compared.
//
// They agree on httpbin's documented flows and on a Django login and
// logout. They differ on purpose here, each difference asserted on both
// sides in TestRequestsDiffers:
//
//  1. Host-only cookies. requests (http.cookiejar) sends a cookie set
//     without Domain by www.example.test also to sub.www.example.test; we
//     send it to www.example.test only (RFC 6265bis §5.7 step 10, the
//     host-only flag; browsers agree).
//  2. Supercookies. requests takes Domain=github.io from shop.github.io and
//     sends the cookie to every *.github.io site; we refuse a Domain that
//     is a public suffix (§5.7 step 9, with the Public Suffix List).
//  3. Secure cookies from plain http. requests stores them (and sends them
//     only over https); we refuse them (§5.7 step 13), except from
//     localhost and loopback addresses.
//  4. Loopback is a secure origin. We send a Secure cookie back to
//     http://127.0.0.1 or http://localhost, as browsers do; requests never
//     sends a Secure cookie over http.
//  5. A request's own cookie named like a session cookie. requests sends
//     both ("sid=session; sid=request"); our Cookies option replaces the
//     session's cookie of that name for that request ("sid=request").
//  6. A request's own cookies and redirects. requests sends them on to
//     whatever host a redirect leads to; ours go to the request's host only.
package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// flowStep is one request of a flow, as testdata/requests_flow.py reads it.
type flowStep struct {
	Method string            `json:"method,omitempty"` // GET unless POST
	URL    string            `json:"url"`
	Form   map[string]string `json:"form,omitempty"` // POST as a form
	// CSRFFromCookie adds the form field csrfmiddlewaretoken with the
	// value of the jar's cookie of that name (Django's CSRF token).
	CSRFFromCookie string `json:"csrf_from_cookie,omitempty"`
	// Cookies go with this request only.
	Cookies map[string]string `json:"cookies,omitempty"`
}

// stepResult is what the server saw of one step: each hop of its redirects.
type stepResult struct {
	Hops []hop `json:"hops"`
}

// pyCookie is a cookie in requests' jar at the end of a flow.
type pyCookie struct {
	Name            string `json:"name"`
	Value           string `json:"value"`
	Domain          string `json:"domain"`
	DomainSpecified bool   `json:"domain_specified"`
	Path            string `json:"path"`
	Secure          bool   `json:"secure"`
}

type requestsRun struct {
	Steps []stepResult `json:"steps"`
	Jar   []pyCookie   `json:"jar"`
}

// runRequests runs the flow with Python requests.
func runRequests(t *testing.T, steps []flowStep) requestsRun {
	t.Helper()
	requirePackages(t, "python3", "python3-requests")
	in, err := json.Marshal(map[string]any{"steps": steps})
	require.NoError(t, err)
	cmd := exec.CommandContext(testContext(t), pythonPath, filepath.Join("testdata", "requests_flow.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "requests_flow.py: %s", stderr.String())
	var run requestsRun
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &run), stdout.String())
	require.Len(t, run.Steps, len(steps))
	return run
}

// runOurs runs the flow with a new Session, which it returns.
func runOurs(t *testing.T, steps []flowStep) ([]stepResult, *httpsession.Session) {
	t.Helper()
	s := newSession(t)
	ctx := testContext(t)
	out := make([]stepResult, 0, len(steps))
	for _, st := range steps {
		var opts []httpsession.RequestOption
		names := make([]string, 0, len(st.Cookies))
		for name := range st.Cookies {
			names = append(names, name)
		}
		slices.Sort(names) // as json.Marshal hands them to Python
		for _, name := range names {
			opts = append(opts, httpsession.Cookies(&http.Cookie{Name: name, Value: st.Cookies[name]}))
		}
		var res result
		if st.Method == http.MethodPost {
			form := url.Values{}
			for k, v := range st.Form {
				form.Set(k, v)
			}
			if st.CSRFFromCookie != "" {
				c, _ := s.Jar().Get(mustURL(t, st.URL), st.CSRFFromCookie)
				form.Set("csrfmiddlewaretoken", c.Value)
			}
			res = read(t)(s.PostForm(ctx, st.URL, form, opts...))
		} else {
			res = read(t)(s.Get(ctx, st.URL, opts...))
		}
		out = append(out, stepResult{Hops: hops(res.resp)})
	}
	return out, s
}

// maskValues replaces the values of the named cookies in every Cookie
// header by "*": each client has its own CSRF token and session id.
func maskValues(steps []stepResult, names ...string) {
	re := regexp.MustCompile(`(^|; )(` + strings.Join(names, "|") + `)=[^;]*`)
	for i := range steps {
		for j := range steps[i].Hops {
			if c := steps[i].Hops[j].Cookie; c != nil {
				m := re.ReplaceAllString(*c, "${1}${2}=*")
				steps[i].Hops[j].Cookie = &m
			}
		}
	}
}

func str(s string) *string { return &s }

// TestRequestsAndSessionSendTheSameCookies: on httpbin's documented flows
// and a Django login and logout, requests and our Session send the same
// Cookie header at every hop of every step.
func TestRequestsAndSessionSendTheSameCookies(t *testing.T) {
	t.Run("httpbin", func(t *testing.T) {
		srv := httpbinServer(t)
		b := srv.url
		steps := []flowStep{
			{URL: b + "/cookies/set/sessioncookie/123456789"},
			{URL: b + "/cookies/set?a=1&b=2"},
			{URL: b + "/cookies", Cookies: map[string]string{"from-my": "browser"}},
			{URL: b + "/cookies"},
			{URL: b + "/redirect-to?url=%2Fcookies%2Fset%2Fk%2Fv"},
			{URL: b + "/redirect/2"},
			{URL: b + "/cookies/set?greeting=hello%20world"},
			{URL: b + "/cookies/delete?a"},
			{URL: b + "/cookies/set/a/again"},
			{URL: b + "/cookies/delete?greeting&k"},
			{URL: b + "/cookies"},
		}
		theirs := runRequests(t, steps)
		ours, _ := runOurs(t, steps)
		assert.Equal(t, theirs.Steps, ours)
		// The flow did exercise something: the last step sent cookies.
		last := ours[len(ours)-1].Hops[0]
		if assert.NotNil(t, last.Cookie) {
			assert.Equal(t, "sessioncookie=123456789; b=2; a=again", *last.Cookie)
		}
	})
	t.Run("django", func(t *testing.T) {
		srv := djangoServer(t)
		b := srv.url
		steps := []flowStep{
			{URL: b + "/accounts/login/"},
			{Method: http.MethodPost, URL: b + "/accounts/login/", CSRFFromCookie: "csrftoken",
				Form: map[string]string{"username": djangoUser, "password": djangoPassword, "next": "/private/"}},
			{URL: b + "/private/"},
			{URL: b + "/welcome/"},
			{URL: b + "/welcome/"},
			{URL: srv.at("www.example.test", "/cookies/attributes/?domain=example.test")},
			{URL: srv.at("www.example.test", "/cookies/show/")},
			{URL: srv.at("api.example.test", "/echo/")},
			{Method: http.MethodPost, URL: b + "/accounts/logout/", CSRFFromCookie: "csrftoken"},
			{URL: b + "/private/"},
		}
		theirs := runRequests(t, steps)
		ours, _ := runOurs(t, steps)
		maskValues(theirs.Steps, "csrftoken", "sessionid")
		maskValues(ours, "csrftoken", "sessionid")
		assert.Equal(t, theirs.Steps, ours)
		// Logged in (the POST redirected to /private/, which answered 200),
		// then logged out (/private/ sends to the login page).
		login := ours[1].Hops
		require.Len(t, login, 2)
		assert.Equal(t, http.StatusOK, login[1].Status)
		assert.Equal(t, str("csrftoken=*; sessionid=*"), login[1].Cookie)
		assert.Equal(t, http.StatusFound, ours[len(ours)-1].Hops[0].Status)
	})
}

// TestRequestsDiffers: where requests and our Session differ on purpose
// (the list at the top of this file), both sides asserted.
func TestRequestsDiffers(t *testing.T) {
	t.Run("requests sends host-only cookies to subdomains", func(t *testing.T) {
		srv := djangoServer(t)
		steps := []flowStep{
			{URL: srv.at("www.example.test", "/welcome/")},
			{URL: srv.at("www.example.test", "/echo/")},
			{URL: srv.at("sub.www.example.test", "/echo/")},
		}
		theirs := runRequests(t, steps)
		ours, s := runOurs(t, steps)
		assert.Equal(t, theirs.Steps[:2], ours[:2])
		assert.Equal(t, str("visits=1"), theirs.Steps[2].Hops[0].Cookie, "requests")
		assert.Nil(t, ours[2].Hops[0].Cookie, "ours")
		c, ok := s.Jar().Get(mustURL(t, srv.at("www.example.test", "/")), "visits")
		require.True(t, ok)
		assert.True(t, c.HostOnly)
	})

	t.Run("requests accepts supercookies on public suffixes", func(t *testing.T) {
		srv := djangoServer(t)
		steps := []flowStep{
			{URL: srv.at("shop.github.io", "/cookies/attributes/?domain=github.io")},
			{URL: srv.at("other.github.io", "/echo/")},
		}
		theirs := runRequests(t, steps)
		ours, s := runOurs(t, steps)
		assert.Equal(t, theirs.Steps[0], ours[0])
		assert.Equal(t, str("attr_domain=d1"), theirs.Steps[1].Hops[0].Cookie, "requests")
		assert.Contains(t, theirs.Jar, pyCookie{Name: "attr_domain", Value: "d1", Domain: ".github.io", DomainSpecified: true, Path: "/"})
		assert.Nil(t, ours[1].Hops[0].Cookie, "ours")
		for _, c := range s.Jar().All() {
			assert.Equal(t, "shop.github.io", c.Domain, "only host-only cookies of shop.github.io")
		}
		err := httpsession.NewJar().SetRawCookie(mustURL(t, srv.at("shop.github.io", "/")), "attr_domain=d1; Domain=github.io; Path=/")
		assert.ErrorIs(t, err, httpsession.ErrInvalidCookie)
		assert.ErrorContains(t, err, "public suffix (§5.7 step 9)")
	})

	t.Run("requests stores Secure cookies from plain http", func(t *testing.T) {
		srv := djangoServer(t)
		steps := []flowStep{
			{URL: srv.at("www.example.test", "/cookies/secure/")},
			{URL: srv.at("www.example.test", "/echo/")},
		}
		theirs := runRequests(t, steps)
		ours, s := runOurs(t, steps)
		// Neither sends it over http...
		assert.Equal(t, theirs.Steps, ours)
		assert.Nil(t, ours[1].Hops[0].Cookie)
		// ...but requests keeps it, and we refuse it.
		assert.Contains(t, theirs.Jar, pyCookie{Name: "secure_only", Value: "so1", Domain: "www.example.test", Path: "/", Secure: true})
		assert.Empty(t, s.Jar().All())
	})

	t.Run("requests never sends Secure cookies over http, even to loopback", func(t *testing.T) {
		srv := djangoServer(t)
		for _, host := range []string{"127.0.0.1", "localhost"} {
			steps := []flowStep{
				{URL: srv.at(host, "/cookies/secure/")},
				{URL: srv.at(host, "/echo/")},
			}
			theirs := runRequests(t, steps)
			ours, _ := runOurs(t, steps)
			assert.Equal(t, theirs.Steps[0], ours[0], host)
			assert.Nil(t, theirs.Steps[1].Hops[0].Cookie, "requests, %s", host)
			// http.cookiejar files a dotless host under its "effective
			// request-host", localhost.local.
			domain := host
			if host == "localhost" {
				domain = "localhost.local"
			}
			assert.Contains(t, theirs.Jar, pyCookie{Name: "secure_only", Value: "so1", Domain: domain, Path: "/", Secure: true}, "requests stored it")
			assert.Equal(t, str("secure_only=so1"), ours[1].Hops[0].Cookie, "ours, %s", host)
		}
	})

	t.Run("requests sends a request's cookie beside the session's of the same name", func(t *testing.T) {
		srv := httpbinServer(t)
		steps := []flowStep{
			{URL: srv.url + "/cookies/set/sid/session"},
			{URL: srv.url + "/cookies", Cookies: map[string]string{"sid": "request"}},
			{URL: srv.url + "/cookies"},
		}
		theirs := runRequests(t, steps)
		ours, _ := runOurs(t, steps)
		assert.Equal(t, theirs.Steps[0], ours[0])
		assert.Equal(t, str("sid=session; sid=request"), theirs.Steps[1].Hops[0].Cookie, "requests")
		assert.Equal(t, str("sid=request"), ours[1].Hops[0].Cookie, "ours")
		assert.Equal(t, theirs.Steps[2], ours[2], "neither keeps the request's cookie")
	})

	t.Run("requests sends a request's cookies to the host a redirect leads to", func(t *testing.T) {
		srv := httpbinServer(t)
		other := srv.at("other.example.test", "/cookies")
		steps := []flowStep{
			{URL: srv.url + "/redirect-to?url=" + url.QueryEscape(other), Cookies: map[string]string{"from-my": "browser"}},
			{URL: srv.url + "/redirect-to?url=%2Fcookies", Cookies: map[string]string{"from-my": "browser"}},
		}
		theirs := runRequests(t, steps)
		ours, _ := runOurs(t, steps)
		require.Len(t, ours[0].Hops, 2)
		require.Len(t, theirs.Steps[0].Hops, 2)
		assert.Equal(t, theirs.Steps[0].Hops[0], ours[0].Hops[0])
		assert.Equal(t, str("from-my=browser"), theirs.Steps[0].Hops[1].Cookie, "requests, at %s", other)
		assert.Nil(t, ours[0].Hops[1].Cookie, "ours, at %s", other)
		// A redirect on the same host keeps them, on both sides.
		assert.Equal(t, theirs.Steps[1], ours[1])
		assert.Equal(t, str("from-my=browser"), ours[1].Hops[1].Cookie)
	})
}
