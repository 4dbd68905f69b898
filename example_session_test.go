package httpsession_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
)

// exampleBody reads and closes a response body, for the examples' output.
func exampleBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// New makes a session that keeps its cookies in memory: the cookie the
// server sets on the first request is sent with the second.
func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("visits"); err == nil {
			fmt.Fprintf(w, "cookie from the last visit: visits=%s", c.Value)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "visits", Value: "1"})
		fmt.Fprint(w, "first visit")
	}))
	defer srv.Close()

	s, err := httpsession.New()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		resp, err := s.Get(context.Background(), srv.URL)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(exampleBody(resp))
	}
	// Output:
	// first visit
	// cookie from the last visit: visits=1
}

// Open keeps the cookies in a file: a session opened later, as by the next
// run of a program, starts with the cookies the first one saved on Close.
func ExampleOpen() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("visited"); err == nil {
			fmt.Fprint(w, "Welcome back!")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "visited", Value: "yes", MaxAge: 7 * 24 * 60 * 60})
		fmt.Fprint(w, "Welcome to my website!")
	}))
	defer srv.Close()

	dir, err := os.MkdirTemp("", "httpsession-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "cookies.json")

	for range 2 {
		s, err := httpsession.Open(file)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := s.Get(context.Background(), srv.URL)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(exampleBody(resp))
		if err := s.Close(); err != nil { // saves the cookies to file
			log.Fatal(err)
		}
	}
	// Output:
	// Welcome to my website!
	// Welcome back!
}

// With a base URL, requests name only the path. Query parameters and
// headers given to a request are added to the session's.
func ExampleSession_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s\nAccept: %s", r.Method, r.URL.RequestURI(), r.Header.Get("Accept"))
	}))
	defer srv.Close()

	s, err := httpsession.New(
		httpsession.WithBaseURL(srv.URL+"/api/v1/"),
		httpsession.WithQuery("api_key", "k3y"),
		httpsession.WithHeader("Accept", "application/json"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	resp, err := s.Get(context.Background(), "search",
		httpsession.Query("q", "gophers"),
		httpsession.Header("Accept", "text/csv"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exampleBody(resp))
	// Output:
	// GET /api/v1/search?api_key=k3y&q=gophers
	// Accept: text/csv
}

// exampleLoginServer returns a server with a form login: POST /login with the
// right password sets a session cookie and redirects to /me, which says
// who is logged in.
func exampleLoginServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("user") != "alice" || r.PostFormValue("password") != "wonderland" {
			http.Error(w, "wrong password", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "alice-token", HttpOnly: true})
		http.Redirect(w, r, "/me", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && c.Value == "alice-token" {
			fmt.Fprint(w, "logged in as alice")
			return
		}
		http.Error(w, "not logged in", http.StatusUnauthorized)
	})
	return httptest.NewServer(mux)
}

// PostForm submits a login form. The session follows the redirect with the
// cookie it was just given, and keeps it for the requests after.
func ExampleSession_PostForm() {
	srv := exampleLoginServer()
	defer srv.Close()

	s, err := httpsession.New(httpsession.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"alice"}, "password": {"wonderland"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("POST /login, redirected to %s: %s\n", resp.Request.URL.Path, exampleBody(resp))

	resp, err = s.Get(ctx, "/me")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("GET /me: %s\n", exampleBody(resp))
	// Output:
	// POST /login, redirected to /me: logged in as alice
	// GET /me: logged in as alice
}

// Cookies sends a cookie with one request only, as requests'
// get(url, cookies=...): the jar does not keep it.
func ExampleCookies() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Cookie: %q", r.Header.Get("Cookie"))
	}))
	defer srv.Close()

	s, err := httpsession.New()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	resp, err := s.Get(ctx, srv.URL, httpsession.Cookies(&http.Cookie{Name: "from-my", Value: "browser"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exampleBody(resp))

	resp, err = s.Get(ctx, srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exampleBody(resp))
	// Output:
	// Cookie: "from-my=browser"
	// Cookie: ""
}

// Transport lets a plain http.Client share a jar with a session: here the
// session logs in and the client, standing for code that knows nothing of
// httpsession, is logged in too.
func ExampleJar_Transport() {
	srv := exampleLoginServer()
	defer srv.Close()

	jar := httpsession.NewJar()
	s, err := httpsession.New(httpsession.WithJar(jar))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	resp, err := s.PostForm(context.Background(), srv.URL+"/login",
		url.Values{"user": {"alice"}, "password": {"wonderland"}})
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	client := &http.Client{Transport: jar.Transport(nil)}
	resp, err = client.Get(srv.URL + "/me")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exampleBody(resp))
	// Output: logged in as alice
}

// Client returns an http.Client to hand to code that takes one; it sends
// the session's cookies, default headers and credentials.
func ExampleSession_Client() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range []string{"Cookie", "Authorization", "X-Client"} {
			fmt.Fprintf(w, "%s: %s\n", name, r.Header.Get(name))
		}
	}))
	defer srv.Close()

	s, err := httpsession.New(
		httpsession.WithBearerToken("t0k3n"),
		httpsession.WithHeader("X-Client", "example"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	u, _ := url.Parse(srv.URL)
	s.Jar().SetCookies(u, []*http.Cookie{{Name: "session", Value: "abc"}})

	// fetch stands for a library function that takes an *http.Client.
	fetch := func(client *http.Client, url string) (string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return "", err
		}
		return exampleBody(resp), nil
	}
	got, err := fetch(s.Client(), srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got)
	// Output:
	// Cookie: session=abc
	// Authorization: Bearer t0k3n
	// X-Client: example
}

// WithRetry retries requests that failed or got a 503 or 429 answer, after
// a backoff; a Retry-After header from the server sets the wait.
func ExampleWithRetry() {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "done")
	}))
	defer srv.Close()

	policy := httpsession.DefaultRetryPolicy()
	policy.MinBackoff = 10 * time.Millisecond
	s, err := httpsession.New(httpsession.WithRetry(policy))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	resp, err := s.Get(context.Background(), srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, exampleBody(resp), "after", attempts.Load(), "attempts")
	// Output: 200 done after 3 attempts
}

// WithLogin keeps a session logged in: a 401 makes it run the login
// function and send the request again, once per expiry however many
// goroutines notice.
func ExampleWithLogin() {
	var logins atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			logins.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "ok"})
			return
		}
		if _, err := r.Cookie("sid"); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "account page")
	}))
	defer srv.Close()

	login := func(ctx context.Context, s *httpsession.Session) error {
		resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"alice"}, "password": {"secret"}})
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	s, err := httpsession.New(httpsession.WithBaseURL(srv.URL), httpsession.WithLogin(login))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		resp, err := s.Get(context.Background(), "/account")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(exampleBody(resp))
	}
	fmt.Println("logins:", logins.Load())
	// Output:
	// account page
	// account page
	// logins: 1
}
