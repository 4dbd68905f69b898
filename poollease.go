package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Lease holds one identity of a Pool for one worker: no other lease, in
// this process or any other sharing the pool, holds it until this one is
// released (Release, Block, Retire) or, in a store whose leases expire,
// lapses. Its Session sends requests only while it holds the identity.
type Lease struct {
	p     *Pool
	m     *member
	token string
	view  *Session

	ctx    context.Context // ends when the lease does, cancelling its requests
	cancel context.CancelFunc
	once   sync.Once // the end

	mu       sync.Mutex
	why      error         // nil while the lease may send; then why it may not
	blocked  bool          // the site blocked the identity during this lease
	answered bool          // an answer that was not a blocked one came
	inflight int           // requests between their start and their answer
	idle     chan struct{} // closed when inflight falls to 0 after the end
	valid    time.Time     // expiring stores: sending stops at this time unless renewed
}

// Name returns the leased identity's name.
func (l *Lease) Name() string { return l.m.id.Name }

// Session returns the identity's Session, logged in as it stays (see
// WithLogin). Its requests fail with an error wrapping ErrBlocked,
// ErrRetired or ErrLeaseEnded once the lease can no longer be used, and
// the requests still under way then are cancelled. Its Close releases the
// lease.
func (l *Lease) Session() *Session { return l.view }

// Release gives the identity back to the pool, after saving its cookies
// for the next holder. Requests still under way on the lease are
// cancelled. It is safe to call more than once, and after Block or Retire.
func (l *Lease) Release() { l.p.finish(l, endRelease, 0, nil) }

// Block cools the identity down for everyone sharing the pool, for
// retryAfter or, if that is 0, for the pool's backoff (see
// WithBlockBackoff), then releases it.
func (l *Lease) Block(retryAfter time.Duration) { l.p.finish(l, endBlock, retryAfter, nil) }

// Retire retires the identity for everyone sharing the pool, for reason
// (which Status reports; keep secrets out of it), then releases it.
func (l *Lease) Retire(reason error) {
	l.p.finish(l, endRetire, 0, errors.New(retireReason(reason)))
}

// How a lease ends.
type leaseEnd int

const (
	endRelease leaseEnd = iota
	endBlock
	endRetire
	endBroken // its session cannot be opened
)

// brokenWait is how long an identity whose session or lease file cannot
// be opened (a corrupt cookie file, a FIFO in its place) is set aside, so
// that Acquire hands out the others meanwhile.
const brokenWait = time.Minute

// leaseKey marks a request's context with the lease it is sent on.
type leaseKey struct{}

// tag returns ctx marked as the context of a request on l.
func (l *Lease) tag(ctx context.Context) context.Context {
	return context.WithValue(ctx, leaseKey{}, l)
}

// tagTransport marks the requests of a lease's Session.Client.
type tagTransport struct {
	lease *Lease
	next  http.RoundTripper
}

func (t *tagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(req.WithContext(t.lease.tag(req.Context())))
}

// enter counts a request in, or returns why the lease may not send.
func (l *Lease) enter(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.why == nil && !l.valid.IsZero() && now.After(l.valid) {
		l.lapseLocked()
	}
	if l.why != nil {
		return l.why
	}
	l.inflight++
	return nil
}

// leave counts a request out.
func (l *Lease) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if l.inflight == 0 && l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
}

// lapseLocked ends a lease that could not be renewed in time. The caller
// holds l.mu.
func (l *Lease) lapseLocked() {
	if l.why == nil {
		l.why = fmt.Errorf("%w: the lease of %q lapsed: it could not be renewed in time", ErrLeaseEnded, l.Name())
	}
	l.cancel()
}

// stop ends the lease's use with why, cancels its requests and waits for
// them to stop (at most wait), and reports whether the lease was still in
// use.
func (l *Lease) stop(why error, wait time.Duration) bool {
	l.mu.Lock()
	live := l.why == nil
	if live {
		l.why = why
	}
	var idle chan struct{}
	if l.inflight > 0 {
		if l.idle == nil {
			l.idle = make(chan struct{})
		}
		idle = l.idle
	}
	l.mu.Unlock()
	l.cancel()
	if idle != nil {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-idle:
		case <-t.C:
		}
	}
	return live
}

