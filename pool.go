package httpsession

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Identity is one account of a Pool: its name, how it logs in, and the
// options of its own Session (a proxy, a User-Agent, headers), which come
// after the pool's (WithSessionOptions).
type Identity struct {
	// Name is unique in the pool. It names the identity's cookie file
	// (DIR/NAME.json) and its lease: letters, digits and "._-@+", not
	// starting with a dot, at most 128 bytes.
	Name string
	// Login logs the identity in (see WithLogin); nil: it never logs
	// in, its cookies come from elsewhere (a file put in place, Import).
	Login LoginFunc
	// Options are this identity's own session options.
	Options []Option
}

// IdentityState is where an identity stands in its pool.
type IdentityState int

// The states of an identity, as Pool.Status reports them.
const (
	// IdentityFree: no one holds it; Acquire may hand it out.
	IdentityFree IdentityState = iota
	// IdentityLeased: a worker, in this process or another, holds it.
	IdentityLeased
	// IdentityCooling: blocked by the site, or backing off after a
	// failed login, until IdentityStatus.Until.
	IdentityCooling
	// IdentityRetired: never handed out again until Pool.Reinstate.
	IdentityRetired
)

// String returns the state's name: "free", "leased", "cooling" or
// "retired".
func (s IdentityState) String() string {
	switch s {
	case IdentityFree:
		return "free"
	case IdentityLeased:
		return "leased"
	case IdentityCooling:
		return "cooling"
	case IdentityRetired:
		return "retired"
	}
	return fmt.Sprintf("IdentityState(%d)", int(s))
}

// IdentityStatus is one identity as every process sharing the pool sees
// it.
type IdentityStatus struct {
	Name  string
	State IdentityState
	// Uses counts the leases of the identity so far, in every process.
	Uses int
	// Until is when a cool-down ends (IdentityCooling), or when a lease
	// lapses unless renewed (IdentityLeased in a store whose leases
	// expire); zero otherwise.
	Until time.Time
	// Err says why the identity cools down or was retired: a retired
	// identity's wraps ErrRetired, and ErrLoginFailed if its logins
	// failed.
	Err error
}

var (
	// ErrBlocked is wrapped by the errors of requests on a lease whose
	// identity the site blocked (see WithBlocked): release the lease and
	// acquire another.
	ErrBlocked = errors.New("httpsession: identity blocked")
	// ErrNoIdentity is returned by Acquire when every identity of the
	// pool is retired; it wraps each one's reason.
	ErrNoIdentity = errors.New("httpsession: no identity left")
	// ErrRetired is wrapped by the errors of requests on a lease whose
	// identity was retired, and by AcquireName's for a retired identity.
	ErrRetired = errors.New("httpsession: identity retired")
	// ErrLeaseEnded is wrapped by the errors of requests on a lease that
	// was released, or that lapsed because it could not be renewed.
	ErrLeaseEnded = errors.New("httpsession: lease ended")
)

// Pool defaults.
const (
	// DefaultLeaseTTL is how long a lease in Redis outlives a holder that
	// stopped renewing it (see WithLeaseTTL).
	DefaultLeaseTTL = 30 * time.Second
	// DefaultBlockBackoff and DefaultMaxBlockBackoff bound the cool-down
	// of an identity blocked without a Retry-After (see WithBlockBackoff).
	DefaultBlockBackoff    = time.Second
	DefaultMaxBlockBackoff = 10 * time.Minute
	// DefaultRetireAfter is how many failed logins in a row retire an
	// identity (see WithRetireAfter).
	DefaultRetireAfter = 3
)

// PoolOption configures a Pool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	sessionOpts       []Option
	ttl               time.Duration
	blocked           func(*http.Response) bool
	blockFirst, block time.Duration // WithBlockBackoff
	retireAfter       int
}

// WithSessionOptions sets options for every identity's Session (a base
// URL, logged-out detection, a login timeout, ...). An identity's own
// Options come after them.
func WithSessionOptions(opts ...Option) PoolOption {
	return func(c *poolConfig) { c.sessionOpts = append(c.sessionOpts, opts...) }
}

