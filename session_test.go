package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The helpers of this file start with "sess" so that they do not collide
// with the helpers of the jar's tests, which share the package.

// sessNow is the fixed clock of the tests where time matters.
var sessNow = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

func sessClock() time.Time { return sessNow }

// sessSeen is what a test server saw of one request.
type sessSeen struct {
	Method, Host, Path, RawQuery string
	Header                       http.Header
	Body                         string
}

// sessRecorder keeps the requests a test server saw, in order.
type sessRecorder struct {
	mu   sync.Mutex
	seen []sessSeen
}

func (rec *sessRecorder) record(r *http.Request) sessSeen {
	body, _ := io.ReadAll(r.Body)
	s := sessSeen{
		Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: string(body),
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, s)
	rec.mu.Unlock()
	return s
}

func (rec *sessRecorder) all() []sessSeen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]sessSeen(nil), rec.seen...)
}

// byPath returns the requests seen for path.
func (rec *sessRecorder) byPath(path string) []sessSeen {
	var out []sessSeen
	for _, s := range rec.all() {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only request seen for path.
func (rec *sessRecorder) one(t *testing.T, path string) sessSeen {
	t.Helper()
	got := rec.byPath(path)
	require.Len(t, got, 1, "requests to %s", path)
	return got[0]
}

// sessServer starts a server on 127.0.0.1 that records every request, then
// hands it to h (which may be nil: 200 with an empty body).
func sessServer(t *testing.T, rec *sessRecorder, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// sessPort returns the port of a test server.
func sessPort(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(ts.Listener.Addr().String())
	require.NoError(t, err)
	return port
}

// sessLoopback returns a transport that sends a request for any host name
// to 127.0.0.1 on the URL's port, so that tests can use several host names.
func sessLoopback(t *testing.T) *http.Transport {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// sessNew returns a session that the test closes when it ends.
func sessNew(t *testing.T, opts ...Option) *Session {
	t.Helper()
	s, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sessOpen returns an Open session that the test closes when it ends.
func sessOpen(t *testing.T, path string, opts ...Option) *Session {
	t.Helper()
	s, err := Open(path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sessDone returns a func that checks a request succeeded, reads and closes
// its response body and returns the response and the body, to be called as
// sessDone(t)(s.Get(...)).
func sessDone(t *testing.T) func(*http.Response, error) (*http.Response, string) {
	t.Helper()
	return func(resp *http.Response, err error) (*http.Response, string) {
		t.Helper()
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
}

// sessClosedAddr returns a 127.0.0.1 address nothing listens on.
func sessClosedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// sessCounting counts the requests that reach the network.
type sessCounting struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *sessCounting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// sessCookieNames returns the names in a Cookie header, in order.
func sessCookieNames(header string) []string {
	var names []string
	for _, c := range parseCookieHeader(header) {
		names = append(names, c.Name)
	}
	return names
}

// sessFileCookies loads a session file into a fresh jar and returns its
// cookies as name to value.
func sessFileCookies(t *testing.T, path string) map[string]string {
	t.Helper()
	got, err := sessTryFileCookies(path)
	require.NoError(t, err)
	return got
}

// sessTryFileCookies is sessFileCookies for polling: a missing file is an
// error, not a failure.
func sessTryFileCookies(path string) (map[string]string, error) {
	j := NewJar(WithClock(sessClock))
	if err := j.Load(path); err != nil {
		return nil, err
	}
	out := make(map[string]string)
	for _, c := range j.All() {
		out[c.Name] = c.Value
	}
	return out, nil
}

// sessChainHandler serves a redirect chain that tests cookies on every hop:
// /start sets a UTF-8 valued cookie and a nameless one, which net/http's
// parser drops, and redirects (302) to /mid, which sets mid=2 and redirects
// to /end.
func sessChainHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/start":
		w.Header().Add("Set-Cookie", "utf=café☕; Path=/")
		w.Header().Add("Set-Cookie", "justavalue")
		http.Redirect(w, r, "/mid", http.StatusFound)
	case "/mid":
		w.Header().Add("Set-Cookie", "mid=2")
		http.Redirect(w, r, "/end", http.StatusFound)
	}
}

// Cookies are handled in the transport.

func TestSessionStoresRawSetCookieOfEveryRedirectHop(t *testing.T) {
	// net/http's parser drops both cookies of the first hop.
	require.Empty(t, (&http.Response{Header: http.Header{"Set-Cookie": {"utf=café☕", "justavalue"}}}).Cookies())
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessChainHandler)
	s := sessNew(t)
	resp, _ := sessDone(t)(s.Get(context.Background(), ts.URL+"/start"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"utf=café☕; justavalue"}, rec.one(t, "/mid").Header.Values("Cookie"))
	assert.Equal(t, []string{"utf=café☕; justavalue; mid=2"}, rec.one(t, "/end").Header.Values("Cookie"))
	assert.Equal(t, "utf=café☕; justavalue; mid=2", s.Jar().CookieHeader(mustURL(t, ts.URL+"/")))
}

func TestSessionClientLeavesJarNil(t *testing.T) {
	s := sessNew(t)
	assert.Nil(t, s.Client().Jar, "cookies are handled by the transport, not by http.Client.Jar")
}

func TestJarTransportInPlainClientStoresEveryHop(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessChainHandler)
	jar := NewJar()
	client := &http.Client{Transport: jar.Transport(nil)}
	resp, err := client.Get(ts.URL + "/start")
	resp, _ = sessDone(t)(resp, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"utf=café☕; justavalue"}, rec.one(t, "/mid").Header.Values("Cookie"))
	assert.Equal(t, []string{"utf=café☕; justavalue; mid=2"}, rec.one(t, "/end").Header.Values("Cookie"))
}

func TestJarTransportDoesNotChangeCallersRequest(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	jar := NewJar()
	jar.SetRawCookies(mustURL(t, ts.URL), []string{"a=1"})
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/x", nil)
	require.NoError(t, err)
	sessDone(t)(jar.Transport(nil).RoundTrip(req))
	assert.Empty(t, req.Header.Values("Cookie"))
	assert.Equal(t, []string{"a=1"}, rec.one(t, "/x").Header.Values("Cookie"))
}

// Defaults.

func TestSessionSendsDefaultUserAgentNamingLibraryAndVersion(t *testing.T) {
	assert.Contains(t, DefaultUserAgent, "httpsession/"+Version)
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	sessDone(t)(sessNew(t).Get(context.Background(), ts.URL+"/"))
	assert.Equal(t, DefaultUserAgent, rec.one(t, "/").Header.Get("User-Agent"))
}

func TestSessionHeaders(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		req    []RequestOption
		header string
		want   []string // nil: the header is absent
	}{
		{"WithUserAgent replaces the default User-Agent", []Option{WithUserAgent("bot/1")}, nil, "User-Agent", []string{"bot/1"}},
		{"WithHeader is sent with every request", []Option{WithHeader("X-Api-Key", "k1")}, nil, "X-Api-Key", []string{"k1"}},
		{"a request Header replaces the session's", []Option{WithHeader("X-Api-Key", "k1")}, []RequestOption{Header("X-Api-Key", "k2")}, "X-Api-Key", []string{"k2"}},
		{"an empty request Header removes the session's", []Option{WithHeader("X-Api-Key", "k1")}, []RequestOption{Header("X-Api-Key", "")}, "X-Api-Key", nil},
		{"an empty WithHeader removes a session default", []Option{WithHeader("X-Api-Key", "k1"), WithHeader("X-Api-Key", "")}, nil, "X-Api-Key", nil},
		{"a request Header after an empty one for the same key wins", []Option{WithHeader("X-Api-Key", "k1")}, []RequestOption{Header("X-Api-Key", ""), Header("X-Api-Key", "k3")}, "X-Api-Key", []string{"k3"}},
		{"a request Header adds a header the session lacks", nil, []RequestOption{Header("X-Trace", "t1")}, "X-Trace", []string{"t1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sessRecorder{}
			ts := sessServer(t, rec, nil)
			s := sessNew(t, tt.opts...)
			sessDone(t)(s.Get(context.Background(), ts.URL+"/h", tt.req...))
			assert.Equal(t, tt.want, rec.one(t, "/h").Header.Values(tt.header))
		})
	}
}

func TestSessionEmptyRequestUserAgentDropsTheSessionsUserAgent(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/", Header("User-Agent", "")))
	assert.NotContains(t, rec.one(t, "/").Header.Get("User-Agent"), "httpsession")
}

func TestSessionBaseURLResolvesRelativeURLs(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	tests := []struct {
		name, url, path, query string
	}{
		{"an absolute path replaces the base path", "/login", "/login", ""},
		{"a relative path goes below the base path", "items?x=1", "/api/v1/items", "x=1"},
		{"an empty URL is the base URL", "", "/api/v1/", ""},
		{"dot segments resolve", "../v2/things", "/api/v2/things", ""},
	}
	s := sessNew(t, WithBaseURL(ts.URL+"/api/v1/"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.seen = nil
			rec.mu.Unlock()
			sessDone(t)(s.Get(context.Background(), tt.url))
			got := rec.all()
			require.Len(t, got, 1)
			assert.Equal(t, tt.path, got[0].Path)
			assert.Equal(t, tt.query, got[0].RawQuery)
		})
	}
}

func TestSessionBaseURLLeavesAbsoluteURLsAlone(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithBaseURL("http://base.invalid/api/"))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/abs"))
	rec.one(t, "/abs")
}

