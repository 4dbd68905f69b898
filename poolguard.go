package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// poolHooks tie the Session of an identity to its Pool: the guard on
// every request it sends (its login's included), what the login room asks
// of the lease, and what it tells of its logins.
type poolHooks struct {
	guard func(next http.RoundTripper) http.RoundTripper
	// fence returns, for a login beginning now, the function that says
	// why the lease it began under can no longer send (nil while it
	// can): a login cut short by the end of that lease is not a failed
	// login, even if another lease holds the identity by the time it
	// returns.
	fence   func() func() error
	report  func(loginOutcome)        // a login's outcome
	blocked func(*http.Response) bool // WithBlocked's detector
}

// withPool is the Option that ties a session to its identity in a pool.
func withPool(h *poolHooks) Option {
	return func(c *sessionConfig) { c.pool = h }
}

// hooks returns the pool hooks of member m's session.
func (p *Pool) hooks(m *member) *poolHooks {
	return &poolHooks{
		guard: func(next http.RoundTripper) http.RoundTripper {
			return &leaseGuard{p: p, m: m, next: next}
		},
		fence: func() func() error {
			l := m.current.Load()
			return func() error {
				if l == nil {
					return fmt.Errorf("%w: %q is not leased", ErrLeaseEnded, m.id.Name)
				}
				if cur := m.current.Load(); cur != l {
					return fmt.Errorf("%w: %q was released", ErrLeaseEnded, m.id.Name)
				}
				return l.reason()
			}
		},
		report:  func(o loginOutcome) { p.loginOutcome(m, o) },
		blocked: p.cfg.blocked,
	}
}

// session returns m's Session, opening it at its first lease in this
// process: the pool's session options, the identity's, its login.
func (p *Pool) session(ctx context.Context, m *member) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != nil {
		return m.sess, nil
	}
	if p.isClosed() {
		// Close has walked the members, or is about to under m.mu:
		// a session opened now would never be closed.
		return nil, fmt.Errorf("%w: the pool is closed", ErrClosed)
	}
	opts := slices.Concat(p.cfg.sessionOpts, m.id.Options)
	if m.id.Login != nil {
		opts = append(opts, WithLogin(m.id.Login))
	}
	opts = append(opts, withPool(p.hooks(m)))
	s, sync, err := p.store.Session(ctx, m.id.Name, opts)
	if err != nil {
		return nil, err
	}
	m.sess, m.sync = s, sync
	return s, nil
}

// leaseGuard is the transport under an identity's session: it sends a
// request only while the lease it belongs to (the lease whose Session
// sent it, or for the session's own requests, its login, the current
// one) holds the identity, cancels it when the lease ends, and tells
// blocked answers.
type leaseGuard struct {
	p    *Pool
	m    *member
	next http.RoundTripper
}

func (g *leaseGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	cur := g.m.current.Load()
	l, _ := req.Context().Value(leaseKey{}).(*Lease)
	if l == nil {
		l = cur
	}
	var err error
	switch {
	case l == nil:
		err = fmt.Errorf("%w: %q is not leased", ErrLeaseEnded, g.m.id.Name)
	case l != cur:
		if err = l.enter(time.Now()); err == nil {
			l.leave()
			err = fmt.Errorf("%w: %q is held by another lease", ErrLeaseEnded, g.m.id.Name)
		}
	default:
		err = l.enter(time.Now())
	}
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(l.ctx, cancel)
	resp, err := g.next.RoundTrip(req.WithContext(ctx))
	// Counted out once the answer is judged: Release waits for that, so
	// that a blocked identity is cooling before anyone can take it.
	defer l.leave()
	if err != nil {
		stop()
		cancel()
		if l.ctx.Err() != nil {
			if why := l.reason(); why != nil {
				err = fmt.Errorf("%w (%w)", why, err)
			}
		}
		return nil, err
	}
	if g.p.cfg.blocked(resp) {
		g.p.blockedAnswer(l, resp)
	} else {
		l.mu.Lock()
		l.answered = true
		l.mu.Unlock()
	}
	resp.Body = &leaseBody{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

// reason returns why the lease may no longer send, or nil.
func (l *Lease) reason() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.why
}

// leaseBody lets go of a request's tie to its lease once its body is read
// or closed.
type leaseBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *leaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.done)
	}
	return n, err
}

func (b *leaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// blockedAnswer cools l's identity down for everyone after a blocked
// answer, and ends the lease's use: its later requests fail with
// ErrBlocked.
func (p *Pool) blockedAnswer(l *Lease, resp *http.Response) {
	after, _ := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	after = min(after, maxCoolDown)
	l.mu.Lock()
	first := !l.blocked
	l.blocked = true
	if l.why == nil {
		l.why = fmt.Errorf("%w: %q was answered %q; it cools down", ErrBlocked, l.Name(), resp.Status)
	}
	l.mu.Unlock()
	if !first {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// If the state cannot be written, the cool-down is this lease's
	// alone: the next holder finds out again.
	_ = p.update(ctx, func(d *poolDoc, n int64) error {
		p.cool(d.entry(l.Name()), n, after, "blocked: answered "+resp.Status)
		return nil
	})
}

// loginOutcome records what m's session says of a login in the shared
// state: a success resets the count of failures; a failure cools the
// identity down for the login's backoff, and one that counts (see
// WithRetireAfter) may retire it.
func (p *Pool) loginOutcome(m *member, o loginOutcome) {
	name := m.id.Name
	counted := o.err != nil && o.attempted && !networkCause(o.err)
	var retired error
	var wake []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.update(ctx, func(d *poolDoc, n int64) error {
		retired, wake = nil, nil
		if o.err == nil {
			if e := d.IDs[name]; e != nil {
				e.Logins = 0
			}
			return nil
		}
		e := d.entry(name)
		if counted {
			e.Logins++
		}
		if e.Retired == "" && e.Logins >= p.cfg.retireAfter {
			e.Retired = clip(fmt.Sprintf("its login failed %d times in a row: %s", e.Logins, causeText(o.err)))
			e.ByLogin = true
			retired, wake = retiredErr(name, e), wakeAll(d)
			return nil
		}
		if wait := time.Until(o.until); wait > 0 {
			if until := n + int64(min(wait, maxCoolDown)); until > e.Until {
				e.Until, e.Cause = until, clip("login failed: "+causeText(o.err))
			}
		}
		return nil
	})
	if retired == nil {
		return
	}
	if l := m.current.Load(); l != nil {
		l.mu.Lock()
		if l.why == nil {
			l.why = retired
		}
		l.mu.Unlock()
	}
	p.wakeUp(wake)
}

// networkCause reports whether a login failed on the way to the site (an
// unreachable host, a dropped connection, a timeout) rather than at it:
// such failures do not count toward retiring an identity.
func networkCause(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	var urlErr *url.Error
	var timeout interface{ Timeout() bool }
	// A request of the login that got no answer at all (a *url.Error, as
	// every Session request's error is): a proxy that cannot reach the
	// site answers CONNECT with a plain "Bad Gateway" error.
	return errors.As(err, &urlErr) || errors.As(err, &op) || errors.As(err, &dns) ||
		errors.Is(err, ErrLeaseEnded) || errors.Is(err, ErrBlocked) || errors.Is(err, ErrRetired) ||
		(errors.As(err, &timeout) && timeout.Timeout()) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
