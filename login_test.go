package httpsession

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loginSite is a site whose sessions end when it says so: a session cookie
// is good for the epoch it was issued in. /login (POST) issues one,
// /page answers 200 with it and 401 (or, with redirect, a 302 to
// /accounts/login/?next=/page, as Django's login_required) without.
type loginSite struct {
	mu       sync.Mutex
	epoch    int
	logins   int
	fail     bool          // logins are refused
	useless  bool          // logins succeed but the session never works
	gate     chan struct{} // if set, a login waits for it to close
	entered  chan struct{} // a login has begun (buffered)
	redirect bool
	bodies   []string // bodies of the POSTs to /page
	refused  int      // answers to /page that meant logged out
}

func newLoginSite(t *testing.T, redirect bool) (*loginSite, string) {
	site := &loginSite{redirect: redirect, entered: make(chan struct{}, 100)}
	ts := httptest.NewServer(http.HandlerFunc(site.serve))
	t.Cleanup(ts.Close)
	return site, ts.URL
}

func (l *loginSite) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		l.entered <- struct{}{}
		l.mu.Lock()
		gate := l.gate
		l.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.fail || r.FormValue("password") != "pw" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		l.logins++
		value := fmt.Sprint(l.epoch)
		if l.useless {
			value = "useless"
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: value, Path: "/"})
	case "/accounts/login/":
		fmt.Fprint(w, "login form")
	default:
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		defer l.mu.Unlock()
		if r.Method == http.MethodPost {
			l.bodies = append(l.bodies, string(body))
		}
		if c, err := r.Cookie("sid"); err == nil && c.Value == fmt.Sprint(l.epoch) {
			fmt.Fprint(w, "page")
			return
		}
		l.refused++
		if l.redirect {
			http.Redirect(w, r, "/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}
}

// expire ends every session.
func (l *loginSite) expire() {
	l.mu.Lock()
	l.epoch++
	l.mu.Unlock()
}

// refusals counts the logged-out answers to /page: a request that had one
// goes on to wait for a login, or to fail.
func (l *loginSite) refusals() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

func (l *loginSite) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logins
}

// formLogin is the LoginFunc of the tests: a form POST to /login.
func formLogin(calls *atomic.Int32) LoginFunc {
	return func(ctx context.Context, s *Session) error {
		calls.Add(1)
		resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"u"}, "password": {"pw"}})
		if err != nil {
			return err
		}
		drain(resp)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("login: status %d", resp.StatusCode)
		}
		return nil
	}
}

// postLogin is a LoginFunc that posts an empty form to /login.
func postLogin(ctx context.Context, s *Session) error {
	resp, err := s.Post(ctx, "/login", nil)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

func getPage(t *testing.T, s *Session) (string, error) {
	t.Helper()
	return getBody(s, "/page")
}

// getBody fetches path and returns its body; a logged-out response that
// comes back with its error is closed.
func getBody(s *Session, path string) (string, error) {
	resp, err := s.Get(context.Background(), path)
	if err != nil {
		if resp != nil {
			drain(resp)
		}
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestLoginOnA401ThenReplay(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	body, err := getPage(t, s)
	require.NoError(t, err)
	assert.Equal(t, "page", body)
	assert.Equal(t, 1, site.count())
	body, err = getPage(t, s)
	require.NoError(t, err)
	assert.Equal(t, "page", body)
	assert.Equal(t, 1, site.count(), "still logged in: no new login")
}

func TestLoginRedirectedToLikeDjango(t *testing.T) {
	site, base := newLoginSite(t, true)
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)), WithLoggedOut(RedirectedTo("/accounts/login/")))
	for range 3 {
		body, err := getPage(t, s)
		require.NoError(t, err)
		assert.Equal(t, "page", body)
		site.expire()
	}
	assert.Equal(t, 3, site.count(), "one login per expiry")
}

