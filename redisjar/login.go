package redisjar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/redis/go-redis/v9"
)

// Logins across the fleet (httpsession.WithLogin on a Store's sessions): the
// workers log in one at a time under a lease in Redis, and a worker that
// finds a login it has not seen catches up with the stream instead of
// logging in. With keyPrefix P:
//
//	{P}:login:lease    the lease: its holder's random token, with a TTL
//	{P}:login:record   the httpsession.LoginRecord: gen, failures, retry
//	                   (Unix nanoseconds), cause
//
// The holder renews its lease every third of its TTL while it logs in, for
// as long as the session allows the login (WithLoginTimeout); a holder
// that dies stops renewing, and its lease expires (WithLoginLease). The
// record changes only under the holder's own token, after the new cookies
// were acknowledged by Redis, so a holder whose lease ran out cannot
// record a login over another's. Generations are httpsession's
// NextGeneration: Redis losing its data (a restart without persistence)
// hands out no generation a worker already holds, so no worker mistakes
// its old login for the latest.
//
// While Redis is unreachable, no worker logs in: the lease cannot be
// taken, so a request that needs a login fails with an error wrapping
// httpsession.ErrLoginFailed and the Redis error, and the session backs
// off (WithLoginBackoff) before it tries again.

// DefaultLoginLease is how long a login lease lasts without renewal.
const DefaultLoginLease = 30 * time.Second

// loginPoll is how often a worker waiting for another's login looks again.
const loginPoll = 25 * time.Millisecond

// releaseTimeout bounds the flush and the release after a login.
const releaseTimeout = 30 * time.Second

// ErrLeaseLost is returned when a login took so long that its lease ran out
// and another worker may have taken it: the login is not recorded.
var ErrLeaseLost = errors.New("redisjar: login lease lost")

// releaseLease deletes the lease if it is still token's; with a record
// (ARGV[2] == '1') it first stores it. It returns 0 if the lease was no
// longer held.
var releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'gen', ARGV[3], 'failures', ARGV[4], 'retry', ARGV[5], 'cause', ARGV[6])
end
redis.call('DEL', KEYS[1])
return 1`)

// renewLease extends the lease if it is still token's.
var renewLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`)

func (s *Store) leaseKey() string  { return "{" + s.prefix + "}:login:lease" }
func (s *Store) recordKey() string { return "{" + s.prefix + "}:login:record" }

// AcquireLogin implements httpsession.LoginLock: it waits for the fleet's
// login lease, and returns the fleet's login record. The lease is renewed
// for at most hold; past it, the holder loses it within WithLoginLease.
func (s *Store) AcquireLogin(ctx context.Context, hold time.Duration) (httpsession.LoginRecord, func(*httpsession.LoginRecord) error, error) {
	ttl := s.cfg.loginLease
	for {
		tok, err := leaseToken()
		if err != nil {
			return httpsession.LoginRecord{}, nil, err
		}
		ok, err := s.client.SetNX(ctx, s.leaseKey(), tok, ttl).Result()
		if err != nil {
			return httpsession.LoginRecord{}, nil, fmt.Errorf("redisjar: login lease: %w", err)
		}
		if ok {
			return s.holdLease(ctx, tok, ttl, hold)
		}
		t := time.NewTimer(loginPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return httpsession.LoginRecord{}, nil, fmt.Errorf("redisjar: waiting for the login lease: %w", ctx.Err())
		case <-s.ctx.Done():
			t.Stop()
			return httpsession.LoginRecord{}, nil, fmt.Errorf("redisjar: waiting for the login lease: %w", ErrClosed)
		case <-t.C:
		}
	}
}

// leaseToken returns a random token naming one hold of the lease: unlike a
// counter in Redis, it never repeats after Redis lost its data.
func leaseToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("redisjar: login lease: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// readRecord reads the fleet's login record; a missing one is empty.
func (s *Store) readRecord(ctx context.Context) (httpsession.LoginRecord, error) {
	vals, err := s.client.HMGet(ctx, s.recordKey(), "gen", "failures", "retry", "cause").Result()
	if err != nil {
		return httpsession.LoginRecord{}, err
	}
	str := func(i int) string { v, _ := vals[i].(string); return v }
	var rec httpsession.LoginRecord
	rec.Generation, _ = strconv.ParseUint(str(0), 10, 64)
	n, _ := strconv.Atoi(str(1))
	rec.Failures = max(n, 0)
	if ns, err := strconv.ParseInt(str(2), 10, 64); err == nil && ns > 0 {
		rec.RetryAt = time.Unix(0, ns)
	}
	rec.Cause = str(3)
	return rec, nil
}

// holdLease reads the record under a lease just taken and keeps the lease
// alive until release, or for hold at most.
func (s *Store) holdLease(ctx context.Context, tok string, ttl, hold time.Duration) (httpsession.LoginRecord, func(*httpsession.LoginRecord) error, error) {
	keys := []string{s.leaseKey(), s.recordKey()}
	rec, err := s.readRecord(ctx)
	if err != nil {
		_ = releaseLease.Run(context.WithoutCancel(ctx), s.client, keys, tok, "0").Err()
		return httpsession.LoginRecord{}, nil, fmt.Errorf("redisjar: login record: %w", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		end := time.NewTimer(max(hold, 0))
		defer end.Stop()
		for {
			select {
			case <-stop:
				return
			case <-end.C:
				return // held as long as allowed: the lease runs out by itself
			case <-tick.C:
				_ = renewLease.Run(s.ctx, s.client, keys[:1], tok, ttl.Milliseconds()).Err()
			}
		}
	}()
	var once sync.Once
	release := func(next *httpsession.LoginRecord) error {
		var err error
		once.Do(func() {
			close(stop)
			wg.Wait()
			// Flushing and releasing get their own time, not the
			// lease's: a short lease must not fail a login that worked.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(ttl, releaseTimeout))
			defer cancel()
			args := []any{tok, "0"}
			if next != nil {
				if next.Generation != rec.Generation {
					// The others must find the new cookies in the
					// stream once they see the new generation.
					if err = s.Flush(rctx); err != nil {
						next = nil
					}
				}
			}
			if next != nil {
				retry := int64(0)
				if !next.RetryAt.IsZero() {
					retry = next.RetryAt.UnixNano()
				}
				args = []any{tok, "1", strconv.FormatUint(next.Generation, 10), strconv.Itoa(next.Failures), strconv.FormatInt(retry, 10), next.Cause}
			}
			n, rerr := releaseLease.Run(rctx, s.client, keys, args...).Int()
			switch {
			case rerr != nil:
				err = errors.Join(err, fmt.Errorf("redisjar: release the login lease: %w", rerr))
			case n == 0 && next != nil:
				err = ErrLeaseLost
			}
		})
		return err
	}
	return rec, release, nil
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
