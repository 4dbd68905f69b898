package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The native file is JSON: a version, the cookies, one per line in a stable
// order, and the deletions (tombstones) the file remembers:
//
//	{"version": 2, "cookies": [
//	  {"name":"sid","value":"…","domain":"example.com",…,"updated":"…"}
//	], "deleted": [
//	  {"name":"old","domain":"example.com","path":"/","hostOnly":true,"deleted":"…"}
//	]}
//
// Version 1 files, which have no deletions, are read too; saves write
// version 2.

// fileVersion is the version of the native file format this package writes.
// A file of a later version is refused, and never overwritten, rather than
// read wrongly.
const fileVersion = 2

// nativeFile is the native JSON file.
type nativeFile struct {
	Version int          `json:"version"`
	Cookies []fileRecord `json:"cookies"`
	Deleted []tombRecord `json:"deleted,omitempty"`
}

// fileRecord is one cookie in the native file: the cookie's own JSON form
// (cookiejson.go) and what only a jar knows of it.
type fileRecord struct {
	cookieJSON
	Updated   time.Time `json:"updated"`       // the change time of the cookie's last set
	Seq       uint64    `json:"seq,omitempty"` // breaks ties between equal creation times
	Partition string    `json:"partitionKey,omitempty"`

	fileExpires time.Time // entry.fileExpires: for formats without change times
}

// tombRecord is one deletion in the native file: the identity of the
// cookie and the change time of its deletion.
type tombRecord struct {
	Name       string    `json:"name"`
	Domain     string    `json:"domain"`
	Path       string    `json:"path"`
	HostOnly   bool      `json:"hostOnly"`
	Partition  string    `json:"partitionKey,omitempty"`
	Deleted    time.Time `json:"deleted"`
	NameBase64 string    `json:"nameBase64,omitempty"`
	PathBase64 string    `json:"pathBase64,omitempty"`
	// ExpiredSet marks a tombstone that records a set, made at Deleted,
	// whose cookie has since expired, rather than a deletion: it holds
	// the digest of what was set (contentSum, 16 hex digits), which
	// breaks ties, and never the value.
	ExpiredSet string `json:"expiredSet,omitempty"`
}

// fileCookie is a cookie read from a file, with where it stood there.
type fileCookie struct {
	Cookie
	updated   time.Time
	seq       uint64 // the writer's creation order
	partition string // a Partitioned cookie's partition, if the file says
	line      int    // its line; for a native file, -1 - its record index until resolved
	index     int    // its record index, to carry it back as it was
	raw       string // cookies.txt: the line as it was
}

// fileTomb is a tombstone read from a native file: a deletion, or a set
// whose cookie has expired (set, with its digest sum).
type fileTomb struct {
	ident     Cookie // Name, Domain, Path, HostOnly, Partitioned
	partition string
	at        time.Time
	set       bool
	sum       uint64
}

// carried is what a file held that could not be read or was refused, and
// what a format holds beside cookies: it is written back as it was, so that
// no save loses it.
type carried struct {
	// Native and other JSON formats: cookie records. Past the first
	// maxLineErrors of a native file that could not be read at all, the
	// others are kept together as one entry, several elements of the
	// array separated by commas (see spill), written back where one
	// record goes.
	records []json.RawMessage
	deleted []json.RawMessage // native: deletion records, alike
	lines   []numberedLine    // cookies.txt: comments and lines not loaded, in file order
	// The object forms of other programs' formats (Playwright's origins):
	// the top-level members, "cookies" among them, in file order.
	members []topMember
}

// unreadKeys returns what tells apart the carried records that could be a
// cookie: records and deletions as compact JSON (a record written back
// compares equal to itself), cookies.txt lines as written, comment lines
// left out (no cookie hides in them).
func (c *carried) unreadKeys() []string {
	keys := make([]string, 0, c.count())
	for _, list := range [][]json.RawMessage{c.records, c.deleted} {
		for _, r := range list {
			keys = append(keys, compactJSON(r))
		}
	}
	for _, l := range c.lines {
		if cookie, err := parseNetscapeLine([]byte(l.text)); cookie == nil && err == nil {
			continue // a comment
		}
		keys = append(keys, l.text)
	}
	return keys
}

// count is how many records and lines are carried.
func (c *carried) count() int { return len(c.records) + len(c.deleted) + len(c.lines) }

// compactJSON returns a JSON text without its insignificant spaces.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// numberedLine is a line of a cookies.txt file, without its line end.
type numberedLine struct {
	n    int
	text string
}

