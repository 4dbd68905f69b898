package httpsession

import (
	"hash/maphash"
	"os"
	"slices"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// The sync model. Every change to a cookie is an event on one identity
// (name, domain, host-only flag, path, partition) at a change time: a set or
// replacement, a deletion by a server or by the program (Delete,
// DeleteDomain, ClearSession, Clear), or the set of a cookie that has since
// expired. Wherever two copies of a jar meet (a save merging with the file,
// a load, a Replica's Apply), the newest change to each identity wins,
// whether it is a set or a deletion:
//
//   - the later change time wins;
//   - at the same time, a deletion wins over a set;
//   - between two different sets at the same time, the one whose attributes
//     compare greater (compareContent) wins, so that every copy picks the
//     same.
//
// Change times come from a hybrid clock: the jar's clock, but never earlier
// than one nanosecond after the latest change this jar has made or seen. A
// change made after seeing another therefore wins over it even when the
// clocks of the two writers disagree.
//
// Limits are not changes: a cookie a jar's limits evict is gone from that
// jar's memory only.

// TombstoneLifetime is how long a deletion is remembered, in a jar and in
// the native file, after its change time: 400 days, the longest a cookie
// may live (RFC 6265bis §5.5). A copy of a cookie older than a deletion has
// expired by the time the deletion is forgotten, unless it is a session
// cookie held all that time by a writer that never synchronised.
const TombstoneLifetime = 400 * 24 * time.Hour

// MaxTombstones and MaxTombstoneBytes bound what a jar and its file
// remember of cookies they no longer hold (deletions, and sets whose
// cookie has expired): at most MaxTombstones of them, taking at most
// MaxTombstoneBytes in the native file. Past either bound the oldest are
// forgotten first, down to seven eighths of it, so that a jar under churn
// prunes now and then rather than at every change.
const (
	MaxTombstones     = 10_000
	MaxTombstoneBytes = 1 << 20
)

// tombOverhead is what a tombstone takes in the native file beyond its
// name, domain, path and partition: the keys, the change time, the digest
// of an expired set, and the separators.
const tombOverhead = 130

// history is what merges need beyond a jar's cookies: the change clock, the
// deletions, and what each file held when this jar last read or wrote it.
// It belongs to persistence; the jar only tells it of changes. The jar's
// lock guards it.
type history struct {
	last  time.Time         // the latest change time made or seen
	tombs map[cookieID]tomb // the last change to cookies the jar no longer holds
	// tombBytes is what tombs take in the native file (tombSize), and
	// oldest a time no later than the oldest of them: prune looks at
	// them all only when one may have passed its lifetime.
	tombBytes int
	oldest    time.Time
	// maxTombs and maxBytes bound tombs (WithTombstoneLimits).
	maxTombs, maxBytes int
	files              map[string]*fileState // by resolved path
	// unsaved holds cookies the jar's limits evicted before any save
	// wrote them (their change is later than the last save): the next
	// save writes them, so that a set is not lost to a limit.
	unsaved map[cookieID]*entry
	savedAt time.Time    // the change clock when the last save merged
	seed    maphash.Seed // for sum: set by NewJar, never changed
}

// sum returns a checksum of a file's content, to tell whether the file is
// still the one the jar last read or wrote: a file's identity, time and
// size alone can repeat (inode numbers are reused, and some file systems
// keep times to the second). The seed is set once, by NewJar, so sum needs
// no lock.
func (h *history) sum(data []byte) uint64 {
	return maphash.Bytes(h.seed, data)
}

// hasher returns a hash to feed a file's content through while it is
// written.
func (h *history) hasher() *maphash.Hash {
	var m maphash.Hash
	m.SetSeed(h.seed)
	return &m
}

// maxUnsaved bounds the evicted cookies a jar keeps for its next save,
// unless its total limit is larger.
const maxUnsaved = DefaultTotalLimit

// keepEvicted keeps a copy of an evicted cookie whose change no save has
// written yet, up to limit cookies: past it, the oldest changes are
// dropped, down to seven eighths of it, so that a jar evicting under churn
// sorts now and then rather than scanning at every eviction.
func (h *history) keepEvicted(e *entry, limit int) {
	if !e.updated.After(h.savedAt) {
		return // a save wrote it, or it came from a file
	}
	if h.unsaved == nil {
		h.unsaved = make(map[cookieID]*entry)
	}
	c := *e
	h.unsaved[e.id()] = &c

	if len(h.unsaved) <= limit {
		return
	}
	keep := limit - limit/8
	dropOldest(h.unsaved, func(e *entry) time.Time { return e.updated },
		func() bool { return len(h.unsaved) <= keep },
		func(id cookieID) { delete(h.unsaved, id) })
}

// dropOldest calls drop for the keys of m, oldest first by age, until
// enough reports true, and returns the age of the oldest left (zero if
// none). It sorts m's keys once: callers drop a good part at a time.
func dropOldest[V any](m map[cookieID]V, age func(V) time.Time, enough func() bool, drop func(cookieID)) time.Time {
	type aged struct {
		id cookieID
		at time.Time
	}
	all := make([]aged, 0, len(m))
	for id, v := range m {
		all = append(all, aged{id, age(v)})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.at.Compare(b.at) })
	for i, a := range all {
		if enough() {
			return all[i].at
		}
		drop(a.id)
	}
	return time.Time{}
}

