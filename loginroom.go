package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loginRoom is a session's logins, whole: when a response means logged
// out, the one login under way that requests wait for, the backoff after a
// failure, the coordination with other processes (LoginLock), and the end
// of it all at Close. The session asks it to send a request (do) and to
// stop (stop); nothing else reaches into it.
type loginRoom struct {
	login   LoginFunc
	detect  func(*http.Response) bool // WithLoggedOut; nil: the default (loggedOut)
	timeout time.Duration
	first   time.Duration // the backoff after one failure
	limit   time.Duration // the longest backoff
	lock    LoginLock     // nil: this process alone
	view    *Session      // the session a LoginFunc is given
	publish func() error  // makes a fresh login's cookies visible to the others
	pool    *poolHooks    // the Pool of the session's identity, if any
	logger  *slog.Logger
	page    atomic.Pointer[string] // the path of FormLogin's page, once it ran

	stopped  chan struct{} // closed by stop
	stopOnce sync.Once
	rounds   sync.WaitGroup // logins under way, LoginFuncs included

	mu       sync.Mutex
	gen      uint64     // successful logins seen by this session (its own and taken)
	taken    bool       // the latest was taken from another process, not made here
	remote   uint64     // the LoginLock generation whose cookies the jar holds
	inflight *loginCall // the login under way, if any
	failures int        // failed logins in a row
	retryAt  time.Time  // no login before this, after a failure
	lastErr  error      // the last failure, wrapping ErrLoginFailed
}

// loginCall is one login, which the requests that wait for it share.
type loginCall struct {
	done chan struct{}
	err  error // set before done closes
}

// loginFailure is the error of a request left logged out by a failed
// login: it wraps ErrLoginFailed (through err) and ErrLoggedOut.
type loginFailure struct {
	err error
	// until and failures carry the shared backoff a LoginLock recorded,
	// for this session to take as its own.
	until    time.Time
	failures int
	// attempted: the LoginFunc ran and failed, rather than a backoff
	// refusing to run it.
	attempted bool
}

// loginOutcome is what a session's Pool is told of a login (poolHooks).
type loginOutcome struct {
	err       error     // nil: logged in
	attempted bool      // the LoginFunc ran (see loginFailure)
	failures  int       // failed logins in a row, everywhere the lock reaches
	until     time.Time // no login before this
}

// roundError is the error of a login round that neither logged in nor
// failed to log in: taking another process's login went wrong (Redis out
// of reach, a file that cannot be read). It wraps ErrLoggedOut, and starts
// no backoff.
type roundError struct{ err error }

func (e *roundError) Error() string   { return e.err.Error() }
func (e *roundError) Unwrap() []error { return []error{e.err, ErrLoggedOut} }

func (e *loginFailure) Error() string   { return e.err.Error() }
func (e *loginFailure) Unwrap() []error { return []error{e.err, ErrLoggedOut} }

// failed returns the error of a failed login, for the cause err: err as it
// is if it says so already (FormLogin's errors do), else wrapped.
func failed(err error) *loginFailure {
	var lf *loginFailure
	if errors.As(err, &lf) {
		return lf
	}
	if !errors.Is(err, ErrLoginFailed) {
		err = fmt.Errorf("%w: %w", ErrLoginFailed, err)
	}
	return &loginFailure{err: err}
}

// fence returns, for a login beginning now, the function that says why
// its pool lease ended (see poolHooks), or nil outside a pool.
func (r *loginRoom) fence() func() error {
	if r.pool == nil {
		return func() error { return nil }
	}
	return r.pool.fence()
}

// tried marks a failure of the LoginFunc that ran (see attempt) as an
// attempt, which a Pool counts toward retiring its identity.
func tried(err error) error {
	var lf *loginFailure
	if errors.As(err, &lf) {
		lf.attempted = true
	}
	return err
}

