// Package redisjar shares an httpsession cookie jar between processes and
// machines through Redis: one worker of a fleet logs in, and every worker
// sends that login; a cookie one worker refreshes or deletes reaches all.
//
// [Open] returns an ordinary *httpsession.Jar tied to Redis through the
// jar's Replica seam. The jar still does all the RFC 6265bis work (parsing,
// domain and path matching, public suffixes, prefixes, limits); Redis holds
// the shared copy, and the local jar is the cache: a lookup costs one
// round trip (a non-blocking XREAD of changes made elsewhere), or none
// while Redis is unreachable.
//
// # Layout
//
// With keyPrefix P, every key carries the hash tag {P}, so that several
// accounts or projects share one Redis and, on Redis Cluster, one prefix
// lives in one slot:
//
//	{P}:c:<domain>:<digest>  hash: upd, del, exp, rec — one per cookie
//	{P}:index                sorted set: cookie keys by expiry (ms; +inf for session cookies)
//	{P}:log                  stream of changes: upd, del, rec, n, w (the writing store's id)
//	{P}:seq                  counter numbering the stream's entries (n)
//
// rec is the cookie as JSON (name, value, domain, path, hostOnly, secure,
// httpOnly, sameSite, partitioned, partition, expires, created, lastAccess,
// updated); upd is the change's time in Unix nanoseconds, 20 digits, which
// orders changes; del is "1" for a deletion. A cookie's key expires with
// the cookie (PEXPIREAT); a session cookie's key has no TTL. A deletion
// leaves a tombstone for WithTombstoneTTL, so that an older write arriving
// late cannot bring the cookie back. The script may store a tie's winner
// a nanosecond after its record's "updated" (see below); upd is the one
// that counts.
//
// Redis 5 or newer is needed (tested with 7.0); for acknowledged changes to
// survive a crash of Redis, run it with appendonly yes and appendfsync
// always.
//
// # Consistency
//
// Every change goes through one Lua script (EVALSHA) that compares its time
// with the stored one and writes only if it is newer, then sets the TTL and
// appends the change to the stream, atomically: of two workers racing on
// one cookie, the later change wins everywhere, whatever the order in which
// they reach Redis. On an exact tie a deletion wins, and of two writes the
// larger record (byte-wise); the script then stores the winner a
// nanosecond later so that every jar takes it. A worker whose change lost
// is given the winner at once. Changes are ordered by the wall clocks of
// the machines that made them: keep them synchronised (NTP).
//
// Each jar follows the stream: a background goroutine blocks on XREAD, and
// before each lookup the jar reads what is new without blocking, so a
// worker's next request carries a cookie another worker stored before it.
// Stream entries are numbered; a worker that finds entries missing (it fell
// behind the trimmed stream, WithStreamMaxLen) reloads every cookie, as it
// does after Redis was unreachable.
//
// Cookies that Redis holds but the jar refuses (a supercookie written into
// Redis by hand, say) are not taken: Apply checks each one as if loaded from
// a file, and the refusal is reported.
//
// # When Redis is unreachable
//
// Nothing is lost silently. The jar keeps working from its local copy;
// lookups skip the round trip. (Until the store notices, a lookup waits for
// the client's timeouts: with ContextTimeoutEnabled set on the client, at
// most a second.) Changes wait in memory, the newest per
// cookie (WithMaxPending bounds how many cookies), and a background
// flusher sends them in order, retrying with exponential backoff and
// jitter, until Redis acknowledges them (the script returned). After Redis
// answers again the follower reloads every cookie to catch up; nothing
// needs to be called. Errors go to WithErrorHandler, or to a slog logger,
// and Store.Err says whether Redis answers. Store.Flush waits until every
// change made before it is acknowledged. A change that can never be sent
// is reported with ErrDropped.
//
// A change waits (WithAckWait) for Redis's acknowledgement before the jar
// call that made it returns, while Redis answers; never while it does not.
package redisjar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/httpsession/httpsession"
	"github.com/redis/go-redis/v9"
)

