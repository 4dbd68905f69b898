package httpsession_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"

	"github.com/httpsession/httpsession"
)

// The four snippets of requests' cookie guide, as the README's "From
// requests" section ports them, run against a stand-in for httpbin.org.

// exampleHttpbin serves httpbin.org's cookie endpoints: /cookies answers
// with the cookies it received as JSON, /cookies/set/NAME/VALUE sets a
// cookie and redirects to /cookies. Unlike httpbin, /cookies/set also takes
// a POST, as a login form would (httpbin answers it with 405).
func exampleHttpbin() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/cookies", func(w http.ResponseWriter, r *http.Request) {
		got := map[string]string{}
		for _, c := range r.Cookies() {
			got[c.Name] = c.Value
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"cookies": got})
	})
	mux.HandleFunc("/cookies/set/{name}/{value}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: r.PathValue("name"), Value: r.PathValue("value"), Path: "/"})
		http.Redirect(w, r, "/cookies", http.StatusFound)
	})
	return httptest.NewServer(mux)
}

// Snippet 1, cookies sent with one request:
//
//	url = "https://httpbin.org/cookies"
//	headers = {"User-Agent": "my-app/1.0"}
//	custom_cookies = {"session_id": "abc123", "theme": "dark"}
//	response = requests.get(url, headers=headers, cookies=custom_cookies)
func ExampleCookieMap() {
	httpbin := exampleHttpbin()
	defer httpbin.Close()
	ctx := context.Background()

	s, err := httpsession.New()
	if err != nil {
		log.Fatal(err)
	}
	url := httpbin.URL + "/cookies"
	resp, err := s.Get(ctx, url, httpsession.Header("User-Agent", "my-app/1.0"),
		httpsession.CookieMap(map[string]string{"session_id": "abc123", "theme": "dark"}))
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(exampleBody(resp))
	fmt.Println("kept in the session:", s.Jar().Len())
	// Output:
	// {"cookies":{"session_id":"abc123","theme":"dark"}}
	// kept in the session: 0
}

// Snippet 2, cookies read from a response:
//
//	response = requests.get("https://httpbin.org/cookies/set/course/python")
//	for name, value in response.cookies.items():
//	    print(name, "=", value)
//	val = response.cookies.get("session_id")
//
// httpbin sets the cookie on a redirect: the response that set it is
// resp.Request.Response, requests' response.history[0].
func ExampleResponseCookies() {
	httpbin := exampleHttpbin()
	defer httpbin.Close()
	ctx := context.Background()

	s, err := httpsession.New(httpsession.WithBaseURL(httpbin.URL))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := s.Get(ctx, "/cookies/set/course/python")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range httpsession.ResponseCookies(resp.Request.Response) {
		fmt.Println(c.Name, "=", c.Value)
	}
	val, ok := s.Cookie("course")

	fmt.Println(val.Value, ok)
	// Output:
	// course = python
	// python true
}

// Snippet 3, a session keeps the cookies of a login:
//
//	session = requests.Session()
//	login_url = "https://httpbin.org/cookies/set/course/python"
//	credentials = {"username": "user", "password": "pass"}
//	login_resp = session.post(login_url, data=credentials)
//	protected_url = "https://httpbin.org/cookies"
//	resp2 = session.get(protected_url)
//	print(resp2.status_code, resp2.text)
func ExampleSession_PostForm_fromRequests() {
	httpbin := exampleHttpbin()
	defer httpbin.Close()
	ctx := context.Background()

	s, err := httpsession.New()
	if err != nil {
		log.Fatal(err)
	}
	loginURL := httpbin.URL + "/cookies/set/course/python"
	credentials := url.Values{"username": {"user"}, "password": {"pass"}}
	loginResp, err := s.PostForm(ctx, loginURL, credentials)
	if err != nil {
		log.Fatal(err)
	}
	loginResp.Body.Close()
	protectedURL := httpbin.URL + "/cookies"
	resp2, err := s.Get(ctx, protectedURL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp2.Body.Close()
	body, err := io.ReadAll(resp2.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp2.StatusCode, string(body))
	// Output:
	// 200 {"cookies":{"course":"python"}}
}

// Snippet 4, cookies saved to disk and loaded by the next run. requests
// needs pickle or http.cookiejar.MozillaCookieJar:
//
//	session.cookies = http.cookiejar.MozillaCookieJar("cookies.txt")
//	session.cookies.load(ignore_discard=True)  # on the next run
//	session.cookies.save(ignore_discard=True)
//
// Open loads the file if it is there and saves to it as the cookies
// change, and on Close; a ".txt" file is a cookies.txt that curl -b reads.
func ExampleOpen_cookiesTxt() {
	httpbin := exampleHttpbin()
	defer httpbin.Close()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cookies.txt")

	for run := 1; run <= 2; run++ {
		s, err := httpsession.Open(path, httpsession.WithBaseURL(httpbin.URL))
		if err != nil {
			log.Fatal(err)
		}
		defer s.Close()

		if run == 1 {
			resp, err := s.Get(ctx, "/cookies/set/course/python")
			if err != nil {
				log.Fatal(err)
			}
			resp.Body.Close()
		}
		fmt.Println("run", run, "has", s.CookieMap("/"))
		if err := s.Close(); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// run 1 has map[course:python]
	// run 2 has map[course:python]
}