func TestSessionQueryIsAppendedWithoutReorderingTheURLsOwn(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithQuery("key", "s1"), WithQuery("lang", "fr"))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/q?z=9&a=8&z=7", Query("page", "2")))
	got := rec.one(t, "/q").RawQuery
	require.True(t, strings.HasPrefix(got, "z=9&a=8&z=7&"), "the URL's own query keeps its order: %q", got)
	vals, err := url.ParseQuery(got)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"z": {"9", "7"}, "a": {"8"}, "key": {"s1"}, "lang": {"fr"}, "page": {"2"}}, vals)
}

func TestSessionRequestQueryIsForThatRequestOnly(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithQuery("key", "s1"))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/a", Query("page", "2")))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/b"))
	assert.Equal(t, "key=s1&page=2", rec.one(t, "/a").RawQuery)
	assert.Equal(t, "key=s1", rec.one(t, "/b").RawQuery)
}

func TestSessionAuthorization(t *testing.T) {
	basic := func(user, pass string) string {
		r := &http.Request{Header: make(http.Header)}
		r.SetBasicAuth(user, pass)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		name string
		opts []Option
		req  []RequestOption
		want string
	}{
		{"WithBasicAuth sends basic credentials", []Option{WithBasicAuth("ann", "pw1")}, nil, basic("ann", "pw1")},
		{"WithBearerToken sends a bearer token", []Option{WithBearerToken("tok1")}, nil, "Bearer tok1"},
		{"a request BasicAuth overrides the session's token", []Option{WithBearerToken("tok1")}, []RequestOption{BasicAuth("bob", "pw2")}, basic("bob", "pw2")},
		{"a request BearerToken overrides the session's basic auth", []Option{WithBasicAuth("ann", "pw1")}, []RequestOption{BearerToken("tok2")}, "Bearer tok2"},
		{"a request Authorization header overrides the session's", []Option{WithBearerToken("tok1")}, []RequestOption{Header("Authorization", "Custom x")}, "Custom x"},
		{"an empty request Authorization header sends none", []Option{WithBearerToken("tok1")}, []RequestOption{Header("Authorization", "")}, ""},
		{"no credentials by default", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sessRecorder{}
			ts := sessServer(t, rec, nil)
			s := sessNew(t, tt.opts...)
			sessDone(t)(s.Get(context.Background(), ts.URL+"/a", tt.req...))
			assert.Equal(t, tt.want, rec.one(t, "/a").Header.Get("Authorization"))
		})
	}
}

