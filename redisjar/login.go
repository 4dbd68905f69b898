package redisjar

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Logins across the fleet (httpsession.WithLogin on a Store's sessions): the
// workers log in one at a time under a lease in Redis, and a worker that
// finds a login it has not seen catches up with the stream instead of
// logging in. With keyPrefix P:
//
//	{P}:login:lease   the lease: its holder's fencing token, with a TTL
//	{P}:login:fence   counter handing out fencing tokens
//	{P}:login:gen     generation: successful logins recorded so far
//
// The holder renews its lease every third of its TTL while it logs in; a
// holder that dies stops renewing, and its lease expires (WithLoginLease).
// The generation moves only under the holder's own token, after the new
// cookies were acknowledged by Redis, so a holder whose lease ran out
// cannot record a login over another's.

// DefaultLoginLease is how long a login lease lasts without renewal.
const DefaultLoginLease = 30 * time.Second

// loginPoll is how often a worker waiting for another's login looks again.
const loginPoll = 25 * time.Millisecond

// releaseTimeout bounds the flush and the release after a login.
const releaseTimeout = 30 * time.Second

// ErrLeaseLost is returned when a login took so long that its lease ran out
// and another worker may have taken it: the login is not recorded.
var ErrLeaseLost = errors.New("redisjar: login lease lost")

// release deletes the lease if it is still token's; with loggedIn it first
// moves the generation on. It returns 0 if the lease was no longer held.
var releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then redis.call('INCR', KEYS[2]) end
redis.call('DEL', KEYS[1])
return 1`)

// renewLease extends the lease if it is still token's.
var renewLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`)

func (s *Store) leaseKey() string { return "{" + s.prefix + "}:login:lease" }
func (s *Store) fenceKey() string { return "{" + s.prefix + "}:login:fence" }
func (s *Store) genKey() string   { return "{" + s.prefix + "}:login:gen" }

// AcquireLogin implements httpsession.LoginLock: it waits for the fleet's
// login lease, and returns the generation of the latest login.
func (s *Store) AcquireLogin(ctx context.Context) (uint64, func(loggedIn bool) error, error) {
	ttl := s.cfg.loginLease
	for {
		held, err := s.client.Exists(ctx, s.leaseKey()).Result()
		if err != nil {
			return 0, nil, fmt.Errorf("redisjar: login lease: %w", err)
		}
		if held == 0 {
			token, err := s.client.Incr(ctx, s.fenceKey()).Result()
			if err != nil {
				return 0, nil, fmt.Errorf("redisjar: login lease: %w", err)
			}
			tok := strconv.FormatInt(token, 10)
			ok, err := s.client.SetNX(ctx, s.leaseKey(), tok, ttl).Result()
			if err != nil {
				return 0, nil, fmt.Errorf("redisjar: login lease: %w", err)
			}
			if ok {
				return s.holdLease(ctx, tok, ttl)
			}
		}
		t := time.NewTimer(loginPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil, fmt.Errorf("redisjar: waiting for the login lease: %w", ctx.Err())
		case <-s.ctx.Done():
			t.Stop()
			return 0, nil, fmt.Errorf("redisjar: waiting for the login lease: %w", ErrClosed)
		case <-t.C:
		}
	}
}

// holdLease reads the generation under a lease just taken and keeps the
// lease alive until release.
func (s *Store) holdLease(ctx context.Context, tok string, ttl time.Duration) (uint64, func(bool) error, error) {
	keys := []string{s.leaseKey(), s.genKey()}
	gen, err := s.client.Get(ctx, s.genKey()).Uint64()
	if errors.Is(err, redis.Nil) {
		gen, err = 0, nil
	}
	if err != nil {
		_ = releaseLease.Run(context.WithoutCancel(ctx), s.client, keys, tok, "0").Err()
		return 0, nil, fmt.Errorf("redisjar: login generation: %w", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = renewLease.Run(s.ctx, s.client, keys[:1], tok, ttl.Milliseconds()).Err()
			}
		}
	}()
	var once sync.Once
	release := func(loggedIn bool) error {
		var err error
		once.Do(func() {
			close(stop)
			wg.Wait()
			// Flushing and releasing get their own time, not the
			// lease's: a short lease must not fail a login that worked.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(ttl, releaseTimeout))
			defer cancel()
			flag := "0"
			if loggedIn {
				// The others must find the new cookies in the stream
				// once they see the new generation.
				if err = s.Flush(rctx); err != nil {
					loggedIn = false
				} else {
					flag = "1"
				}
			}
			n, rerr := releaseLease.Run(rctx, s.client, keys, tok, flag).Int()
			switch {
			case rerr != nil:
				err = errors.Join(err, fmt.Errorf("redisjar: release the login lease: %w", rerr))
			case n == 0 && loggedIn:
				err = ErrLeaseLost
			}
		})
		return err
	}
	return gen, release, nil
}

// SyncLogin implements httpsession.LoginLock: the jar takes every change the
// stream holds, the new login's cookies among them.
func (s *Store) SyncLogin(ctx context.Context) error {
	s.refresh()
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down != nil {
		return fmt.Errorf("redisjar: catch up with the login: %w", down)
	}
	return ctx.Err()
}