// isStopped reports whether stop was called.
func (r *loginRoom) isStopped() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// generation returns the session's login generation.
func (r *loginRoom) generation() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// do sends req with send and, when the response means logged out, logs in
// (or waits for a login) and sends it again. A logged-out response that
// comes back with an error is returned with it; other errors come alone.
func (r *loginRoom) do(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	ctx := req.Context()
	taken, last := false, false // last: the next send is the request's last
	for sends := 1; ; sends++ {
		gen := r.generation()
		resp, err := send(req)
		if err != nil || !r.loggedOut(resp) {
			return resp, err
		}
		if last {
			if taken {
				return resp, fmt.Errorf("%w: still logged out after taking another process's login", ErrLoggedOut)
			}
			return resp, r.didNotHelp(ctx, gen)
		}
		next, err := replayable(req)
		if err != nil {
			return resp, err
		}
		drain(resp)
		if taken, err = r.ensure(ctx, gen); err != nil {
			return nil, err
		}
		// After a login made in this process, the request is sent again
		// once. The login of another process that it took may be of an
		// earlier expiry: then it may log in itself, once.
		last = !taken || sends >= 2
		req = next
	}
}

// loggedOut reports whether resp means "not logged in" (see WithLoggedOut).
func (r *loginRoom) loggedOut(resp *http.Response) bool {
	if r.detect != nil {
		return r.detect(resp)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	if page := r.page.Load(); page != nil {
		return redirectedTo(resp, *page)
	}
	if resp.Request == nil || resp.Request.Response == nil || !holdsLoginForm(resp) {
		return false
	}
	// The login page is known from now on: later answers are judged by
	// their path, and no more bodies are looked at.
	p := resp.Request.URL.Path
	r.page.CompareAndSwap(nil, &p)
	return true
}

// replayable returns a copy of req to send again (see rewind), or an
// error wrapping ErrLoggedOut if its body cannot be sent again.
func replayable(req *http.Request) (*http.Request, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return nil, fmt.Errorf("%w: the request's body cannot be sent again after a login (set http.Request.GetBody)", ErrLoggedOut)
	}
	next, err := rewind(req)
	if err != nil {
		return nil, fmt.Errorf("%w: the request's body cannot be sent again: %w", ErrLoggedOut, err)
	}
	return next, nil
}

// drain reads a little of a response body and closes it, so that its
// connection can be used again.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// ensure makes sure a login newer than generation seen has happened: it
// returns at once if one has, waits for the login under way, or starts
// one. taken reports that the newest login was taken from another process
// rather than made here.
func (r *loginRoom) ensure(ctx context.Context, seen uint64) (taken bool, err error) {
	for {
		r.mu.Lock()
		if r.isStopped() {
			r.mu.Unlock()
			return false, fmt.Errorf("%w: no login after Close", ErrClosed)
		}
		if r.gen > seen {
			taken := r.taken
			r.mu.Unlock()
			return taken, nil
		}
		call := r.inflight
		if call == nil {
			if wait := time.Until(r.retryAt); wait > 0 {
				err := &loginFailure{err: fmt.Errorf("%w (the next login is allowed in %v)", r.lastErr, wait.Round(time.Millisecond))}
				r.mu.Unlock()
				return false, err
			}
			call = r.startLocked()
		}
		r.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return false, ctx.Err()
		case <-r.stopped:
			return false, fmt.Errorf("%w: while waiting for a login", ErrClosed)
		}
		if call.err != nil {
			return false, call.err
		}
	}
}

// startLocked starts a login. The login runs on its own, with a context
// of its own: the requests waiting for it must not fail because the one
// that started it gave up, and it must not carry that request's values.
// It ends at the timeout, or when stop is called. The caller holds r.mu.
func (r *loginRoom) startLocked() *loginCall {
	call := &loginCall{done: make(chan struct{})}
	r.inflight = call
	r.rounds.Add(1)
	go func() {
		defer r.rounds.Done()
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		defer cancel()
		go func() {
			select {
			case <-r.stopped:
				cancel()
			case <-ctx.Done():
			}
		}()
		taken, err := r.run(ctx)
		r.finish(call, taken, err)
	}()
	return call
}

