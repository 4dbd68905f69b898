package httpsession_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/httpsession/httpsession"
)

// accountsSite is a site where GET /login?user=NAME logs NAME in, and
// /whoami says who is logged in (401 if no one). It answers 403 with
// "captcha" to the user "mallory", as a site that blocks a scraper does.
func accountsSite() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "user", Value: r.URL.Query().Get("user")})
			return
		}
		c, err := r.Cookie("user")
		switch {
		case err != nil:
			http.Error(w, "log in first", http.StatusUnauthorized)
		case c.Value == "mallory":
			http.Error(w, "captcha", http.StatusForbidden)
		default:
			fmt.Fprintf(w, "you are %s", c.Value)
		}
	}))
}

// loginAs logs in as name on accountsSite.
func loginAs(name string) httpsession.LoginFunc {
	return func(ctx context.Context, s *httpsession.Session) error {
		resp, err := s.Get(ctx, "/login?user="+name)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// A pool of two accounts: each lease holds one account that no other
// worker, in this process or another on the directory, holds meanwhile,
// logged in once and kept logged in in its file (DIR/NAME.json).
func ExampleOpenPool() {
	srv := accountsSite()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "pool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	pool, err := httpsession.OpenPool(dir, []httpsession.Identity{
		{Name: "ann", Login: loginAs("ann")},
		{Name: "bob", Login: loginAs("bob")},
	}, httpsession.WithSessionOptions(httpsession.WithBaseURL(srv.URL)))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	for range 3 {
		lease, err := pool.Acquire(ctx) // the least recently used account
		if err != nil {
			log.Fatal(err)
		}
		resp, err := lease.Session().Get(ctx, "/whoami")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(lease.Name()+":", exampleBody(resp))
		lease.Release()
	}
	for _, st := range pool.Status() {
		fmt.Println(st.Name, st.State, st.Uses)
	}
	// Output:
	// ann: you are ann
	// bob: you are bob
	// ann: you are ann
	// ann free 2
	// bob free 1
}

// A test suite with roles takes the one each test needs by name.
func ExamplePool_AcquireName() {
	srv := accountsSite()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "pool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	pool, err := httpsession.OpenPool(dir, []httpsession.Identity{
		{Name: "admin", Login: loginAs("admin")},
		{Name: "viewer", Login: loginAs("viewer")},
	}, httpsession.WithSessionOptions(httpsession.WithBaseURL(srv.URL)))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	admin, err := pool.AcquireName(ctx, "admin")
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Release()
	resp, err := admin.Session().Get(ctx, "/whoami")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exampleBody(resp))
	// Output: you are admin
}

// A site that blocks with a 403 "captcha" page rather than a 429: the
// detector says so, and the blocked account cools down for everyone
// sharing the pool. The lease's next request fails with ErrBlocked.
func ExampleWithBlocked() {
	srv := accountsSite()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "pool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	captcha := func(resp *http.Response) bool {
		return resp.StatusCode == http.StatusForbidden
	}
	pool, err := httpsession.OpenPool(dir, []httpsession.Identity{{Name: "mallory", Login: loginAs("mallory")}},
		httpsession.WithSessionOptions(httpsession.WithBaseURL(srv.URL)),
		httpsession.WithBlocked(captcha))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	lease, err := pool.Acquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := lease.Session().Get(ctx, "/whoami")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, exampleBody(resp))
	_, err = lease.Session().Get(ctx, "/whoami")
	fmt.Println(errors.Is(err, httpsession.ErrBlocked))
	lease.Release()
	st := pool.Status()[0]
	fmt.Println(st.State, strings.HasPrefix(st.Err.Error(), "blocked: answered"))
	// Output:
	// 403 captcha
	// true
	// cooling true
}