// WithLeaseTTL sets how long a lease in a store whose leases expire
// (redisjar.OpenPool) outlives a holder that stopped renewing it: a
// holder renews its lease every third of it, and stops sending requests
// on it once the TTL has run since its last renewal, before anyone else
// can take the identity. The default is DefaultLeaseTTL; at least 100 ms,
// at most a day.
// A lease of OpenPool is a file lock, which ends with its process: the TTL
// does not apply to it.
func WithLeaseTTL(d time.Duration) PoolOption {
	return func(c *poolConfig) { c.ttl = min(max(d, 100*time.Millisecond), maxCoolDown) }
}

// WithBlocked says how to recognise an answer that means "this identity is
// blocked": it then cools down for everyone sharing the pool, for the
// answer's Retry-After (seconds or a date, at most a day) or, without one,
// for the pool's backoff (WithBlockBackoff), and the lease's requests fail
// with ErrBlocked from then on. The default is a 429 (Too Many Requests).
// A logged-out answer is not a blocked one: the identity's Session logs in
// again (see WithLogin).
func WithBlocked(detect func(*http.Response) bool) PoolOption {
	return func(c *poolConfig) {
		if detect != nil {
			c.blocked = detect
		}
	}
}

// WithBlockBackoff sets the cool-down of an identity blocked without a
// Retry-After: first after one blocked answer, doubled for each blocked
// answer in a row after it, at most limit, and a random part of that
// between half and all, so that a fleet does not come back at once. The
// defaults are DefaultBlockBackoff and DefaultMaxBlockBackoff.
func WithBlockBackoff(first, limit time.Duration) PoolOption {
	return func(c *poolConfig) {
		if first > 0 {
			c.blockFirst = first
		}
		if limit > 0 {
			c.block = limit
		}
	}
}

// WithRetireAfter sets how many failed logins in a row, in every process
// sharing the pool, retire an identity (default DefaultRetireAfter). A
// login counts when its LoginFunc ran and failed for another reason than
// the network (an unreachable site, a timeout) or a blocked answer.
func WithRetireAfter(n int) PoolOption {
	return func(c *poolConfig) {
		if n > 0 {
			c.retireAfter = n
		}
	}
}

// PoolStore keeps what the processes sharing a Pool share. OpenPool keeps
// it in a directory, redisjar.OpenPool in Redis; NewPool takes any.
type PoolStore interface {
	// Update reads the pool's state (nil when there is none yet) and the
	// store's clock, calls change, and stores what change returns
	// (nothing if it returns nil or an error), as one step no other
	// Update anywhere comes between: under a lock, or as a
	// compare-and-swap that calls change again when another Update came
	// first.
	Update(ctx context.Context, change func(state []byte, now time.Time) ([]byte, error)) error
	// Wait returns when the waiter with that ticket may find an identity
	// free (after Wake with the ticket, or another sign of change), or
	// after d, or when ctx ends (with its error). A ticket is
	// "NODE.RANDOM", where NODE is the same for every ticket of one Pool:
	// a store may wake a whole process's waiters at once.
	Wait(ctx context.Context, ticket string, d time.Duration) error
	// Wake tells the waiters with those tickets, wherever they are, that
	// an identity may be theirs.
	Wake(ctx context.Context, tickets []string) error
	// Session opens the Session of the named identity with opts, and
	// returns it with the function that makes its cookies visible to the
	// other processes and takes theirs (a save, a flush), which the pool
	// calls when the identity is leased and released.
	Session(ctx context.Context, name string, opts []Option) (*Session, func(context.Context) error, error)
	// Close releases what the store holds.
	Close() error
}

