package httpsession

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// poolDoc is what the processes sharing a Pool share, as its PoolStore
// keeps it (JSON): the identities' leases, uses, cool-downs and
// retirements, and the queue of waiters that makes Acquire fair. Times are
// Unix nanoseconds of the store's clock.
type poolDoc struct {
	V   int    `json:"v"`
	Seq uint64 `json:"seq"` // leases handed out so far: the clock of "least recently used"
	// IDs holds one entry per identity name.
	IDs  map[string]*poolEntry `json:"identities"`
	Wait []poolTicket          `json:"waiters,omitempty"`
}

// poolEntry is one identity's shared state.
type poolEntry struct {
	Holder string `json:"holder,omitempty"` // the token of the lease that holds it; "" when free
	Host   string `json:"host,omitempty"`   // the holder's host (hostID)
	PID    int    `json:"pid,omitempty"`    // the holder's process
	// Deadline is when the lease lapses unless renewed, in a store whose
	// leases expire (Redis); 0 in a directory, where a lease ends with
	// its process.
	Deadline int64  `json:"deadline,omitempty"`
	Uses     int    `json:"uses,omitempty"`
	LastUse  uint64 `json:"last_use,omitempty"` // Seq when last leased
	Until    int64  `json:"until,omitempty"`    // cooling down until
	Blocks   int    `json:"blocks,omitempty"`   // blocked answers in a row
	Logins   int    `json:"login_failures,omitempty"`
	Cause    string `json:"cause,omitempty"` // why it cools down
	// Retired says why the identity is retired; "" while it is not.
	Retired string `json:"retired,omitempty"`
	// ByLogin: retired because its login failed (the error wraps
	// ErrLoginFailed).
	ByLogin bool `json:"by_login,omitempty"`
}

// poolTicket is a waiter in Acquire or AcquireName, in the order they
// came: a free identity goes to the first waiter that can take it.
type poolTicket struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"` // AcquireName's identity; "" for any
	Host     string `json:"host,omitempty"`
	PID      int    `json:"pid,omitempty"`
	Deadline int64  `json:"deadline"` // dropped after this unless renewed
}

// unknownHolder holds an identity whose lease lock was found held by a
// process outside the shared state, until its lock is free.
const unknownHolder = "unknown"

// Bounds of the shared state, so that it stays small whatever happens.
const (
	poolDocVersion = 1
	// maxPoolIdentities bounds a pool's identities, and the entries its
	// state keeps.
	maxPoolIdentities = 1024
	// maxPoolWaiters bounds the queue: waiters past it wait without a
	// place, taking an identity only when no one queued wants it.
	maxPoolWaiters = 4096
	// maxPoolDoc bounds the state's size in bytes.
	maxPoolDoc = 4 << 20
	// maxCoolDown bounds a cool-down, whatever a Retry-After or a clock
	// that jumped says.
	maxCoolDown = 24 * time.Hour
	// maxReason bounds the text kept of a cause or a reason.
	maxReason = 512
	// maxTicketTTL bounds the life of a waiter's place in the queue.
	maxTicketTTL = 30 * time.Second
)

// decodePoolDoc reads the shared state; empty input is a new pool. A
// state that is not one is an error wrapping ErrCorrupt: the store is
// someone else's, and nothing writes over it.
func decodePoolDoc(data []byte) (*poolDoc, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &poolDoc{V: poolDocVersion, IDs: map[string]*poolEntry{}}, nil
	}
	d := &poolDoc{}
	if len(data) > maxPoolDoc {
		return nil, fmt.Errorf("%w: the pool's state is larger than %d MiB", ErrCorrupt, maxPoolDoc>>20)
	}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, fmt.Errorf("%w: the pool's state is not a pool's: %v", ErrCorrupt, err)
	}
	if d.V != poolDocVersion {
		return nil, fmt.Errorf("%w: the pool's state has version %d, not %d", ErrCorrupt, d.V, poolDocVersion)
	}
	if d.IDs == nil {
		d.IDs = map[string]*poolEntry{}
	}
	for name, e := range d.IDs {
		if e == nil {
			delete(d.IDs, name)
		}
	}
	return d, nil
}

func (d *poolDoc) encode() ([]byte, error) { return json.Marshal(d) }

// entry returns name's entry, made if missing.
func (d *poolDoc) entry(name string) *poolEntry {
	e := d.IDs[name]
	if e == nil {
		e = &poolEntry{}
		d.IDs[name] = e
	}
	return e
}

