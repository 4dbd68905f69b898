package redisjar

import (
	"log/slog"
	"time"

	"github.com/httpsession/httpsession"
)

// Defaults of the options.
const (
	DefaultAckWait      = 2 * time.Second
	DefaultStreamMaxLen = 10000
	DefaultTombstoneTTL = 24 * time.Hour
	DefaultBlockTime    = time.Second
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultMaxPending   = 100000
)

// batchSize is how many changes go to Redis in one pipeline.
const batchSize = 256

// Option configures OpenStore.
type Option func(*config)

type config struct {
	jarOpts      []httpsession.JarOption
	onError      func(error)
	logger       *slog.Logger
	loggerSet    bool
	ackWait      time.Duration
	maxLen       int64
	tombstoneTTL time.Duration
	block        time.Duration
	minBackoff   time.Duration
	maxBackoff   time.Duration
	maxPending   int
	loginLease   time.Duration
}

func defaultConfig() config {
	return config{
		ackWait:      DefaultAckWait,
		maxLen:       DefaultStreamMaxLen,
		tombstoneTTL: DefaultTombstoneTTL,
		block:        DefaultBlockTime,
		minBackoff:   DefaultMinBackoff,
		maxBackoff:   DefaultMaxBackoff,
		maxPending:   DefaultMaxPending,
		loginLease:   DefaultLoginLease,
	}
}

// WithJarOptions configures the jar the store makes (limits, clock, public
// suffix list). Limits are each worker's own: a cookie one worker's limits
// evict stays in Redis and in the other workers.
func WithJarOptions(opts ...httpsession.JarOption) Option {
	return func(c *config) { c.jarOpts = append(c.jarOpts, opts...) }
}

// WithErrorHandler sets a function called with every error of the
// background work: Redis unreachable (wrapping ErrUnavailable), changes
// dropped (ErrDropped), records refused (httpsession.ErrInvalidCookie) or
// unreadable (ErrBadRecord). It is called from the store's goroutines and
// from the jar's callers, never with a lock held, so it may use the jar; it
// must be safe for concurrent use and quick. With a handler and no
// WithLogger, nothing is logged.
func WithErrorHandler(f func(error)) Option {
	return func(c *config) { c.onError = f }
}

// WithLogger sets the logger errors are logged to, at warning level (the
// retries of an outage after its first failure at debug level), and
// reconnections at info level. The default is slog.Default(), unless
// WithErrorHandler is given; nil logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger, c.loggerSet = l, true }
}

// WithAckWait sets how long a change waits for Redis's acknowledgement
// before the jar call that made it returns (default DefaultAckWait). While
// Redis answers, this makes a login visible to the whole fleet by the time
// the response that set its cookie is returned. It never waits while Redis
// is known to be unreachable. Zero never waits: changes are then shared
// in the background, and Flush waits for them.
func WithAckWait(d time.Duration) Option {
	return func(c *config) { c.ackWait = max(d, 0) }
}

// WithStreamMaxLen sets the approximate length the change stream is
// trimmed to (default DefaultStreamMaxLen). A worker that falls further
// behind reloads every cookie.
func WithStreamMaxLen(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxLen = n
		}
	}
}

// WithTombstoneTTL sets how long Redis remembers a deletion (default
// DefaultTombstoneTTL), so that an older write arriving late, from a worker
// that was cut off, cannot bring the cookie back. It bounds how long a
// worker may stay cut off without missing deletions.
func WithTombstoneTTL(d time.Duration) Option {
	return func(c *config) {
		if d >= time.Millisecond {
			c.tombstoneTTL = d
		}
	}
}

// WithBlockTime sets how long the background follower's blocking read
// waits for new changes before asking again (default DefaultBlockTime). It
// is also about the longest Close waits for the follower to stop.
func WithBlockTime(d time.Duration) Option {
	return func(c *config) {
		if d >= time.Millisecond {
			c.block = d
		}
	}
}

// WithBackoff sets the first and the longest wait between attempts to
// reach Redis after a failure (defaults DefaultMinBackoff and
// DefaultMaxBackoff); the wait doubles, with jitter, in between.
func WithBackoff(minWait, maxWait time.Duration) Option {
	return func(c *config) {
		if minWait > 0 && maxWait >= minWait {
			c.minBackoff, c.maxBackoff = minWait, maxWait
		}
	}
}

// WithMaxPending bounds the changes waiting for Redis (default
// DefaultMaxPending). Changes to one cookie are merged, only the newest
// waits, so the queue holds at most one entry per cookie. When it is full,
// changes to further cookies are not queued: they stay in the local jar
// and are reported with ErrDropped; the jar never blocks on the queue.
// Zero or less means no bound.
func WithMaxPending(n int) Option {
	return func(c *config) { c.maxPending = n }
}

// WithLoginLease sets how long a worker's login lease lasts without renewal
// (default DefaultLoginLease): how long the fleet waits for a worker that
// died while logging in. The holder renews it every third of d. Values
// below MinLoginLease are raised to it; zero or less keeps the default.
func WithLoginLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.loginLease = max(d, MinLoginLease)
		}
	}
}

// MinLoginLease is the shortest login lease: Redis counts TTLs in
// milliseconds, and a lease must outlast a round trip or two.
const MinLoginLease = 100 * time.Millisecond