// saved records that a save wrote every change up to the change time at
// (without this jar's session cookies, with omitSession): the evicted
// cookies it wrote need keeping no longer.
func (h *history) saved(at time.Time, omitSession bool) {
	if !omitSession && at.After(h.savedAt) {
		h.savedAt = at
	}
	for id, e := range h.unsaved {
		if !e.updated.After(at) && !(omitSession && e.Expires.IsZero()) {
			delete(h.unsaved, id)
		}
	}
}

// stamp returns the change time for a change made now: now, or a nanosecond
// after the latest change made or seen, whichever is later.
func (h *history) stamp(now time.Time) time.Time {
	if !now.After(h.last) {
		now = h.last.Add(time.Nanosecond)
	}
	h.last = now
	return now
}

// observe moves the change clock past a change made elsewhere.
func (h *history) observe(at time.Time) {
	if at.After(h.last) {
		h.last = at
	}
}

// tomb is the last change to a cookie the jar no longer holds: a deletion
// at the change time at, or a set at at whose cookie has since expired (set
// is true, and sum is contentSum of the cookie it set). An expired set stays
// a set: at the same change time it is weighed against another set by its
// digest, as the live cookie was, and a copy whose expiry has not passed by
// another jar's clock is not deleted by it. Neither kind keeps a value: a
// tombstone is what ordering needs, never what the cookie was.
type tomb struct {
	at  time.Time
	sum uint64
	set bool
}

func (t tomb) version() version { return version{at: t.at, set: t.set, sum: t.sum} }

// tombSize is what a tombstone of id takes in the native file, about:
// names and paths that are not UTF-8 are written in base64, a third
// longer.
func tombSize(id cookieID) int {
	return tombOverhead + len(id.domain) + len(id.partition) + (len(id.name)+len(id.path))*4/3
}

// record keeps t as the last change to id unless a newer one is recorded.
func (h *history) record(id cookieID, t tomb) {
	h.observe(t.at)
	old, had := h.tombs[id]
	if had && !newer(t.version(), old.version()) {
		return
	}
	if h.tombs == nil {
		h.tombs = make(map[cookieID]tomb)
	}
	if !had {
		h.tombBytes += tombSize(id)
	}
	if len(h.tombs) == 0 || t.at.Before(h.oldest) {
		h.oldest = t.at
	}
	h.tombs[id] = t
	delete(h.unsaved, id)
}

// delete records a deletion of id at the change time at.
func (h *history) delete(id cookieID, at time.Time) {
	h.record(id, tomb{at: at})
}

// expiredTomb is the tombstone of e's set, at e.updated, once its cookie
// has expired.
func expiredTomb(e *entry) tomb {
	return tomb{at: e.updated, sum: contentSum(&e.Cookie), set: true}
}

// expire records that the cookie e, set at e.updated, has expired.
func (h *history) expire(e *entry) {
	h.record(e.id(), expiredTomb(e))
}

// dropTomb forgets what is recorded of id.
func (h *history) dropTomb(id cookieID) {
	if _, ok := h.tombs[id]; ok {
		delete(h.tombs, id)
		h.tombBytes -= tombSize(id)
	}
}

// forget drops what is recorded of id, and an evicted copy kept for the
// next save, once a newer set has replaced them.
func (h *history) forget(id cookieID) {
	if len(h.tombs) > 0 {
		h.dropTomb(id)
	}
	if len(h.unsaved) > 0 {
		delete(h.unsaved, id)
	}
}

// tomb returns the recorded last change to a cookie the jar does not hold.
func (h *history) tomb(id cookieID) (tomb, bool) {
	t, ok := h.tombs[id]
	return t, ok
}

