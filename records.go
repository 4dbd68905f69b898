package httpsession

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// What the root hands internal/cookiefile and takes from it: the records a
// save writes, made from the jar's entries and tombstones, and the records
// a read decoded, taken in creation order, with the refusals the codec
// cannot know of (the cookie rules, the bounds on change times) reported
// through the File so that the codec carries the refused records as they
// were.

// decodeFile reads a file in any format (see DetectFormat). A cookie no jar
// would take is refused as the file is read (see cookiefile.Decode).
func decodeFile(data []byte) (*cookiefile.File, error) {
	return cookiefile.Decode(data, func(c cookiefile.Cookie) error { return hopeless((*Cookie)(&c)) })
}

// sortByCreation puts cookies read from a file in the order they were
// created, so that the jar gives them sequence numbers in that order and
// cookies created at the same instant are sent in the same order as before
// (§5.8.3). The sort is stable: files without order keep their own. It
// sorts pointers, which move much faster than the cookies themselves.
func sortByCreation(records []cookiefile.Record) []*cookiefile.Record {
	order := make([]*cookiefile.Record, len(records))
	for i := range records {
		order[i] = &records[i]
	}
	slices.SortStableFunc(order, func(a, b *cookiefile.Record) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return order
}

// fileError reports the records of the file f that were not loaded.
func fileError(f *cookiefile.File, path string) error {
	if len(f.Bad) == 0 {
		return nil
	}
	lines := make([]LineError, len(f.Bad))
	for i := range f.Bad {
		lines[i] = LineError(f.Bad[i])
	}
	slices.SortStableFunc(lines, func(a, b LineError) int { return a.Line - b.Line })
	return &FileError{Path: path, Lines: lines}
}

var errTombIdentity = refusal("deletion of a cookie with no valid domain or path")

// tooLate reports a change time, read from a file or a replica, too late
// to take: one from a broken clock or a hand edit that would leave no room
// for the changes after it in what JSON can write (years up to 9999).
func tooLate(at time.Time) bool { return at.Year() >= 9000 }

var errChangeTime = refusal("change time after the year 9000")

// toRecord returns the record a save writes of e.
func toRecord(e *entry) cookiefile.Record {
	return cookiefile.Record{Cookie: cookiefile.Cookie(e.Cookie), Updated: e.updated, Seq: e.seq, Partition: e.partition}
}

// toTomb returns the tombstone a save writes of id's last change tb.
func toTomb(id cookieID, tb tomb) cookiefile.Tomb {
	return cookiefile.Tomb{
		Name: id.name, Domain: id.domain, Path: id.path, HostOnly: id.hostOnly, Partition: id.partition,
		Deleted: tb.at, Set: tb.set, Sum: tb.sum,
	}
}

// sort puts what a save writes in the file's stable order: by domain,
// path, name, host-only flag and partition. Records already in that order
// (a jar's own, see jarOutput) cost one pass; others are moved in place.
func (m *merged) sort() {
	if order := orderBy(len(m.held), func(a, b int) int { return compareIDs(&m.held[a].id, &m.held[b].id) }); order != nil {
		done := make([]bool, len(order))
		permuteInPlace(m.records, order, done)
		permuteInPlace(m.held, order, done)
	}
	m.sortTombs()
}

func (m *merged) sortTombs() {
	if order := orderBy(len(m.tombIDs), func(a, b int) int { return compareIDs(&m.tombIDs[a], &m.tombIDs[b]) }); order != nil {
		done := make([]bool, len(order))
		permuteInPlace(m.tombs, order, done)
		permuteInPlace(m.tombIDs, order, done)
	}
}

// orderBy returns the indexes 0..n-1 ordered by compare, or nil if they
// are in order already.
func orderBy(n int, compare func(a, b int) int) []int {
	i := 1
	for i < n && compare(i-1, i) <= 0 {
		i++
	}
	if i >= n {
		return nil
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, compare)
	return order
}

// permuteInPlace moves s[order[i]] to s[i], each element once, following
// the permutation's cycles. done is scratch space of len(s).
func permuteInPlace[T any](s []T, order []int, done []bool) {
	clear(done)
	for i := range s {
		if done[i] {
			continue
		}
		first := s[i]
		for j := i; ; {
			k := order[j]
			done[j] = true
			if k == i {
				s[j] = first
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

// compareIDs orders identities by domain, path, name, host-only flag and
// partition, comparing no more fields than it must.
func compareIDs(a, b *cookieID) int {
	if c := strings.Compare(a.domain, b.domain); c != 0 {
		return c
	}
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	if c := compareBool(a.hostOnly, b.hostOnly); c != 0 {
		return c
	}
	return strings.Compare(a.partition, b.partition)
}
