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
// ErrLoggedOut; so does a request still logged out after a fresh login. The
// caller closes that response's body: check resp != nil, since other
// errors come without a response. A login that fails is returned to every
// request waiting for it, wrapping ErrLoggedOut and the LoginFunc's error;
// for a backoff after it (1 s, doubling to a minute) requests that find
// themselves logged out fail at once, without a response, so a broken
// login never hammers the server. A fresh login that did not help fails
// only its request. Context cancellation and Close end the waits; after
// Close no login starts, and Close waits for one under way (whose context
// it cancels). Each login is bounded by WithLoginTimeout.
//
// The LoginFunc is given a view of the session whose requests are never
// checked; it must use that, or at least its ctx, for its requests. A
// LoginFunc that panics fails the login.
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

// DefaultLoginTimeout bounds a login: the LoginFunc, and the wait for the
// login lock of other processes. See WithLoginTimeout.
const DefaultLoginTimeout = time.Minute

// WithLoginTimeout bounds each login (default DefaultLoginTimeout): the
// LoginFunc's context ends after d, and a login still running then fails,
// so that a hung server or a LoginFunc waiting for itself never holds the
// requests, or the other processes' logins, for ever. Zero or less keeps
// the default.
func WithLoginTimeout(d time.Duration) Option {
	return func(c *sessionConfig) {
		if d > 0 {
			c.loginTimeout = d
		}
	}
}

// Login backoff after a failed login, doubling from min to max.
const (
	loginBackoffMin = time.Second
	loginBackoffMax = time.Minute
)

// loginState is a session's record of its logins.
type loginState struct {
	mu       sync.Mutex
	gen      uint64         // successful logins seen by this session (its own and synced)
	remote   uint64         // the LoginLock generation whose cookies the jar holds
	inflight *loginCall     // the login under way, if any
	failures int            // failed logins in a row
	retryAt  time.Time      // no login before this, after a failure
	lastErr  error          // the last failure
	closed   chan struct{}  // closed by Session.Close
	isClosed bool           // Close has begun: no new login
	rounds   sync.WaitGroup // logins under way, which Close waits for
	waiting  atomic.Int32   // requests waiting for a login (for tests)
	// genSynced reports that the latest generation was taken from
	// another process rather than made here.
	genSynced bool
}