// Pool hands out identities (accounts), each with a Session that stays
// logged in, to the workers of one process or of many: a lease holds one
// identity exclusively, in every goroutine and every process sharing the
// pool's directory (OpenPool) or Redis (redisjar.OpenPool). Acquire is
// fair: the least recently used identity first, and waiters in every
// process served in the order they came. The pool cools down blocked
// identities and retires those whose login keeps failing, for every
// process at once. A Pool is safe for concurrent use.
type Pool struct {
	store   PoolStore
	locks   leaseLocks // OpenPool: leases are file locks
	cfg     poolConfig
	names   []string
	members map[string]*member
	host    string
	pid     int
	node    string // the first part of this pool's tickets
	// expiring: leases lapse unless renewed (every store but OpenPool's).
	expiring bool

	mu      sync.Mutex
	changed chan struct{} // closed, and replaced, when this process frees an identity
	looked  []byte        // the state as this process's last take saw it (see take)
	closed  bool
	leases  map[*Lease]struct{}
	done    chan struct{} // closed by Close
}

// member is one identity in this process: its Session, opened at its
// first lease and kept until Close, and the lease that holds it here.
type member struct {
	id      Identity
	mu      sync.Mutex
	sess    *Session
	sync    func(context.Context) error
	current atomic.Pointer[Lease]
}

// syncer returns the function that syncs the identity's session with the
// other processes, or nil before the session is open.
func (m *member) syncer() func(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sync
}

// leaseLocks is a store whose leases are locks that end with their
// process (OpenPool's directory). The pool takes and drops them inside
// Update, so that no two processes take one at once.
type leaseLocks interface {
	lock(name, token string) (ok bool, err error)
	unlock(name, token string) // only the lock taken for token
	free(name string) bool     // no one holds it (a holder whose process died does not)
}

// OpenPool opens the pool of identities ids kept in the directory dir: each
// identity's cookies in DIR/NAME.json (a Session made by Open, with its
// login record beside it), its lease as a lock on DIR/NAME.json.lease,
// which ends with the process that holds it, and what the processes share
// (uses, cool-downs, retirements, the queue of waiters) in DIR/.pool.json.
// The directory is made (0700) if missing. Every process on a directory
// should list the same identities.
func OpenPool(dir string, ids []Identity, opts ...PoolOption) (*Pool, error) {
	store, err := openDirStore(dir)
	if err != nil {
		return nil, err
	}
	p, err := newPool(store, ids, opts)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	p.locks, p.expiring = store, false
	return p, nil
}

// NewPool returns a pool of identities ids kept in store, whose leases
// expire unless renewed (see WithLeaseTTL). redisjar.OpenPool makes one on
// Redis.
func NewPool(store PoolStore, ids []Identity, opts ...PoolOption) (*Pool, error) {
	if store == nil {
		return nil, errors.New("httpsession: NewPool: nil PoolStore")
	}
	return newPool(store, ids, opts)
}

func newPool(store PoolStore, ids []Identity, opts []PoolOption) (*Pool, error) {
	cfg := poolConfig{
		ttl:         DefaultLeaseTTL,
		blocked:     func(r *http.Response) bool { return r.StatusCode == http.StatusTooManyRequests },
		blockFirst:  DefaultBlockBackoff,
		block:       DefaultMaxBlockBackoff,
		retireAfter: DefaultRetireAfter,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("httpsession: a pool needs at least one identity")
	}
	if len(ids) > maxPoolIdentities {
		return nil, fmt.Errorf("httpsession: a pool holds at most %d identities, not %d", maxPoolIdentities, len(ids))
	}
	p := &Pool{
		store:    store,
		cfg:      cfg,
		members:  make(map[string]*member, len(ids)),
		host:     hostID(),
		pid:      os.Getpid(),
		node:     newToken()[:12],
		expiring: true,
		changed:  make(chan struct{}),
		leases:   map[*Lease]struct{}{},
		done:     make(chan struct{}),
	}
	folded := map[string]string{}
	for _, id := range ids {
		if err := checkIdentityName(id.Name); err != nil {
			return nil, err
		}
		// Names that differ only in case would share a file on a
		// case-insensitive file system.
		if other, dup := folded[strings.ToLower(id.Name)]; dup {
			return nil, fmt.Errorf("httpsession: identities %q and %q differ only in case", other, id.Name)
		}
		folded[strings.ToLower(id.Name)] = id.Name
		p.names = append(p.names, id.Name)
		p.members[id.Name] = &member{id: id}
	}
	return p, nil
}