func TestRedirectedTo(t *testing.T) {
	mk := func(path string, redirected bool, status int, location string) *http.Response {
		req := httptestRequest(t, "http://example.com"+path)
		if redirected {
			req.Response = &http.Response{}
		}
		h := http.Header{}
		if location != "" {
			h.Set("Location", location)
		}
		return &http.Response{StatusCode: status, Request: req, Header: h}
	}
	detect := RedirectedTo("/accounts/login/")
	assert.True(t, detect(mk("/accounts/login/?next=/x", true, 200, "")), "ended on the path after a redirect")
	assert.False(t, detect(mk("/accounts/login/", false, 200, "")), "asked for by name: not logged out")
	assert.False(t, detect(mk("/accounts/login/x", true, 200, "")), "exact path only")
	assert.False(t, detect(mk("/page", true, 200, "")))
	assert.True(t, detect(mk("/page", false, http.StatusFound, "/accounts/login/?next=/page")), "with WithMaxRedirects(0)")
	assert.True(t, detect(mk("/page", false, http.StatusFound, "http://example.com/accounts/login/")))
	assert.False(t, detect(mk("/page", false, http.StatusOK, "/accounts/login/")), "Location without a redirect status")
	assert.False(t, detect(nil))
	assert.False(t, detect(&http.Response{}))

	// With or without the trailing slash, any query.
	for _, p := range []string{"/accounts/login", "/accounts/login/"} {
		d := RedirectedTo(p)
		assert.True(t, d(mk("/accounts/login/?next=/private/", true, 200, "")), "%s matches /accounts/login/?next=", p)
		assert.True(t, d(mk("/accounts/login?next=/private/", true, 200, "")), "%s matches /accounts/login?next=", p)
		assert.True(t, d(mk("/page", false, http.StatusFound, "/accounts/login?x=1")), "%s: Location with the other spelling", p)
		assert.False(t, d(mk("/accounts/login//", true, 200, "")), "%s: one slash only", p)
		assert.False(t, d(mk("/accounts/logins/", true, 200, "")), "%s: another path", p)
	}
}

func httptestRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	require.NoError(t, err)
	return req
}

// One expiry, many goroutines: one login, and every request sees the page.
func TestLoginOncePerExpiryAcrossGoroutines(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	const expiries, workers, each = 5, 16, 4
	for round := 1; round <= expiries; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					body, err := getPage(t, s)
					if err == nil && body != "page" {
						err = fmt.Errorf("body %q", body)
					}
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		assert.Equal(t, round, site.count(), "logins after %d expiries", round)
		site.expire()
	}
}

func TestLoginReplaysAPost(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	resp, err := s.PostForm(context.Background(), "/page", url.Values{"item": {"42"}})
	require.NoError(t, err)
	drain(resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	site.mu.Lock()
	defer site.mu.Unlock()
	assert.Equal(t, []string{"item=42", "item=42"}, site.bodies, "the same body, sent again after the login")
}

func TestLoginBodyThatCannotBeSentAgain(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	// A reader net/http cannot rewind: no GetBody.
	body := io.NopCloser(strings.NewReader("once"))
	resp, err := s.Post(context.Background(), "/page", body)
	require.ErrorIs(t, err, ErrLoggedOut)
	assert.ErrorContains(t, err, "cannot be sent again")
	require.NotNil(t, resp, "the response comes back as it came")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	drain(resp)
	assert.Zero(t, site.count())
}

func TestLoginThatFailsIsReturnedToEveryWaiterAndBacksOff(t *testing.T) {
	site, base := newLoginSite(t, false)
	site.fail = true
	site.gate = make(chan struct{})
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	const waiters = 8
	errs := make(chan error, waiters)
	for range waiters {
		go func() { _, err := getPage(t, s); errs <- err }()
	}
	<-site.entered // the one login has begun; the others wait for it
	waitFor(t, "every request to be answered logged out", func() bool { return site.refusals() == waiters })
	close(site.gate)
	for range waiters {
		err := <-errs
		require.Error(t, err)
		assert.ErrorContains(t, err, "login failed")
		assert.ErrorContains(t, err, "status 403")
	}
	assert.Equal(t, int32(1), calls.Load(), "one login for all of them")

	// Within the backoff, a request fails at once, without a login.
	_, err := getPage(t, s)
	require.ErrorIs(t, err, ErrLoggedOut)
	require.ErrorIs(t, err, ErrLoginFailed)
	assert.ErrorContains(t, err, "next login is allowed in")
	assert.ErrorContains(t, err, "status 403", "the last cause")
	assert.Equal(t, int32(1), calls.Load(), "no second login within the backoff")

	// After it, the next login is tried.
	s.login.mu.Lock()
	s.login.retryAt = time.Now().Add(-time.Millisecond)
	s.login.mu.Unlock()
	site.mu.Lock()
	site.fail = false
	site.mu.Unlock()
	body, err := getPage(t, s)
	require.NoError(t, err)
	assert.Equal(t, "page", body)
	assert.Equal(t, int32(2), calls.Load())
}

func TestLoginBackoffDoublesWithJitter(t *testing.T) {
	r := &loginRoom{first: time.Second, limit: time.Minute}
	for range 100 {
		for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 1000: time.Minute} {
			d := r.backoff(failures)
			assert.GreaterOrEqual(t, d, want, "at least the doubled wait, capped")
			assert.LessOrEqual(t, d, want*3/2, "jitter of half of it at most")
		}
	}
	assert.Equal(t, 90*time.Second, r.longestWait())
	r = &loginRoom{first: 2 * time.Second, limit: time.Second}
	assert.LessOrEqual(t, r.backoff(3), 3*time.Second, "a limit below the first wait is the first wait")
	// Jitter at the cap too: workers that failed together come back apart.
	r = &loginRoom{first: time.Second, limit: time.Second}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[r.backoff(50)] = true
	}
	assert.Greater(t, len(seen), 1)
}

