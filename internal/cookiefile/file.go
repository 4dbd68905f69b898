package cookiefile

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// File is what one read of a cookie file gives: its format, its cookies
// and deletions in file order, what it holds that is carried through a
// save as it was, and the records that were not loaded.
type File struct {
	Format  Format
	Records []Record
	Tombs   []Tomb // the native file's deletions
	Carried Carried
	Bad     []LineError

	data      []byte            // the file, to find the line of a record
	lines     []int             // native: record lines, found only if needed
	tombLines []int             // native: deletion lines, alike
	native    []fileRecord      // native: the records as decoded in one pass, or
	raws      []json.RawMessage // the records as read (foreign formats, the slow native decode)
	deleted   []tombRecord      // native: the deletions as decoded in one pass, or
	tombRaws  []json.RawMessage // the deletions as read
	length    int               // the other programs' formats: the elements of the cookie array
}

// Decode reads a cookie file in any format (see Detect). Content of no
// format gives an error that wraps ErrCorrupt and no File; empty content
// gives a File of the format None. A record that cannot be read is
// reported in Bad and carried.
//
// reject, if not nil, is the caller's check of a cookie it would refuse
// whatever else the file holds: the native file's slow decode (for a
// damaged or hostile file) reports and carries such a record at once,
// rather than keep it decoded, so that a file of millions of them costs no
// more than its bytes.
func Decode(data []byte, reject func(Cookie) error) (*File, error) {
	s, err := sniff(data)
	switch {
	case err != nil:
		return nil, err
	case s.format.Foreign():
		return decodeForeign(s), nil
	case looksNative(data):
		return decodeNative(data, reject)
	case len(bytes.TrimSpace(data)) == 0:
		return &File{Format: None}, nil
	}
	f, err := DecodeNetscape(string(data))
	if err != nil {
		return nil, err
	}
	if len(f.Records) == 0 && len(f.Bad) > 0 {
		// Not one line is a cookie: this is some other file (notes, HTML,
		// a config), and treating it as an empty jar would let the next
		// save overwrite it.
		return nil, fmt.Errorf("%w: neither JSON nor cookies.txt: no line holds a cookie (%v)", ErrCorrupt, &f.Bad[0])
	}
	return f, nil
}

