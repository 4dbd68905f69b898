package httpsession

import (
	"cmp"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// A merge folds what a file holds into a jar under the sync model
// (history.go), and gives what the file should hold afterwards: for every
// identity the jar or the file knows, the newer of the two changes.

// fileChange is the file's change to one identity in a merge.
type fileChange struct {
	at    time.Time
	e     *entry      // the cookie as the jar would store it; nil for a deletion
	fc    *fileCookie // the record it came from, nil for a deletion
	ident cookieID
	// echo marks a cookies.txt line that is as this jar last read or wrote
	// it: no change of the file's own, which the jar's copy of the same
	// age or newer supersedes.
	echo bool
}

func (f *fileChange) cookie() *Cookie {
	if f.e == nil {
		return nil
	}
	return &f.e.Cookie
}

// merged is the outcome of a merge: what the file is to hold.
type merged struct {
	records []fileRecord // cookies, sorted
	tombs   []tombRecord // deletions, sorted
	held    []heldRecord // the cookies, as the file state records them
	// complete reports that the jar ended up holding every cookie of the
	// file (its limits evicted none during the merge).
	complete bool
}

// mergeOptions says what a merge is for.
type mergeOptions struct {
	write       bool // a save: compute what to write
	omitSession bool // leave this jar's session cookies out of what is written
}

// mergeFile folds the file v into the jar and, for a save, returns what to
// write. st is what the jar knew of the file at its last load or save, nil
// if nothing. Records the jar refuses are reported in v.bad and carried.
// The caller holds j.mu.
func (j *Jar) mergeFile(v *fileView, st *fileState, now time.Time, opt mergeOptions) *merged {
	var held map[cookieID]heldRecord
	if st != nil && len(st.held) > 0 {
		held = make(map[cookieID]heldRecord, len(st.held))
		for _, h := range st.held {
			held[h.id] = h
		}
	}
	// The file's changes, the newest per identity, in creation order.
	side := make(map[cookieID]*fileChange, len(v.cookies)+len(v.tombs))
	var order []cookieID
	add := func(id cookieID, f *fileChange) {
		old := side[id]
		if old == nil {
			order = append(order, id)
		} else if !newer(f.at, f.cookie(), old.at, old.cookie()) {
			return
		}
		side[id] = f
	}
	var fileHeld []heldRecord
	for _, fc := range sortByCreation(v.cookies) {
		e, expired, err := j.prepare(&fc.Cookie, fc.partition, now)
		if err != nil {
			v.refuse(fc, err)
			continue
		}
		id := e.id()
		f := &fileChange{at: fc.updated, fc: fc, ident: id}
		if v.format == formatNetscape {
			sum := netscapeSum(&e.Cookie)
			f.at = v.modTime
			if h, ok := held[id]; ok {
				if h.sum == sum {
					f.at, f.echo = h.at, true
				} else if !f.at.After(h.at) {
					f.at = h.at.Add(time.Nanosecond)
				}
			}
			if !expired {
				fileHeld = append(fileHeld, heldRecord{id: id, at: f.at, sum: sum})
			}
		} else if !expired {
			fileHeld = append(fileHeld, heldRecord{id: id, at: f.at})
		}
		if !expired {
			e.updated, e.seq = f.at, fc.seq
			f.e = &e
		}
		add(id, f)
	}
	for i := range v.tombs {
		t := &v.tombs[i]
		if id, ok := j.tombID(t); ok {
			add(id, &fileChange{at: t.at, ident: id})
		} else {
			v.refuseTomb(t)
		}
	}
	// A cookie the file held at our last sync and holds no more, with no
	// deletion recorded: it was deleted there since, by a writer that
	// keeps no deletions (cookies.txt, a hand edit, Overwrite) or after
	// its deletion was forgotten. The deletion is no older than what the
	// file held.
	for id, h := range held {
		if side[id] == nil {
			at := h.at
			if v.format == formatNetscape && v.modTime.After(at) {
				at = v.modTime
			}
			add(id, &fileChange{at: at, ident: id})
		}
	}

	// Which side wins each identity the file knows.
	wins := make([]bool, len(order))
	for i, id := range order {
		f := side[id]
		jarAt, jarC, ok := j.versionOf(id)
		switch {
		case !ok:
			wins[i] = true
		case f.echo:
			wins[i] = jarAt.Before(f.at)
		default:
			wins[i] = newer(f.at, f.cookie(), jarAt, jarC)
		}
	}

	var out *merged
	if opt.write {
		out = j.mergedOutput(v, side, order, wins, now, opt)
	}

	// Take the file's winning changes into the jar, oldest creation first.
	evictions := j.evictions
	for i, id := range order {
		f := side[id]
		if !wins[i] {
			if e := j.store.get(id); e != nil && f.fc != nil && f.fc.LastAccess.After(e.LastAccess) {
				e.LastAccess = f.fc.LastAccess.UTC() // a later use seen elsewhere still counts for eviction
			}
			continue
		}
		if f.e == nil {
			var ident Cookie
			if e := j.store.get(id); e != nil {
				ident = e.Cookie
				j.store.remove(id)
			} else {
				ident = identCookie(id)
			}
			j.deleted(id, &ident, f.at)
			continue
		}
		e := *f.e
		if old := j.store.get(id); old != nil && old.LastAccess.After(e.LastAccess) {
			e.LastAccess = old.LastAccess
		}
		j.commit(&e, false, f.at, now)
	}
	complete := j.evictions == evictions && !opt.omitSession
	if out == nil {
		return &merged{held: fileHeld, complete: complete}
	}
	out.complete = complete
	return out
}

// mergedOutput computes what a save writes: for every identity the jar or
// the file knows, the winning change. It runs before the file's changes
// are taken into the jar, whose limits could evict a winner. The caller
// holds j.mu.
func (j *Jar) mergedOutput(v *fileView, side map[cookieID]*fileChange, order []cookieID, wins []bool, now time.Time, opt mergeOptions) *merged {
	out := &merged{}
	horizon := now.Add(-TombstoneLifetime)
	won := make(map[cookieID]bool, len(order))
	for i, id := range order {
		won[id] = wins[i]
	}
	writeFile := func(id cookieID, f *fileChange) {
		switch {
		case f.e == nil:
			if !f.at.Before(horizon) {
				out.tombs = append(out.tombs, toTomb(id, f.at))
			}
		default:
			out.add(id, f.e)
		}
	}
	j.store.each(func(e *entry) bool {
		id := e.id()
		f := side[id]
		switch {
		case f != nil && won[id]:
			writeFile(id, f)
		case e.expired(now):
			if !e.updated.Before(horizon) {
				out.tombs = append(out.tombs, toTomb(id, e.updated))
			}
		case opt.omitSession && e.Expires.IsZero():
			// This jar's session cookie is not written; the file keeps
			// what it had.
			if f != nil {
				writeFile(id, f)
			}
		default:
			out.add(id, e)
		}
		return true
	})
	for id, at := range j.hist.tombs {
		if j.store.get(id) != nil {
			continue // a set newer than the deletion, written above
		}
		if f := side[id]; f != nil && won[id] {
			writeFile(id, f)
		} else if !at.Before(horizon) {
			out.tombs = append(out.tombs, toTomb(id, at))
		}
	}
	for _, id := range order {
		if j.store.get(id) != nil {
			continue
		}
		if _, ok := j.hist.tombs[id]; ok {
			continue
		}
		writeFile(id, side[id])
	}
	out.sort()
	return out
}

// add appends a cookie to what a save writes.
func (m *merged) add(id cookieID, e *entry) {
	m.records = append(m.records, toRecord(e))
	m.held = append(m.held, heldRecord{id: id, at: e.updated})
}

// jarOutput is what a save writes when the file is as the jar last left
// it and the jar holds all it held: the jar's own cookies and deletions.
// The caller holds j.mu.
func (j *Jar) jarOutput(now time.Time) *merged {
	horizon := now.Add(-TombstoneLifetime)
	entries := j.sortedEntries(nil)
	out := &merged{records: make([]fileRecord, len(entries)), held: make([]heldRecord, len(entries)), complete: true}
	for i, e := range entries {
		out.records[i] = toRecord(e)
		out.held[i] = heldRecord{id: e.id(), at: e.updated}
	}
	// sortedEntries orders by compareCookies; partitions break its ties.
	if slices.ContainsFunc(entries, func(e *entry) bool { return e.partition != "" }) {
		out.sort()
	}
	for id, at := range j.hist.tombs {
		if !at.Before(horizon) && j.store.get(id) == nil {
			out.tombs = append(out.tombs, toTomb(id, at))
		}
	}
	slices.SortFunc(out.tombs, compareTombs)
	return out
}

// versionOf returns the jar's latest change to id: its cookie, or its
// deletion (a nil cookie). ok is false when the jar knows of none. The
// caller holds j.mu.
func (j *Jar) versionOf(id cookieID) (at time.Time, c *Cookie, ok bool) {
	if e := j.store.get(id); e != nil {
		return e.updated, &e.Cookie, true
	}
	at, ok = j.hist.tomb(id)
	return at, nil, ok
}

// tombID returns the identity a deletion read from a file has in the jar,
// canonical as Set makes it, or false for a deletion no cookie could have.
func (j *Jar) tombID(t *fileTomb) (cookieID, bool) {
	domain, err := toASCII(strings.TrimPrefix(t.ident.Domain, "."))
	if err != nil || domain == "" || !validHostChars(domain) || !strings.HasPrefix(t.ident.Path, "/") {
		return cookieID{}, false
	}
	return cookieID{name: t.ident.Name, domain: domain, path: t.ident.Path, hostOnly: t.ident.HostOnly, partition: t.partition}, true
}

// identCookie returns a cookie that carries only an identity.
func identCookie(id cookieID) Cookie {
	return Cookie{Name: id.name, Domain: id.domain, Path: id.path, HostOnly: id.hostOnly, Partitioned: id.partition != ""}
}

// sort puts what a save writes in the file's stable order: by domain,
// path, name, host-only flag and partition.
func (m *merged) sort() {
	order := make([]int, len(m.records))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareIDs(m.held[a].id, m.held[b].id) })
	records, held := make([]fileRecord, len(order)), make([]heldRecord, len(order))
	for i, k := range order {
		records[i], held[i] = m.records[k], m.held[k]
	}
	m.records, m.held = records, held
	slices.SortFunc(m.tombs, compareTombs)
}

func compareIDs(a, b cookieID) int {
	return cmp.Or(
		strings.Compare(a.domain, b.domain),
		strings.Compare(a.path, b.path),
		strings.Compare(a.name, b.name),
		compareBool(a.hostOnly, b.hostOnly),
		strings.Compare(a.partition, b.partition),
	)
}

func compareTombs(a, b tombRecord) int {
	return cmp.Or(
		strings.Compare(a.Domain, b.Domain),
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Name, b.Name),
		compareBool(a.HostOnly, b.HostOnly),
		strings.Compare(a.Partition, b.Partition),
		strings.Compare(a.PathBase64, b.PathBase64),
		strings.Compare(a.NameBase64, b.NameBase64),
	)
}

// netscapeSum sums a cookie as its cookies.txt line says it, to tell later
// whether the line changed.
func netscapeSum(c *Cookie) uint64 {
	var b strings.Builder
	writeNetscapeLine(&b, c)
	h := fnv.New64a()
	_, _ = h.Write([]byte(b.String()))
	return h.Sum64()
}
