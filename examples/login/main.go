// Login shows a Session that logs in to a web site once and stays logged in
// across runs, as a script using Python's requests.Session with a pickled
// cookie jar would.
//
// The program starts a small site on 127.0.0.1 (see demoserver.LoginSite):
// GET /login serves a form with a CSRF token, also set as a csrftoken
// cookie; POST /login checks the user name, the password and the token, sets
// a signed sessionid cookie and redirects to /account, which needs that
// cookie. The client opens its session from a file with
// WithLogin(FormLogin(...)): it asks for /account, and only when the site
// answers 401 does the session fill in the form (its hidden CSRF token
// included, posted with the cookie it came with), post it, and send the
// request again, by itself. The login's cookies are saved before that, so
// the next run, against a new server on a new port, is still logged in and
// never posts the form.
//
// Run it twice:
//
//	go run ./examples/login          # logged in as alice (1 login)
//	go run ./examples/login          # still logged in (0 logins)
//	go run ./examples/login -reset   # log out: delete the cookie file first
//
// The cookies live in login.json in httpsession/examples under the user's
// cache directory (~/.cache on Linux; see demoserver.DefaultFile), which
// the program prints; -file chooses another file.
package main

import (
	"context"
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
	file, reset, err := demoserver.Setup("login", "delete the cookie file first, which logs out")
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
		fmt.Println("(deleted the cookie file: logged out)")
	}

	site := demoserver.NewLoginSite()
	srv, err := demoserver.Start(site)
	if err != nil {
		return err
	}
	defer srv.Close()

	// FormLogin fills in the form of /login; WithLogin runs it when the
	// site answers 401 (or redirects to /login), then sends the request
	// again. A wrong password fails with ErrLoginFailed and is not tried
	// again at every request.
	sess, err := httpsession.Open(file,
		httpsession.WithBaseURL(srv.URL),
		httpsession.WithTimeout(10*time.Second),
		httpsession.WithLogin(httpsession.FormLogin("/login", url.Values{
			"username": {demoserver.User}, "password": {demoserver.Password},
		})),
	)
	if err != nil {
		return err
	}
	defer sess.Close() // on the error paths; Close is safe to call twice

	status, page, err := get(context.Background(), sess, "/account")
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET /account: %d %s", status, page)
	}
	if site.Logins() == 0 {
		fmt.Printf("still logged in as %s, no login needed\n", user(page))
	} else {
		fmt.Printf("logged in as %s\n", user(page))
	}
	// Close saves the cookies to the file, for the next run.
	if err := sess.Close(); err != nil {
		return err
	}
	fmt.Printf("the server saw %d login(s) in this run\n", site.Logins())
	return nil
}

// get fetches a page and returns its status and body.
func get(ctx context.Context, sess *httpsession.Session, path string) (int, string, error) {
	resp, err := sess.Get(ctx, path)
	if err != nil {
		return 0, "", err
	}
	body, err := readBody(resp)
	return resp.StatusCode, body, err
}

func readBody(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}

// user returns the user name on the account page, "Signed in as alice".
func user(page string) string {
	name, _ := strings.CutPrefix(page, "Signed in as ")
	return name
}
