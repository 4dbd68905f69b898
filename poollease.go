package httpsession

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
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
func (l *Lease) Retire(reason error) { l.p.finish(l, endRetire, 0, reason) }

// How a lease ends.
type leaseEnd int

const (
	endRelease leaseEnd = iota
	endBlock
	endRetire
)

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
			switch {
			case how == endBlock && !blocked:
				p.cool(e, n, retryAfter, "blocked by a worker")
			case how == endRetire:
				e.Retired, e.ByLogin = clip(retireReason(reason)), false
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
			p.locks.unlock(l.Name())
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
func (p *Pool) update(ctx context.Context, change func(d *poolDoc, now int64) error) error {
	return p.store.Update(ctx, func(state []byte, now time.Time) ([]byte, error) {
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
		if err != nil || bytes.Equal(out, state) {
			return nil, err
		}
		return out, nil
	})
}

// retireReason is the text Status keeps for a worker's reason.
func retireReason(reason error) string {
	if reason == nil {
		return "retired by a worker"
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
			// Gave up: the place in the queue goes.
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = p.update(dctx, func(d *poolDoc, _ int64) error {
				d.dequeue(t.ID)
				return nil
			})
		}
	}()
	for {
		if p.isClosed() {
			return nil, fmt.Errorf("%w: the pool is closed", ErrClosed)
		}
		changed := p.changes()
		l, next, err := p.take(ctx, &t, &queued)
		if err != nil || l != nil {
			return l, err
		}
		wait := p.ticketTTL() / 3
		if next > 0 {
			wait = min(wait, next)
		}
		if err := p.wait(ctx, changed, t.ID, wait); err != nil {
			return nil, err
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
	var granted, locked string
	var next time.Duration
	var start time.Time
	var none error
	var wake []string
	err := p.update(ctx, func(d *poolDoc, n int64) error {
		start = time.Now()
		granted, next, none, wake = "", 0, nil, nil
		// Waiters this state serves, which the change that freed their
		// identity may not have woken (it happened while they looked).
		defer func() {
			for _, id := range p.wakeList(d) {
				if id != t.ID {
					wake = append(wake, id)
				}
			}
		}()
		if locked != "" {
			// An earlier call of change, whose state was not stored.
			p.locks.unlock(locked)
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
			ok, err := p.locks.lock(granted)
			if err != nil {
				return err
			}
			if ok {
				locked = granted
				break
			}
			// Held by a process outside the shared state: taken for
			// held until its lock is free (holderGone).
			e := d.entry(granted)
			e.Holder, e.Host, e.PID = "unknown", "", 0
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
	if err == nil && len(wake) > 0 {
		p.wakeUp(wake)
	}
	switch {
	case err != nil:
		if locked != "" {
			p.locks.unlock(locked)
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
		l.Release()
		return nil, fmt.Errorf("httpsession: acquire %q: %w", name, err)
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

// margin is how much earlier than the store a holder stops using a lease
// it could not renew: clocks run at slightly different rates.
func (p *Pool) margin() time.Duration {
	return max(p.cfg.ttl/20, 10*time.Millisecond)
}

// keep renews an expiring lease every third of its TTL until it ends, and
// ends it when it could not be renewed in time.
func (l *Lease) keep() {
	p := l.p
	tick := time.NewTicker(p.cfg.ttl / 3)
	defer tick.Stop()
	for {
		l.mu.Lock()
		valid := l.valid
		l.mu.Unlock()
		lapse := time.NewTimer(time.Until(valid))
		select {
		case <-l.ctx.Done():
			lapse.Stop()
			return
		case <-lapse.C:
			l.mu.Lock()
			l.lapseLocked()
			l.mu.Unlock()
			p.forget(l)
			p.broadcast()
			return
		case <-tick.C:
			lapse.Stop()
		}
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
		}
		l.mu.Unlock()
		if lost {
			p.forget(l)
			p.broadcast()
			return
		}
	}
}
