package httpsession

import (
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// A merge folds what a file holds into a jar under the sync model
// (history.go), and gives what the file should hold afterwards: for every
// identity the jar or the file knows, the newer of the two changes.

// fileChange is the file's change to one identity in a merge.
type fileChange struct {
	at      time.Time
	e       *entry             // the cookie as the jar would store it; nil for a deletion
	expired bool               // e has expired: a set, but no cookie to hold
	fc      *cookiefile.Record // the record it came from, nil for a deletion
	ident   cookieID
	// set and setSum: a tombstone of the file that records a set whose
	// cookie has expired (e is nil), and the digest of what it set.
	set    bool
	setSum uint64
	// sum is what the jar compares with what the file held: for
	// cookies.txt the line's sum, for the other formats the record's, for
	// the native file the content digest (contentSum).
	sum uint64
	// echo marks a cookies.txt line that is as this jar last read or wrote
	// it: no change of the file's own, which the jar's copy of the same
	// age or newer supersedes.
	echo bool
}

// version is the file's change as merges weigh it.
func (f *fileChange) version() version {
	if f.e != nil {
		return setVersion(f.at, &f.e.Cookie)
	}
	return f.tomb().version()
}

// tomb is the file's tombstone, for a change that is one (f.e is nil).
func (f *fileChange) tomb() tomb {
	return tomb{at: f.at, set: f.set, sum: f.setSum}
}

// merged is the outcome of a merge: what the file is to hold.
type merged struct {
	records []cookiefile.Record // cookies, sorted
	tombs   []cookiefile.Tomb   // deletions, sorted
	tombIDs []cookieID          // their identities
	held    []heldRecord        // the cookies, as the file state records them
	// fileExpires holds, for the few cookies that have one, the expiry a
	// file without change times gave (see entry.fileExpires), which a
	// save in such a format writes back.
	fileExpires map[cookieID]int64
	// complete reports that the jar ended up holding every cookie of the
	// file (its limits evicted none during the merge).
	complete bool
}

// mergeOptions says what a merge is for.
type mergeOptions struct {
	write       bool // a save: compute what to write
	omitSession bool // leave this jar's session cookies out of what is written
}

// mergeFile folds the file v, last modified at modTime, into the jar and,
// for a save, returns what to write. st is what the jar knew of the file
// at its last load or save, nil if nothing. Records the jar refuses are
// reported in v.Bad and carried. The caller holds j.mu.
func (j *Jar) mergeFile(v *cookiefile.File, modTime time.Time, st *fileState, now time.Time, opt mergeOptions) *merged {
	var held map[cookieID]heldRecord
	if st != nil && len(st.held) > 0 {
		held = make(map[cookieID]heldRecord, len(st.held))
		for _, h := range st.held {
			held[h.id] = h
		}
	}
	changes := j.fileChanges(v, modTime, held, now)
	evictions := j.evictions
	if !opt.write && held == nil {
		// A load with nothing to compare the file with: each change is
		// weighed against the jar's as it comes, duplicates included.
		for i := range changes {
			f := &changes[i]
			j.take(f, j.fileWins(f), now)
		}
		return &merged{held: heldOf(changes), complete: j.evictions == evictions}
	}

	// The file's changes, the newest per identity.
	side := make(map[cookieID]int, len(changes))
	kept := changes[:0]
	for _, f := range changes {
		if i, ok := side[f.ident]; ok {
			if newer(f.version(), kept[i].version()) {
				kept[i] = f
			}
			continue
		}
		side[f.ident] = len(kept)
		kept = append(kept, f)
	}
	changes = kept
	fileHeld := heldOf(changes)
	// A cookie the file held at our last sync and holds no more, with no
	// deletion recorded: it was deleted there since, by a writer that
	// keeps no deletions (cookies.txt, a hand edit, Overwrite) or after
	// its deletion was forgotten. The deletion is no older than what the
	// file held.
	unreadNew := newUnread(v, st)
	for id, h := range held {
		if unreadNew {
			// A record that could not be read, new since our last sync,
			// may be this cookie, still there: gone is not to be inferred
			// from such a file. One we carried then is not this cookie,
			// which the file also held.
			break
		}
		if _, ok := side[id]; !ok {
			at := h.at
			if !v.Format.ChangeTimes() && modTime.After(at) {
				at = modTime
			}
			side[id] = len(changes)
			changes = append(changes, fileChange{at: at, ident: id})
		}
	}
	wins := make([]bool, len(changes))
	for i := range changes {
		wins[i] = j.fileWins(&changes[i])
	}
	var out *merged
	if opt.write {
		// Before the jar takes the file's changes: its limits could
		// evict a winner.
		out = j.mergedOutput(changes, side, wins, now, opt)
	}
	for i := range changes {
		j.take(&changes[i], wins[i], now)
	}
	// The file's tombstones are now the jar's: the bounds on what the jar
	// remembers bound what the file keeps too, and a tombstone forgotten
	// here is not written back, to come back at the next read.
	j.hist.prune(now)
	if out != nil {
		out.keepRemembered(j)
	}
	complete := j.evictions == evictions && !opt.omitSession
	if out == nil {
		return &merged{held: fileHeld, complete: complete}
	}
	// Every cookie the jar holds is written; the file holds no more than
	// the jar when the counts agree.
	out.complete = complete && out.live(now) == j.store.len()
	return out
}

// newUnread reports whether the file v holds a record, deletion or line
// that could not be read and that it did not hold when the jar last read or
// wrote it (st).
func newUnread(v *cookiefile.File, st *fileState) bool {
	if len(v.Bad) == 0 {
		return false
	}
	if st == nil {
		return true
	}
	seen := make(map[string]bool)
	for _, k := range st.carried.Keys() {
		seen[k] = true
	}
	for _, k := range v.Carried.Keys() {
		if !seen[k] {
			return true
		}
	}
	// Every bad record is carried: one that is not (there is none today)
	// would be new.
	return len(v.Bad) > v.Carried.Count()
}

// fileChanges reads the changes a file holds: its cookies, in creation
// order, then its deletions. Records the jar refuses are reported and
// carried. The caller holds j.mu.
func (j *Jar) fileChanges(v *cookiefile.File, modTime time.Time, held map[cookieID]heldRecord, now time.Time) []fileChange {
	changes := make([]fileChange, 0, len(v.Records)+len(v.Tombs))
	format := Format(v.Format)
	for _, fc := range sortByCreation(v.Records) {
		var e entry
		var expired bool
		var err error
		switch {
		case format.foreign():
			e, expired, err = j.prepareForeign(fc, now)
		case format.changeTimes() && tooLate(fc.Updated):
			err = errChangeTime
		default:
			e, expired, err = j.prepare((*Cookie)(&fc.Cookie), fc.Partition, now)
		}
		if err != nil {
			v.Refuse(fc, err)
			continue
		}
		f := fileChange{fc: fc, ident: e.id()}
		if format.changeTimes() {
			// A record without a change time changed when it was created.
			f.at = fc.Updated
			if f.at.IsZero() {
				f.at = fc.Created
			}
			// A record whose content differs from what this jar last read
			// or wrote there, under the same change time, was edited by
			// hand (or by a program that keeps no change times): a change
			// made when the file was last modified, as in cookies.txt,
			// whichever way its value sorts.
			f.sum = contentSum((*Cookie)(&fc.Cookie))
			if h, ok := held[f.ident]; ok && h.at.Equal(f.at) && h.sum != f.sum {
				f.at = modTime
				if !f.at.After(h.at) {
					f.at = h.at.Add(time.Nanosecond)
				}
			}
		} else {
			// cookies.txt and the other programs' formats have no change
			// times: a record as this jar last saw it is no change; any
			// other record changed when the file was last modified, after
			// what the jar saw.
			if !expired && e.Expires.Before(fc.Expires) {
				e.fileExpires = fc.Expires.UnixMicro() // capped: see entry.fileExpires
			}
			f.sum = cookiefile.Sum(v.Format, (*cookiefile.Cookie)(e.asWritten()), e.partition)
			f.at = modTime
			if h, ok := held[f.ident]; ok {
				if h.sum == f.sum {
					f.at, f.echo = h.at, true
				} else if !f.at.After(h.at) {
					f.at = h.at.Add(time.Nanosecond)
				}
			}
		}
		e.updated, e.seq = f.at, fc.Seq
		f.e, f.expired = &e, expired
		changes = append(changes, f)
	}
	for i := range v.Tombs {
		t := &v.Tombs[i]
		id, ok := j.tombID(cookieID{name: t.Name, domain: t.Domain, path: t.Path, hostOnly: t.HostOnly, partition: t.Partition})
		switch {
		case tooLate(t.Deleted):
			v.RefuseTomb(t, errChangeTime)
		case !ok:
			v.RefuseTomb(t, errTombIdentity)
		default:
			changes = append(changes, fileChange{at: t.Deleted, ident: id, set: t.Set, setSum: t.Sum})
		}
	}
	return changes
}

// deleteAsOf removes the cookie id, if the jar holds it, as a deletion
// made elsewhere at the change time at. The caller holds j.mu.
func (j *Jar) deleteAsOf(id cookieID, at time.Time) {
	ident := identCookie(id)
	if old := j.store.get(id); old != nil {
		ident = old.Cookie
		j.store.remove(id)
	}
	j.deleted(id, &ident, at)
}

// expireTombAsOf takes a newer set made elsewhere whose cookie has expired,
// known by its digest alone (a tombstone of a file). The caller holds j.mu.
func (j *Jar) expireTombAsOf(id cookieID, t tomb) {
	j.store.remove(id)
	j.changes++
	j.hist.record(id, t)
}

// expireAsOf takes a newer set made elsewhere (at e.updated) whose cookie
// has expired: the jar's copy goes, as it would had the jar taken the set
// before it expired, and the set is remembered as the newest change. The
// caller holds j.mu.
func (j *Jar) expireAsOf(e *entry) {
	j.expireTombAsOf(e.id(), expiredTomb(e))
}

// heldOf returns the cookies among a file's changes.
func heldOf(changes []fileChange) []heldRecord {
	held := make([]heldRecord, 0, len(changes))
	for i := range changes {
		if f := &changes[i]; f.e != nil {
			held = append(held, heldRecord{id: f.ident, at: f.at, sum: f.sum})
		}
	}
	return held
}

// fileWins reports whether the file's change wins over the jar's. The
// caller holds j.mu.
func (j *Jar) fileWins(f *fileChange) bool {
	jv, ok := j.versionOf(f.ident)
	switch {
	case !ok:
		return true
	case f.echo:
		return jv.at.Before(f.at)
	}
	return newer(f.version(), jv)
}

// take applies the file's change to the jar if it won; if it lost, a later
// use of the cookie that the file saw still counts for eviction order. The
// caller holds j.mu.
func (j *Jar) take(f *fileChange, wins bool, now time.Time) {
	id := f.ident
	old := j.store.get(id)
	switch {
	case !wins:
		if old != nil && f.fc != nil && f.fc.LastAccess.After(old.LastAccess) {
			old.LastAccess = f.fc.LastAccess.UTC()
		}
	case f.e == nil && f.set:
		j.expireTombAsOf(id, f.tomb())
	case f.e == nil:
		j.deleteAsOf(id, f.at)
	case f.expired:
		j.expireAsOf(f.e)
	default:
		e := f.e // the change is done with: the store may keep its entry
		if old != nil && old.LastAccess.After(e.LastAccess) {
			e.LastAccess = old.LastAccess
		}
		j.commitOwned(e, f.at, now)
	}
}

// mergedOutput computes what a save writes: for every identity the jar or
// the file knows, the winning change. The caller holds j.mu.
func (j *Jar) mergedOutput(changes []fileChange, side map[cookieID]int, wins []bool, now time.Time, opt mergeOptions) *merged {
	out := &merged{}
	horizon := now.Add(-TombstoneLifetime)
	writeFile := func(f *fileChange) {
		switch {
		case f.at.Before(horizon) && (f.e == nil || f.expired):
		case f.e != nil && f.expired:
			out.addTomb(f.ident, expiredTomb(f.e)) // f.e.updated is f.at
		case f.e != nil:
			out.add(f.ident, f.e)
		default:
			out.addTomb(f.ident, f.tomb())
		}
	}
	fileWon := func(id cookieID) *fileChange {
		if i, ok := side[id]; ok && wins[i] {
			return &changes[i]
		}
		return nil
	}
	j.store.each(func(e *entry) bool {
		id := e.id()
		switch f := fileWon(id); {
		case f != nil:
			writeFile(f)
		case opt.omitSession && e.Expires.IsZero():
			// This jar's session cookie is not written; the file keeps
			// what it had.
			if i, ok := side[id]; ok {
				writeFile(&changes[i])
			}
		default:
			out.add(id, e)
		}
		return true
	})
	for id, t := range j.hist.tombs {
		if j.store.get(id) != nil {
			continue // a set newer than what is recorded, written above
		}
		switch f := fileWon(id); {
		case f != nil:
			writeFile(f)
		case t.at.Before(horizon):
		default:
			out.addTomb(id, t)
		}
	}
	for id, e := range j.hist.unsaved {
		if j.store.get(id) != nil {
			continue
		}
		if _, ok := j.hist.tomb(id); ok {
			continue // a newer deletion or expiry, written above
		}
		if f := fileWon(id); f != nil {
			writeFile(f)
		} else {
			out.addUnsaved(id, e, now)
		}
	}
	for i := range changes {
		f := &changes[i]
		if _, ok := j.versionOf(f.ident); !ok {
			writeFile(f)
		}
	}
	return out // sorted by the caller, without the jar's lock
}

// live counts the cookies to write that have not expired at now.
func (m *merged) live(now time.Time) int {
	n := 0
	for i := range m.records {
		if e := m.records[i].Expires; e.IsZero() || e.After(now) {
			n++
		}
	}
	return n
}

// add appends a cookie to what a save writes.
func (m *merged) add(id cookieID, e *entry) {
	m.records = append(m.records, toRecord(e))
	m.held = append(m.held, heldRecord{id: id, at: e.updated, sum: contentSum(&e.Cookie)})
	m.noteFileExpires(e)
}

// noteFileExpires keeps e's expiry as a file without change times gave
// it, if it differs (see entry.fileExpires).
func (m *merged) noteFileExpires(e *entry) {
	if e.fileExpires == 0 {
		return
	}
	if m.fileExpires == nil {
		m.fileExpires = make(map[cookieID]int64)
	}
	m.fileExpires[e.id()] = e.fileExpires
}

// addUnsaved appends a cookie the jar's limits evicted before any save
// wrote it: the cookie, or, if it has expired since, its tombstone.
func (m *merged) addUnsaved(id cookieID, e *entry, now time.Time) {
	if e.expired(now) {
		m.addTomb(id, expiredTomb(e))
		return
	}
	m.add(id, e)
}

// jarOutput is what a save writes when the file is as the jar last left
// it and the jar holds all it held: the jar's own cookies and tombstones,
// not yet sorted (the caller sorts them without the jar's lock). The
// caller holds j.mu.
func (j *Jar) jarOutput(now time.Time) *merged {
	horizon := now.Add(-TombstoneLifetime)
	// In the file's order but for the partitions of CHIPS cookies, which
	// sort leaves to the caller: sorting domain names and each domain's
	// few cookies costs far less than sorting all of them.
	entries := j.sortedEntries(nil)
	out := &merged{records: make([]cookiefile.Record, 0, len(entries)), held: make([]heldRecord, 0, len(entries)), complete: true}
	for _, e := range entries {
		out.add(e.id(), e)
	}
	for id, t := range j.hist.tombs {
		if !t.at.Before(horizon) && j.store.get(id) == nil {
			out.addTomb(id, t)
		}
	}
	for id, e := range j.hist.unsaved {
		if _, recorded := j.hist.tomb(id); !recorded && j.store.get(id) == nil {
			out.addUnsaved(id, e, now)
			out.complete = false // the file holds what the jar does not
		}
	}
	return out
}

// versionOf returns the jar's latest change to id: its cookie, or its
// deletion (a nil cookie). ok is false when the jar knows of none. The
// caller holds j.mu.
func (j *Jar) versionOf(id cookieID) (version, bool) {
	if e := j.store.get(id); e != nil {
		return setVersion(e.updated, &e.Cookie), true
	}
	if t, ok := j.hist.tomb(id); ok {
		return t.version(), true
	}
	if e := j.hist.unsaved[id]; e != nil {
		return setVersion(e.updated, &e.Cookie), true
	}
	return version{}, false
}

// tombID returns the identity a deletion read from a file or a replica
// has in the jar, canonical as Set makes it, or false for a deletion no
// cookie could have.
func (j *Jar) tombID(id cookieID) (cookieID, bool) {
	domain, err := toASCII(strings.TrimPrefix(id.domain, "."))
	if err != nil || domain == "" || !validHostChars(domain) || !strings.HasPrefix(id.path, "/") {
		return cookieID{}, false
	}
	id.domain = domain
	return id, true
}

// identCookie returns a cookie that carries only an identity.
func identCookie(id cookieID) Cookie {
	return Cookie{Name: id.name, Domain: id.domain, Path: id.path, HostOnly: id.hostOnly, Partitioned: id.partition != ""}
}

// keepRemembered drops the tombstones the jar no longer remembers (its
// bounds made it forget them), but for cookies the jar holds, whose older
// tombstone in the file a save that omits session cookies leaves there.
// The caller holds j.mu.
func (m *merged) keepRemembered(j *Jar) {
	tombs, ids := m.tombs[:0], m.tombIDs[:0]
	for i, id := range m.tombIDs {
		if _, ok := j.hist.tomb(id); ok || j.store.get(id) != nil {
			tombs, ids = append(tombs, m.tombs[i]), append(ids, id)
		}
	}
	m.tombs, m.tombIDs = tombs, ids
}

// addTomb appends a tombstone to what a save writes.
func (m *merged) addTomb(id cookieID, t tomb) {
	m.tombs = append(m.tombs, toTomb(id, t))
	m.tombIDs = append(m.tombIDs, id)
}
