package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LoginFunc logs the session in, using the session itself (its requests inside
// the LoginFunc are never checked for being logged out and never trigger a login).
//
// The requests must use ctx, or a context derived from it: that is how the
// session tells them from the requests that wait for this login.
type LoginFunc func(ctx context.Context, s *Session) error

// ErrLoggedOut is wrapped by the error of a request whose response still
// means "not logged in" (see WithLoggedOut) after what the session could
// do: a fresh login did not help, the login failed, or the request's body
// cannot be sent again.
var ErrLoggedOut = errors.New("httpsession: logged out")

// WithLogin makes the session log in by itself. When a response, after
// redirects, means "not logged in" (a 401 unless WithLoggedOut says
// otherwise), the session runs login and sends the request again, once.
//
// One expiry costs one login. Requests that find themselves logged out while
// a login is under way wait for it, then are sent again; a request sent with
// cookies older than the last successful login is sent again without a new
// login. A session made by Open does the same across the processes sharing
// its file (see WithLoginLock), and redisjar's Store.Session across a fleet.
//
// A request whose body cannot be sent again (no http.Request.GetBody) comes
// back as it came, the logged-out response with an error wrapping
// ErrLoggedOut; the caller closes that response's body. A request still
// logged out after a fresh login fails the same way. A login that fails is
// returned, wrapped, to every request waiting for it, and the next attempt
// waits a backoff (1 s, doubling to a minute), so a broken login never
// hammers the server. Context cancellation and Close end the waits.
//
// Logins happen only for requests the session sends itself (Get, Post, Do,
// ...), which see the response after redirects; not for Client().
func WithLogin(login LoginFunc) Option {
	return func(c *sessionConfig) { c.login = login }
}

// WithLoggedOut says how to recognise a response that means "not logged in";
// the default, with WithLogin, is a 401.
func WithLoggedOut(detect func(resp *http.Response) bool) Option {
	return func(c *sessionConfig) { c.loggedOut = detect }
}

// RedirectedTo reports a response that ended on path after following redirects,
// as Django's login_required (302 to /accounts/login/?next=...) does.
//
// The path compares exactly, without the query. A response that was not
// redirected (the login page asked for by name) does not count; with
// WithMaxRedirects(0), a redirect whose Location has that path does.
func RedirectedTo(path string) func(resp *http.Response) bool {
	return func(resp *http.Response) bool {
		if resp == nil || resp.Request == nil || resp.Request.URL == nil {
			return false
		}
		if resp.Request.Response != nil && resp.Request.URL.Path == path {
			return true
		}
		if loc, err := resp.Location(); err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			return loc.Path == path
		}
		return false
	}
}

// isUnauthorized is the default logged-out test: a 401.
func isUnauthorized(resp *http.Response) bool { return resp.StatusCode == http.StatusUnauthorized }

// LoginLock coordinates the logins of everything that shares a session's
// cookies beyond one process: the processes sharing a file (the lock Open
// uses by default) or the workers sharing a Redis jar (redisjar). A holder
// that dies must not block the others: its lock ends with it.
type LoginLock interface {
	// AcquireLogin waits until the caller holds the lock or ctx ends, and
	// returns the generation of the latest login recorded by any holder.
	// release ends the hold; with loggedIn it first records a new
	// generation, after the caller made its new cookies visible to the
	// others (saved the file, flushed to Redis).
	AcquireLogin(ctx context.Context) (generation uint64, release func(loggedIn bool) error, err error)
	// SyncLogin brings the cookies of the latest login into the session's
	// jar: the file is loaded, the Redis stream caught up with.
	SyncLogin(ctx context.Context) error
}

// WithLoginLock sets how logins are coordinated beyond this process (see
// LoginLock). A session made by Open uses a lock file beside its cookie
// file, NAME.login.lock, and records the login generation in NAME.login;
// redisjar's Store.Session uses a lease in Redis.
func WithLoginLock(l LoginLock) Option {
	return func(c *sessionConfig) { c.loginLock = l }
}

