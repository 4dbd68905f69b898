package redisjar

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/httpsession/httpsession"
)

// casScript stores a pool's state if it is still the one read.
//
// KEYS: the state. ARGV: "1" if a state was read (else "0"), the state
// read, the state to store. Reply: 1 if stored, 0 if another came first.
const casScript = `
local cur = redis.call('GET', KEYS[1])
if (ARGV[1] == '0' and cur == false) or (ARGV[1] == '1' and cur == ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[3])
  return 1
end
return 0
`

// wakeTTL bounds the life of a process's wake list: a process that died
// leaves nothing behind for long.
const wakeTTL = 10 * time.Second

// listenEvery is how long one blocking pop of a wake list lasts.
const listenEvery = time.Second

// OpenPool opens the pool of identities ids shared through Redis under
// prefix by every process and machine of a fleet: each identity's cookies
// live in the jar under prefix+":id:"+NAME (see OpenStore), whose login is
// shared as a Store's is; the pool's state (leases, uses, cool-downs,
// retirements, the queue of waiters) in the key "{prefix}:pool".
//
// A lease lasts its TTL (httpsession.WithLeaseTTL) after its holder last
// renewed it, which the holder does every third of it; a holder that could
// not renew in time stops sending requests before anyone else can take the
// identity. Waiters are woken through a list per process
// ("{prefix}:pool:wake:NODE", popped with BLPOP), so waiting costs no
// polling, and look again at least every third of the TTL (at most 10 s).
// Times are Redis's clock (TIME), so the machines' clocks may differ.
//
// The pool follows Redis for as long as ctx lives, as OpenStore's store
// does; Pool.Close ends it. OpenPool fails, with an error wrapping
// ErrUnavailable, if Redis cannot be reached.
func OpenPool(ctx context.Context, client *redis.Client, prefix string, ids []httpsession.Identity, opts ...httpsession.PoolOption) (*httpsession.Pool, error) {
	if client == nil {
		return nil, errors.New("redisjar: nil client")
	}
	if _, err := newKeys(prefix); err != nil {
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redisjar: open pool %s: %w: %w", prefix, ErrUnavailable, err)
	}
	sctx, cancel := context.WithCancel(ctx)
	st := &poolStore{
		client: client,
		prefix: prefix,
		state:  "{" + prefix + "}:pool",
		cas:    redis.NewScript(casScript),
		ctx:    sctx,
		cancel: cancel,
		nodes:  map[string]*listener{},
		stores: map[string]*Store{},
	}
	p, err := httpsession.NewPool(st, ids, opts...)
	if err != nil {
		cancel()
		return nil, err
	}
	return p, nil
}

// poolStore is the httpsession.PoolStore of OpenPool.
type poolStore struct {
	client *redis.Client
	prefix string
	state  string
	cas    *redis.Script
	ctx    context.Context // the pool's life
	cancel context.CancelFunc

	mu     sync.Mutex
	nodes  map[string]*listener // this process's wake lists being popped
	stores map[string]*Store    // each identity's jar
}

// listener pops one wake list for the waiters of one pool.
type listener struct {
	waiters int
	woken   chan struct{} // closed, and replaced, at each wake
}

func (s *poolStore) unavailable(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("redisjar: pool %s: %s: %w", s.prefix, op, err)
	}
	return fmt.Errorf("redisjar: pool %s: %s: %w: %w", s.prefix, op, ErrUnavailable, err)
}

