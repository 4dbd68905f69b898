package httpsession

import (
	"cmp"
	"hash/maphash"
	"os"
	"slices"
	"strings"
	"time"
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

// maxTombstones bounds the deletions a jar or a file remembers; past it the
// oldest are forgotten first.
const maxTombstones = 100_000

// history is what merges need beyond a jar's cookies: the change clock, the
// deletions, and what each file held when this jar last read or wrote it.
// It belongs to persistence; the jar only tells it of changes. The jar's
// lock guards it.
type history struct {
	last  time.Time             // the latest change time made or seen
	tombs map[cookieID]tomb     // the last change to cookies the jar no longer holds
	files map[string]*fileState // by resolved path
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
// written yet, up to limit cookies, dropping the oldest change first.
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
	var oldest *entry
	for _, u := range h.unsaved {
		if oldest == nil || u.updated.Before(oldest.updated) {
			oldest = u
		}
	}
	delete(h.unsaved, oldest.id())
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
// at the change time at (e is nil), or a set at at whose cookie has since
// expired (e keeps its attributes). An expired set stays a set: at the same
// change time it is weighed against another set by its attributes, as the
// live cookie was, and a copy whose expiry has not passed by another
// jar's clock is not deleted by it.
type tomb struct {
	at time.Time
	e  *entry
}

func (t tomb) cookie() *Cookie {
	if t.e == nil {
		return nil
	}
	return &t.e.Cookie
}

// record keeps t as the last change to id unless a newer one is recorded.
func (h *history) record(id cookieID, t tomb) {
	h.observe(t.at)
	if old, ok := h.tombs[id]; ok && !newer(t.at, t.cookie(), old.at, old.cookie()) {
		return
	}
	if h.tombs == nil {
		h.tombs = make(map[cookieID]tomb)
	}
	h.tombs[id] = t
	delete(h.unsaved, id)
}

// delete records a deletion of id at the change time at.
func (h *history) delete(id cookieID, at time.Time) {
	h.record(id, tomb{at: at})
}

// expire records that the cookie e, set at e.updated, has expired.
func (h *history) expire(e *entry) {
	c := *e
	h.record(e.id(), tomb{at: e.updated, e: &c})
}

// forget drops what is recorded of id, and an evicted copy kept for the
// next save, once a newer set has replaced them.
func (h *history) forget(id cookieID) {
	if len(h.tombs) > 0 {
		delete(h.tombs, id)
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

// prune forgets deletions older than TombstoneLifetime and, past
// maxTombstones, the oldest.
func (h *history) prune(now time.Time) {
	horizon := now.Add(-TombstoneLifetime)
	for id, t := range h.tombs {
		if t.at.Before(horizon) {
			delete(h.tombs, id)
		}
	}
	if len(h.tombs) <= maxTombstones {
		return
	}
	times := make([]time.Time, 0, len(h.tombs))
	for _, t := range h.tombs {
		times = append(times, t.at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	cut := times[maxTombstones-1]
	for id, t := range h.tombs {
		if t.at.Before(cut) {
			delete(h.tombs, id)
		}
	}
}

// fileState is what a jar knows of a file it last loaded or saved.
type fileState struct {
	info   os.FileInfo // the file as we last read or wrote it
	sum    uint64      // and its content's checksum (history.sum)
	format fileFormat
	// held lists the cookies the file held then, with their change times
	// (and, for cookies.txt, which carries no times, a sum of each line),
	// so that a record gone from the file since is known to be deleted
	// there, and a cookies.txt line changed since is known to be changed.
	held []heldRecord
	// carried is what the file held that could not be read or was
	// refused: it is written back as it was.
	carried carried
	// complete reports that the jar held everything the file did, as of
	// evictions: until the jar evicts again, a save of an unchanged file
	// can write the jar's own state without reading the file.
	complete  bool
	evictions uint64
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

// newer reports whether change a wins over change b under the sync model:
// the later time; at the same time a deletion (nil cookie) over a set;
// between two sets at the same time, the greater by compareContent.
func newer(aAt time.Time, a *Cookie, bAt time.Time, b *Cookie) bool {
	if c := aAt.Compare(bAt); c != 0 {
		return c > 0
	}
	if (a == nil) != (b == nil) {
		return a == nil
	}
	return a != nil && compareContent(a, b) > 0
}

// compareContent orders two versions of one cookie by what a change can
// alter. Last access is left out: sending a cookie is not a change.
func compareContent(a, b *Cookie) int {
	return cmp.Or(
		strings.Compare(a.Value, b.Value),
		compareBool(a.Quoted, b.Quoted),
		a.Expires.Compare(b.Expires),
		compareBool(a.Secure, b.Secure),
		compareBool(a.HttpOnly, b.HttpOnly),
		cmp.Compare(a.SameSite, b.SameSite),
		a.Created.Compare(b.Created),
	)
}
