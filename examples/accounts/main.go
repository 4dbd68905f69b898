// Accounts shows a scraper that works with several accounts at once: an
// httpsession.Pool hands each worker an account no other worker holds,
// each account logs in once and stays logged in (its cookies in its own
// file), and an account the site rate-limits cools down while the workers
// go on with the others.
//
// The program starts a small site on 127.0.0.1 (see demoserver.LoginSite)
// with three accounts, which answers every fourth request of an account
// with 429 Too Many Requests and Retry-After: 1. Eight workers fetch
// /account for three seconds, each with whatever account the pool gives
// it; the program prints what each account served and how often each
// logged in. Run it again, and no account logs in: the pool's directory
// keeps them logged in.
//
//	go run ./examples/accounts          # 3 logins, about 9 pages per account
//	go run ./examples/accounts          # 0 logins
//	go run ./examples/accounts -reset   # log out: delete the pool's directory first
//
// The accounts live in the directory named after the cookie file that
// the program prints (-file chooses another). Start it in two terminals at once: the two processes share the accounts,
// never using one at the same time.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/examples/internal/demoserver"
)

var accounts = map[string]string{"ann": "ann-pw", "bob": "bob-pw", "cy": "cy-pw"}

func main() {
	file, reset, err := demoserver.Setup("accounts", "delete the pool's directory first, which logs every account out")
	if err != nil {
		log.Fatal(err)
	}
	// The pool's directory is named after the file: accounts.json's is
	// accounts/, with ann.json, bob.json and cy.json in it.
	if err := run(strings.TrimSuffix(file, filepath.Ext(file)), reset); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, reset bool) error {
	if reset {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		fmt.Println("(deleted the pool's directory: every account is logged out)")
	}
	site := demoserver.NewAccountsSite(accounts)
	site.Limit(3)
	srv, err := demoserver.Start(site)
	if err != nil {
		return err
	}
	defer srv.Close()

	var ids []httpsession.Identity
	for _, name := range []string{"ann", "bob", "cy"} {
		ids = append(ids, httpsession.Identity{
			Name:  name,
			Login: httpsession.FormLogin("/login", url.Values{"username": {name}, "password": {accounts[name]}}),
		})
	}
	pool, err := httpsession.OpenPool(dir, ids, httpsession.WithSessionOptions(httpsession.WithBaseURL(srv.URL)))
	if err != nil {
		return err
	}
	defer pool.Close()
	fmt.Println("pool:", dir)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var mu sync.Mutex
	served, blocked := map[string]int{}, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lease, err := pool.Acquire(ctx)
				if err != nil {
					return // the time is up (or every account is retired)
				}
				ok, err := fetch(ctx, lease.Session())
				mu.Lock()
				switch {
				case ok:
					served[lease.Name()]++
				case errors.Is(err, httpsession.ErrBlocked), err == nil:
					blocked++ // a 429: the account cools down for everyone
				}
				mu.Unlock()
				lease.Release()
			}
		}()
	}
	wg.Wait()
	for _, name := range []string{"ann", "bob", "cy"} {
		fmt.Printf("%s: %d pages, %d logins\n", name, served[name], site.LoginsOf(name))
	}
	fmt.Println("answers that cooled an account down:", blocked)
	return nil
}

// fetch gets /account, and reports whether the site served it.
func fetch(ctx context.Context, s *httpsession.Session) (bool, error) {
	resp, err := s.Get(ctx, "/account")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK, nil
}
