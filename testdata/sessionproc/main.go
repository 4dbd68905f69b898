// Command sessionproc is the child process of TestSessionSurvivesProcessRestart
// (session_process_test.go): one run of a program that uses an Open session.
//
//	sessionproc login FILE BASEURL   log in with the form, check the protected page
//	sessionproc visit FILE BASEURL   reach the protected page without logging in
//
// It exits 0 on success; otherwise it says what went wrong on stderr.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/httpsession/httpsession"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: sessionproc login|visit FILE BASEURL")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "sessionproc:", err)
		os.Exit(1)
	}
}

func run(mode, file, base string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := httpsession.Open(file, httpsession.WithBaseURL(base))
	if err != nil {
		return err
	}
	switch mode {
	case "login":
		// The login form answers 303 to the protected page.
		resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"alice"}, "password": {"wonderland"}})
		if err := expect(resp, err, "welcome alice"); err != nil {
			_ = s.Close()
			return fmt.Errorf("login: %w", err)
		}
		fallthrough
	case "visit":
		resp, err := s.Get(ctx, "/protected")
		if err := expect(resp, err, "welcome alice"); err != nil {
			_ = s.Close()
			return fmt.Errorf("protected page: %w", err)
		}
	default:
		_ = s.Close()
		return fmt.Errorf("unknown mode %q", mode)
	}
	return s.Close()
}

// expect checks that a request got 200 with body want.
func expect(resp *http.Response, err error, want string) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(body) != want {
		return fmt.Errorf("got %s %q, want 200 %q", resp.Status, body, want)
	}
	return nil
}