// Store keeps a jar in step with the cookies stored in Redis under one key
// prefix. Its methods are safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
	keys   keys
	cfg    config
	script *redis.Script
	writer string // this store's id, recorded with its changes in the stream
	jar    *httpsession.Jar

	ctx       context.Context // cancelled by Close, or with the caller's
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	wake      chan struct{} // (capacity 1) changes are waiting to be sent

	mu             sync.Mutex // guards the fields below
	queue          queue
	inflight       []*pending    // the batch being sent
	seq            uint64        // number of the latest change taken in
	progress       chan struct{} // closed and replaced on every acknowledgement or state change
	down           error         // why Redis is unreachable; nil while it answers
	stopped        bool
	drops          uint64 // changes dropped so far
	dropErr        error  // why the latest was dropped
	dropsReported  uint64 // drops when Flush last reported them
	closedReported bool

	fmu          sync.Mutex // guards the follower's position; held while applying
	lastID       string     // last stream entry applied
	lastN        int64      // its number
	reloadMu     sync.Mutex // one reload at a time
	reloadWanted atomic.Bool
}

// replica is the store as the jar's Replica, so that Refresh and Changed
// stay out of Store's own API.
type replica struct{ s *Store }

func (r replica) Refresh()                             { r.s.refresh() }
func (r replica) Changed(changes []httpsession.Change) { r.s.changed(changes) }

// Open loads every cookie stored in Redis under keyPrefix into a new jar,
// starts following changes and returns the jar. The jar follows the store
// for as long as ctx lives: cancel ctx to stop the background goroutines
// (changes not yet acknowledged by Redis are then reported and dropped).
// Errors are logged with slog.Default(). Open fails, with an error wrapping
// ErrUnavailable, if Redis cannot be reached.
//
// Open is OpenStore without the handle: use OpenStore for Flush, Close, Err
// and the options.
func Open(ctx context.Context, client redis.UniversalClient, keyPrefix string, opts ...httpsession.JarOption) (*httpsession.Jar, error) {
	s, err := OpenStore(ctx, client, keyPrefix, WithJarOptions(opts...))
	if err != nil {
		return nil, err
	}
	return s.Jar(), nil
}

// OpenStore is Open returning the Store. The store follows Redis until ctx
// is cancelled or Close is called.
func OpenStore(ctx context.Context, client redis.UniversalClient, keyPrefix string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisjar: nil client")
	}
	k, err := newKeys(keyPrefix)
	if err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if !cfg.loggerSet && cfg.onError == nil {
		cfg.logger = slog.Default()
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	s := &Store{
		client:   client,
		prefix:   keyPrefix,
		keys:     k,
		cfg:      cfg,
		script:   redis.NewScript(storeScript),
		writer:   hex.EncodeToString(id[:]),
		wake:     make(chan struct{}, 1),
		progress: make(chan struct{}),
		lastID:   "0-0",
	}
	jarOpts := append(append([]httpsession.JarOption(nil), cfg.jarOpts...), httpsession.WithReplica(replica{s}))
	s.jar = httpsession.NewJar(jarOpts...)
	if err := s.script.Load(ctx, client).Err(); err != nil {
		return nil, fmt.Errorf("redisjar: open %s: %w: %w", keyPrefix, ErrUnavailable, err)
	}
	s.reloadWanted.Store(true)
	if err := s.reload(ctx); err != nil {
		return nil, fmt.Errorf("redisjar: open %s: %w: %w", keyPrefix, ErrUnavailable, err)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.flush()
	}()
	go func() {
		defer s.wg.Done()
		s.follow()
	}()
	return s, nil
}

// Jar returns the store's jar.
func (s *Store) Jar() *httpsession.Jar { return s.jar }

// Session returns a session that keeps its cookies in the store's jar, with
// the given options (a WithJar or WithJarOptions among them is overridden).
func (s *Store) Session(opts ...httpsession.Option) (*httpsession.Session, error) {
	all := append([]httpsession.Option{httpsession.WithLoginLock(s)}, opts...)
	all = append(all, httpsession.WithJar(s.jar))
	return httpsession.New(all...)
}

// NewSession returns a session whose jar is shared through Redis under
// keyPrefix (see Open), for as long as ctx lives.
func NewSession(ctx context.Context, client redis.UniversalClient, keyPrefix string, opts ...httpsession.Option) (*httpsession.Session, error) {
	s, err := OpenStore(ctx, client, keyPrefix)
	if err != nil {
		return nil, err
	}
	sess, err := s.Session(opts...)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return sess, nil
}