func TestSessionWithTimeoutEndsSlowRequest(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	s := sessNew(t, WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := s.Get(context.Background(), ts.URL+"/slow")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	var ne net.Error
	assert.True(t, errors.As(err, &ne) && ne.Timeout(), "a timeout error: %v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// sessRedirectChain serves /r/N, which redirects to /r/N-1, down to /r/0,
// which answers 200.
func sessRedirectChain(t *testing.T) (*httptest.Server, *sessRecorder) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if err != nil || n == 0 {
			return
		}
		w.Header().Set("Set-Cookie", fmt.Sprintf("hop%d=1; Path=/", n))
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	return ts, rec
}

func TestSessionMaxRedirects(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		chain    int
		wantErr  bool
		wantCode int
		wantReqs int
	}{
		{"the default follows 30 redirects", nil, DefaultMaxRedirects, false, http.StatusOK, DefaultMaxRedirects + 1},
		{"the default fails on the 31st redirect", nil, DefaultMaxRedirects + 1, true, 0, DefaultMaxRedirects + 1},
		{"WithMaxRedirects(2) follows 2", []Option{WithMaxRedirects(2)}, 2, false, http.StatusOK, 3},
		{"WithMaxRedirects(2) fails on the 3rd", []Option{WithMaxRedirects(2)}, 3, true, 0, 3},
		{"WithMaxRedirects(0) returns the 3xx response", []Option{WithMaxRedirects(0)}, 1, false, http.StatusFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, rec := sessRedirectChain(t)
			s := sessNew(t, tt.opts...)
			resp, err := s.Get(context.Background(), fmt.Sprintf("%s/r/%d", ts.URL, tt.chain))
			if tt.wantErr {
				require.ErrorIs(t, err, ErrTooManyRedirects)
				assert.Nil(t, resp)
			} else {
				resp, _ = sessDone(t)(resp, err)
				assert.Equal(t, tt.wantCode, resp.StatusCode)
			}
			assert.Len(t, rec.all(), tt.wantReqs)
		})
	}
}

func TestSessionWithMaxRedirectsZeroStoresTheRedirectsCookies(t *testing.T) {
	ts, rec := sessRedirectChain(t)
	s := sessNew(t, WithMaxRedirects(0))
	resp, _ := sessDone(t)(s.Get(context.Background(), ts.URL+"/r/1"))
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/r/0", resp.Header.Get("Location"))
	assert.Len(t, rec.all(), 1)
	assert.Equal(t, "hop1=1", s.Jar().CookieHeader(mustURL(t, ts.URL+"/")))
}

func TestSessionDefaultTransportTakesProxyFromEnvironment(t *testing.T) {
	s := sessNew(t)
	require.NotNil(t, s.own)
	require.NotNil(t, s.own.Proxy)
	// net/http reads the environment once per process; the session's
	// proxy function must answer as http.ProxyFromEnvironment does for
	// hosts that are not loopback.
	for _, raw := range []string{"http://example.com/", "https://example.com/", "http://10.1.2.3:8080/"} {
		req := httptest.NewRequest(http.MethodGet, raw, nil)
		want, wantErr := http.ProxyFromEnvironment(req)
		got, err := s.own.Proxy(req)
		assert.Equal(t, want, got, raw)
		assert.Equal(t, wantErr, err, raw)
	}
}

func TestSessionWithProxyIsAskedForEveryRequest(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	var mu sync.Mutex
	var asked []string
	// The test server serves as the proxy too: it answers the
	// absolute-form request for example.test itself.
	s := sessNew(t, WithProxy(func(r *http.Request) (*url.URL, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.URL.Path)
		return url.Parse(ts.URL)
	}))
	sessDone(t)(s.Get(context.Background(), "http://example.test/via"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/via"}, asked)
}

func TestSessionWithProxyNilMeansNoProxy(t *testing.T) {
	s := sessNew(t, WithProxy(nil))
	require.NotNil(t, s.own)
	assert.Nil(t, s.own.Proxy)
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"a relative base URL", []Option{WithBaseURL("/api/")}},
		{"a base URL without a host", []Option{WithBaseURL("http:///x")}},
		{"a base URL that does not parse", []Option{WithBaseURL("http://[::1/")}},
		{"WithProxy with WithTransport", []Option{WithProxy(nil), WithTransport(http.DefaultTransport)}},
		{"negative redirects", []Option{WithMaxRedirects(-1)}},
		{"a negative timeout", []Option{WithTimeout(-time.Second)}},
		{"a negative retry backoff", []Option{WithRetry(RetryPolicy{MaxAttempts: 2, MinBackoff: -1})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts...)
			assert.Error(t, err)
			assert.Nil(t, s)
			s, err = Open(filepath.Join(t.TempDir(), "c.json"), tt.opts...)
			assert.Error(t, err, "Open validates as New does")
			assert.Nil(t, s)
		})
	}
}

// Per-request cookies.

func TestSessionRequestCookiesAreSentWithThatRequest(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t)
	s.Jar().SetRawCookies(mustURL(t, ts.URL), []string{"jar=1"})
	sessDone(t)(s.Get(context.Background(), ts.URL+"/c", Cookies(&http.Cookie{Name: "tmp", Value: "x"})))
	assert.Equal(t, []string{"jar=1; tmp=x"}, rec.one(t, "/c").Header.Values("Cookie"))
}

func TestSessionRequestCookieReplacesSameNamedJarCookieForThatRequestOnly(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t)
	s.Jar().SetRawCookies(mustURL(t, ts.URL), []string{"id=jar", "other=1"})
	sessDone(t)(s.Get(context.Background(), ts.URL+"/a", Cookies(&http.Cookie{Name: "id", Value: "mine"})))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/b"))
	assert.Equal(t, []string{"other=1; id=mine"}, rec.one(t, "/a").Header.Values("Cookie"))
	assert.Equal(t, []string{"id=jar; other=1"}, rec.one(t, "/b").Header.Values("Cookie"))
}

func TestSessionRequestCookiesAreNeverStored(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, nil)
	s := sessNew(t)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/", Cookies(&http.Cookie{Name: "tmp", Value: "x"})))
	assert.Zero(t, s.Jar().Len())
}

func TestSessionRequestCookiesFollowRedirectsOnTheirHostOnly(t *testing.T) {
	tests := []struct {
		name   string
		toHost string
		want   []string
	}{
		{"not sent to another host", "b.test", nil},
		{"sent again on the same host", "a.test", []string{"tmp=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sessRecorder{}
			var ts *httptest.Server
			ts = sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/start" {
					http.Redirect(w, r, fmt.Sprintf("http://%s:%s/end", tt.toHost, sessPort(t, ts)), http.StatusFound)
				}
			})
			s := sessNew(t, WithTransport(sessLoopback(t)))
			start := fmt.Sprintf("http://a.test:%s/start", sessPort(t, ts))
			sessDone(t)(s.Get(context.Background(), start, Cookies(&http.Cookie{Name: "tmp", Value: "x"})))
			assert.Equal(t, []string{"tmp=x"}, rec.one(t, "/start").Header.Values("Cookie"))
			assert.Equal(t, tt.want, rec.one(t, "/end").Header.Values("Cookie"))
		})
	}
}