// checkIdentityName refuses a name that cannot name a file of the pool's
// directory safely.
func checkIdentityName(name string) error {
	if name == "" || len(name) > 128 || name[0] == '.' {
		return fmt.Errorf("httpsession: identity name %q: 1 to 128 bytes, not starting with a dot", name)
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-@+", c) >= 0
		if !ok {
			return fmt.Errorf("httpsession: identity name %q: only letters, digits and ._-@+", name)
		}
	}
	return nil
}

// Acquire returns a lease on an identity that no worker anywhere holds,
// that is not cooling down and not retired: the least recently used. It
// waits, in turn with the waiters of every process, until one is free or
// ctx ends. When every identity is retired it returns an error wrapping
// ErrNoIdentity and each one's reason.
func (p *Pool) Acquire(ctx context.Context) (*Lease, error) {
	return p.acquire(ctx, "")
}

// AcquireName is Acquire for the identity name alone, as a test that must
// act as "admin" needs. It fails at once, with an error wrapping ErrRetired,
// if that identity is retired.
func (p *Pool) AcquireName(ctx context.Context, name string) (*Lease, error) {
	if p.members[name] == nil {
		return nil, fmt.Errorf("httpsession: AcquireName: no identity %q in the pool", name)
	}
	return p.acquire(ctx, name)
}

// newToken returns a random token naming a lease or a waiter.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isClosed reports whether Close was called.
func (p *Pool) isClosed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// changes returns the channel closed at the next identity this process
// frees.
func (p *Pool) changes() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// broadcast wakes this process's waiters.
func (p *Pool) broadcast() {
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// ticketTTL is how long a waiter's place in the queue lasts unless it
// renews it: a waiter that died holds up the others this long at most.
func (p *Pool) ticketTTL() time.Duration {
	if !p.expiring {
		// A dead process's places go at once (its pid); this bounds the
		// place of a waiter on another host.
		return 30 * time.Second
	}
	return min(max(p.cfg.ttl, time.Second), 10*time.Second)
}

// gone reports whether a holder or waiter's process is known to have
// ended: only one of this host (and pid namespace) can be looked up.
func (p *Pool) gone(host string, pid int) bool {
	return host == p.host && pid != 0 && !processAlive(pid)
}

// holderGone reports whether the holder of name's lease is gone: its
// process ended, or, for file locks, the lock is free.
func (p *Pool) holderGone(name string, e *poolEntry) bool {
	if p.gone(e.Host, e.PID) {
		return true
	}
	if p.locks != nil && p.members[name] != nil {
		if m := p.members[name]; m.current.Load() != nil && e.Host == p.host && e.PID == p.pid {
			return false // held here
		}
		return p.locks.free(name)
	}
	return false
}

// Status returns every identity of the pool as all the processes sharing
// it see it, in the order the pool was opened with. If the shared state
// cannot be read (Redis out of reach), each status's Err says so.
func (p *Pool) Status() []IdentityStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var doc *poolDoc
	var now time.Time
	err := p.update(ctx, func(d *poolDoc, n int64) error {
		doc, now = d, time.Unix(0, n)
		return nil
	})
	out := make([]IdentityStatus, 0, len(p.names))
	for _, name := range p.names {
		st := IdentityStatus{Name: name}
		if err != nil {
			st.Err = fmt.Errorf("httpsession: the pool's state cannot be read: %w", err)
			out = append(out, st)
			continue
		}
		e := doc.entry(name)
		st.Uses = e.Uses
		switch {
		case e.Retired != "":
			st.State, st.Err = IdentityRetired, retiredErr(name, e)
		case e.Holder != "":
			st.State = IdentityLeased
			if e.Deadline != 0 {
				st.Until = localTime(now, e.Deadline)
			}
		case e.Until != 0:
			st.State, st.Until = IdentityCooling, localTime(now, e.Until)
			if e.Cause != "" {
				st.Err = errors.New(e.Cause)
			}
		}
		out = append(out, st)
	}
	return out
}