// A login that returns nil but leaves the session logged out (a form
// answered with 200 and the form again) is a failed login: its request
// comes back with the response and ErrLoginFailed, and the session backs
// off instead of logging in at every request.
func TestLoginThatDoesNotHelp(t *testing.T) {
	site, base := newLoginSite(t, false)
	site.useless = true
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	resp, err := s.Get(context.Background(), "/page")
	require.ErrorIs(t, err, ErrLoggedOut)
	require.ErrorIs(t, err, ErrLoginFailed)
	assert.ErrorContains(t, err, "still logged out right after a fresh login")
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	drain(resp)
	assert.Equal(t, 1, site.count())
	for range 20 {
		resp, err = s.Get(context.Background(), "/page")
		require.ErrorIs(t, err, ErrLoginFailed)
		if resp != nil {
			drain(resp)
		}
	}
	assert.Equal(t, 1, site.count(), "no login within the backoff")
}

// A request is sent again once after a login of this process, however many
// requests wait for that login: an always-401 page costs one login and two
// sends per request.
func TestLoginRequestIsSentAgainOnce(t *testing.T) {
	var sends atomic.Int32
	var logins atomic.Int32
	gate := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			logins.Add(1)
			<-gate
			return
		}
		sends.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(ts.Close)
	s := sessNew(t, WithBaseURL(ts.URL), WithLogin(postLogin))
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			resp, err := s.Get(context.Background(), "/forbidden")
			if resp != nil {
				drain(resp)
			}
			errs <- err
		}()
	}
	waitFor(t, "both requests to be answered", func() bool { return sends.Load() == 2 })
	close(gate)
	for range 2 {
		require.ErrorIs(t, <-errs, ErrLoggedOut)
	}
	assert.Equal(t, int32(1), logins.Load())
	assert.Equal(t, int32(4), sends.Load(), "each request sent twice")
}

func TestNoLoginAfterClose(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	path := t.TempDir() + "/c.json"
	s, err := Open(path, WithBaseURL(base), WithLogin(formLogin(&calls)))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	for range 20 {
		resp, err := s.Get(context.Background(), "/page")
		require.ErrorIs(t, err, ErrClosed)
		assert.Nil(t, resp)
	}
	assert.Zero(t, calls.Load())
	assert.Zero(t, site.count())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing writes the file after Close")
	_, err = os.Stat(path + ".login")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// Close cancels a login under way and waits for it: nothing it does is
// saved after Close returns.
func TestCloseWaitsForALoginUnderWay(t *testing.T) {
	_, base := newLoginSite(t, false)
	entered := make(chan struct{})
	var finished atomic.Bool
	login := func(ctx context.Context, s *Session) error {
		close(entered)
		<-ctx.Done() // Close cancels it
		_ = s.Jar().Set(Cookie{Name: "late", Value: "1", Domain: "127.0.0.1", HostOnly: true})
		finished.Store(true)
		return ctx.Err()
	}
	path := t.TempDir() + "/c.json"
	s, err := Open(path, WithBaseURL(base), WithLogin(login))
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { _, err := getPage(t, s); errc <- err }()
	<-entered
	require.NoError(t, s.Close())
	assert.True(t, finished.Load(), "Close returned after the login ended")
	require.ErrorIs(t, <-errc, ErrClosed)
	rec, err := readLoginFile(path + ".login")
	require.NoError(t, err)
	assert.Equal(t, loginFile{}, rec, "the cancelled login recorded nothing, and let go of the lease")
}

// A LoginFunc that uses the outer session and context.Background() waits
// for its own login: the login's timeout ends that, and the login fails
// rather than hanging for ever.
func TestLoginWaitingForItselfEndsWithItsTimeout(t *testing.T) {
	_, base := newLoginSite(t, false)
	var outer *Session
	login := func(ctx context.Context, _ *Session) error {
		resp, err := outer.Get(context.Background(), "/page") // the mistake under test
		if err != nil {
			return err
		}
		drain(resp)
		return nil
	}
	outer = sessNew(t, WithBaseURL(base), WithLogin(login), WithLoginTimeout(200*time.Millisecond))
	_, err := getPage(t, outer)
	require.ErrorIs(t, err, ErrLoggedOut)
}

// The LoginFunc's own session view never waits for the login, whatever
// context its requests use.
func TestLoginViewIsNeverChecked(t *testing.T) {
	site, base := newLoginSite(t, false)
	login := func(_ context.Context, s *Session) error {
		resp, err := s.Get(context.Background(), "/page") // 401, not checked
		if err != nil {
			return err
		}
		drain(resp)
		resp, err = s.PostForm(context.Background(), "/login", url.Values{"password": {"pw"}})
		if err != nil {
			return err
		}
		drain(resp)
		return nil
	}
	s := sessNew(t, WithBaseURL(base), WithLogin(login))
	body, err := getPage(t, s)
	require.NoError(t, err)
	assert.Equal(t, "page", body)
	assert.Equal(t, 1, site.count())
}

func TestLoginFuncThatPanicsFailsTheLogin(t *testing.T) {
	_, base := newLoginSite(t, false)
	login := func(context.Context, *Session) error {
		panic("boom")
	}
	s := sessNew(t, WithBaseURL(base), WithLogin(login))
	_, err := getPage(t, s)
	require.ErrorIs(t, err, ErrLoggedOut)
	assert.ErrorContains(t, err, "panicked")
}

// The login's requests carry none of the values of the request that
// started it: not its per-request cookies, headers or credentials.
func TestLoginDoesNotInheritTheRequest(t *testing.T) {
	var loginCookie, loginAuth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			loginCookie, loginAuth = r.Header.Get("Cookie"), r.Header.Get("Authorization")
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "1"})
			return
		}
		if _, err := r.Cookie("sid"); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(ts.Close)
	s := sessNew(t, WithBaseURL(ts.URL), WithLogin(postLogin))
	resp, err := s.Get(context.Background(), "/x", Cookies(&http.Cookie{Name: "tracking", Value: "only-here"}), BearerToken("req-token"))
	require.NoError(t, err)
	drain(resp)
	assert.Empty(t, loginCookie)
	assert.Empty(t, loginAuth)
}

