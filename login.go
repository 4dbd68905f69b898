package httpsession

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// LoginFunc logs the session in, using the session it is given: a view of
// the session whose requests are never checked for being logged out and
// never wait for a login, whatever their context. See FormLogin for the
// usual HTML form.
//
// A LoginFunc returns nil only when it knows it is logged in; a login that
// sees the form again, or a 4xx or 5xx answer, should return an error, so
// that the session backs off rather than logging in at every request.
// Its requests should use ctx, which ends with WithLoginTimeout and Close;
// a LoginFunc that ignores it is abandoned at the timeout all the same.
type LoginFunc func(ctx context.Context, s *Session) error

// ErrLoggedOut is wrapped by the error of a request whose response still
// means "not logged in" (see WithLoggedOut) after what the session could
// do: its login failed, or the request's body cannot be sent again.
var ErrLoggedOut = errors.New("httpsession: logged out")

// ErrLoginFailed is wrapped by the error of every failed login: a
// LoginFunc's error, a FormLogin refusal, a login that did not end within
// WithLoginTimeout, and a session still logged out right after its own
// login. A request that needed such a login wraps it, and ErrLoggedOut;
// so does a request that needs a login during the backoff that follows
// one (see WithLoginBackoff), which is failed at once, without being sent.
var ErrLoginFailed = errors.New("httpsession: login failed")

// WithLogin makes the session log in by itself. When a response, after
// redirects, means "not logged in" (see WithLoggedOut for the default),
// the session runs login and sends the request again.
//
// One expiry costs one login. Requests that find themselves logged out
// while a login is under way wait for it, then are sent again; a request
// sent with cookies older than the last successful login is sent again
// without a new login. A session made by Open does the same across the
// processes sharing its file (see WithLoginLock), and redisjar's
// Store.Session across a fleet. The login's cookies are saved (to the file,
// or to Redis) before any request is sent again with them, so a program
// that exits at once leaves a login the next run uses.
//
// A login that fails (see ErrLoginFailed) fails every request waiting for
// it, and starts a backoff shared by the goroutines, the processes on the
// file and the fleet: until it ends, no login is tried anywhere, and a
// request that needs one fails at once. A request still logged out right
// after this session's own login counts as a failed login too.
//
// A request whose body cannot be sent again (no http.Request.GetBody)
// comes back as it came, the logged-out response with an error wrapping
// ErrLoggedOut; the caller closes that response's body (check resp != nil:
// other errors come without a response).
//
// Each login is bounded by WithLoginTimeout, even one whose LoginFunc
// ignores its context: it is abandoned then, and fails. Context
// cancellation ends a request's wait; after Close no login starts, and
// Close cancels the one under way and returns within a second whatever
// its LoginFunc does. A LoginFunc that panics fails the login.
//
// Logins happen only for requests the session sends itself (Get, Post, Do,
// ...), which see the response after redirects; not for Client().
func WithLogin(login LoginFunc) Option {
	return func(c *sessionConfig) { c.login = login }
}

// WithLoggedOut says how to recognise a response that means "not logged
// in". Without it, a session with WithLogin counts as logged out:
//   - a 401;
//   - an answer redirected to the page of the session's FormLogin (its
//     path, with or without a trailing slash, any query), once that
//     login has run;
//   - until a login page is known (FormLogin's, or the first one found
//     this way), an answer that was redirected to an HTML page holding a
//     form with a password field: a login form. Only the first 256 KiB of
//     such a page are looked at, and put back: the caller reads the whole
//     body as usual. From then on, a redirect to that page's path counts.
//
// A site that answers a logged-out request with a login form and no
// redirect, or a JSON error, needs its own test here.
func WithLoggedOut(detect func(resp *http.Response) bool) Option {
	return func(c *sessionConfig) { c.loggedOut = detect }
}

// RedirectedTo reports a response that ended on path after following
// redirects, as Django's login_required (302 to /accounts/login/?next=...)
// does.
//
// The path matches with or without a trailing slash, and with any query:
// RedirectedTo("/accounts/login") matches /accounts/login/?next=/private/.
// A response that was not redirected (the login page asked for by name)
// does not count; with WithMaxRedirects(0), a redirect whose Location has
// that path does.
//
// path may also be a whole URL, as given to FormLogin: its path is used,
// its query ignored. An empty path matches nothing.
func RedirectedTo(path string) func(resp *http.Response) bool {
	if u, err := url.Parse(path); err == nil {
		path = u.Path
	}
	return func(resp *http.Response) bool { return path != "" && redirectedTo(resp, path) }
}