// localTime turns a time of the store's clock (now) into this machine's.
func localTime(now time.Time, at int64) time.Time {
	return time.Now().Add(time.Duration(at - now.UnixNano()))
}

// retiredError is why an identity was retired.
type retiredError struct {
	name, reason string
	login        bool
}

func (e *retiredError) Error() string {
	return fmt.Sprintf("httpsession: identity %q retired: %s", e.name, e.reason)
}

func (e *retiredError) Unwrap() []error {
	if e.login {
		return []error{ErrRetired, ErrLoginFailed}
	}
	return []error{ErrRetired}
}

func retiredErr(name string, e *poolEntry) error {
	return &retiredError{name: name, reason: e.Retired, login: e.ByLogin}
}

// noIdentityError is Acquire's error when every identity is retired.
type noIdentityError struct{ reasons []error }

func (e *noIdentityError) Error() string {
	msgs := make([]string, len(e.reasons))
	for i, r := range e.reasons {
		msgs[i] = unprefixed(r.Error())
	}
	return ErrNoIdentity.Error() + ": every identity is retired: " + strings.Join(msgs, "; ")
}

func (e *noIdentityError) Unwrap() []error { return append([]error{ErrNoIdentity}, e.reasons...) }

// Reinstate puts a retired identity back in the pool, for every process
// sharing it, with its counts of failed logins and blocked answers reset.
func (p *Pool) Reinstate(ctx context.Context, name string) error {
	if ctx == nil {
		return errNilContext
	}
	if p.members[name] == nil {
		return fmt.Errorf("httpsession: Reinstate: no identity %q in the pool", name)
	}
	var wake []string
	err := p.update(ctx, func(d *poolDoc, _ int64) error {
		e := d.entry(name)
		e.Retired, e.ByLogin, e.Logins, e.Blocks, e.Until, e.Cause = "", false, 0, 0, 0, ""
		wake = p.wakeList(d)
		return nil
	})
	if err != nil {
		return fmt.Errorf("httpsession: Reinstate %q: %w", name, err)
	}
	p.wakeUp(wake)
	return nil
}

// wakeList returns the waiters that the state d gives an identity to.
func (p *Pool) wakeList(d *poolDoc) []string {
	var out []string
	for id := range d.assign(p.names, nil) {
		out = append(out, id)
	}
	return out
}

// wakeAll returns every waiter: when an identity is retired, those that
// wait for nothing left must hear of it.
func wakeAll(d *poolDoc) []string {
	out := make([]string, len(d.Wait))
	for i, t := range d.Wait {
		out[i] = t.ID
	}
	return out
}

// wakeUp wakes the waiters of tickets: this process's at once, the
// others' through the store.
func (p *Pool) wakeUp(tickets []string) {
	var remote []string
	local := false
	for _, t := range tickets {
		if n, _, _ := strings.Cut(t, "."); n == p.node {
			local = true
		} else {
			remote = append(remote, t)
		}
	}
	if local {
		p.broadcast()
	}
	if len(remote) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.store.Wake(ctx, remote)
	}
}

// Close releases the leases this process holds, stops its waiters (their
// Acquire returns an error wrapping ErrClosed), closes the identities'
// sessions (saving their cookies) and the store. It is safe to call more
// than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	leases := make([]*Lease, 0, len(p.leases))
	for l := range p.leases {
		leases = append(leases, l)
	}
	p.mu.Unlock()
	for _, l := range leases {
		l.Release()
	}
	p.broadcast()
	var errs []error
	for _, name := range p.names {
		m := p.members[name]
		m.mu.Lock()
		if m.sess != nil {
			errs = append(errs, m.sess.Close())
		}
		m.mu.Unlock()
	}
	errs = append(errs, p.store.Close())
	return errors.Join(errs...)
}