// loginCall is one login, which the requests that wait for it share.
type loginCall struct {
	done chan struct{}
	ctx  context.Context // the login's own, ended by Close or loginTimeout
	err  error           // set before done closes
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
	last := false // the next send is the request's last
	for sends := 1; ; sends++ {
		gen := l.generation()
		resp, err := s.client.Do(req)
		if err != nil || !s.cfg.loggedOut(resp) {
			return resp, err
		}
		if last {
			return resp, fmt.Errorf("%w: still logged out after a fresh login", ErrLoggedOut)
		}
		next, err := replayable(req)
		if err != nil {
			return resp, err
		}
		drain(resp)
		synced, err := s.ensureLogin(ctx, gen)
		if err != nil {
			return nil, err
		}
		// After a login made in this process, the request is sent again
		// once. The login of another process that it took may be of an
		// earlier expiry: then it may log in itself, once.
		last = !synced || sends >= 2
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
// it returns at once if one has, waits for the login under way, or starts
// one. synced reports that the newest login was taken from another process
// rather than made here.
func (s *Session) ensureLogin(ctx context.Context, seen uint64) (synced bool, err error) {
	l := s.login
	for {
		l.mu.Lock()
		if l.isClosed {
			l.mu.Unlock()
			return false, fmt.Errorf("%w: no login after Close", ErrClosed)
		}
		if l.gen > seen {
			synced := l.genSynced
			l.mu.Unlock()
			return synced, nil
		}
		call := l.inflight
		if call == nil {
			if wait := time.Until(l.retryAt); wait > 0 {
				err := fmt.Errorf("%w: the last login failed; the next is allowed in %v: %w", ErrLoggedOut, wait.Round(time.Millisecond), l.lastErr)
				l.mu.Unlock()
				return false, err
			}
			// The login runs on its own, with a context of its own: the
			// requests waiting for it must not fail because the one that
			// started it gave up, and it must not carry that request's
			// values. Close cancels it, and it ends by loginTimeout.
			rctx, cancel := context.WithTimeout(context.WithValue(context.Background(), loginKey{}, true), s.cfg.loginTimeout)
			call = &loginCall{done: make(chan struct{}), ctx: rctx}
			l.inflight = call
			l.rounds.Add(1)
			go s.loginRound(call, cancel)
		}
		l.mu.Unlock()
		if err := s.waitLogin(ctx, call); err != nil {
			return false, err
		}
		if call.err != nil {
			return false, call.err
		}
	}
}

// loginRound runs one login for everyone waiting on call.
func (s *Session) loginRound(call *loginCall, cancel context.CancelFunc) {
	l := s.login
	defer l.rounds.Done()
	defer cancel()
	go func() {
		select {
		case <-l.closed:
			cancel()
		case <-call.done:
		}
	}()
	synced, err := s.runLogin(call.ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight = nil
	switch {
	case err == nil:
		l.gen++
		l.genSynced = synced
		l.failures, l.lastErr, l.retryAt = 0, nil, time.Time{}
	case l.isClosed:
		err = fmt.Errorf("%w: the login was cancelled: %w", ErrClosed, err)
	default:
		if !errors.Is(err, ErrLoggedOut) {
			err = fmt.Errorf("%w: %w", ErrLoggedOut, err)
		}
		l.failedLocked(err)
	}
	call.err = err
	close(call.done)
}

// waitLogin waits for call, ctx or Close. A login that outlives its
// timeout ends the wait too: its own requests, if they wrongly wait for it
// (a LoginFunc that does not use its ctx or its session), fail instead of
// waiting for ever.
func (s *Session) waitLogin(ctx context.Context, call *loginCall) error {
	s.login.waiting.Add(1)
	defer s.login.waiting.Add(-1)
	select {
	case <-call.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.login.closed:
		return fmt.Errorf("%w: while waiting for a login", ErrClosed)
	case <-call.ctx.Done():
		select {
		case <-call.done:
			return nil
		default:
		}
		return fmt.Errorf("%w: the login did not end within %v", ErrLoggedOut, s.cfg.loginTimeout)
	}
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

// callLogin runs the LoginFunc with the session's login view, whose
// requests are never checked (see loginView), and a context that marks
// them too. A LoginFunc that panics fails the login rather than the
// process: it runs on a goroutine of the session's.
func (s *Session) callLogin(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("httpsession: login failed: LoginFunc panicked: %v", r)
		}
		if err != nil {
			if s.cfg.logger != nil {
				s.cfg.logger.Warn("httpsession: login failed", "error", redactText(err.Error()), "elapsed", time.Since(start))
			}
			return
		}
		if s.cfg.logger != nil {
			s.cfg.logger.Info("httpsession: logged in", "elapsed", time.Since(start))
		}
	}()
	if err := s.cfg.login(ctx, s.loginView()); err != nil {
		return fmt.Errorf("httpsession: login failed: %w", err)
	}
	return nil
}

// loginView is the session as a LoginFunc sees it: the same jar, client,
// defaults and file, without the logged-out check, so that none of its
// requests waits for the login it is part of, whatever their context.
func (s *Session) loginView() *Session {
	return &Session{jar: s.jar, client: s.client, cfg: s.cfg, baseURL: s.baseURL, path: s.path, format: s.format}
}

// publishLogin makes a fresh login's cookies visible to the others before
// the login lock records it: an Open session saves its file. A session
// closed meanwhile records nothing: nothing writes its file after Close.
func (s *Session) publishLogin() error {
	s.login.mu.Lock()
	closed := s.login.isClosed
	s.login.mu.Unlock()
	if closed {
		return fmt.Errorf("%w: the login ended after Close", ErrClosed)
	}
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