// finish ends the lease: its requests stop, its cookies are saved, and the
// shared state records the end (released, blocked, retired).
func (p *Pool) finish(l *Lease, how leaseEnd, retryAfter time.Duration, reason error) {
	l.once.Do(func() {
		ended := fmt.Errorf("%w: %q was released", ErrLeaseEnded, l.Name())
		switch how {
		case endBlock:
			ended = fmt.Errorf("%w: %q cools down", ErrBlocked, l.Name())
		case endRetire:
			ended = fmt.Errorf("%w: %q", ErrRetired, l.Name())
		}
		l.stop(ended, 5*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if sync := l.m.syncer(); sync != nil {
			// A failed save is the session's to report (its logger,
			// its Close); the identity is given back all the same.
			_ = sync(ctx)
		}
		l.mu.Lock()
		blocked, answered := l.blocked, l.answered
		l.mu.Unlock()
		var wake []string
		// If the state cannot be written (Redis out of reach), the lease
		// lapses by itself; a file lock is dropped below all the same.
		_ = p.update(ctx, func(d *poolDoc, n int64) error {
			e := d.entry(l.Name())
			if e.Holder == l.token {
				e.Holder, e.Host, e.PID, e.Deadline = "", "", 0, 0
			}
			if p.locks != nil {
				// With the state, under its lock: a waiter that
				// reads the identity free finds its lock free too
				// (else it takes it for held outside the pool).
				p.locks.unlock(l.Name(), l.token)
			}
			switch {
			case how == endBlock && !blocked:
				p.cool(e, n, retryAfter, "blocked by a worker")
			case how == endBlock && retryAfter > 0:
				// Blocked by an answer already: a longer wait the
				// worker asks for counts, not another block.
				if until := n + int64(min(retryAfter, maxCoolDown)); until > e.Until {
					e.Until, e.Cause = until, clip(fmt.Sprintf("blocked by a worker; back in %v", retryAfter.Round(time.Millisecond)))
				}
			case how == endRetire:
				e.Retired, e.ByLogin = clip(reason.Error()), false
			case how == endBroken:
				setAside(e, n, reason)
			case answered && !blocked:
				e.Blocks = 0
			}
			wake = p.wakeList(d)
			if how == endRetire {
				wake = wakeAll(d)
			}
			return nil
		})
		if p.locks != nil {
			p.locks.unlock(l.Name(), l.token)
		}
		p.forget(l)
		p.wakeUp(wake)
	})
}

// forget drops a lease that ended from this process's books.
func (p *Pool) forget(l *Lease) {
	l.m.current.CompareAndSwap(l, nil)
	p.mu.Lock()
	delete(p.leases, l)
	p.mu.Unlock()
}

// update runs change on the shared state, brought to the store's clock
// (see poolDoc.clean), and stores it if change changed it.
//
// Every update wakes this process's waiters (and, through the store, the
// others') that the state serves, the first time this process sees that
// state: the change that freed their identity may not have woken them (it
// came while they looked, or the poller took this process's own update
// for the news). Woken at every look, waiters behind one that is slow to
// take would wake each other without end.
func (p *Pool) update(ctx context.Context, change func(d *poolDoc, now int64) error) error {
	var wake []string
	err := p.store.Update(ctx, func(state []byte, now time.Time) ([]byte, error) {
		wake = nil
		d, err := decodePoolDoc(state)
		if err != nil {
			return nil, err
		}
		n := now.UnixNano()
		d.clean(n, p.gone, p.holderGone)
		if err := change(d, n); err != nil {
			return nil, err
		}
		out, err := d.encode()
		if err != nil {
			return nil, err
		}
		if p.look(out) {
			wake = p.wakeList(d)
		}
		if bytes.Equal(out, state) {
			return nil, nil
		}
		return out, nil
	})
	if err == nil && len(wake) > 0 {
		p.wakeUp(wake)
	}
	return err
}

// setAside cools an identity that cannot be used down for brokenWait, with
// the cause.
func setAside(e *poolEntry, n int64, cause error) {
	if until := n + int64(brokenWait); until > e.Until {
		e.Until, e.Cause = until, clip("cannot be used: "+redactText(unprefixed(cause.Error())))
	}
}

// retireReason is the text Status keeps for a worker's reason: never
// empty (the text is what marks an identity retired), and never a panic,
// whatever reason's Error does (a typed nil pointer).
func retireReason(reason error) (text string) {
	defer func() {
		if recover() != nil {
			text = ""
		}
		if strings.TrimSpace(text) == "" {
			text = "retired by a worker"
		}
	}()
	if reason == nil {
		return ""
	}
	return redactText(unprefixed(reason.Error()))
}

// cool starts a cool-down of e at n (the store's clock): retryAfter, or
// the pool's backoff after one more blocked answer in a row.
func (p *Pool) cool(e *poolEntry, n int64, retryAfter time.Duration, cause string) {
	e.Blocks++
	d := retryAfter
	if d <= 0 {
		d = blockWait(p.cfg.blockFirst, p.cfg.block, e.Blocks)
	}
	d = min(d, maxCoolDown)
	if until := n + int64(d); until > e.Until {
		e.Until, e.Cause = until, clip(fmt.Sprintf("%s; back in %v", cause, d.Round(time.Millisecond)))
	}
}

// noneLeft returns the error of an Acquire that can never succeed: every
// identity is retired, or the one named.
func (p *Pool) noneLeft(d *poolDoc, name string) error {
	if name != "" {
		if e := d.IDs[name]; e != nil && e.Retired != "" {
			return retiredErr(name, e)
		}
		return nil
	}
	reasons := make([]error, 0, len(p.names))
	for _, n := range p.names {
		e := d.IDs[n]
		if e == nil || e.Retired == "" {
			return nil
		}
		reasons = append(reasons, retiredErr(n, e))
	}
	return &noIdentityError{reasons: reasons}
}

// acquire hands out a lease on name, or on any identity if name is "".
func (p *Pool) acquire(ctx context.Context, name string) (*Lease, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	t := poolTicket{ID: p.node + "." + newToken(), Name: name, Host: p.host, PID: p.pid}
	queued := false
	defer func() {
		if queued {
			// Gave up: the place in the queue goes, and an identity
			// the queue kept for it goes to the waiters after it,
			// who would otherwise find out only at their next look.
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = p.update(dctx, func(d *poolDoc, _ int64) error {
				d.dequeue(t.ID)
				return nil
			})
		}
	}()
	var last error // the last failure worth trying again after
	for {
		if p.isClosed() {
			return nil, fmt.Errorf("%w: the pool is closed", ErrClosed)
		}
		changed := p.changes()
		l, next, err := p.take(ctx, &t, &queued)
		var broken *brokenError
		switch {
		case l != nil:
			return l, nil
		case errors.As(err, &broken) && name == "":
			// Set aside for a while: another identity, then.
			last = broken.err
			continue
		case errors.As(err, &broken):
			return nil, broken.err
		case err != nil && !worthRetry(err):
			return nil, err
		case err != nil:
			// The store is out of reach (Redis restarting, a lock
			// held too long): wait and try again, until ctx ends.
			last, next = err, time.Second
		}
		wait := p.ticketTTL() / 3
		if next > 0 {
			wait = min(wait, next)
		}
		if err := p.wait(ctx, changed, t.ID, wait); err != nil {
			if last != nil {
				return nil, fmt.Errorf("%w (the last failure: %w)", err, last)
			}
			return nil, p.noneFree(err, name)
		}
	}
}

// wait waits for a sign that an identity may be free for ticket: a
// release in this process (changed), the store's Wait, or d.
func (p *Pool) wait(ctx context.Context, changed <-chan struct{}, ticket string, d time.Duration) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
		case <-p.done:
		case <-wctx.Done():
		}
		cancel()
	}()
	werr := p.store.Wait(wctx, ticket, d)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("httpsession: acquire: %w", err)
	}
	if werr != nil && wctx.Err() == nil {
		// The store cannot be waited on (Redis out of reach): try
		// again after a moment rather than spin.
		t := time.NewTimer(min(d, time.Second))
		defer t.Stop()
		select {
		case <-t.C:
		case <-wctx.Done():
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("httpsession: acquire: %w", err)
		}
	}
	return nil
}

