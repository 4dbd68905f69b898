package httpsession

import (
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xhtml "golang.org/x/net/html"
)

// formSite behaves as a Django site with LoginView and login_required: the
// login form carries a CSRF token that must come back with its cookie, a
// wrong password answers 200 with the form again, and the private page
// redirects to the form (deleting a dead session cookie) when logged out.
type formSite struct {
	mu       sync.Mutex
	password string
	epoch    int // sessions of earlier epochs have ended
	tokens   int
	posts    int    // login POSTs
	logins   int    // successful ones
	onForm   func() // called while the form is served, if set
	status   int    // if set, every login POST answers this
	endOnce  bool   // end every session right after the next login
}

func newFormSite(t *testing.T) (*formSite, string) {
	site := &formSite{password: "pw"}
	ts := httptest.NewServer(site)
	t.Cleanup(ts.Close)
	return site, ts.URL
}

func (f *formSite) form(w http.ResponseWriter, token, next string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Log in</title>
<form method="get" action="/search"><input name="q"></form>
<form method="post" action="/accounts/login/">
<input type="hidden" name="csrfmiddlewaretoken" value="%s">
<label>Username <input name="username" type="text"></label>
<label>Password <input name="password" type="password"></label>
<input type="hidden" name="next" value="%s">
<input type="checkbox" name="remember" checked> <input type="checkbox" name="spam">
<select name="lang"><option value="en">en</option><option value="fr" selected>fr</option></select>
<button type="submit">Log in</button>
</form>`, html.EscapeString(token), html.EscapeString(next))
}

func (f *formSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/accounts/login/":
		if r.Method == http.MethodPost {
			f.posts++
			if f.status != 0 {
				w.WriteHeader(f.status)
				return
			}
			c, err := r.Cookie("csrftoken")
			if err != nil || c.Value != r.PostFormValue("csrfmiddlewaretoken") {
				http.Error(w, "CSRF verification failed", http.StatusForbidden)
				return
			}
			if r.PostFormValue("password") != f.password || r.PostFormValue("remember") != "on" || r.PostFormValue("lang") != "fr" {
				f.form(w, c.Value, r.PostFormValue("next"))
				return
			}
			f.logins++
			http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: fmt.Sprintf("s%d-%d", f.epoch, f.logins), Path: "/"})
			if f.endOnce {
				f.endOnce = false
				f.epoch++
			}
			next := r.PostFormValue("next")
			if next == "" {
				next = "/private/"
			}
			http.Redirect(w, r, next, http.StatusFound)
			return
		}
		token := ""
		if c, err := r.Cookie("csrftoken"); err == nil {
			token = c.Value
		} else {
			f.tokens++
			token = fmt.Sprintf("tok%d", f.tokens)
			http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: token, Path: "/"})
		}
		if f.onForm != nil {
			f.onForm()
		}
		f.form(w, token, r.URL.Query().Get("next"))
	case "/private/":
		c, err := r.Cookie("sessionid")
		if err == nil && strings.HasPrefix(c.Value, fmt.Sprintf("s%d-", f.epoch)) {
			fmt.Fprint(w, "private")
			return
		}
		if err == nil {
			http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "", Path: "/", MaxAge: -1})
		}
		http.Redirect(w, r, "/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func (f *formSite) counts() (posts, logins int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts, f.logins
}

func (f *formSite) end() {
	f.mu.Lock()
	f.epoch++
	f.mu.Unlock()
}

func getPrivate(s *Session) (string, error) { return getBody(s, "/private/") }

var aliceFields = url.Values{"username": {"alice"}, "password": {"pw"}}

// FormLogin needs no WithLoggedOut: the first answer, redirected to the
// login form, starts a login; so does the redirect after the server ended
// the session.
func TestFormLoginLogsInAndAgainAfterTheSessionEnds(t *testing.T) {
	site, base := newFormSite(t)
	s := sessNew(t, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", aliceFields)))
	for round := 1; round <= 3; round++ {
		body, err := getPrivate(s)
		require.NoError(t, err)
		assert.Equal(t, "private", body)
		_, logins := site.counts()
		assert.Equal(t, round, logins)
		site.end()
	}
}

func TestFormLoginRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*formSite)
		page   string
		fields url.Values
		want   string
	}{
		{"wrong password: the form comes back", nil, "/accounts/login/", url.Values{"username": {"alice"}, "password": {"nope"}}, "the login form came back"},
		{"the login answers 403", func(f *formSite) { f.status = http.StatusForbidden }, "/accounts/login/", aliceFields, "the login answered 403 Forbidden"},
		{"no form on the page", nil, "/nowhere/", aliceFields, "the login page answered 404 Not Found"},
		{"the login answers 500", func(f *formSite) { f.status = http.StatusInternalServerError }, "/accounts/login/", aliceFields, "500 Internal Server Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, base := newFormSite(t)
			if tc.setup != nil {
				tc.setup(site)
			}
			s := sessNew(t, WithBaseURL(base))
			err := FormLogin(tc.page, tc.fields)(context.Background(), s)
			require.ErrorIs(t, err, ErrLoginFailed)
			assert.ErrorContains(t, err, tc.want)
			assert.NotContains(t, err.Error(), "nope", "no field value in an error")
		})
	}
}

// A session that ends between the login's POST and the page it redirects
// to (the server dropped every session at that moment) is not a failed
// login: the form was taken, so FormLogin logs in once more.
func TestFormLoginAgainWhenTheSessionEndsDuringIt(t *testing.T) {
	site, base := newFormSite(t)
	site.endOnce = true
	s := sessNew(t, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", aliceFields)))
	body, err := getPrivate(s)
	require.NoError(t, err)
	assert.Equal(t, "private", body)
	posts, logins := site.counts()
	assert.Equal(t, 2, posts)
	assert.Equal(t, 2, logins)
}

// A site that answers a wrong password with a redirect to its login page
// (Spring Security's /login?error) gets one POST, not two.
func TestWrongPasswordRedirectedToTheFormIsOnePost(t *testing.T) {
	var posts int
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			posts++
			mu.Unlock()
			http.Redirect(w, r, "/login?error", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<form method=post action=/login><input name=u><input type=password name=p></form>`)
	}))
	t.Cleanup(ts.Close)
	s := sessNew(t, WithBaseURL(ts.URL))
	err := FormLogin("/login", url.Values{"u": {"a"}, "p": {"wrong"}})(context.Background(), s)
	require.ErrorIs(t, err, ErrLoginFailed)
	assert.Equal(t, 1, posts)
}

