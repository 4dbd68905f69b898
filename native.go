package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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

// fileTomb is a deletion read from a native file.
type fileTomb struct {
	ident     Cookie // Name, Domain, Path, HostOnly, Partitioned
	partition string
	at        time.Time
}

// carried is what a file held that could not be read or was refused, and
// what a format holds beside cookies: it is written back as it was, so that
// no save loses it.
type carried struct {
	records []json.RawMessage // native and other JSON formats: cookie records
	deleted []json.RawMessage // native: deletion records
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

// fileView is what one read of a cookie file gives a merge.
type fileView struct {
	format  fileFormat
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
	v.bad = append(v.bad, LineError{Line: v.lineOf(fc), Err: err, Record: v.format.foreign()})
	switch {
	case v.format == formatNetscape:
		v.carried.lines = append(v.carried.lines, numberedLine{n: fc.line, text: fc.rawLine()})
	case v.raws != nil:
		v.carried.records = append(v.carried.records, v.raws[fc.index])
	case v.records != nil:
		// Decoded in one pass: find the record's own bytes, so that it is
		// carried exactly as it was.
		if v.raws == nil {
			v.raws = arrayRaws(v.data, "cookies")
		}
		if fc.index < len(v.raws) {
			v.carried.records = append(v.carried.records, v.raws[fc.index])
		} else if raw, err := marshalRecord(&v.records[fc.index]); err == nil {
			v.carried.records = append(v.carried.records, raw)
		}
	}
}

// refuseTomb reports a deletion no cookie could have (no valid domain or
// path) and keeps it to carry.
func (v *fileView) refuseTomb(t *fileTomb) {
	v.bad = append(v.bad, LineError{Err: refusal("deletion of a cookie with no valid domain or path")})
	r := tombRecord{Domain: t.ident.Domain, HostOnly: t.ident.HostOnly, Partition: t.partition, Deleted: t.at}
	r.Name, r.NameBase64 = textField(t.ident.Name)
	r.Path, r.PathBase64 = textField(t.ident.Path)
	if raw, err := marshalRecord(&r); err == nil {
		v.carried.deleted = append(v.carried.deleted, raw)
	}
}

func toRecord(e *entry) fileRecord {
	return fileRecord{cookieJSON: toCookieJSON(&e.Cookie), Updated: e.updated, Seq: e.seq, Partition: e.partition, fileExpires: e.fileExpires}
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

func toTomb(id cookieID, at time.Time) tombRecord {
	t := tombRecord{Domain: id.domain, HostOnly: id.hostOnly, Partition: id.partition, Deleted: at}
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
	fmt.Fprintf(&buf, "{\"version\": %d, \"cookies\": [", fileVersion)
	if err := list(len(records), func(i int) error { return enc.Encode(&records[i]) }, c.records); err != nil {
		return err
	}
	buf.WriteString("\n], \"deleted\": [")
	if err := list(len(tombs), func(i int) error { return enc.Encode(&tombs[i]) }, c.deleted); err != nil {
		return err
	}
	if len(tombs)+len(c.deleted) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// decodeNative reads the native file. A document that is not valid JSON, or
// not of the cookie file's shape (an object with a known "version", a
// "cookies" array and perhaps a "deleted" array, nothing else), is corrupt:
// the error wraps ErrCorrupt and says where. A record that cannot be read
// is reported in v.bad and kept in v.carried.
func decodeNative(data []byte) (*fileView, error) {
	v := &fileView{format: formatNative, data: data}
	// The usual case: a file this package wrote, decoded in one pass. A
	// file written by encodeNative starts each record on a line of its
	// own: size the slice for them up front, so that decoding does not
	// copy the records again each time the slice grows. None of those
	// records is under 128 bytes, which bounds the guess for any other
	// file.
	var f nativeFile
	n := bytes.Count(data, []byte("\n  {"))
	f.Cookies = make([]fileRecord, 0, min(n, len(data)/128))
	if !checkKeys(data, nil) || json.Unmarshal(data, &f) != nil {
		// Broken, or not exactly the keys of a file of ours: the slow
		// decode says what is wrong, or reads what it can record by
		// record.
		return decodeNativeSlowly(data)
	}
	if err := checkVersion(f.Version); err != nil {
		return nil, err
	}
	v.records = f.Cookies
	v.cookies = make([]fileCookie, 0, len(f.Cookies))
	for i := range f.Cookies {
		c, err := fromRecord(&f.Cookies[i])
		c.line, c.index = -1-i, i
		if err != nil {
			v.refuse(&c, err)
			continue
		}
		v.cookies = append(v.cookies, c)
	}
	for i := range f.Deleted {
		t, err := fromTomb(&f.Deleted[i])
		if err != nil {
			v.bad = append(v.bad, LineError{Line: tombLine(data, i), Err: err})
			if raw, err := marshalRecord(&f.Deleted[i]); err == nil {
				v.carried.deleted = append(v.carried.deleted, raw)
			}
			continue
		}
		v.tombs = append(v.tombs, t)
	}
	return v, nil
}

func checkVersion(version int) error {
	if version != 1 && version != fileVersion {
		return fmt.Errorf("%w: unsupported version %d (this library reads versions 1 and %d)", ErrCorrupt, version, fileVersion)
	}
	return nil
}

// decodeNativeSlowly reads a native file record by record, for a file the
// one-pass decode refused: broken JSON, another program's JSON, or a file
// of ours with a record that cannot be read.
func decodeNativeSlowly(data []byte) (*fileView, error) {
	top, dup, err := topLevel(data)
	if err != nil {
		return nil, err
	}
	if dup != "" {
		return nil, fmt.Errorf("%w: the key %q is given twice", ErrCorrupt, dup)
	}
	var keys []string
	for k := range top {
		if k != "version" && k != "cookies" && k != "deleted" {
			keys = append(keys, fmt.Sprintf("%q", k))
		}
	}
	if len(keys) > 0 || top["version"] == nil || top["cookies"] == nil {
		slices.Sort(keys)
		what := "no \"version\" and \"cookies\""
		if len(keys) > 0 {
			what = "unknown keys " + strings.Join(keys, ", ")
		}
		return nil, fmt.Errorf("%w: JSON that is not a cookie file (%s)", ErrCorrupt, what)
	}
	var version int
	if err := json.Unmarshal(top["version"], &version); err != nil {
		return nil, fmt.Errorf("%w: \"version\" is not a number", ErrCorrupt)
	}
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	var raws, deleted []json.RawMessage
	if err := json.Unmarshal(top["cookies"], &raws); err != nil {
		return nil, fmt.Errorf("%w: \"cookies\" is not an array", ErrCorrupt)
	}
	if d := top["deleted"]; d != nil {
		if err := json.Unmarshal(d, &deleted); err != nil {
			return nil, fmt.Errorf("%w: \"deleted\" is not an array", ErrCorrupt)
		}
	}
	v := &fileView{format: formatNative, data: data, raws: raws}
	for i, raw := range raws {
		var r fileRecord
		c, err := fileCookie{}, strictUnmarshal(raw, &r)
		if err == nil && !checkKeys(raw, recordKeys) {
			err = errors.New("a key given twice, written with escapes or in another case, or not a record's")
		}
		if err == nil {
			c, err = fromRecord(&r)
		}
		c.line, c.index = -1-i, i
		if err != nil {
			v.refuse(&c, fmt.Errorf("%w: %v", ErrInvalidCookie, err))
			continue
		}
		v.cookies = append(v.cookies, c)
	}
	for i, raw := range deleted {
		var r tombRecord
		t, err := fileTomb{}, strictUnmarshal(raw, &r)
		if err == nil && !checkKeys(raw, tombKeys) {
			err = errors.New("a key given twice, written with escapes or in another case, or not a deletion's")
		}
		if err == nil {
			t, err = fromTomb(&r)
		}
		if err != nil {
			v.bad = append(v.bad, LineError{Line: tombLine(data, i), Err: err})
			v.carried.deleted = append(v.carried.deleted, raw)
			continue
		}
		v.tombs = append(v.tombs, t)
	}
	return v, nil
}

// topLevel returns the members of the JSON object data, and the first key
// given twice, if any. A document that is not a JSON object is corrupt.
func topLevel(data []byte) (map[string]json.RawMessage, string, error) {
	if err := json.Unmarshal(data, new(map[string]json.RawMessage)); err != nil {
		return nil, "", corruptAt(data, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, "", corruptAt(data, err)
	}
	top := make(map[string]json.RawMessage)
	dup := ""
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", corruptAt(data, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, "", corruptAt(data, err)
		}
		if _, seen := top[key]; seen && dup == "" {
			dup = key
		}
		top[key] = raw
	}
	return top, dup, nil
}

// strictUnmarshal decodes one record, refusing fields a record does not
// have.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// corruptAt wraps a JSON error with ErrCorrupt and its line and column.
func corruptAt(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1 // Offset counts the offending byte itself
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	line, col := position(data, int(off))
	if se != nil && strings.ContainsRune(se.Error(), '\'') {
		// The syntax error's text quotes the byte it stopped at, which may
		// be part of a cookie value: say where, not what.
		return fmt.Errorf("%w: line %d, column %d: not valid JSON", ErrCorrupt, line, col)
	}
	return fmt.Errorf("%w: line %d, column %d: %v", ErrCorrupt, line, col, err)
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// recordLines returns the line on which each record of the "cookies" array
// starts. It is only needed to report a bad record, so it runs a second,
// slower pass over the data then.
func recordLines(data []byte) []int {
	return arrayLines(data, "cookies")
}

// tombLine returns the line of the i-th record of the "deleted" array.
func tombLine(data []byte, i int) int {
	return lineAt(arrayLines(data, "deleted"), i)
}

// arrayRaws returns the elements of the top-level array named key, as
// they are in data.
func arrayRaws(data []byte, key string) []json.RawMessage {
	var raws []json.RawMessage
	walkArray(data, key, func(_ int, raw json.RawMessage) { raws = append(raws, raw) })
	return raws
}

// arrayLines returns the line on which each element of the top-level array
// named key starts.
func arrayLines(data []byte, key string) []int {
	var lines []int
	walkArray(data, key, func(off int, _ json.RawMessage) {
		line, _ := position(data, off)
		lines = append(lines, line)
	})
	return lines
}

// walkArray calls fn with the offset and the bytes of each element of the
// top-level array named key.
func walkArray(data []byte, key string, fn func(off int, raw json.RawMessage)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return
		}
		if k != key {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return
			}
			continue
		}
		if _, err := dec.Token(); err != nil {
			return
		}
		for dec.More() {
			off := int(dec.InputOffset())
			for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
				off++
			}
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return
			}
			fn(off, raw)
		}
		return
	}
}

func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}