// Login backoff after a failed login, doubling from min to max.
const (
	loginBackoffMin = time.Second
	loginBackoffMax = time.Minute
)

// loginState is a session's record of its logins.
type loginState struct {
	mu       sync.Mutex
	gen      uint64        // successful logins seen by this session (its own and synced)
	remote   uint64        // the LoginLock generation whose cookies the jar holds
	inflight *loginCall    // the login under way, if any
	failures int           // failed logins in a row
	retryAt  time.Time     // no login before this, after a failure
	lastErr  error         // the last failure
	closed   chan struct{} // closed by Session.Close
	waiting  atomic.Int32  // requests waiting for a login (for tests)
}

// loginCall is one login, which the requests that wait for it share.
type loginCall struct {
	done   chan struct{}
	err    error // set before done closes
	synced bool  // took another process's login rather than logging in
}

// loginKey marks the context of a LoginFunc: its requests are not checked.
type loginKey struct{}

// generation returns the session's login generation.
func (l *loginState) generation() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// doLoggedIn sends req and, when the response means logged out, logs in (or
// waits for a login) and sends it again. Errors are not yet wrapped in a
// *url.Error; a logged-out response that comes back with an error is
// returned with it.
func (s *Session) doLoggedIn(req *http.Request) (*http.Response, error) {
	l := s.login
	if l == nil || req.Context().Value(loginKey{}) != nil {
		return s.client.Do(req)
	}
	ctx := req.Context()
	ownLogin := false
	for attempt := 0; ; attempt++ {
		gen := l.generation()
		resp, err := s.client.Do(req)
		if err != nil || !s.cfg.loggedOut(resp) {
			return resp, err
		}
		if ownLogin || attempt >= 2 {
			err := fmt.Errorf("%w: still logged out after a fresh login", ErrLoggedOut)
			if ownLogin {
				l.failed(err)
			}
			return resp, err
		}
		next, err := replayable(req)
		if err != nil {
			return resp, err
		}
		drain(resp)
		own, err := s.ensureLogin(ctx, gen)
		if err != nil {
			return nil, err
		}
		ownLogin = own
		req = next
	}
}

// replayable returns a copy of req to send again, or an error wrapping
// ErrLoggedOut if its body cannot be sent again.
func replayable(req *http.Request) (*http.Request, error) {
	next := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return next, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("%w: the request's body cannot be sent again after a login (set http.Request.GetBody)", ErrLoggedOut)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("%w: the request's body cannot be sent again: %w", ErrLoggedOut, err)
	}
	next.Body = body
	return next, nil
}

// drain reads a little of a response body and closes it, so that its
// connection can be used again.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// ensureLogin makes sure a login newer than generation seen has happened:
// it returns at once if one has, waits for the login under way, or logs in.
// own reports that this call ran the login itself.
func (s *Session) ensureLogin(ctx context.Context, seen uint64) (own bool, err error) {
	l := s.login
	for {
		l.mu.Lock()
		if l.gen > seen {
			l.mu.Unlock()
			return false, nil
		}
		if call := l.inflight; call != nil {
			l.mu.Unlock()
			if err := s.waitLogin(ctx, call.done); err != nil {
				return false, err
			}
			if call.err != nil {
				return false, call.err
			}
			continue
		}
		if wait := time.Until(l.retryAt); wait > 0 {
			err := fmt.Errorf("%w: the last login failed; the next is allowed in %v: %w", ErrLoggedOut, wait.Round(time.Millisecond), l.lastErr)
			l.mu.Unlock()
			return false, err
		}
		call := &loginCall{done: make(chan struct{})}
		l.inflight = call
		l.mu.Unlock()
		// The login runs on its own, detached from this request's
		// cancellation: the requests waiting for it must not fail because
		// the one that started it gave up. Close cancels it.
		go s.loginRound(context.WithoutCancel(ctx), call)
		if err := s.waitLogin(ctx, call.done); err != nil {
			return false, err
		}
		return call.err == nil && !call.synced, call.err
	}
}