// looksNative reports whether data is a native (JSON) file rather than
// cookies.txt: JSON starts with '{', cookies.txt never does.
func looksNative(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// Len returns how many records the file's cookie array holds, read or not
// (the other programs' formats), or how many cookies were read (the
// others).
func (f *File) Len() int {
	if f.Format.Foreign() {
		return f.length
	}
	return len(f.Records)
}

// LineOf returns the line a decoded record starts on, or its record number
// in the other programs' formats.
func (f *File) LineOf(r *Record) int {
	if r.line >= 0 {
		return r.line
	}
	if f.lines == nil {
		f.lines = arrayLines(f.data, "cookies")
	}
	return lineAt(f.lines, -r.line-1)
}

// Refuse reports a decoded record the caller refused, for the reason err,
// and carries it as it was in the file.
func (f *File) Refuse(r *Record, err error) {
	f.Bad = AppendBad(f.Bad, LineError{Line: f.LineOf(r), Err: err, Record: f.Format.Foreign()})
	switch {
	case f.Format == Netscape:
		f.Carried.lines = append(f.Carried.lines, numberedLine{n: r.line, text: r.raw})
	case f.raws == nil && f.native != nil:
		// Decoded in one pass: find the record's own bytes, so that it is
		// carried exactly as it was.
		if f.raws = arrayRaws(f.data, "cookies"); f.raws == nil {
			f.raws = []json.RawMessage{} // looked for once
		}
		fallthrough
	case f.raws != nil:
		if r.index < len(f.raws) {
			// A copy: what is carried is kept with the file's state, which
			// must not hold on to the whole file.
			f.Carried.records = append(f.Carried.records, bytes.Clone(f.raws[r.index]))
		} else if r.index < len(f.native) {
			if raw, err := marshalRecord(&f.native[r.index]); err == nil {
				f.Carried.records = append(f.Carried.records, raw)
			}
		}
	}
}

// RefuseTomb reports a deletion of the native file the caller refused, for
// the reason err, and carries it as it was in the file.
func (f *File) RefuseTomb(t *Tomb, err error) {
	line := t.line
	if line < 0 {
		if f.tombLines == nil {
			f.tombLines = arrayLines(f.data, "deleted")
		}
		line = lineAt(f.tombLines, -line-1)
	}
	f.Bad = AppendBad(f.Bad, LineError{Line: line, Err: err})
	if f.tombRaws == nil && f.deleted != nil {
		if f.tombRaws = arrayRaws(f.data, "deleted"); f.tombRaws == nil {
			f.tombRaws = []json.RawMessage{}
		}
	}
	switch {
	case t.index < len(f.tombRaws):
		f.Carried.deleted = append(f.Carried.deleted, bytes.Clone(f.tombRaws[t.index]))
	case t.index < len(f.deleted):
		if raw, err := marshalRecord(&f.deleted[t.index]); err == nil {
			f.Carried.deleted = append(f.Carried.deleted, raw)
		}
	default:
		r := toTombJSON(t)
		if raw, err := marshalRecord(&r); err == nil {
			f.Carried.deleted = append(f.Carried.deleted, raw)
		}
	}
}

// Carried is what a file held that could not be read or was refused, and
// what a format holds beside cookies: it is written back as it was, so that
// no save loses it.
type Carried struct {
	// Native and other JSON formats: cookie records. Past the first
	// MaxLineErrors of a native file that could not be read at all, the
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

// numberedLine is a line of a cookies.txt file, without its line end.
type numberedLine struct {
	n    int
	text string
}

// Keys returns what tells apart the carried records that could be a
// cookie: records and deletions as compact JSON (a record written back
// compares equal to itself), cookies.txt lines as written, comment lines
// left out (no cookie hides in them).
func (c *Carried) Keys() []string {
	keys := make([]string, 0, c.Count())
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

// Count is how many records and lines are carried.
func (c *Carried) Count() int { return len(c.records) + len(c.deleted) + len(c.lines) }

// Counts returns how many cookie records, deletion records and cookies.txt
// lines are carried.
func (c *Carried) Counts() (records, deleted, lines int) {
	return len(c.records), len(c.deleted), len(c.lines)
}

// TopKeys returns the keys of the top-level members carried, in order.
func (c *Carried) TopKeys() []string {
	var keys []string
	for _, m := range c.members {
		keys = append(keys, m.key)
	}
	return keys
}

// compactJSON returns a JSON text without its insignificant spaces.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// Overwritten returns what a save in the format f that replaces the file
// data keeps of it: for a format whose top level holds more than cookies
// (Playwright's origins, CDP's object form), the other members of a file
// already in that format.
func Overwritten(data []byte, f Format) Carried {
	if f != Playwright && f != CDP {
		return Carried{}
	}
	s, err := sniff(data)
	if err != nil || s.format != f {
		return Carried{}
	}
	return Carried{members: s.members}
}

// Detect tells the format of a cookie file's content, as Decode does: None
// for empty content. The error wraps ErrCorrupt when the content is JSON
// of no known shape.
func Detect(data []byte) (Format, error) {
	s, err := sniff(data)
	return s.format, err
}

// Sum is a digest of a cookie as the format f, one without change times,
// writes its record (cookies.txt's line, the other programs' JSON record,
// with the partition), to tell later whether the record changed.
func Sum(f Format, c *Cookie, partition string) uint64 {
	if f == Netscape {
		return netscapeSum(c)
	}
	return foreignSum(f, c, partition)
}

// Unwritable returns why the format f cannot hold c, or "" if it can. The
// reason never quotes the value.
func Unwritable(f Format, c *Cookie) string {
	switch {
	case f == Netscape:
		return netscapeUnwritable(c)
	case f.Foreign():
		return foreignUnwritable(c)
	}
	return ""
}