// take gives ticket t an identity if the queue says it is its turn, or
// puts it in the queue. It returns the lease, or how long until the next
// cool-down ends (0: none).
func (p *Pool) take(ctx context.Context, t *poolTicket, queued *bool) (*Lease, time.Duration, error) {
	token := newToken()
	wasQueued := *queued
	var granted, locked string
	var next time.Duration
	var none error
	// The lease's time runs from before the store read its clock (n):
	// taken when change runs, once the answer came back, it would run
	// past the store's deadline by as long as the answer took.
	start := time.Now()
	err := p.update(ctx, func(d *poolDoc, n int64) error {
		granted, next, none = "", 0, nil
		if locked != "" {
			// An earlier call of change, whose state was not stored.
			p.locks.unlock(locked, token)
			locked = ""
		}
		if none = p.noneLeft(d, t.Name); none != nil {
			d.dequeue(t.ID)
			*queued = false
			return nil
		}
		ttl := int64(p.ticketTTL())
		t.Deadline = n + ttl
		for range p.names {
			granted = d.assign(p.names, t)[t.ID]
			if granted == "" || p.locks == nil {
				break
			}
			ok, err := p.locks.lock(granted, token)
			if err != nil {
				// Its lease file cannot be locked: set aside, and
				// the next one is handed out.
				setAside(d.entry(granted), n, err)
				granted = ""
				continue
			}
			if ok {
				locked = granted
				break
			}
			// Held by a process outside the shared state: taken for
			// held until its lock is free (holderGone).
			e := d.entry(granted)
			e.Holder, e.Host, e.PID = unknownHolder, "", 0
			granted = ""
		}
		if granted == "" {
			if at := d.nextChange(p.names); at != 0 {
				next = time.Duration(at - n)
			}
			// Queue, or keep the place: renewed only when half its
			// time is gone, so that waiting writes little.
			if !d.queuedUntil(t.ID, n+ttl/2) {
				d.queue(*t)
			}
			*queued = true
			return nil
		}
		d.dequeue(t.ID)
		*queued = false
		d.Seq++
		e := d.entry(granted)
		e.Holder, e.Host, e.PID = token, p.host, p.pid
		e.Uses++
		e.LastUse = d.Seq
		if p.expiring {
			e.Deadline = n + int64(p.cfg.ttl)
		}
		return nil
	})
	switch {
	case err != nil:
		// The last change (a grant, which dequeued t) may not have been
		// stored: t may keep the place it had, and an identity kept
		// for it, unless acquire takes it out of the queue.
		*queued = *queued || wasQueued
		if locked != "" {
			p.locks.unlock(locked, token)
		}
		return nil, 0, fmt.Errorf("httpsession: acquire: %w", err)
	case none != nil:
		return nil, 0, none
	case granted == "":
		return nil, next, nil
	}
	l, err := p.lease(ctx, granted, token, start)
	return l, 0, err
}