// clean brings the state to now: it frees the identities whose holder is
// gone (gone says so, or the lease lapsed), drops waiters that are gone
// or lapsed, ends cool-downs that are over, and bounds times a clock that
// jumped, or a hand, wrote too far ahead.
func (d *poolDoc) clean(now int64, gone func(host string, pid int) bool, holderGone func(name string, e *poolEntry) bool) {
	for name, e := range d.IDs {
		if e.Holder != "" && ((e.Deadline != 0 && e.Deadline <= now) || holderGone(name, e)) {
			e.Holder, e.Host, e.PID, e.Deadline = "", "", 0, 0
		}
		if e.Until != 0 && e.Until <= now {
			e.Until, e.Cause = 0, ""
		}
		if limit := now + int64(maxCoolDown); e.Until > limit {
			e.Until = limit
		}
	}
	d.Wait = slices.DeleteFunc(d.Wait, func(t poolTicket) bool {
		return t.Deadline <= now || gone(t.Host, t.PID)
	})
	for i := range d.Wait {
		// A place written by a clock ahead of this one lasts no longer
		// than the longest a waiter keeps one.
		d.Wait[i].Deadline = min(d.Wait[i].Deadline, now+int64(maxTicketTTL))
	}
	if len(d.IDs) > 2*maxPoolIdentities {
		// Names no process uses any more: the free ones go first.
		for name, e := range d.IDs {
			if len(d.IDs) <= maxPoolIdentities {
				break
			}
			if e.Holder == "" && e.Until == 0 && e.Retired == "" {
				delete(d.IDs, name)
			}
		}
	}
}

// available reports whether an identity can be leased now.
func (e *poolEntry) available() bool {
	return e.Holder == "" && e.Retired == "" && e.Until == 0
}

// assign hands the free identities among names to the waiters in order,
// least recently used first, as the queue stands with extra at its end
// (unless it is queued already): the result maps a ticket to the name it
// gets now.
func (d *poolDoc) assign(names []string, extra *poolTicket) map[string]string {
	free := make([]string, 0, len(names))
	for _, n := range names {
		if e := d.IDs[n]; e == nil || e.available() {
			free = append(free, n)
		}
	}
	if len(free) == 0 {
		return nil
	}
	slices.SortStableFunc(free, func(a, b string) int {
		return cmpUint(d.lastUse(a), d.lastUse(b))
	})
	out := map[string]string{}
	give := func(t poolTicket) {
		for i, n := range free {
			if t.Name == "" || t.Name == n {
				out[t.ID] = n
				free = slices.Delete(free, i, i+1)
				return
			}
		}
	}
	queued := false
	for _, t := range d.Wait {
		if len(free) == 0 {
			break
		}
		queued = queued || (extra != nil && t.ID == extra.ID)
		give(t)
	}
	if extra != nil && !queued && len(free) > 0 {
		give(*extra)
	}
	return out
}

func (d *poolDoc) lastUse(name string) uint64 {
	if e := d.IDs[name]; e != nil {
		return e.LastUse
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// queue puts t in the queue, or renews its place, unless the queue is
// full.
func (d *poolDoc) queue(t poolTicket) {
	for i := range d.Wait {
		if d.Wait[i].ID == t.ID {
			d.Wait[i].Deadline = t.Deadline
			return
		}
	}
	if len(d.Wait) < maxPoolWaiters {
		d.Wait = append(d.Wait, t)
	}
}

// dequeue takes the ticket id out of the queue.
func (d *poolDoc) dequeue(id string) {
	d.Wait = slices.DeleteFunc(d.Wait, func(t poolTicket) bool { return t.ID == id })
}

// nextChange returns the earliest cool-down end among names after now, or
// 0.
func (d *poolDoc) nextChange(names []string) int64 {
	var next int64
	for _, n := range names {
		if e := d.IDs[n]; e != nil && e.Until != 0 && (next == 0 || e.Until < next) {
			next = e.Until
		}
	}
	return next
}

// blockWait returns the cool-down after the given number of blocked
// answers in a row: first, doubled for each after the first, at most
// limit, of which a random part between half and all ("equal jitter"),
// so that the workers of a fleet do not all come back at once.
func blockWait(first, limit time.Duration, blocks int) time.Duration {
	limit = min(max(limit, first), maxCoolDown)
	d := min(first, limit)
	for i := 1; i < blocks && d < limit; i++ {
		d = min(2*d, limit)
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// clip bounds a cause or reason kept in the shared state.
func clip(s string) string {
	if len(s) <= maxReason {
		return s
	}
	cut := maxReason
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// queuedUntil reports whether ticket id is queued with a place that lasts
// at least until at.
func (d *poolDoc) queuedUntil(id string, at int64) bool {
	for _, t := range d.Wait {
		if t.ID == id {
			return t.Deadline >= at
		}
	}
	return false
}