// loginRound runs one login for everyone waiting on call.
func (s *Session) loginRound(ctx context.Context, call *loginCall) {
	l := s.login
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.closed:
			cancel()
		case <-call.done:
		}
	}()
	synced, err := s.runLogin(ctx)
	l.mu.Lock()
	l.inflight = nil
	switch {
	case err == nil:
		l.gen++
		l.failures, l.lastErr, l.retryAt = 0, nil, time.Time{}
	case ctx.Err() != nil:
		err = fmt.Errorf("%w: the login was cancelled: %w", ErrClosed, err)
	default:
		l.failedLocked(err)
	}
	call.err, call.synced = err, synced
	close(call.done)
	l.mu.Unlock()
}

// waitLogin waits for done, ctx or Close.
func (s *Session) waitLogin(ctx context.Context, done <-chan struct{}) error {
	s.login.waiting.Add(1)
	defer s.login.waiting.Add(-1)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.login.closed:
		return fmt.Errorf("%w: while waiting for a login", ErrClosed)
	}
}

// failed records a login that failed or did not help: the next waits a
// backoff.
func (l *loginState) failed(err error) {
	l.mu.Lock()
	l.failedLocked(err)
	l.mu.Unlock()
}

func (l *loginState) failedLocked(err error) {
	l.failures++
	l.lastErr = err
	l.retryAt = time.Now().Add(loginBackoff(l.failures))
}

func loginBackoff(failures int) time.Duration {
	d := loginBackoffMin
	for i := 1; i < failures && d < loginBackoffMax; i++ {
		d *= 2
	}
	return min(d, loginBackoffMax)
}

// runLogin logs in, or, holding the LoginLock, takes the cookies of a login
// another process made since this session last synced (synced). The
// caller is the only one running it in this session.
func (s *Session) runLogin(ctx context.Context) (synced bool, err error) {
	lock := s.cfg.loginLock
	if lock == nil {
		return false, s.callLogin(ctx)
	}
	gen, release, err := lock.AcquireLogin(ctx)
	if err != nil {
		return false, fmt.Errorf("httpsession: login lock: %w", err)
	}
	l := s.login
	l.mu.Lock()
	remote := l.remote
	l.mu.Unlock()
	if gen != remote {
		// Another process logged in since this session last synced: take
		// its cookies rather than log in again.
		err := lock.SyncLogin(ctx)
		if rerr := release(false); err == nil {
			err = rerr
		}
		if err != nil {
			return false, fmt.Errorf("httpsession: taking another process's login: %w", err)
		}
		l.mu.Lock()
		l.remote = gen
		l.mu.Unlock()
		s.logf("httpsession: took the login of another process", gen)
		return true, nil
	}
	err = s.callLogin(ctx)
	if err == nil {
		err = s.publishLogin()
	}
	if rerr := release(err == nil); err == nil && rerr != nil {
		err = fmt.Errorf("httpsession: login lock: %w", rerr)
	}
	if err == nil {
		l.mu.Lock()
		l.remote = gen + 1
		l.mu.Unlock()
	}
	return false, err
}

// callLogin runs the LoginFunc, with a context that marks its requests.
func (s *Session) callLogin(ctx context.Context) error {
	start := time.Now()
	err := s.cfg.login(context.WithValue(ctx, loginKey{}, true), s)
	if err != nil {
		err = fmt.Errorf("httpsession: login failed: %w", err)
		if s.cfg.logger != nil {
			s.cfg.logger.Warn("httpsession: login failed", "error", redactText(err.Error()), "elapsed", time.Since(start))
		}
		return err
	}
	if s.cfg.logger != nil {
		s.cfg.logger.Info("httpsession: logged in", "elapsed", time.Since(start))
	}
	return nil
}

// publishLogin makes a fresh login's cookies visible to the others before
// the login lock records it: an Open session saves its file.
func (s *Session) publishLogin() error {
	if s.path == "" {
		return nil
	}
	return s.save()
}

func (s *Session) logf(msg string, gen uint64) {
	if s.cfg.logger != nil {
		s.cfg.logger.Info(msg, "generation", gen)
	}
}