// Redirects.

func TestSessionRedirectAuthorization(t *testing.T) {
	rec := &sessRecorder{}
	handler := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		}
	}
	plain := sessServer(t, rec, handler)
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		handler(w, r)
	}))
	t.Cleanup(tlsServer.Close)
	tr := sessLoopback(t)
	tr.TLSClientConfig = tlsServer.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	pp, tp := sessPort(t, plain), sessPort(t, tlsServer)

	tests := []struct {
		name, from, to string
		kept           bool
	}{
		{"kept on the same host", "http://example.com:" + pp, "http://example.com:" + pp, true},
		{"dropped for another host", "http://a.test:" + pp, "http://b.test:" + pp, false},
		{"dropped for a subdomain", "http://example.com:" + pp, "http://www.example.com:" + pp, false},
		{"dropped from https to http on the same host", "https://example.com:" + tp, "http://example.com:" + pp, false},
	}
	for _, tt := range tests {
		for _, via := range []string{"session token", "request basic auth", "Client"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				rec.mu.Lock()
				rec.seen = nil
				rec.mu.Unlock()
				s := sessNew(t, WithTransport(tr), WithBearerToken("tok"))
				start := tt.from + "/start?to=" + url.QueryEscape(tt.to+"/end")
				switch via {
				case "session token":
					sessDone(t)(s.Get(context.Background(), start))
				case "request basic auth":
					sessDone(t)(s.Get(context.Background(), start, BasicAuth("u", "p")))
				case "Client":
					resp, err := s.Client().Get(start)
					sessDone(t)(resp, err)
				}
				assert.NotEmpty(t, rec.one(t, "/start").Header.Get("Authorization"))
				got := rec.one(t, "/end").Header.Get("Authorization")
				if tt.kept {
					assert.NotEmpty(t, got)
				} else {
					assert.Empty(t, got)
				}
			})
		}
	}
}

func TestSessionRedirectAfterPostBecomesGetWithoutBody(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			rec := &sessRecorder{}
			ts := sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/form" {
					http.Redirect(w, r, "/done", code)
				}
			})
			s := sessNew(t)
			sessDone(t)(s.PostForm(context.Background(), ts.URL+"/form", url.Values{"a": {"1"}}))
			assert.Equal(t, "a=1", rec.one(t, "/form").Body)
			done := rec.one(t, "/done")
			assert.Equal(t, http.MethodGet, done.Method)
			assert.Empty(t, done.Body)
			assert.Empty(t, done.Header.Get("Content-Type"))
			assert.Empty(t, done.Header.Get("Content-Length"))
		})
	}
}

func TestSessionRedirect307And308KeepMethodAndBody(t *testing.T) {
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, method := range []string{http.MethodPost, http.MethodPut} {
			t.Run(fmt.Sprintf("%d %s", code, method), func(t *testing.T) {
				rec := &sessRecorder{}
				ts := sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/from" {
						http.Redirect(w, r, "/to", code)
					}
				})
				s := sessNew(t)
				body := strings.NewReader(`{"x":1}`)
				var resp *http.Response
				var err error
				if method == http.MethodPost {
					resp, err = s.Post(context.Background(), ts.URL+"/from", body, Header("Content-Type", "application/json"))
				} else {
					resp, err = s.Put(context.Background(), ts.URL+"/from", body, Header("Content-Type", "application/json"))
				}
				sessDone(t)(resp, err)
				to := rec.one(t, "/to")
				assert.Equal(t, method, to.Method)
				assert.Equal(t, `{"x":1}`, to.Body)
				assert.Equal(t, "application/json", to.Header.Get("Content-Type"))
			})
		}
	}
}

func TestSessionRedirectHopCookiesAreStoredBeforeTheNextHop(t *testing.T) {
	rec := &sessRecorder{}
	var s *Session
	var inJarAtHop2 bool
	var ts *httptest.Server
	ts = sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/1":
			w.Header().Add("Set-Cookie", "step=1; Path=/")
			http.Redirect(w, r, "/2", http.StatusFound)
		case "/2":
			_, inJarAtHop2 = s.Jar().Get(mustURL(t, ts.URL+"/2"), "step")
			w.Header().Add("Set-Cookie", "step=2; Path=/")
			http.Redirect(w, r, "/3", http.StatusSeeOther)
		}
	})
	s = sessNew(t)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/1"))
	assert.True(t, inJarAtHop2, "the first hop's cookie is in the jar when the second hop arrives")
	assert.Equal(t, []string{"step=1"}, rec.one(t, "/2").Header.Values("Cookie"))
	assert.Equal(t, []string{"step=2"}, rec.one(t, "/3").Header.Values("Cookie"))
}

// Retries.

// sessFastRetry is a retry policy with backoffs too short to slow a test.
func sessFastRetry(statuses ...int) RetryPolicy {
	if len(statuses) == 0 {
		statuses = []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}
	}
	return RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Statuses: statuses}
}

// sessFailFirst answers the first n requests with status (and its header
// lines), later ones with 200 "ok".
func sessFailFirst(n int32, status int, header http.Header) http.HandlerFunc {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			for k, vs := range header {
				w.Header()[k] = vs
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "try again")
			return
		}
		_, _ = io.WriteString(w, "ok")
	}
}

func TestSessionRetries429WithRetryAfterZero(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}))
	s := sessNew(t, WithRetry(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour, Statuses: []int{429}}))
	resp, body := sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", body)
	assert.Len(t, rec.all(), 2)
}

func TestSessionRetries503(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(2, http.StatusServiceUnavailable, nil))
	s := sessNew(t, WithRetry(sessFastRetry()))
	resp, body := sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", body)
	assert.Len(t, rec.all(), 3)
}

func TestSessionRetryGivesUpAfterMaxAttemptsWithTheLastResponse(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(100, http.StatusServiceUnavailable, nil))
	s := sessNew(t, WithRetry(sessFastRetry()))
	resp, body := sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "try again", body)
	assert.Len(t, rec.all(), 3)
}

func TestSessionRetriesConnectionRefusedThenFails(t *testing.T) {
	counter := &sessCounting{next: sessLoopback(t)}
	s := sessNew(t, WithTransport(counter), WithRetry(sessFastRetry()))
	_, err := s.Get(context.Background(), "http://"+sessClosedAddr(t)+"/r")
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Equal(t, int32(3), counter.n.Load())
}