// Import loads a cookie file (native JSON or cookies.txt, as Jar.Load reads
// them) into the cookies stored under keyPrefix, and returns once Redis has
// acknowledged them: a login made on a laptop seeds the fleet. Where Redis
// holds a more recent change to a cookie, Redis's stays. Cookies of the
// file that the jar refuses are reported in an *httpsession.FileError; the
// others are imported.
func Import(ctx context.Context, client redis.UniversalClient, keyPrefix, path string, opts ...Option) error {
	s, err := OpenStore(ctx, client, keyPrefix, opts...)
	if err != nil {
		return err
	}
	loadErr := s.jar.Load(path)
	var fe *httpsession.FileError
	if loadErr != nil && !errors.As(loadErr, &fe) {
		_ = s.Close()
		return loadErr
	}
	return errors.Join(loadErr, s.Flush(ctx), s.Close())
}

// Err returns why Redis cannot be reached, wrapping ErrUnavailable, or
// ErrClosed once the store has stopped, or nil while Redis answers.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrClosed
	}
	return s.down
}

// Flush waits until Redis has acknowledged every change the jar made
// before the call, or ctx is done. It returns an error wrapping ErrDropped
// if changes were dropped (they will never reach Redis) since the last
// Flush that said so, and one wrapping ErrClosed if the store stopped
// first. On ctx's expiry the error also wraps the reason Redis is
// unreachable, if it is.
func (s *Store) Flush(ctx context.Context) error {
	s.mu.Lock()
	target := s.seq
	for !s.ackedLocked(target) {
		if s.stopped {
			n := s.pendingLocked()
			s.mu.Unlock()
			return fmt.Errorf("redisjar: flush: %w: %d changes not acknowledged", ErrClosed, n)
		}
		ch, down := s.progress, s.down
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("redisjar: flush: %w", errors.Join(ctx.Err(), down))
		case <-ch:
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.drops > s.dropsReported {
		n := s.drops - s.dropsReported
		s.dropsReported = s.drops
		return fmt.Errorf("redisjar: flush: %d changes dropped, the latest: %w", n, s.dropErr)
	}
	return nil
}

// Close stops the background goroutines and waits for them; the follower
// stops within about WithBlockTime. The jar keeps working locally but is
// no longer shared. Changes Redis had not acknowledged are lost: Close
// returns an error wrapping ErrDropped that counts them; call Flush first.
// Close does not close the Redis client. Later calls return the same.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		s.mu.Lock()
		n := s.pendingLocked()
		s.mu.Unlock()
		if n > 0 {
			s.closeErr = fmt.Errorf("redisjar: close %s: %w: %d changes had not been acknowledged by Redis", s.prefix, ErrDropped, n)
		}
	})
	return s.closeErr
}

// report hands an error of the background work to the handler and, at
// warning level, to the logger.
func (s *Store) report(err error) {
	s.reportAt(slog.LevelWarn, err)
}

func (s *Store) reportAt(level slog.Level, err error) {
	if s.cfg.onError != nil {
		s.cfg.onError(err)
	}
	if s.cfg.logger != nil {
		s.cfg.logger.Log(context.Background(), level, "redisjar: shared cookie store", "prefix", s.prefix, "error", err)
	}
}

// fail records that Redis did not answer, and asks for a reload once it
// does. The first failure of an outage is logged as a warning, the retries
// at debug level; the error handler gets them all.
func (s *Store) fail(op string, err error) {
	err = fmt.Errorf("redisjar: %s: %w: %w", op, ErrUnavailable, err)
	s.reloadWanted.Store(true)
	s.mu.Lock()
	first := s.down == nil
	s.down = err
	s.broadcastLocked()
	s.mu.Unlock()
	level := slog.LevelDebug
	if first {
		level = slog.LevelWarn
	}
	s.reportAt(level, err)
}

// ok records that Redis answered.
func (s *Store) ok() {
	s.mu.Lock()
	was := s.down
	if was != nil {
		s.down = nil
		s.broadcastLocked()
	}
	s.mu.Unlock()
	if was != nil && s.cfg.logger != nil {
		s.cfg.logger.Info("redisjar: Redis answers again", "prefix", s.prefix)
	}
}

// broadcastLocked wakes everyone waiting for progress. The caller holds
// s.mu.
func (s *Store) broadcastLocked() {
	close(s.progress)
	s.progress = make(chan struct{})
}

// ackedLocked reports whether every change numbered up to target has been
// acknowledged (or dropped). The caller holds s.mu.
func (s *Store) ackedLocked(target uint64) bool {
	low := s.queue.floor()
	if len(s.inflight) > 0 {
		low = min(low, s.inflight[0].floor)
	}
	return low > target
}

// pendingLocked counts the changes not yet acknowledged. The caller holds
// s.mu.
func (s *Store) pendingLocked() int {
	return s.queue.len() + len(s.inflight)
}