// finish records the outcome of a login and hands it to its waiters.
func (r *loginRoom) finish(call *loginCall, taken bool, err error) {
	r.mu.Lock()
	r.inflight = nil
	var lf *loginFailure
	var re *roundError
	var out *loginOutcome
	switch {
	case err == nil:
		r.gen++
		r.taken = taken
		r.failures, r.lastErr, r.retryAt = 0, nil, time.Time{}
		if !taken {
			out = &loginOutcome{}
		}
	case r.isStopped():
		err = fmt.Errorf("%w: the login was cancelled", ErrClosed)
	case errors.As(err, &re):
		// Handed to the waiters as it is.
	case errors.As(err, &lf) && !lf.until.IsZero():
		// A backoff recorded for everyone sharing the login.
		r.failures, r.retryAt, r.lastErr = lf.failures, lf.until, lf.err
		out = &loginOutcome{err: lf.err, attempted: lf.attempted, failures: lf.failures, until: lf.until}
	default:
		lf = failed(err)
		err = lf
		r.failures++
		r.lastErr = lf.err
		r.retryAt = time.Now().Add(r.backoff(r.failures))
		out = &loginOutcome{err: lf.err, attempted: lf.attempted, failures: r.failures, until: r.retryAt}
	}
	r.mu.Unlock()
	// The pool hears of it before the waiters do, so that a worker that
	// gives its identity back finds the outcome recorded.
	if out != nil && r.pool != nil {
		r.pool.report(*out)
	}
	call.err = err
	close(call.done)
}

// backoff returns the wait after the given number of failed logins in a
// row: first, doubled for each failure after the first, at most limit,
// plus up to half of that again as jitter, so that the workers of a fleet
// do not all come back at once, at the limit neither.
func (r *loginRoom) backoff(failures int) time.Duration {
	limit := max(r.limit, r.first)
	d := r.first
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d + rand.N(d/2+1)
}

// longestWait is the longest backoff: a retry time further away was
// written by a clock that has since gone back, or by a hostile file, and
// counts as this far.
func (r *loginRoom) longestWait() time.Duration {
	limit := max(r.limit, r.first)
	return limit + limit/2
}

// run logs in, or, holding the LoginLock, takes the cookies of a login
// another process made since this session last took one (taken), or
// finds that logins are backing off everywhere. The caller is the only one
// running it in this session.
func (r *loginRoom) run(ctx context.Context) (taken bool, err error) {
	if r.lock == nil {
		return false, tried(r.attempt(ctx))
	}
	rec, release, err := r.lock.AcquireLogin(ctx, r.timeout)
	if err != nil {
		return false, failed(fmt.Errorf("the login lease: %w", err))
	}
	r.mu.Lock()
	remote := r.remote
	r.mu.Unlock()
	if rec.Generation != remote {
		// Another process logged in since this session last took a
		// login: take its cookies rather than log in again.
		err := r.lock.SyncLogin(ctx)
		if rerr := release(nil); err == nil {
			err = rerr
		}
		if err != nil {
			// Not a failed login: no backoff, and the next request
			// that needs a login tries again.
			return false, &roundError{fmt.Errorf("httpsession: taking another process's login: %w", err)}
		}
		r.mu.Lock()
		r.remote = rec.Generation
		r.mu.Unlock()
		r.log(slog.LevelInfo, "httpsession: took the login of another process", "generation", rec.Generation)
		return true, nil
	}
	if wait := time.Until(rec.RetryAt); rec.Failures > 0 && wait > 0 {
		var fixed *LoginRecord
		if longest := r.longestWait(); wait > longest {
			// Written by a clock that has since gone back, or by hand:
			// it counts as the longest backoff from now, and is stored
			// so, lest it hold logins for ever.
			wait = longest
			fixed = &rec
			fixed.RetryAt = time.Now().Add(wait)
		}
		_ = release(fixed)
		return false, &loginFailure{
			err:      fmt.Errorf("%w: %s (a login of another process; the next is allowed in %v)", ErrLoginFailed, rec.Cause, wait.Round(time.Millisecond)),
			until:    time.Now().Add(wait),
			failures: rec.Failures,
		}
	}
	err = r.attempt(ctx)
	var re *roundError
	if r.isStopped() || errors.As(err, &re) {
		// Cancelled by Close, or cut short by the end of the pool's
		// lease: nothing to record.
		_ = release(nil)
		return false, err
	}
	next := rec
	var lf *loginFailure
	if err == nil {
		next = LoginRecord{Generation: NextGeneration(rec.Generation, time.Now())}
	} else {
		lf = failed(err)
		lf.attempted = true
		next.Failures++
		next.RetryAt = time.Now().Add(r.backoff(next.Failures))
		next.Cause = causeText(lf.err)
		lf.until, lf.failures = next.RetryAt, next.Failures
		err = lf
	}
	if rerr := release(&next); rerr != nil {
		// The lease ran out, or the record could not be stored: the
		// others may log in again. What this login did stays in the
		// jar, and was saved.
		r.log(slog.LevelWarn, "httpsession: the login could not be recorded for the other processes", "error", redactText(rerr.Error()))
		return false, err
	}
	if err == nil {
		r.mu.Lock()
		r.remote = next.Generation
		r.mu.Unlock()
	}
	return false, err
}