// look records b as the state this process last saw, and reports whether
// it is another one than before.
func (p *Pool) look(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if bytes.Equal(b, p.looked) {
		return false
	}
	p.looked = b
	return true
}

// lease makes the Lease on name that take granted, opening the identity's
// Session at its first lease in this process.
func (p *Pool) lease(ctx context.Context, name, token string, start time.Time) (*Lease, error) {
	m := p.members[name]
	lctx, cancel := context.WithCancel(context.Background())
	l := &Lease{p: p, m: m, token: token, ctx: lctx, cancel: cancel}
	l.view = &Session{lease: l}
	if p.expiring {
		l.valid = start.Add(p.cfg.ttl - p.margin())
	}
	p.mu.Lock()
	p.leases[l] = struct{}{}
	p.mu.Unlock()
	m.current.Store(l)
	if p.expiring {
		go l.keep()
	}
	sess, err := p.session(ctx, m)
	if err != nil {
		err = fmt.Errorf("httpsession: acquire %q: %w", name, err)
		if errors.Is(err, ErrClosed) {
			l.Release()
			return nil, err
		}
		p.finish(l, endBroken, 0, err)
		return nil, &brokenError{err}
	}
	l.view.session = sess.session
	if sync := m.syncer(); sync != nil {
		// The newest cookies of the other processes; if they cannot be
		// had, the session logs in again if it must.
		_ = sync(ctx)
	}
	if p.isClosed() {
		l.Release()
		return nil, fmt.Errorf("%w: the pool is closed", ErrClosed)
	}
	return l, nil
}