// prune forgets tombstones older than TombstoneLifetime and, past
// MaxTombstones or MaxTombstoneBytes, the oldest, down to seven eighths of
// the bound. It costs nothing while no tombstone can have passed its
// lifetime and the bounds hold.
func (h *history) prune(now time.Time) {
	horizon := now.Add(-TombstoneLifetime)
	if len(h.tombs) > 0 && h.oldest.Before(horizon) {
		h.oldest = now
		for id, t := range h.tombs {
			if t.at.Before(horizon) {
				h.dropTomb(id)
			} else if t.at.Before(h.oldest) {
				h.oldest = t.at
			}
		}
	}
	h.trimTombs(h.maxTombs, h.maxBytes)
}

// trimTombs forgets the oldest tombstones while there are more than count
// or they take more than size bytes, down to seven eighths of each bound.
func (h *history) trimTombs(count, size int) {
	if len(h.tombs) <= count && h.tombBytes <= size {
		return
	}
	keepN, keepBytes := count-count/8, size-size/8
	h.oldest = dropOldest(h.tombs, func(t tomb) time.Time { return t.at },
		func() bool { return len(h.tombs) <= keepN && h.tombBytes <= keepBytes },
		h.dropTomb)
}

// fileState is what a jar knows of a file it last loaded or saved.
type fileState struct {
	info   os.FileInfo // the file as we last read or wrote it
	sum    uint64      // and its content's checksum (history.sum)
	format Format
	// held lists the cookies the file held then, with their change times
	// (and, for cookies.txt, which carries no times, a sum of each line),
	// so that a record gone from the file since is known to be deleted
	// there, and a cookies.txt line changed since is known to be changed.
	held []heldRecord
	// carried is what the file held that could not be read or was
	// refused: it is written back as it was.
	carried cookiefile.Carried
	// complete reports that the jar held everything the file did, as of
	// evictions: until the jar evicts again, a save of an unchanged file
	// can write the jar's own state without reading the file.
	complete  bool
	evictions uint64
	// limit is how much of the file a read may take: MaxFileSize, or more
	// for a file loaded with ReadLarge, until a save rewrites it.
	limit int64
}

// heldRecord is one cookie a file held.
type heldRecord struct {
	id  cookieID
	at  time.Time
	sum uint64 // cookies.txt only: the line's sum
}

// unchanged reports whether the file may still be the one we last read or
// wrote, by its identity, time and size; the content's checksum decides.
func (s *fileState) unchanged(fi os.FileInfo) bool {
	return s != nil && s.info != nil && fi != nil && os.SameFile(s.info, fi) &&
		s.info.ModTime().Equal(fi.ModTime()) && s.info.Size() == fi.Size()
}

// file returns what the jar knows of the file at path, or nil.
func (h *history) file(path string) *fileState {
	return h.files[path]
}

// setFile records what the jar knows of the file at path.
func (h *history) setFile(path string, st *fileState) {
	if h.files == nil {
		h.files = make(map[string]*fileState)
	}
	h.files[path] = st
}

// version is one change to a cookie identity as merges weigh it: its
// change time, and whether it is a set (with the digest of what it set) or
// a deletion.
type version struct {
	at  time.Time
	set bool
	sum uint64 // contentSum of a set's cookie
}

// setVersion is the version of a set at at of the cookie c.
func setVersion(at time.Time, c *Cookie) version {
	return version{at: at, set: true, sum: contentSum(c)}
}

// newer reports whether change a wins over change b under the sync model:
// the later time; at the same time a deletion over a set; between two sets
// at the same time, the one whose content digest is greater, so that every
// copy picks the same without keeping the value of a cookie that expired.
func newer(a, b version) bool {
	if c := a.at.Compare(b.at); c != 0 {
		return c > 0
	}
	if a.set != b.set {
		return !a.set
	}
	return a.set && a.sum > b.sum
}

// contentSum is a digest of what a change to a cookie can alter: value,
// quoting, expiry, Secure, HttpOnly, SameSite and creation time. Last
// access is left out: sending a cookie is not a change. The digest is the
// same in every process and version (FNV-1a over a fixed layout), since
// copies in different processes must break ties alike.
func contentSum(c *Cookie) uint64 {
	h := uint64(14695981039346656037)
	add := func(b byte) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	addUint := func(v uint64) {
		for range 8 {
			add(byte(v))
			v >>= 8
		}
	}
	addTime := func(t time.Time) {
		if t.IsZero() {
			add(0)
			return
		}
		add(1)
		addUint(uint64(t.Unix()))
		addUint(uint64(t.Nanosecond()))
	}
	addUint(uint64(len(c.Value)))
	for i := 0; i < len(c.Value); i++ {
		add(c.Value[i])
	}
	flags := byte(0)
	for i, f := range []bool{c.Quoted, c.Secure, c.HttpOnly} {
		if f {
			flags |= 1 << i
		}
	}
	add(flags)
	add(byte(c.SameSite))
	addTime(c.Expires)
	addTime(c.Created)
	return h
}