// fileView is what one read of a cookie file gives a merge.
type fileView struct {
	format  Format
	cookies []fileCookie
	tombs   []fileTomb
	carried carried
	bad     []LineError
	modTime time.Time

	data    []byte            // the file, to find the line of a record
	lines   []int             // record lines, found only if needed
	records []fileRecord      // the native records as decoded, or
	raws    []json.RawMessage // the native records as read (after a strict decode failed)
}

// lineOf returns the line a cookie's record starts on.
func (v *fileView) lineOf(fc *fileCookie) int {
	if fc.line >= 0 {
		return fc.line
	}
	if v.lines == nil {
		v.lines = recordLines(v.data)
	}
	return lineAt(v.lines, -fc.line-1)
}

// refuse reports a cookie record the jar refused and keeps it to carry.
func (v *fileView) refuse(fc *fileCookie, err error) {
	v.bad = appendBad(v.bad, LineError{Line: v.lineOf(fc), Err: err, Record: v.format.foreign()})
	switch {
	case v.format == FormatNetscape:
		v.carried.lines = append(v.carried.lines, numberedLine{n: fc.line, text: fc.rawLine()})
	case v.raws == nil && v.records != nil:
		// Decoded in one pass: find the record's own bytes, so that it is
		// carried exactly as it was.
		if v.raws = arrayRaws(v.data, "cookies"); v.raws == nil {
			v.raws = []json.RawMessage{} // looked for once
		}
		fallthrough
	case v.raws != nil:
		if fc.index < len(v.raws) {
			// A copy: what is carried is kept with the file's state, which
			// must not hold on to the whole file.
			v.carried.records = append(v.carried.records, bytes.Clone(v.raws[fc.index]))
		} else if fc.index < len(v.records) {
			if raw, err := marshalRecord(&v.records[fc.index]); err == nil {
				v.carried.records = append(v.carried.records, raw)
			}
		}
	}
}

// maxLineErrors is how many records that could not be read or were
// refused a read of one file reports one by one. The others are counted
// in one more LineError (see appendBad): a hostile file of millions of bad
// records costs no more memory than its own bytes.
const maxLineErrors = 1000

// appendBad adds le to the records of a file that were not loaded: the
// first maxLineErrors as they are, then one LineError for all the others,
// at the line (or record number) of the first of them, with its reason,
// and counting them.
func appendBad(bad []LineError, le LineError) []LineError {
	if len(bad) < maxLineErrors {
		return append(bad, le)
	}
	if m, ok := bad[len(bad)-1].Err.(*moreErrors); ok {
		m.n++
		return bad
	}
	le.Err = &moreErrors{first: le.Err, n: 1}
	return append(bad, le)
}

// moreErrors is the reason of the LineError that stands for the records
// past the first maxLineErrors: the reason of the first of them, and how
// many there are. errors.Is and errors.As see the first one's reason.
type moreErrors struct {
	first error
	n     int
}

func (e *moreErrors) Error() string {
	if e.n == 1 {
		return e.first.Error()
	}
	return fmt.Sprintf("%v; and %d more record(s) not loaded, not listed one by one", e.first, e.n-1)
}

func (e *moreErrors) Unwrap() error { return e.first }

// spill keeps the records of one array of a native file that could not be
// read, to carry them: the first maxLineErrors one by one, the others
// together in one entry, as elements of the array (so that a file of
// millions of them costs no more than its own bytes). Written back, that
// entry reads as the same elements, and a second read joins them again the
// same way.
type spill struct {
	n     int
	block []byte
}

func (s *spill) add(list []json.RawMessage, raw []byte) []json.RawMessage {
	if s.n++; s.n <= maxLineErrors {
		return append(list, bytes.Clone(raw))
	}
	if s.block != nil {
		s.block = append(s.block, ",\n  "...)
	}
	s.block = append(s.block, raw...)
	return list
}

func (s *spill) done(list []json.RawMessage) []json.RawMessage {
	if s.block != nil {
		list = append(list, s.block)
	}
	return list
}

// refuseTomb reports a deletion no cookie could have (no valid domain or
// path) and keeps it to carry.
func (v *fileView) refuseTomb(t *fileTomb) {
	v.bad = appendBad(v.bad, LineError{Err: refusal("deletion of a cookie with no valid domain or path")})
	id := cookieID{name: t.ident.Name, domain: t.ident.Domain, path: t.ident.Path, hostOnly: t.ident.HostOnly, partition: t.partition}
	r := toTomb(id, tomb{at: t.at, set: t.set, sum: t.sum})
	if raw, err := marshalRecord(&r); err == nil {
		v.carried.deleted = append(v.carried.deleted, raw)
	}
}