func TestSessionDoesNotRetryPost(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(1, http.StatusServiceUnavailable, nil))
	s := sessNew(t, WithRetry(sessFastRetry()))
	resp, _ := sessDone(t)(s.Post(context.Background(), ts.URL+"/r", strings.NewReader("x")))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Len(t, rec.all(), 1)
}

func TestSessionRetriesPostWithIdempotencyKey(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(1, http.StatusServiceUnavailable, nil))
	s := sessNew(t, WithRetry(sessFastRetry()))
	resp, _ := sessDone(t)(s.Post(context.Background(), ts.URL+"/r", strings.NewReader("x"), Header("Idempotency-Key", "k")))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	got := rec.all()
	require.Len(t, got, 2)
	assert.Equal(t, "x", got[1].Body)
}

func TestSessionRetriesPutWithItsBodyIntact(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(2, http.StatusServiceUnavailable, nil))
	s := sessNew(t, WithRetry(sessFastRetry()))
	payload := bytes.Repeat([]byte("0123456789"), 1000)
	resp, _ := sessDone(t)(s.Put(context.Background(), ts.URL+"/r", bytes.NewReader(payload)))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	got := rec.all()
	require.Len(t, got, 3)
	for i, seen := range got {
		assert.Equal(t, http.MethodPut, seen.Method, "attempt %d", i+1)
		assert.Equal(t, string(payload), seen.Body, "attempt %d", i+1)
	}
}

func TestSessionReturnsResponseWhoseRetryAfterExceedsMaxBackoff(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}))
	s := sessNew(t, WithRetry(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Second, Statuses: []int{429}}))
	start := time.Now()
	resp, body := sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "120", resp.Header.Get("Retry-After"))
	assert.Equal(t, "try again", body, "the returned response's body is still readable")
	assert.Len(t, rec.all(), 1)
}

func TestSessionRetryWaitEndsWithTheContext(t *testing.T) {
	attempted := make(chan struct{}, 10)
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		attempted <- struct{}{}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	s := sessNew(t, WithRetry(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Minute, MaxBackoff: time.Minute, Statuses: []int{503}}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-attempted
		cancel()
	}()
	start := time.Now()
	_, err := s.Get(ctx, ts.URL+"/r")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestSessionWithTimeoutBoundsRetries(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(100, http.StatusServiceUnavailable, nil))
	// The timeout is long enough for the first attempt on a busy machine
	// and far shorter than the backoff before the second.
	s := sessNew(t, WithTimeout(2*time.Second),
		WithRetry(RetryPolicy{MaxAttempts: 5, MinBackoff: time.Hour, MaxBackoff: time.Hour, Statuses: []int{503}}))
	start := time.Now()
	_, err := s.Get(context.Background(), ts.URL+"/r")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Minute, "the timeout cut the hour's backoff short")
	assert.LessOrEqual(t, len(rec.all()), 1)
}

func TestSessionRetryWithZeroMinBackoffDoesNotWait(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, sessFailFirst(1, http.StatusServiceUnavailable, nil))
	// MinBackoff is the wait before the first retry: zero means at once.
	s := sessNew(t, WithRetry(RetryPolicy{MaxAttempts: 2, MinBackoff: 0, MaxBackoff: time.Hour, Statuses: []int{503}}))
	start := time.Now()
	resp, _ := sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
	elapsed := time.Since(start)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Less(t, elapsed, 30*time.Minute, "a zero MinBackoff waited %s, as if it were MaxBackoff", elapsed)
}

func TestSessionRetrySendsOneCookieHeaderPerAttempt(t *testing.T) {
	for _, via := range []string{"Get", "Get with request cookies", "Client with a Cookie header"} {
		t.Run(via, func(t *testing.T) {
			rec := &sessRecorder{}
			var count atomic.Int32
			ts := sessServer(t, rec, func(w http.ResponseWriter, r *http.Request) {
				if count.Add(1) == 1 {
					w.Header().Add("Set-Cookie", "fresh=1")
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			})
			s := sessNew(t, WithRetry(sessFastRetry()))
			s.Jar().SetRawCookies(mustURL(t, ts.URL), []string{"a=1", "b=2"})
			want := []string{"a", "b"}
			switch via {
			case "Get":
				sessDone(t)(s.Get(context.Background(), ts.URL+"/r"))
			case "Get with request cookies":
				sessDone(t)(s.Get(context.Background(), ts.URL+"/r", Cookies(&http.Cookie{Name: "c", Value: "3"})))
				want = append(want, "c")
			case "Client with a Cookie header":
				req, err := http.NewRequest(http.MethodGet, ts.URL+"/r", nil)
				require.NoError(t, err)
				req.Header.Set("Cookie", "c=3")
				resp, err := s.Client().Do(req)
				sessDone(t)(resp, err)
				want = append(want, "c")
			}
			got := rec.all()
			require.Len(t, got, 2)
			for i, seen := range got {
				lines := seen.Header.Values("Cookie")
				require.Len(t, lines, 1, "attempt %d sends one Cookie header line: %q", i+1, lines)
				names := sessCookieNames(lines[0])
				wantNames := want
				if i == 1 {
					wantNames = append(append([]string{}, want[:2]...), "fresh")
					wantNames = append(wantNames, want[2:]...)
				}
				assert.Equal(t, wantNames, names, "attempt %d: %q", i+1, lines[0])
			}
		})
	}
}

// Open, autosave, Close.

func TestOpenLoadsAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	j := NewJar(WithClock(sessClock))
	j.SetRawCookies(mustURL(t, ts.URL), []string{"sid=saved; Max-Age=3600", "pref=dark"})
	require.NoError(t, j.Save(path))

	s := sessOpen(t, path, WithJarOptions(WithClock(sessClock)))
	assert.Equal(t, 2, s.Jar().Len())
	sessDone(t)(s.Get(context.Background(), ts.URL+"/"))
	assert.Equal(t, []string{"sid=saved; pref=dark"}, rec.one(t, "/").Header.Values("Cookie"))
}

func TestOpenMissingFileStartsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.json")
	s := sessOpen(t, path)
	assert.Zero(t, s.Jar().Len())
	_, err := os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "Open does not create the file")
}

func TestOpenCorruptFileFailsAndLeavesItAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	corrupt := []byte("{\"version\": 1, \"cookies\": [{\"name\": \"a\",\n")
	require.NoError(t, os.WriteFile(path, corrupt, 0o600))
	s, err := Open(path)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Nil(t, s)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, corrupt, got)
}