func TestFailedLoginWrapsErrLoggedOut(t *testing.T) {
	site, base := newLoginSite(t, false)
	site.fail = true
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	_, err := getPage(t, s)
	require.ErrorIs(t, err, ErrLoggedOut)
	assert.ErrorContains(t, err, "status 403")
}

func TestLoginFunctionThatHitsTheLoggedOutPage(t *testing.T) {
	site, base := newLoginSite(t, false)
	var calls atomic.Int32
	login := func(ctx context.Context, s *Session) error {
		calls.Add(1)
		resp, err := s.Get(ctx, "/page") // 401: not checked, no login
		if err != nil {
			return err
		}
		drain(resp)
		return nil
	}
	s := sessNew(t, WithBaseURL(base), WithLogin(login))
	_, err := getPage(t, s)
	require.ErrorIs(t, err, ErrLoggedOut)
	assert.Equal(t, int32(1), calls.Load(), "the login's own request did not start another login")
	assert.Zero(t, site.count())
}

func TestLoginWaitEndsWithTheContext(t *testing.T) {
	site, base := newLoginSite(t, false)
	site.gate = make(chan struct{})
	var calls atomic.Int32
	s := sessNew(t, WithBaseURL(base), WithLogin(formLogin(&calls)))
	first := make(chan error, 1)
	go func() { _, err := getPage(t, s); first <- err }()
	<-site.entered
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		resp, err := s.Get(ctx, "/page")
		if resp != nil {
			drain(resp)
		}
		waiting <- err
	}()
	waitFor(t, "the second request to be answered", func() bool { return site.refusals() == 2 })
	cancel()
	err := <-waiting
	require.ErrorIs(t, err, context.Canceled)
	close(site.gate)
	require.NoError(t, <-first, "the login went on for the first request")
	assert.Equal(t, 1, site.count())
}

func TestLoginWaitEndsWithClose(t *testing.T) {
	site, base := newLoginSite(t, false)
	site.gate = make(chan struct{})
	defer close(site.gate)
	var calls atomic.Int32
	s, err := New(WithBaseURL(base), WithLogin(formLogin(&calls)))
	require.NoError(t, err)
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := getPage(t, s); errs <- err }()
	}
	<-site.entered
	waitFor(t, "both requests to be answered", func() bool { return site.refusals() == 2 })
	require.NoError(t, s.Close())
	for range 2 {
		err := <-errs
		require.ErrorIs(t, err, ErrClosed)
	}
}

// waitFor polls cond, a state the test cannot be told of by an event, with
// a deadline that only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