// The page's cookies are pinned to a form posted to the page's own origin
// only: a form whose action is another host gets what the jar gives it.
func TestFormLoginPinsCookiesToItsOwnOriginOnly(t *testing.T) {
	var got string
	collect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Cookie")
		http.Redirect(w, r, "/done", http.StatusFound)
	}))
	t.Cleanup(collect.Close)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "apikey", Value: "TOPSECRET"})
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<form method=post action="%s/collect"><input type=password name=p></form>`, strings.Replace(collect.URL, "127.0.0.1", "localhost", 1))
	}))
	t.Cleanup(page.Close)
	s := sessNew(t, WithBaseURL(page.URL))
	_ = FormLogin("/login", url.Values{"p": {"x"}})(context.Background(), s)
	assert.NotContains(t, got, "TOPSECRET")
}

// Fields outside a form that name it with their form attribute are its
// (HTML Living Standard §4.10.17.3, the form owner).
func TestFormOwnerAttribute(t *testing.T) {
	doc, err := xhtml.Parse(strings.NewReader(`<form id=f method=post><input type=password name=p></form>
<input form=f type=hidden name=csrf value=T><form id=g><input form=f name=u value=v><input name=q></form>`))
	require.NoError(t, err)
	f := findLoginForm(doc)
	require.NotNil(t, f)
	assert.Equal(t, url.Values{"p": {""}, "csrf": {"T"}, "u": {"v"}}, f.values())
}

// A page nested deeper than any login page is refused before the quadratic
// parse, within the login's time.
func TestDeeplyNestedLoginPageIsRefused(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, strings.Repeat("<div>", 50000))
	}))
	t.Cleanup(ts.Close)
	s := sessNew(t, WithBaseURL(ts.URL))
	err := FormLogin("/login", nil)(context.Background(), s)
	require.ErrorIs(t, err, ErrLoginFailed)
	assert.ErrorContains(t, err, "nests its elements")
}

// The form is posted with the very cookies it was made for: another
// process's answer that changes the shared csrftoken between the page and
// the POST does not break the login.
func TestFormLoginPostsWithTheCookiesOfItsPage(t *testing.T) {
	site, base := newFormSite(t)
	s := sessNew(t, WithBaseURL(base))
	u, err := url.Parse(base)
	require.NoError(t, err)
	s.Jar().SetRawCookies(u, []string{"csrftoken=mine; Path=/"})
	site.onForm = func() { s.Jar().SetRawCookies(u, []string{"csrftoken=someone-elses; Path=/"}) }
	require.NoError(t, FormLogin("/accounts/login/", aliceFields)(context.Background(), s))
	_, logins := site.counts()
	assert.Equal(t, 1, logins)
}

// A wrong password makes one login POST, then the backoff holds every
// request, across goroutines: each fails with ErrLoginFailed, at once.
func TestWrongPasswordIsNotRetriedAtEveryRequest(t *testing.T) {
	site, base := newFormSite(t)
	bad := url.Values{"username": {"alice"}, "password": {"wrong"}}
	s := sessNew(t, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", bad)))
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8*25)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				_, err := getPrivate(s)
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, ErrLoginFailed)
		assert.ErrorContains(t, err, "the login form came back")
	}
	posts, _ := site.counts()
	// Logins are at least 1 s, 2 s, 4 s ... apart: whatever the time
	// the run took on this machine, no more POSTs than fit in it.
	allowed := 1 + int(math.Log2(elapsed.Seconds()+1))
	assert.LessOrEqual(t, posts, allowed, "%d login POSTs in %v", posts, elapsed)
}

// Without WithLoggedOut, a LoginFunc of one's own is started by a redirect
// to an HTML page that holds a password form, and the body of that page
// still reads whole.
func TestRedirectToALoginFormMeansLoggedOut(t *testing.T) {
	site, base := newFormSite(t)
	var calls int
	login := func(ctx context.Context, s *Session) error {
		calls++
		return FormLogin("/accounts/login/", aliceFields)(ctx, s)
	}
	s := sessNew(t, WithBaseURL(base), WithLogin(login))
	body, err := getPrivate(s)
	require.NoError(t, err)
	assert.Equal(t, "private", body)
	assert.Equal(t, 1, calls)
	_, logins := site.counts()
	assert.Equal(t, 1, logins)
}

func TestHoldsLoginFormPutsTheBodyBack(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              bool
	}{
		{"a login form", "text/html", `<form><input type="password" name="p"></form>`, true},
		{"upper case type", "text/html; charset=utf-8", `<FORM><INPUT TYPE="PASSWORD"></FORM>`, true},
		{"a password field outside a form", "text/html", `<input type="password">`, false},
		{"no password field", "text/html", `<form><input name="q"></form>`, false},
		{"not HTML", "application/json", `{"form":"<form><input type=password></form>"}`, false},
		{"past the first 256 KiB", "text/html", strings.Repeat("x", maxFormPage) + `<form><input type="password"></form>`, false},
		{"a long page with the form first", "text/html", `<form><input type="password"></form>` + strings.Repeat("y", 3*maxFormPage), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{"Content-Type": {tc.ctype}}, Body: io.NopCloser(strings.NewReader(tc.body))}
			assert.Equal(t, tc.want, holdsLoginForm(resp))
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(rest), "the body reads whole")
			require.NoError(t, resp.Body.Close())
		})
	}
}

// What a form submits by default, as a browser sends it (HTML Living
// Standard §4.10.21.4, constructing the entry list).
func TestFormDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, html string
		want       url.Values
		method     string
	}{
		{"hidden, text and password inputs", `<form method=POST><input type=hidden name=t value=x><input name=u value=v><input type=password name=p></form>`,
			url.Values{"t": {"x"}, "u": {"v"}, "p": {""}}, http.MethodPost},
		{"checkboxes: checked only, 'on' without a value", `<form><input type=checkbox name=a checked><input type=checkbox name=b value=1><input type=radio name=r value=2 checked></form>`,
			url.Values{"a": {"on"}, "r": {"2"}}, http.MethodGet},
		{"disabled fields are not sent", `<form><input name=a value=1 disabled><textarea name=b disabled>x</textarea></form>`,
			url.Values{}, http.MethodGet},
		{"the first named submit button is clicked", `<form><button name=go value=1>Go</button><input type=submit name=other value=2></form>`,
			url.Values{"go": {"1"}}, http.MethodGet},
		{"select: the selected option, else the first", `<form><select name=s><option>a</option><option selected value=b>B</option></select><select name=t><option value=x>X</option></select></form>`,
			url.Values{"s": {"b"}, "t": {"x"}}, http.MethodGet},
		{"textarea", `<form><textarea name=m>hello</textarea></form>`, url.Values{"m": {"hello"}}, http.MethodGet},
		{"buttons, resets and files are not sent", `<form><input type=button name=b value=1><input type=reset name=r><input type=file name=f></form>`,
			url.Values{}, http.MethodGet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := xhtml.Parse(strings.NewReader(tc.html))
			require.NoError(t, err)
			f := findLoginForm(doc)
			require.NotNil(t, f)
			assert.Equal(t, tc.want, f.values())
			assert.Equal(t, tc.method, f.method)
		})
	}
}

func TestFindLoginFormPicksThePasswordForm(t *testing.T) {
	parse := func(s string) *htmlForm {
		doc, err := xhtml.Parse(strings.NewReader(s))
		require.NoError(t, err)
		return findLoginForm(doc)
	}
	f := parse(`<form action=/search><input name=q></form><form action=/login method=post><input type=password name=p></form>`)
	require.NotNil(t, f)
	assert.Equal(t, "/login", f.action)
	assert.Nil(t, parse(`<form action=/a></form><form action=/b></form>`), "two forms, none with a password field")
	assert.Equal(t, "/only", parse(`<form action=/only><input name=pin></form>`).action, "the only form")
	assert.Nil(t, parse(`<p>no form</p>`))
}

// A login that fails on the network (its page is down) fails the request
// with ErrLoginFailed and ErrLoggedOut and says so, rather than reading as
// a failure of the request itself.
func TestLoginThatCannotReachItsPageSaysSo(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	t.Cleanup(ts.Close)
	s := sessNew(t, WithBaseURL(ts.URL), WithLogin(FormLogin(downURL+"/login", aliceFields)))
	for range 2 { // the failure, then the backoff
		_, err := s.Get(context.Background(), "/private")
		require.ErrorIs(t, err, ErrLoginFailed)
		require.ErrorIs(t, err, ErrLoggedOut)
		assert.ErrorContains(t, err, "login failed: the login page")
	}
}

// Once a login page is known (found by the first look at a redirected
// page), later answers are judged by their path: no body is read again.
func TestTheLoginPageFoundIsRemembered(t *testing.T) {
	site, base := newFormSite(t)
	var calls int
	login := func(ctx context.Context, s *Session) error { // no FormLogin
		calls++
		resp, err := s.Get(ctx, "/accounts/login/")
		if err != nil {
			return err
		}
		drain(resp)
		token, _ := s.Cookie("csrftoken")
		resp, err = s.PostForm(ctx, "/accounts/login/", url.Values{"username": {"alice"}, "password": {"pw"},
			"csrfmiddlewaretoken": {token.Value}, "remember": {"on"}, "lang": {"fr"}})
		if err != nil {
			return err
		}
		drain(resp)
		return nil
	}
	s := sessNew(t, WithBaseURL(base), WithLogin(login))
	_, err := getPrivate(s)
	require.NoError(t, err)
	require.NotNil(t, s.login.page.Load())
	assert.Equal(t, "/accounts/login/", *s.login.page.Load())
	site.end()
	_, err = getPrivate(s)
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
}