func TestOpenSkipsRefusedRecordsAndLogsAWarning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.txt")
	file := "# Netscape HTTP Cookie File\n" +
		".example.com\tTRUE\t/\tFALSE\t0\tgood\t1\n" +
		".com\tTRUE\t/\tFALSE\t0\tplanted\t1\n"
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	logger, buf := sessLogger()
	s, err := Open(path, WithLogger(logger), WithJarOptions(WithClock(sessClock)))
	var fe *FileError
	require.ErrorAs(t, err, &fe, "Open reports the records it did not load")
	require.NotNil(t, s, "and still returns a working session")
	assert.Equal(t, 3, fe.Lines[0].Line)
	names := []string{}
	for _, c := range s.Jar().All() {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"good"}, names)
	log := strings.Join(buf.lines(), "\n")
	assert.Contains(t, log, "level=WARN")
	require.NoError(t, s.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), ".com\tTRUE\t/\tFALSE\t0\tplanted\t1\n", "the refused line is kept in the file")
}

func TestOpenSessionDoesNotSaveAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "n="+r.URL.Query().Get("n"))
	})
	s, err := Open(path, WithSaveInterval(0))
	require.NoError(t, err)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/?n=1"))
	require.NoError(t, s.Close())
	sessDone(t)(s.Get(context.Background(), ts.URL+"/?n=2"))
	assert.Equal(t, map[string]string{"n": "1"}, sessFileCookies(t, path))
}

func TestOpenAutosavesAChangeWithinTheInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	var value atomic.Value
	value.Store("1")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid="+value.Load().(string)+"; Max-Age=3600")
	})
	s := sessOpen(t, path, WithSaveInterval(20*time.Millisecond), WithJarOptions(WithClock(sessClock)))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/"))
	assert.Eventually(t, func() bool {
		got, err := sessTryFileCookies(path)
		return err == nil && got["sid"] == "1"
	}, 5*time.Second, 5*time.Millisecond, "the file appears")

	value.Store("2")
	sessDone(t)(s.Get(context.Background(), ts.URL+"/"))
	assert.Eventually(t, func() bool {
		got, err := sessTryFileCookies(path)
		return err == nil && got["sid"] == "2"
	},
		5*time.Second, 5*time.Millisecond, "the file is updated")
}

func TestOpenResponseThatChangesNothingDoesNotSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			w.Header().Set("Set-Cookie", "sid=1")
		}
	})
	const interval = 20 * time.Millisecond
	s := sessOpen(t, path, WithSaveInterval(interval))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/set"))
	var before os.FileInfo
	require.Eventually(t, func() bool {
		var err error
		before, err = os.Stat(path)
		return err == nil
	}, 5*time.Second, 5*time.Millisecond)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/plain"))
	// A response that changes nothing schedules no save: no timer is
	// pending and none runs (Close waits for those), so the file stays.
	s.mu.Lock()
	pending := s.timer != nil
	s.mu.Unlock()
	assert.False(t, pending, "no save scheduled")
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after) && before.ModTime().Equal(after.ModTime()), "the file was not written again")
}

func TestOpenAutosaveBatchesManyResponses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "c"+r.URL.Query().Get("i")+"=1")
	})
	const interval = 250 * time.Millisecond
	const n = 30
	s := sessOpen(t, path, WithSaveInterval(interval))

	// Watch the file: every save replaces it (a new inode, mtime or size).
	type version struct {
		mod  time.Time
		size int64
		info os.FileInfo
	}
	var mu sync.Mutex
	var versions []version
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if fi, err := os.Stat(path); err == nil {
				mu.Lock()
				if k := len(versions); k == 0 || !os.SameFile(versions[k-1].info, fi) ||
					!versions[k-1].mod.Equal(fi.ModTime()) || versions[k-1].size != fi.Size() {
					versions = append(versions, version{fi.ModTime(), fi.Size(), fi})
				}
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	start := time.Now()
	for i := range n {
		sessDone(t)(s.Get(context.Background(), fmt.Sprintf("%s/?i=%d", ts.URL, i)))
	}
	burst := time.Since(start)
	require.Eventually(t, func() bool {
		got, err := sessTryFileCookies(path)
		return err == nil && len(got) == n
	}, 10*time.Second, 5*time.Millisecond)
	time.Sleep(2 * interval) // nothing more to save: no more versions
	close(stop)
	<-watched
	total := time.Since(start)

	mu.Lock()
	saves := len(versions)
	mu.Unlock()
	t.Logf("%d responses in %s, %d saves seen in %s", n, burst, saves, total)
	assert.GreaterOrEqual(t, saves, 1)
	assert.LessOrEqual(t, saves, int(total/interval)+1, "at most one save per interval")
	if burst < interval {
		assert.Equal(t, 1, saves, "a burst shorter than the interval is saved once")
	}
}

func TestOpenZeroSaveIntervalSavesBeforeTheResponseReturns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=now")
	})
	s := sessOpen(t, path, WithSaveInterval(0))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/"))
	assert.Equal(t, map[string]string{"sid": "now"}, sessFileCookies(t, path))
}

func TestOpenCloseSavesAndIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=closed")
	})
	s, err := Open(path, WithSaveInterval(time.Hour))
	require.NoError(t, err)
	sessDone(t)(s.Get(context.Background(), ts.URL+"/"))
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "no save yet with an interval of an hour")
	require.NoError(t, s.Close())
	assert.Equal(t, map[string]string{"sid": "closed"}, sessFileCookies(t, path))
	assert.NoError(t, s.Close(), "a second Close returns nil")
}

func TestOpenSaveWritesNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	s := sessOpen(t, path, WithSaveInterval(time.Hour))
	s.Jar().SetRawCookies(mustURL(t, "http://example.com/"), []string{"hand=made"})
	require.NoError(t, s.Save())
	assert.Equal(t, map[string]string{"hand": "made"}, sessFileCookies(t, path))
}

func TestSessionSaveWithoutFileReturnsErrNoFile(t *testing.T) {
	s := sessNew(t)
	assert.ErrorIs(t, s.Save(), ErrNoFile)
	assert.NoError(t, s.Close())
	assert.NoError(t, s.Close())
}

// Logging.

// sessLogBuffer is a goroutine-safe buffer for a log handler.
type sessLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *sessLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *sessLogBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSuffix(b.buf.String(), "\n"), "\n")
}

