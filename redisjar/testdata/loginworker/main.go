// Command loginworker is a fleet worker for the login tests of package
// redisjar: it opens a session on the shared jar that logs in by itself,
// and for each line "go" on standard input fetches base/page from several
// goroutines, answering "ok" or "fail: reason".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/loginrounds"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "", "Redis address")
	prefix := flag.String("prefix", "", "key prefix")
	base := flag.String("base", "", "the site's base URL")
	site := flag.String("site", "test", "the site: test (401 when logged out), django (302 to the login form, a LoginFunc of its own) or djangoform (FormLogin, no WithLoggedOut)")
	loop := flag.Int("loop", 0, "run this many goroutines without pause between go and stop (loginrounds.Loop) instead of rounds")
	flag.Parse()
	if err := run(*addr, *prefix, *base, *site, *loop); err != nil {
		fmt.Fprintln(os.Stderr, "loginworker:", err)
		os.Exit(1)
	}
}

func login(ctx context.Context, s *httpsession.Session) error {
	resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"u"}, "password": {"pw"}})
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login: status %d", resp.StatusCode)
	}
	return nil
}

// djangoLogin logs in to the e2e Django site: the login form for its
// csrftoken, then the POST.
func djangoLogin(ctx context.Context, s *httpsession.Session) error {
	form, err := s.Get(ctx, "/accounts/login/")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, form.Body)
	_ = form.Body.Close()
	csrf, ok := s.Cookie("csrftoken")
	if !ok {
		return fmt.Errorf("no csrftoken cookie with the login form")
	}
	// The token goes with the very cookie it was read from: other workers'
	// answers may change the shared csrftoken cookie meanwhile.
	resp, err := s.PostForm(ctx, "/accounts/login/", url.Values{
		"username": {"alice"}, "password": {"wonderland-e2e"},
		"csrfmiddlewaretoken": {csrf.Value}, "next": {"/private/"},
	}, httpsession.Cookies(&http.Cookie{Name: "csrftoken", Value: csrf.Value}))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.Request.URL.Path != "/private/" {
		return fmt.Errorf("login ended on %s with status %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return nil
}

func run(addr, prefix, base, site string, loop int) error {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	store, err := redisjar.OpenStore(ctx, client, prefix, redisjar.WithAckWait(0))
	if err != nil {
		return err
	}
	defer store.Close()
	opts := []httpsession.Option{httpsession.WithBaseURL(base), httpsession.WithLogin(login)}
	path, want := "/page", "page"
	if site == "django" {
		opts = []httpsession.Option{httpsession.WithBaseURL(base), httpsession.WithLogin(djangoLogin),
			httpsession.WithLoggedOut(httpsession.RedirectedTo("/accounts/login/"))}
		path, want = "/private/", "Logged in as alice"
	}
	if site == "djangoform" {
		opts = []httpsession.Option{httpsession.WithBaseURL(base),
			httpsession.WithLogin(httpsession.FormLogin("/accounts/login/", url.Values{"username": {"alice"}, "password": {"wonderland-e2e"}}))}
		path, want = "/private/", "Logged in as alice"
	}
	if os.Getenv("LOGINWORKER_LOG") != "" {
		opts = append(opts, httpsession.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("pid", os.Getpid())))
	}
	s, err := store.Session(opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	if loop > 0 {
		return loginrounds.Loop(os.Stdin, os.Stdout, loop, func() error { return page(ctx, s, path, want) })
	}
	return loginrounds.Serve(os.Stdin, os.Stdout, func() []string {
		return loginrounds.Round(3, 2, func() error { return page(ctx, s, path, want) })
	})
}

func page(ctx context.Context, s *httpsession.Session, path, want string) error {
	resp, err := s.Get(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if !strings.Contains(string(body), want) {
		return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	return nil
}