func toRecord(e *entry) fileRecord {
	r := fileRecord{cookieJSON: toCookieJSON(&e.Cookie), Updated: e.updated, Seq: e.seq, Partition: e.partition}
	if e.fileExpires != 0 {
		r.fileExpires = time.UnixMicro(e.fileExpires).UTC()
	}
	return r
}

// tooLate reports a change time, read from a file or a replica, too late
// to take: one from a broken clock or a hand edit that would leave no room
// for the changes after it in what JSON can write (years up to 9999).
func tooLate(at time.Time) bool { return at.Year() >= 9000 }

var errChangeTime = refusal("change time after the year 9000")

func fromRecord(r *fileRecord) (fileCookie, error) {
	c, err := r.cookie()
	fc := fileCookie{Cookie: c, updated: r.Updated, seq: r.Seq, partition: r.Partition}
	if err != nil {
		return fc, err
	}
	if tooLate(r.Updated) {
		return fc, errChangeTime
	}
	if fc.updated.IsZero() {
		fc.updated = fc.Created
	}
	return fc, nil
}

func toTomb(id cookieID, tb tomb) tombRecord {
	t := tombRecord{Domain: id.domain, HostOnly: id.hostOnly, Partition: id.partition, Deleted: tb.at}
	if tb.set {
		t.ExpiredSet = fmt.Sprintf("%016x", tb.sum)
	}
	t.Name, t.NameBase64 = textField(id.name)
	t.Path, t.PathBase64 = textField(id.path)
	return t
}

func fromTomb(t *tombRecord) (fileTomb, error) {
	ft := fileTomb{
		ident:     Cookie{Name: t.Name, Domain: t.Domain, Path: t.Path, HostOnly: t.HostOnly, Partitioned: t.Partition != ""},
		partition: t.Partition,
		at:        t.Deleted,
	}
	for _, f := range []struct {
		b64 string
		dst *string
	}{{t.NameBase64, &ft.ident.Name}, {t.PathBase64, &ft.ident.Path}} {
		if f.b64 == "" {
			continue
		}
		raw, err := decodeBase64(f.b64)
		if err != nil {
			return ft, err
		}
		*f.dst = raw
	}
	if ft.at.IsZero() {
		return ft, errors.New("deletion without a time")
	}
	if t.ExpiredSet != "" {
		sum, err := strconv.ParseUint(t.ExpiredSet, 16, 64)
		if err != nil || len(t.ExpiredSet) != 16 {
			return ft, errors.New("expiredSet is not a digest of 16 hex digits")
		}
		ft.set, ft.sum = true, sum
	}
	if tooLate(ft.at) {
		return ft, errChangeTime
	}
	return ft, nil
}

// marshalRecord encodes one record as JSON without HTML escaping.
func marshalRecord(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encodeNative writes the native file: one record per line, in the order
// given, so that a person can read it and a diff shows what changed. The
// carried records follow the others as they were read.
func encodeNative(w io.Writer, records []fileRecord, tombs []tombRecord, c *carried) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	list := func(n int, record func(i int) error, raws []json.RawMessage) error {
		for i := 0; i < n+len(raws); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n  ")
			if i < n {
				if err := record(i); err != nil {
					return err
				}
				buf.Truncate(buf.Len() - 1) // the encoder's newline
			} else {
				buf.Write(raws[i-n])
			}
			if buf.Len() >= 64<<10 {
				if _, err := w.Write(buf.Bytes()); err != nil {
					return err
				}
				buf.Reset()
			}
		}
		return nil
	}
	// Each record by hand (nativeenc.go), or through encoding/json for
	// one it must refuse; the encoder's newline is taken off again.
	fast := func(appendJSON func([]byte) ([]byte, bool), v any) error {
		if b, ok := appendJSON(buf.AvailableBuffer()); ok {
			_, _ = buf.Write(append(b, '\n'))
			return nil
		}
		return enc.Encode(v)
	}
	fmt.Fprintf(&buf, "{\"version\": %d, \"cookies\": [", fileVersion)
	err := list(len(records), func(i int) error {
		return fast(func(b []byte) ([]byte, bool) { return appendRecord(b, &records[i]) }, &records[i])
	}, c.records)
	if err != nil {
		return err
	}
	buf.WriteString("\n], \"deleted\": [")
	err = list(len(tombs), func(i int) error {
		return fast(func(b []byte) ([]byte, bool) { return appendTomb(b, &tombs[i]) }, &tombs[i])
	}, c.deleted)
	if err != nil {
		return err
	}
	if len(tombs)+len(c.deleted) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	_, err = w.Write(buf.Bytes())
	return err
}
