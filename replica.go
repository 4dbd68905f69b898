package httpsession

import (
	"errors"
	"time"
)

// Change is one change to a jar's cookies: what a Replica is told of, and
// what Apply takes from elsewhere.
type Change struct {
	// Cookie is the cookie as stored. For a deletion only its identity
	// counts: Name, Domain, Path, HostOnly and Partitioned.
	Cookie Cookie
	// Partition is the partition of a Partitioned cookie (CHIPS): the
	// top-level site with its scheme, such as "https://example.com".
	Partition string
	// Deleted reports that the cookie was removed.
	Deleted bool
	// Updated is when the change was made. Of two changes to one cookie,
	// the later wins, wherever each was made.
	Updated time.Time
}

// Replica keeps a jar in step with a store that other processes share, such
// as Redis (module github.com/httpsession/httpsession/redisjar). The jar
// calls it without holding its own lock, so a Replica may call back into
// the jar, Apply included.
type Replica interface {
	// Refresh is called before the jar picks the cookies for a request, so
	// that changes made elsewhere can be applied first, with Apply.
	Refresh()
	// Changed is called after changes made in this jar, oldest first:
	// cookies stored, replaced, deleted or evicted. Expiry is not a
	// change: an expired cookie is expired in every copy.
	Changed(changes []Change)
}

// WithReplica ties the jar to a Replica. Most programs get one from a
// store's own constructor, such as redisjar.Open.
func WithReplica(r Replica) JarOption {
	return func(c *jarConfig) { c.replica = r }
}

// Apply takes in changes made elsewhere. Each cookie is checked as a cookie
// loaded from a file is (public suffix, prefixes, sizes); where the jar
// holds a more recent change to the same cookie, the jar's stays. Applied
// changes are not passed back to the jar's Replica. The error joins the
// refusals; the other changes are applied.
func (j *Jar) Apply(changes []Change) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.applying = true
	defer func() { j.applying = false }()
	now := j.clock()
	var errs []error
	for i := range changes {
		ch := &changes[i]
		fc := fileCookie{Cookie: ch.Cookie, updated: ch.Updated.UTC(), partition: ch.Partition}
		if ch.Deleted {
			id, err := j.fileID(&fc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if e := j.store.get(id); e != nil && !e.updated.After(fc.updated) {
				j.store.remove(id)
			}
			continue
		}
		if fc.expired(now) {
			continue
		}
		if _, err := j.importLocked(&fc, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// noteChange records a change for the Replica. The caller holds j.mu.
func (j *Jar) noteChange(ch Change) {
	if j.replica != nil && !j.applying {
		j.pending = append(j.pending, ch)
	}
}

// unlock releases j.mu and then tells the Replica of the changes made while
// it was held, so that the Replica's I/O never runs under the jar's lock.
func (j *Jar) unlock() {
	pending := j.pending
	j.pending = nil
	j.mu.Unlock()
	if len(pending) > 0 {
		j.replica.Changed(pending)
	}
}

// refresh lets the Replica bring in changes made elsewhere before a lookup.
func (j *Jar) refresh() {
	if j.replica != nil {
		j.replica.Refresh()
	}
}
