// Command poolworker is a worker of an identity pool on the e2e Django
// site, for the pool tests of package redisjar: it opens the pool (a
// directory or Redis), runs goroutines that each acquire an identity,
// fetch /private/ as it, and release it, until the duration is over or no
// identity is left, and prints a JSON report on standard output.
//
// With -hold NAME it instead acquires NAME, prints "held NAME" and waits
// to be killed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
)

// report is what a worker prints when it is done.
type report struct {
	Answered map[string]int    // 200 answers, per account
	Blocked  int               // requests that found their lease blocked (ErrBlocked or a 429)
	Failed   map[string]string // other failures, per account: the last
	Leases   int
	MaxWait  time.Duration // the longest Acquire
	NoneLeft bool          // Acquire said ErrNoIdentity
	Status   map[string]string
}

func main() {
	dir := flag.String("dir", "", "the pool's directory (OpenPool)")
	addr := flag.String("addr", "", "the Redis address (redisjar.OpenPool)")
	prefix := flag.String("prefix", "pool", "the Redis key prefix")
	base := flag.String("base", "", "the site's base URL")
	accounts := flag.String("accounts", "", "name:password,...")
	workers := flag.Int("goroutines", 4, "goroutines")
	run := flag.Duration("for", 10*time.Second, "how long to work")
	ttl := flag.Duration("ttl", 2*time.Second, "the lease TTL (Redis)")
	sleep := flag.Int("sleep-ms", 5, "how long the site sleeps in each request")
	hold := flag.String("hold", "", "acquire this identity and wait to be killed")
	flag.Parse()
	if err := work(*dir, *addr, *prefix, *base, *accounts, *workers, *run, *ttl, *sleep, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "poolworker:", err)
		os.Exit(1)
	}
}

func work(dir, addr, prefix, base, accounts string, workers int, run, ttl time.Duration, sleep int, hold string) error {
	var ids []httpsession.Identity
	for _, acc := range strings.Split(accounts, ",") {
		name, pw, _ := strings.Cut(acc, ":")
		ids = append(ids, httpsession.Identity{
			Name:  name,
			Login: httpsession.FormLogin("/accounts/login/", url.Values{"username": {name}, "password": {pw}}),
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := []httpsession.PoolOption{
		httpsession.WithSessionOptions(httpsession.WithBaseURL(base)),
		httpsession.WithLeaseTTL(ttl),
	}
	var pool *httpsession.Pool
	var err error
	if dir != "" {
		pool, err = httpsession.OpenPool(dir, ids, opts...)
	} else {
		pool, err = redisjar.OpenPool(ctx, redis.NewClient(&redis.Options{Addr: addr}), prefix, ids, opts...)
	}
	if err != nil {
		return err
	}
	defer pool.Close()
	if hold != "" {
		l, err := pool.AcquireName(ctx, hold)
		if err != nil {
			return err
		}
		fmt.Println("held", l.Name())
		select {}
	}
	rep := report{Answered: map[string]int{}, Failed: map[string]string{}, Status: map[string]string{}}
	var mu sync.Mutex
	stop := time.Now().Add(run)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				actx, acancel := context.WithDeadline(ctx, stop)
				start := time.Now()
				l, err := pool.Acquire(actx)
				acancel()
				waited := time.Since(start)
				mu.Lock()
				rep.MaxWait = max(rep.MaxWait, waited)
				mu.Unlock()
				if errors.Is(err, httpsession.ErrNoIdentity) {
					mu.Lock()
					rep.NoneLeft = true
					mu.Unlock()
					return
				}
				if err != nil {
					if time.Now().Before(stop) {
						mu.Lock()
						rep.Failed["acquire"] = err.Error()
						mu.Unlock()
					}
					continue
				}
				status, err := fetch(ctx, l.Session(), fmt.Sprintf("/private/?sleep_ms=%d", sleep))
				mu.Lock()
				rep.Leases++
				switch {
				case err == nil && status == http.StatusOK:
					rep.Answered[l.Name()]++
				case errors.Is(err, httpsession.ErrBlocked) || status == http.StatusTooManyRequests:
					rep.Blocked++
				case err != nil:
					rep.Failed[l.Name()] = err.Error()
				default:
					rep.Failed[l.Name()] = fmt.Sprintf("status %d", status)
				}
				mu.Unlock()
				l.Release()
			}
		}()
	}
	wg.Wait()
	for _, st := range pool.Status() {
		rep.Status[st.Name] = st.State.String()
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func fetch(ctx context.Context, s *httpsession.Session, path string) (int, error) {
	resp, err := s.Get(ctx, path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
