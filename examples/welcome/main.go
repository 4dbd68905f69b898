// Welcome shows a Session that remembers a site across runs: the classic
// visited-cookie page of Django's cookie documentation.
//
// The program starts a small server on 127.0.0.1 that answers "Welcome to my
// website!" to a visitor without a visited cookie, setting visited=yes for a
// week, and "Welcome back!" to a visitor with it. The client is a Session
// made by httpsession.Open, which loads its cookies from a file and saves
// them back on Close, so the second run is welcomed back even though the
// server is a new one on a new port.
//
// Run it twice:
//
//	go run ./examples/welcome          # Welcome to my website!
//	go run ./examples/welcome          # Welcome back!
//	go run ./examples/welcome -reset   # forget the cookie: a new visitor again
//
// The cookies live in welcome.json in httpsession/examples under the user's
// cache directory (~/.cache on Linux; see demoserver.DefaultFile), which
// the program prints; -file chooses another file.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/examples/internal/demoserver"
)

func main() {
	file, reset, err := demoserver.Setup("welcome", "delete the cookie file first, to visit as a new visitor")
	if err != nil {
		log.Fatal(err)
	}
	if err := run(file, reset); err != nil {
		log.Fatal(err)
	}
}

// home is the page of Django's example:
//
//	if request.COOKIES.get("visited"):
//	    return HttpResponse("Welcome back!")
//	response = HttpResponse("Welcome to my website!")
//	response.set_cookie("visited", "yes", max_age=3600*24*7)
func home(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("visited"); err == nil {
		fmt.Fprintln(w, "Welcome back!")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "visited", Value: "yes", MaxAge: 7 * 24 * 60 * 60})
	fmt.Fprintln(w, "Welcome to my website!")
}

func run(file string, reset bool) error {
	if reset {
		if err := demoserver.Forget(file); err != nil {
			return err
		}
		fmt.Println("(deleted the cookie file: a new visitor)")
	}

	srv, err := demoserver.Start(http.HandlerFunc(home))
	if err != nil {
		return err
	}
	defer srv.Close()

	// Open loads the cookies of earlier runs, if the file exists, and
	// Close saves the jar back to the file.
	sess, err := httpsession.Open(file, httpsession.WithTimeout(10*time.Second))
	if err != nil {
		return err
	}
	defer sess.Close() // on the error paths; Close is safe to call twice

	resp, err := sess.Get(context.Background(), srv.URL+"/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Println(strings.TrimSpace(string(body)))
	if err := sess.Close(); err != nil {
		return err
	}
	fmt.Println("(-reset forgets the cookie)")
	return nil
}