// noneFree adds to the error of an Acquire whose context ended why no
// identity was free: what each one that cools down waits for.
func (p *Pool) noneFree(err error, name string) error {
	var why []string
	for _, st := range p.Status() {
		if (name == "" || st.Name == name) && st.State == IdentityCooling && st.Err != nil {
			why = append(why, fmt.Sprintf("%s: %s", st.Name, st.Err))
		}
	}
	if len(why) == 0 {
		return err
	}
	return fmt.Errorf("%w (cooling down: %s)", err, strings.Join(why, "; "))
}

// brokenError is take's error for an identity whose session cannot be
// opened: it is set aside, and Acquire goes on with the others.
type brokenError struct{ err error }

func (e *brokenError) Error() string { return e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

// worthRetry reports whether Acquire waits and tries again after err: not
// for a pool that is closed, retired identities, or a state that is not a
// pool's or a path that is not safe, which no wait mends.
func worthRetry(err error) bool {
	var none *noIdentityError
	var ret *retiredError
	return !errors.As(err, &none) && !errors.As(err, &ret) &&
		!errors.Is(err, ErrClosed) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsafePath)
}

// margin is how much earlier than the store a holder stops using a lease
// it could not renew: clocks run at slightly different rates.
func (p *Pool) margin() time.Duration {
	return max(p.cfg.ttl/20, 10*time.Millisecond)
}

// keep renews an expiring lease every third of its TTL until it ends, and
// ends it when it could not be renewed in time: then, even while a
// renewal is under way, for a Redis that does not answer may hold one up
// past its context's deadline (go-redis heeds it only with
// ContextTimeoutEnabled), and the lease's requests must stop all the same.
func (l *Lease) keep() {
	p := l.p
	tick := time.NewTicker(p.cfg.ttl / 3)
	defer tick.Stop()
	l.mu.Lock()
	lapse := time.AfterFunc(time.Until(l.valid), l.lapse)
	l.mu.Unlock()
	defer lapse.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-tick.C:
		}
		if l.ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		valid := l.valid
		l.mu.Unlock()
		start := time.Now()
		ctx, cancel := context.WithDeadline(l.ctx, valid)
		lost := false
		err := p.update(ctx, func(d *poolDoc, n int64) error {
			e := d.entry(l.Name())
			lost = e.Holder != l.token
			if !lost {
				e.Deadline = n + int64(p.cfg.ttl)
			}
			return nil
		})
		cancel()
		l.mu.Lock()
		switch {
		case err == nil && lost:
			l.lapseLocked()
		case err == nil && l.why == nil:
			l.valid = start.Add(p.cfg.ttl - p.margin())
			lapse.Reset(time.Until(l.valid))
		}
		l.mu.Unlock()
		if lost {
			p.forget(l)
			p.broadcast()
			return
		}
	}
}

// lapse ends the lease once its time is up: keep's timer calls it, and it
// does nothing if a renewal moved the time on meanwhile.
func (l *Lease) lapse() {
	l.mu.Lock()
	due := !time.Now().Before(l.valid)
	if due {
		l.lapseLocked()
	}
	l.mu.Unlock()
	if due {
		l.p.forget(l)
		l.p.broadcast()
	}
}
