// Tour walks through what the Quickstart and the "Session objects" section
// of Python requests' documentation show, with httpsession, against a small
// httpbin-like server it starts on 127.0.0.1:
//
//  1. cookies sent with one request only (the Cookies request option);
//  2. a session keeping the cookies a server sets, across requests;
//  3. reading cookies from the jar (Jar.Get, Jar.All);
//  4. default headers and credentials, and per-request headers;
//  5. a server deleting a cookie;
//  6. saving the cookies to a file and opening a new session from it.
//
// Run it with
//
//	go run ./examples/tour
//
// Step 6 saves to tour.json in httpsession/examples under the user's cache
// directory (~/.cache on Linux; see demoserver.DefaultFile), which the
// program prints; -file chooses another file and -reset deletes it first.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/examples/internal/demoserver"
)

func main() {
	file, reset, err := demoserver.Setup("tour", "delete the cookie file first")
	if err != nil {
		log.Fatal(err)
	}
	if err := run(file, reset); err != nil {
		log.Fatal(err)
	}
}

func run(file string, reset bool) error {
	if reset {
		if err := demoserver.Forget(file); err != nil {
			return err
		}
	}
	srv, err := demoserver.Start(httpbin())
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx := context.Background()

	// s = requests.Session()
	// s.auth = ("user", "pass")
	// s.headers.update({"x-test": "true"})
	s, err := httpsession.New(
		httpsession.WithBaseURL(srv.URL),
		httpsession.WithBasicAuth("user", "pass"),
		httpsession.WithHeader("X-Test", "true"),
		httpsession.WithTimeout(10*time.Second),
	)
	if err != nil {
		return err
	}
	defer s.Close()

	heading("1. Cookies sent with one request (the Cookies option)")
	// requests.get(url, cookies={"cookies_are": "working"})
	if err := show(ctx, s, "/cookies", "with Cookies(cookies_are=working)", httpsession.Cookies(&http.Cookie{Name: "cookies_are", Value: "working"})); err != nil {
		return err
	}
	if err := show(ctx, s, "/cookies", "again: not kept by the session"); err != nil {
		return err
	}

	heading("2. A session keeps the cookies the server sets")
	// s.get("https://httpbin.org/cookies/set/sessioncookie/123456789")
	if err := show(ctx, s, "/cookies/set?sessioncookie=123456789", "(redirects to /cookies)"); err != nil {
		return err
	}
	if err := show(ctx, s, "/cookies/set?flavor=chocolate", ""); err != nil {
		return err
	}
	if err := show(ctx, s, "/cookies", "with Cookies(flavor=vanilla): it wins", httpsession.Cookies(&http.Cookie{Name: "flavor", Value: "vanilla"})); err != nil {
		return err
	}

	heading("3. Reading cookies from the jar")
	u, err := url.Parse(srv.URL + "/cookies")
	if err != nil {
		return err
	}
	if c, ok := s.Jar().Get(u, "sessioncookie"); ok {
		fmt.Printf("   Jar().Get(u, %q).Value = %q\n", c.Name, c.Value)
	}
	fmt.Println("   Jar().All():")
	for _, c := range s.Jar().All() {
		fmt.Printf("     %-24s domain=%s path=%s hostOnly=%t session=%t\n",
			c.String(), c.Domain, c.Path, c.HostOnly, c.Expires.IsZero())
	}

	heading("4. Default headers and per-request headers")
	// s.get("https://httpbin.org/headers", headers={"x-test2": "true"})
	if err := showHeaders(ctx, s, `with Header("X-Test2", "true")`, httpsession.Header("X-Test2", "true")); err != nil {
		return err
	}
	if err := showHeaders(ctx, s, `with Header("X-Test", ""): drops a default`, httpsession.Header("X-Test", "")); err != nil {
		return err
	}

	heading("5. The server deletes a cookie")
	if err := show(ctx, s, "/cookies/delete?flavor", "(redirects to /cookies)"); err != nil {
		return err
	}

	heading("6. Saving the cookies and opening a new session from the file")
	if err := s.Jar().Save(file); err != nil {
		return err
	}
	fmt.Printf("   Jar().Save(%q): %d cookie(s), session cookies included\n", file, s.Jar().Len())
	s2, err := httpsession.Open(file, httpsession.WithBaseURL(srv.URL))
	if err != nil {
		return err
	}
	defer s2.Close()
	if err := show(ctx, s2, "/cookies", "in a new session made by Open(file)"); err != nil {
		return err
	}
	return s2.Close()
}

func heading(s string) { fmt.Printf("\n== %s\n", s) }

// show gets path and prints the request, a note on it, and the response
// body.
func show(ctx context.Context, s *httpsession.Session, path, note string, opts ...httpsession.RequestOption) error {
	resp, err := s.Get(ctx, path, opts...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Printf("   %s\n     -> %s\n", strings.TrimSpace("GET "+path+" "+note), strings.TrimSpace(string(body)))
	return nil
}

// showHeaders gets /headers and prints a note on the request and the
// headers of interest the server received.
func showHeaders(ctx context.Context, s *httpsession.Session, note string, opts ...httpsession.RequestOption) error {
	resp, err := s.Get(ctx, "/headers", opts...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var got struct{ Headers map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return err
	}
	var received []string
	for _, name := range []string{"X-Test", "X-Test2", "Authorization"} {
		if v, ok := got.Headers[name]; ok {
			received = append(received, fmt.Sprintf("%s: %s", name, v))
		}
	}
	fmt.Printf("   GET /headers %s\n     -> %s\n", note, strings.Join(received, "; "))
	return nil
}