// causeText is a failed login's error as a LoginRecord keeps it: without
// the ErrLoginFailed prefix, secrets redacted.
func causeText(err error) string {
	msg := strings.TrimPrefix(err.Error(), ErrLoginFailed.Error()+": ")
	return redactText(msg)
}

// attempt runs the LoginFunc with the session's login view, then
// publishes what it did. A LoginFunc still running when ctx ends is
// abandoned: the login fails, and nothing it does later is published by
// the login (an autosave may still save it).
func (r *loginRoom) attempt(ctx context.Context) error {
	fenced := r.fence()
	done := make(chan error, 1)
	r.rounds.Add(1)
	go func() {
		defer r.rounds.Done()
		done <- r.call(ctx)
	}()
	select {
	case err := <-done:
		if err != nil {
			if ferr := fenced(); ferr != nil {
				// Not the identity's failure: its pool took the session
				// away (blocked, released) while it logged in.
				return &roundError{fmt.Errorf("%w (the login was cut short)", ferr)}
			}
			return err
		}
		if r.isStopped() {
			return fmt.Errorf("%w: the login ended after Close", ErrClosed)
		}
		if err := r.publish(); err != nil {
			return failed(fmt.Errorf("saving the login: %w", err))
		}
		return nil
	case <-ctx.Done():
		if r.isStopped() {
			return fmt.Errorf("%w: the login was cancelled", ErrClosed)
		}
		if ferr := fenced(); ferr != nil {
			return &roundError{fmt.Errorf("%w (the login was cut short)", ferr)}
		}
		err := failed(fmt.Errorf("the login did not end within %v: %w", r.timeout, context.DeadlineExceeded))
		r.log(slog.LevelWarn, "httpsession: login failed", "error", err.Error())
		return err
	}
}

// call runs the LoginFunc. One that panics fails the login rather than
// the process: it runs on a goroutine of the session's.
func (r *loginRoom) call(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the LoginFunc panicked: %v", p)
		}
		if err != nil {
			err = failed(err)
			r.log(slog.LevelWarn, "httpsession: login failed", "error", redactText(err.Error()), "elapsed", time.Since(start))
			return
		}
		r.log(slog.LevelInfo, "httpsession: logged in", "elapsed", time.Since(start))
	}()
	return r.login(ctx, r.view)
}

// didNotHelp records that a request was still logged out right after this
// session's own login (generation gen): a failed login, backed off here
// and, through the LoginLock, everywhere.
func (r *loginRoom) didNotHelp(ctx context.Context, gen uint64) error {
	lf := failed(errors.New("still logged out right after a fresh login"))
	r.mu.Lock()
	if r.gen != gen || r.inflight != nil {
		// Another login came since: it is the one to judge.
		r.mu.Unlock()
		return lf
	}
	r.failures++
	r.lastErr = lf.err
	r.retryAt = time.Now().Add(r.backoff(r.failures))
	remote := r.remote
	out := loginOutcome{err: lf.err, attempted: true, failures: r.failures, until: r.retryAt}
	r.mu.Unlock()
	if r.pool != nil {
		defer func() { r.pool.report(out) }()
	}
	if r.lock == nil {
		return lf
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	rec, release, err := r.lock.AcquireLogin(lctx, r.timeout)
	if err != nil {
		return lf
	}
	if rec.Generation != remote {
		_ = release(nil)
		return lf
	}
	rec.Failures++
	rec.RetryAt = time.Now().Add(r.backoff(rec.Failures))
	rec.Cause = causeText(lf.err)
	if release(&rec) == nil {
		out.failures, out.until = rec.Failures, rec.RetryAt
	}
	return lf
}

// stop ends the logins: none starts after it, the one under way is
// cancelled, and stop waits for it (and its LoginFunc) at most a second:
// a LoginFunc that ignores its context is left to end by itself.
func (r *loginRoom) stop() {
	r.stopOnce.Do(func() { close(r.stopped) })
	done := make(chan struct{})
	go func() {
		r.rounds.Wait()
		close(done)
	}()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func (r *loginRoom) log(level slog.Level, msg string, args ...any) {
	if r.logger != nil {
		r.logger.Log(context.Background(), level, msg, args...)
	}
}