// redirectedTo is RedirectedTo's test.
func redirectedTo(resp *http.Response, path string) bool {
	if resp == nil || resp.Request == nil || resp.Request.URL == nil {
		return false
	}
	if resp.Request.Response != nil && samePath(resp.Request.URL.Path, path) {
		return true
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil {
			return samePath(loc.Path, path)
		}
	}
	return false
}

// samePath compares two URL paths, a trailing slash aside.
func samePath(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	return a == b
}

// LoginLock coordinates the logins of everything that shares a session's
// cookies beyond one process: the processes sharing a file (the lease Open
// uses by default) or the workers sharing a Redis jar (redisjar). It keeps
// a LoginRecord that all of them read and write under the lease.
type LoginLock interface {
	// AcquireLogin waits until the caller holds the login lease or ctx
	// ends, and returns the record as the lease found it. The lease
	// lasts at most lease: a holder that dies, or hangs, without
	// releasing it loses it then, and another may take it over.
	// release ends the hold; given a record, it first stores it, unless
	// the lease was lost meanwhile (then it returns an error and stores
	// nothing). A holder that logged in makes its new cookies visible
	// to the others (saves the file, flushes to Redis) before it calls
	// release with the new generation.
	AcquireLogin(ctx context.Context, lease time.Duration) (rec LoginRecord, release func(next *LoginRecord) error, err error)
	// SyncLogin brings the cookies of the latest login into the session's
	// jar: the file is loaded, the Redis stream caught up with.
	SyncLogin(ctx context.Context) error
}

// LoginRecord is what everyone sharing a login knows of it.
type LoginRecord struct {
	// Generation names the latest successful login, 0 before the first.
	// It never goes back, even when the store that holds it loses its
	// data: each login takes NextGeneration.
	Generation uint64
	// Failures counts the failed logins since the latest success.
	Failures int
	// RetryAt is when the next login may be tried, after a failure.
	RetryAt time.Time
	// Cause says why the last login failed, with secrets redacted.
	Cause string
}

// NextGeneration returns the generation of a login made at now after the
// login named prev: greater than prev, and greater than any generation
// handed out before now (it counts nanoseconds of the Unix time), so that
// a store that lost its record does not hand out a generation a worker
// already holds.
func NextGeneration(prev uint64, now time.Time) uint64 {
	n := now.UnixNano()
	switch {
	case n > 0 && uint64(n) > prev:
		return uint64(n)
	case prev == math.MaxUint64:
		return prev // never back to 0, whatever a hostile record says
	}
	return prev + 1
}

// WithLoginLock sets how logins are coordinated beyond this process (see
// LoginLock). A session made by Open uses a lease kept in NAME.login beside
// its cookie file NAME, written under NAME.login.lock; redisjar's
// Store.Session uses a lease in Redis.
func WithLoginLock(l LoginLock) Option {
	return func(c *sessionConfig) { c.loginLock = l }
}

// DefaultLoginTimeout bounds a login: the wait for the login lease of
// other processes and the LoginFunc. See WithLoginTimeout.
const DefaultLoginTimeout = time.Minute

// WithLoginTimeout bounds each login (default DefaultLoginTimeout): the
// LoginFunc's context ends after d, and a login still running then is
// abandoned and fails, whether or not its LoginFunc returns, so that a
// hung server or a LoginFunc that ignores its context never holds the
// requests, or the other processes' logins, for longer. Zero or less keeps
// the default.
func WithLoginTimeout(d time.Duration) Option {
	return func(c *sessionConfig) {
		if d > 0 {
			c.loginTimeout = d
		}
	}
}

// The default login backoff (see WithLoginBackoff).
const (
	DefaultLoginBackoff    = time.Second
	DefaultMaxLoginBackoff = 5 * time.Minute
)

// WithLoginBackoff sets how long logins stop after a failed one: first
// after the first failure, doubling with each failure in a row up to limit,
// each with up to half of it again as random jitter (so the first wait is
// between first and 1.5 × first, and the longest between limit and 1.5 ×
// limit). A retry time that another process recorded further away than
// that (its clock, or this one, jumped) counts as that far. The defaults
// are DefaultLoginBackoff and DefaultMaxLoginBackoff. A first of zero or
// less keeps the default, and a limit below first is first.
func WithLoginBackoff(first, limit time.Duration) Option {
	return func(c *sessionConfig) {
		if first > 0 {
			c.loginBackoff = first
		}
		c.maxLoginBackoff = limit
	}
}