// Update reads the state and Redis's clock, and stores what change makes
// of the state if no one else stored one meanwhile; else it tries again.
func (s *poolStore) Update(ctx context.Context, change func([]byte, time.Time) ([]byte, error)) error {
	for attempt := 0; ; attempt++ {
		pipe := s.client.Pipeline()
		get := pipe.Get(ctx, s.state)
		clock := pipe.Time(ctx)
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return s.unavailable("read", err)
		}
		old, err := get.Bytes()
		had := "1"
		if errors.Is(err, redis.Nil) {
			old, had = nil, "0"
		} else if err != nil {
			return s.unavailable("read", err)
		}
		next, err := change(old, clock.Val())
		if err != nil || next == nil {
			return err
		}
		stored, err := s.cas.Run(ctx, s.client, []string{s.state}, had, old, next).Int()
		if err != nil {
			return s.unavailable("write", err)
		}
		if stored == 1 {
			return nil
		}
		if attempt >= 2 {
			// Many writers at once: step aside a moment.
			t := time.NewTimer(time.Duration(rand.N(min(attempt, 20))+1) * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return s.unavailable("write", ctx.Err())
			}
		}
	}
}

func (s *poolStore) wakeKey(node string) string {
	return "{" + s.prefix + "}:pool:wake:" + node
}

// node returns the part of a ticket that names its pool.
func node(ticket string) string {
	n, _, _ := strings.Cut(ticket, ".")
	return n
}

// Wait waits for a wake of the ticket's pool, d, or the end of ctx. One
// goroutine per pool pops its wake list while any of its waiters waits.
func (s *poolStore) Wait(ctx context.Context, ticket string, d time.Duration) error {
	n := node(ticket)
	s.mu.Lock()
	l := s.nodes[n]
	if l == nil {
		l = &listener{woken: make(chan struct{})}
		s.nodes[n] = l
		go s.listen(n, l)
	}
	l.waiters++
	woken := l.woken
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		l.waiters--
		s.mu.Unlock()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-woken:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listen pops node's wake list, waking its waiters at each push, until it
// has no waiters left or the pool ends.
func (s *poolStore) listen(n string, l *listener) {
	key := s.wakeKey(n)
	for {
		s.mu.Lock()
		if l.waiters == 0 || s.ctx.Err() != nil {
			delete(s.nodes, n)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		_, err := s.client.BLPop(s.ctx, listenEvery, key).Result()
		switch {
		case err == nil:
			s.mu.Lock()
			close(l.woken)
			l.woken = make(chan struct{})
			s.mu.Unlock()
		case errors.Is(err, redis.Nil):
		default:
			// Redis out of reach: the waiters look again by
			// themselves; do not spin.
			t := time.NewTimer(200 * time.Millisecond)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
		}
	}
}

// Wake pushes to the wake list of each ticket's pool.
func (s *poolStore) Wake(ctx context.Context, tickets []string) error {
	if len(tickets) == 0 {
		return nil
	}
	seen := map[string]bool{}
	pipe := s.client.Pipeline()
	for _, t := range tickets {
		n := node(t)
		if seen[n] {
			continue
		}
		seen[n] = true
		key := s.wakeKey(n)
		pipe.LPush(ctx, key, "1")
		pipe.LTrim(ctx, key, 0, 7)
		pipe.PExpire(ctx, key, wakeTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.unavailable("wake", err)
	}
	return nil
}

// Session opens the identity's jar (OpenStore under prefix+":id:"+name)
// and a session on it; its sync is the store's Flush.
func (s *poolStore) Session(ctx context.Context, name string, opts []httpsession.Option) (*httpsession.Session, func(context.Context) error, error) {
	s.mu.Lock()
	st := s.stores[name]
	s.mu.Unlock()
	if st == nil {
		var err error
		st, err = OpenStore(s.ctx, s.client, s.prefix+":id:"+name)
		if err != nil {
			return nil, nil, err
		}
		s.mu.Lock()
		s.stores[name] = st
		s.mu.Unlock()
	}
	sess, err := st.Session(opts...)
	if err != nil {
		return nil, nil, err
	}
	return sess, st.Flush, nil
}

// Close closes the identities' jars and ends the pool's life.
func (s *poolStore) Close() error {
	s.mu.Lock()
	stores := s.stores
	s.stores = map[string]*Store{}
	s.mu.Unlock()
	// The jars live in the pool's life: ended first, their followers
	// all stop at once, rather than one after the other as each Close
	// waits out its follower's blocking read (up to its block time).
	s.cancel()
	var errs []error
	for _, st := range stores {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