func sessLogger() (*slog.Logger, *sessLogBuffer) {
	buf := &sessLogBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func TestSessionLogsOneLinePerRequestAndResponse(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, nil)
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/logged"))
	lines := buf.lines()
	require.Len(t, lines, 2, "%q", lines)
	assert.Contains(t, lines[0], `msg="http request"`)
	assert.Contains(t, lines[0], "method=GET")
	assert.Contains(t, lines[0], ts.URL+"/logged")
	assert.Contains(t, lines[1], `msg="http response"`)
	assert.Contains(t, lines[1], "status=200")
}

func TestSessionLogHasCookieNamesButNoSecrets(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "setname=setsecretvalue; Path=/")
		w.Header().Add("Set-Cookie", "namelesssecretvalue")
	})
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger), WithBearerToken("tokensecretvalue"))
	s.Jar().SetRawCookies(mustURL(t, ts.URL), []string{"jarname=jarsecretvalue"})
	u := mustURL(t, ts.URL+"/secret")
	u.User = url.UserPassword("user", "pwsecretvalue")
	sessDone(t)(s.Get(context.Background(), u.String(), Cookies(&http.Cookie{Name: "reqname", Value: "reqsecretvalue"})))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/again", BasicAuth("user", "basicsecretvalue")))

	log := strings.Join(buf.lines(), "\n")
	require.Len(t, buf.lines(), 4, log)
	for _, secret := range []string{"setsecretvalue", "namelesssecretvalue", "tokensecretvalue", "jarsecretvalue",
		"pwsecretvalue", "reqsecretvalue", "basicsecretvalue", "Bearer",
		// base64 of the basic credentials
		"dXNlcjpiYXNpY3NlY3JldHZhbHVl"} {
		assert.NotContains(t, log, secret)
	}
	for _, name := range []string{"setname", "jarname", "reqname"} {
		assert.Contains(t, log, name)
	}
}

// Errors.

func TestSessionErrorNamesMethodAndURLAndWrapsTheCause(t *testing.T) {
	target := "http://" + sessClosedAddr(t) + "/path?q=1"
	s := sessNew(t)
	_, err := s.Get(context.Background(), target)
	require.Error(t, err)
	shown := strings.Replace(target, "q=1", "q=REDACTED", 1)
	assert.Contains(t, err.Error(), `Get "`+shown+`"`)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Equal(t, 1, strings.Count(err.Error(), shown), "the URL is said once: %v", err)
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "net/http's *url.Error contract")
	assert.Equal(t, "Get", ue.Op)
	assert.Equal(t, shown, ue.URL)
}

func TestSessionErrorWrapsContextCanceled(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, nil)
	s := sessNew(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Get(ctx, ts.URL+"/x")
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), `Get "`+ts.URL+`/x"`)
}

func TestSessionErrorNeverShowsTheURLPassword(t *testing.T) {
	addr := sessClosedAddr(t)
	tests := []struct {
		name string
		opts []Option
		url  string
	}{
		{"a failed request", nil, "http://user:pwsecret@" + addr + "/x"},
		{"a URL without scheme and no base URL", nil, "//user:pwsecret@" + addr + "/x"},
		{"a URL that does not parse", nil, "http://user:pwsecret@exa mple.com/"},
		{"a URL that does not parse, with a base URL", []Option{WithBaseURL("http://" + addr + "/")}, "http://user:pwsecret@" + addr + "/%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sessNew(t, tt.opts...)
			_, err := s.Get(context.Background(), tt.url)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Get ")
			assert.NotContains(t, err.Error(), "pwsecret")
		})
	}
}

func TestSessionPostJSONErrorNeverShowsTheURLPassword(t *testing.T) {
	s := sessNew(t)
	target := "http://user:pwsecret@" + sessClosedAddr(t) + "/x"
	_, err := s.PostJSON(context.Background(), target, map[string]any{"ch": make(chan int)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Post ")
	assert.Contains(t, err.Error(), "encode JSON")
	assert.NotContains(t, err.Error(), "pwsecret")
}

// Client.

func TestSessionClientCarriesCookiesHeadersAndAuth(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithHeader("X-Api-Key", "k1"), WithBearerToken("tok"), WithQuery("key", "s1"))
	s.Jar().SetRawCookies(mustURL(t, ts.URL), []string{"sid=1"})
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/plain?own=1", nil)
	require.NoError(t, err)
	resp, err := s.Client().Do(req)
	sessDone(t)(resp, err)
	seen := rec.one(t, "/plain")
	assert.Equal(t, []string{"sid=1"}, seen.Header.Values("Cookie"))
	assert.Equal(t, DefaultUserAgent, seen.Header.Get("User-Agent"))
	assert.Equal(t, "k1", seen.Header.Get("X-Api-Key"))
	assert.Equal(t, "Bearer tok", seen.Header.Get("Authorization"))
	assert.Equal(t, "own=1&key=s1", seen.RawQuery)
	assert.Empty(t, req.Header, "the caller's request is not changed")
}

func TestSessionClientKeepsTheCallersHeaders(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithHeader("X-Api-Key", "k1"), WithBearerToken("tok"))
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/plain", nil)
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", "mine")
	req.Header.Set("Authorization", "Custom mine")
	resp, err := s.Client().Do(req)
	sessDone(t)(resp, err)
	seen := rec.one(t, "/plain")
	assert.Equal(t, "mine", seen.Header.Get("X-Api-Key"))
	assert.Equal(t, "Custom mine", seen.Header.Get("Authorization"))
}

func TestSessionClientStoresReceivedCookiesInTheSessionJar(t *testing.T) {
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "got=1")
		w.Header().Add("Set-Cookie", "utf=ünï")
	})
	s := sessNew(t)
	resp, err := s.Client().Get(ts.URL + "/")
	sessDone(t)(resp, err)
	assert.Equal(t, "got=1; utf=ünï", s.Jar().CookieHeader(mustURL(t, ts.URL+"/")))
}

func TestSessionClientIsACopy(t *testing.T) {
	s := sessNew(t, WithTimeout(time.Minute))
	c := s.Client()
	c.Timeout = time.Second
	c.Transport = nil
	assert.Equal(t, time.Minute, s.Client().Timeout)
	assert.NotNil(t, s.Client().Transport)
}

// Concurrency.

func TestSessionConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Add("Set-Cookie", fmt.Sprintf("g%s=%s", q.Get("g"), q.Get("n")))
		_, _ = io.WriteString(w, r.Header.Get("Cookie"))
	})
	s, err := Open(path, WithSaveInterval(2*time.Millisecond), WithHeader("X-A", "1"), WithRetry(sessFastRetry()))
	require.NoError(t, err)
	const goroutines, rounds = 12, 20
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range rounds {
				u := fmt.Sprintf("%s/?g=%d&n=%d", ts.URL, g, n)
				var resp *http.Response
				var err error
				switch n % 3 {
				case 0:
					resp, err = s.Get(context.Background(), u)
				case 1:
					resp, err = s.Client().Get(u)
				default:
					resp, err = s.Put(context.Background(), u, strings.NewReader("x"))
				}
				if !assert.NoError(t, err) {
					return
				}
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if n > 0 {
					assert.Contains(t, parseCookieHeader(string(body)), &http.Cookie{Name: fmt.Sprintf("g%d", g), Value: strconv.Itoa(n - 1)})
				}
				_ = s.Jar().All()
			}
		}()
	}
	wg.Wait()
	require.NoError(t, s.Close())
	saved := sessFileCookies(t, path)
	assert.Len(t, saved, goroutines)
	for g := range goroutines {
		assert.Equal(t, strconv.Itoa(rounds-1), saved[fmt.Sprintf("g%d", g)])
	}
}

func TestSameOriginForCredentials(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		same     bool
	}{
		{"https://h.com/a", "https://h.com/b", true},
		{"https://h.com/", "https://H.com:443/", true},
		{"http://h.com/", "https://h.com/", true},        // requests allows http:80 → https:443
		{"https://h.com/", "http://h.com/", false},       // never down to http
		{"https://h.com/", "https://h.com:8443/", false}, // another port, another service
		{"https://h.com/", "https://sub.h.com/", false},
		{"http://h.com:8080/", "https://h.com:8443/", false},
	} {
		assert.Equal(t, tt.same, sameOrigin(mustURL(t, tt.from), mustURL(t, tt.to)), "%s → %s", tt.from, tt.to)
	}
}

func TestSessionRemovedUserAgentIsNotSent(t *testing.T) {
	var got []string
	var had bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, had = r.Header["User-Agent"]
	}))
	defer srv.Close()
	s, err := New()
	require.NoError(t, err)
	resp, err := s.Get(context.Background(), srv.URL, Header("User-Agent", ""))
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, had, "no User-Agent at all, not Go's default: %v", got)

	s2, err := New(WithUserAgent(""))
	require.NoError(t, err)
	resp, err = s2.Get(context.Background(), srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, had, "a session without a User-Agent sends none: %v", got)
}

func TestSessionNothingWritesAfterClose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "n", Value: r.URL.Query().Get("i")})
	}))
	defer srv.Close()
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "cookies.json")
		s, err := Open(path, WithSaveInterval(time.Millisecond))
		require.NoError(t, err)
		for i := range 5 {
			resp, err := s.Get(context.Background(), fmt.Sprintf("%s/?i=%d", srv.URL, i))
			require.NoError(t, err)
			resp.Body.Close()
		}
		time.Sleep(time.Duration(round%3) * time.Millisecond) // let a timer fire, sometimes
		require.NoError(t, s.Close())
		before, err := os.Stat(path)
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
		after, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, before.ModTime(), after.ModTime(), "round %d: the file changed after Close returned", round)
		assert.True(t, os.SameFile(before, after))
	}
}

// A relative path names the file where it was when the session opened: a
// later os.Chdir does not move the saves (issue 20, point 6).
func TestChdirDoesNotMoveTheCookieFile(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	wd, err := os.Getwd()
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.Chdir(wd) })
	require.NoError(t, os.Chdir(dir))
	s, err := Open("cookies.json")
	require.NoError(t, err)
	require.NoError(t, s.Jar().Set(Cookie{Name: "a", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
	require.NoError(t, os.Chdir(other))
	require.NoError(t, s.Close())
	_, err = os.Stat(filepath.Join(dir, "cookies.json"))
	require.NoError(t, err, "saved where it was opened")
	_, err = os.Stat(filepath.Join(other, "cookies.json"))
	assert.True(t, os.IsNotExist(err))
}

// Cookies given for one request go to the origin they were given for: a
// redirect to another port, or from https down to http, does not take them
// along, whether they came as Cookies, CookieMap or a Cookie header (issue
// 20, point 4).
func TestPerRequestCookiesStayWithTheirOrigin(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Cookie"))
		mu.Unlock()
	}))
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/landed", http.StatusFound)
	}))
	t.Cleanup(secure.Close)
	s := sessNew(t, WithTransport(secure.Client().Transport))
	for name, opt := range map[string]RequestOption{
		"Cookies":   Cookies(&http.Cookie{Name: "tok", Value: "PRSECRET1"}),
		"CookieMap": CookieMap(map[string]string{"tok": "PRSECRET2"}),
		"header":    Header("Cookie", "tok=PRSECRET3"),
	} {
		resp, err := s.Get(context.Background(), secure.URL+"/start", opt)
		require.NoError(t, err, name)
		drain(resp)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 3)
	for _, c := range seen {
		assert.NotContains(t, c, "PRSECRET")
	}
}

// Errors show the URL a person typed without its scheme, secrets hidden,
// and say what to write instead (issue 20, point 9).
func TestSchemelessURLsAreShownAndExplained(t *testing.T) {
	_, err := New(WithBaseURL("127.0.0.1:8090"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"127.0.0.1:8090"`)
	assert.Contains(t, err.Error(), `"http://127.0.0.1:8090"`)

	_, err = New(WithBaseURL("user:TSECRETPW@127.0.0.1:8090"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "TSECRETPW")
	assert.Contains(t, err.Error(), "127.0.0.1:8090")

	s := sessNew(t)
	_, err = s.Get(context.Background(), "127.0.0.1:8090/x?k=TSECRET2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:8090/x")
	assert.Contains(t, err.Error(), `"http://127.0.0.1:8090/x?k=REDACTED"`)
	assert.NotContains(t, err.Error(), "TSECRET2")
	assert.NotContains(t, err.Error(), `parse "REDACTED"`, "the host a person typed is shown")
	_, err = s.Get(context.Background(), "user:TSECRET3@127.0.0.1:8090/x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "TSECRET3")
}
