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
	// cookies stored or replaced, and deletions (by a server, by the
	// program, or taken from a file by Load), each with its change time.
	// Evictions are not told: limits belong to one jar's memory, and the
	// shared store keeps what this jar could not hold. Nor is expiry: the
	// store expires its copy by itself.
	Changed(changes []Change)
}

// WithReplica ties the jar to a Replica. Most programs get one from a
// store's own constructor, such as redisjar.Open.
func WithReplica(r Replica) JarOption {
	return func(c *jarConfig) { c.replica = r }
}

// Apply takes in changes made elsewhere, under the sync model: for each
// cookie the newer change wins, the jar's or the applied one, whether it is
// a set or a deletion (at the same time a deletion wins; between two sets,
// a fixed order of their attributes). Each cookie is checked as a cookie
// loaded from a file is (public suffix, prefixes, sizes). Applied changes
// are not passed back to the jar's Replica. The error joins the refusals;
// the other changes are applied.
func (j *Jar) Apply(changes []Change) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.applying = true
	defer func() { j.applying = false }()
	now := j.clock()
	var errs []error
	for i := range changes {
		if err := j.apply1(&changes[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply1 applies one change made elsewhere. The caller holds j.mu.
func (j *Jar) apply1(ch *Change, now time.Time) error {
	at := ch.Updated.UTC()
	if tooLate(at) {
		return errChangeTime
	}
	var id cookieID
	var e entry
	v := version{at: at}
	var expired bool
	if ch.Deleted {
		partition := ch.Partition
		if ch.Cookie.Partitioned && partition == "" {
			partition = j.partitionKey("https", ch.Cookie.Domain)
		}
		var ok bool
		c := &ch.Cookie
		if id, ok = j.tombID(cookieID{name: c.Name, domain: c.Domain, path: c.Path, hostOnly: c.HostOnly, partition: partition}); !ok {
			return errTombIdentity
		}
	} else {
		var err error
		if e, expired, err = j.prepare(&ch.Cookie, ch.Partition, now); err != nil {
			return err
		}
		id = e.id()
		v = setVersion(at, &e.Cookie)
	}
	if jv, ok := j.versionOf(id); ok && !newer(v, jv) {
		if old := j.store.get(id); old != nil && v.set && ch.Cookie.LastAccess.After(old.LastAccess) {
			old.LastAccess = ch.Cookie.LastAccess.UTC()
		}
		return nil
	}
	switch {
	case ch.Deleted:
		j.deleteAsOf(id, at)
	case expired:
		e.updated = at
		j.expireAsOf(&e)
	default:
		j.commit(&e, false, at, now)
	}
	return nil
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
