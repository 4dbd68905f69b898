package cookiefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Reading the native file: one strict pass when the file is as this
// package writes it, else record by record, so that a damaged or hostile
// file loads what can be loaded, reports the rest by line, and costs time
// and memory in proportion to its size.

// decodeNative reads the native file. A document that is not valid JSON, or
// not of the cookie file's shape (an object with a known "version", a
// "cookies" array and perhaps a "deleted" array, nothing else), is corrupt:
// the error wraps ErrCorrupt and says where. A record that cannot be read
// is reported in f.Bad and kept in f.Carried; so is one reject refuses, in
// the slow decode (see decodeNativeCookie).
func decodeNative(data []byte, reject func(Cookie) error) (*File, error) {
	f := &File{Format: JSON, data: data}
	// The usual case: a file this package wrote, decoded in one pass. A
	// file written by EncodeNative starts each record on a line of its
	// own: size the slice for them up front, so that decoding does not
	// copy the records again each time the slice grows. None of those
	// records is under 128 bytes, which bounds the guess for any other
	// file.
	nf, ours := decodeOurs(data) // native_fast.go: a file as this package writes it
	if !ours {
		n := bytes.Count(data, []byte("\n  {"))
		nf.Cookies = make([]fileRecord, 0, min(n, len(data)/128))
	}
	if !ours && (!checkKeys(data, nil) || !utf8.Valid(data) || loneSurrogate(data) || !fewRecords(data) || json.Unmarshal(data, &nf) != nil) {
		// Broken, not exactly the keys of a file of ours, text that
		// encoding/json would change (bytes that are not UTF-8), or
		// records too many for their bytes to be ours: the slow decode
		// says what is wrong, or reads what it can record by record.
		return decodeNativeSlowly(data, reject)
	}
	if err := checkVersion(nf.Version); err != nil {
		return nil, err
	}
	f.native = nf.Cookies
	f.Records = make([]Record, 0, len(nf.Cookies))
	for i := range nf.Cookies {
		r, err := fromRecordJSON(&nf.Cookies[i])
		r.line, r.index = -1-i, i
		if err != nil {
			f.Refuse(&r, err)
			continue
		}
		f.Records = append(f.Records, r)
	}
	f.deleted = nf.Deleted
	for i := range nf.Deleted {
		t, err := fromTombJSON(&nf.Deleted[i])
		t.line, t.index = -1-i, i
		if err != nil {
			f.RefuseTomb(&t, err)
			continue
		}
		f.Tombs = append(f.Tombs, t)
	}
	return f, nil
}

// fewRecords reports whether the records of the native file data are no
// more than one for each 128 bytes, as in any file this package writes
// (its smallest record is longer), so that the one-pass decode, which
// holds a decoded record for each, takes memory in proportion to the
// file: "[{},{},…]" is for the slow decode. data is valid JSON, or the
// one-pass decode fails anyway.
func fewRecords(data []byte) bool {
	n := 0
	for top := openList(data); ; {
		_, value, ok := top.member()
		if !ok {
			break
		}
		if len(value) > 0 && value[0] == '[' {
			for l := openList(value); ; n++ {
				if _, _, ok := l.element(); !ok {
					break
				}
			}
		}
	}
	return n <= len(data)/128
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
func decodeNativeSlowly(data []byte, reject func(Cookie) error) (*File, error) {
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
	cookies, deleted := top["cookies"], top["deleted"]
	if !isArray(cookies) {
		return nil, fmt.Errorf("%w: \"cookies\" is not an array", ErrCorrupt)
	}
	if deleted != nil && !isArray(deleted) {
		return nil, fmt.Errorf("%w: \"deleted\" is not an array", ErrCorrupt)
	}
	// Record by record, as they are in data: nothing is kept of a record
	// but what it gives, and the line of each is counted on the way.
	f := &File{Format: JSON, data: data}
	var spilled spill
	var r fileRecord // each record decoded in turn, then taken apart
	lines := lineCounter{data: data}
	base := offsetIn(data, cookies)
	for l := openList(cookies); ; {
		off, raw, ok := l.element()
		if !ok {
			break
		}
		line := lines.at(base + off)
		c, err := decodeNativeCookie(raw, &r, reject)
		if err != nil {
			f.Bad = AppendBad(f.Bad, LineError{Line: line, Err: err})
			f.Carried.records = spilled.add(f.Carried.records, raw)
			continue
		}
		// Kept to carry the record as it was if it is refused.
		c.line, c.index = line, len(f.raws)
		f.raws = append(f.raws, raw)
		f.Records = append(f.Records, c)
	}
	f.Carried.records = spilled.done(f.Carried.records)
	spilled = spill{}
	var tomb tombRecord
	base = offsetIn(data, deleted)
	for l := openList(deleted); ; {
		off, raw, ok := l.element()
		if !ok {
			break
		}
		line := lines.at(base + off)
		t, err := Tomb{}, errNotObject
		if raw[0] == '{' {
			tomb = tombRecord{}
			if err = decodeNativeRecord(raw, &tomb, tombKeys, "deletion"); err == nil {
				t, err = fromTombJSON(&tomb)
			}
		}
		if err != nil {
			f.Bad = AppendBad(f.Bad, LineError{Line: line, Err: err})
			f.Carried.deleted = spilled.add(f.Carried.deleted, raw)
			continue
		}
		t.line, t.index = line, len(f.tombRaws)
		f.tombRaws = append(f.tombRaws, raw)
		f.Tombs = append(f.Tombs, t)
	}
	f.Carried.deleted = spilled.done(f.Carried.deleted)
	return f, nil
}

var (
	errNotObject = errors.New("not a JSON object")
	errNotRecord = fmt.Errorf("%w: %w", ErrInvalidCookie, errNotObject)
)

// decodeNativeCookie reads one cookie record of a native file, as the slow
// decode does, through r.
func decodeNativeCookie(raw []byte, r *fileRecord, reject func(Cookie) error) (Record, error) {
	if raw[0] != '{' {
		return Record{}, errNotRecord
	}
	*r = fileRecord{}
	if err := decodeNativeRecord(raw, r, recordKeys, "record"); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrInvalidCookie, err)
	}
	c, err := fromRecordJSON(r)
	if err != nil {
		return c, fmt.Errorf("%w: %v", ErrInvalidCookie, err)
	}
	// A record the caller would refuse anyway ("{}") is refused now,
	// rather than held as a cookie until then: a file of millions of them
	// then costs no more than its bytes.
	if reject != nil {
		err = reject(c.Cookie)
	}
	return c, err
}

// decodeNativeRecord decodes one record of a native file strictly, a
// cookie's or a deletion's (what): an object with only the keys of its
// kind, each once, written plainly, and only UTF-8 text, which
// encoding/json would otherwise change.
func decodeNativeRecord(raw []byte, v any, keys keySet, what string) error {
	if !utf8.Valid(raw) || loneSurrogate(raw) {
		return errNotUTF8
	}
	if checkKeys(raw, keys) {
		// Only keys of the record, once each and as written: what the
		// strict decode below would refuse besides is refused alike.
		return json.Unmarshal(raw, v)
	}
	if err := strictUnmarshal(raw, v); err != nil {
		return err
	}
	return fmt.Errorf("a key given twice, written with escapes or in another case, or not a %s's", what)
}

// isArray reports whether a JSON value is an array, or null (none).
func isArray(raw []byte) bool {
	return len(raw) > 0 && raw[0] == '[' || string(raw) == "null"
}

// offsetIn returns the offset in data of sub, a part of it (0 for none).
func offsetIn(data, sub []byte) int {
	if sub == nil {
		return 0
	}
	return cap(data) - cap(sub)
}

// lineCounter finds the line of offsets in data that mostly come in order,
// counting from the last one.
type lineCounter struct {
	data      []byte
	off, line int // the last offset asked for, and the lines before it
}

func (c *lineCounter) at(off int) int {
	if off < c.off {
		c.off, c.line = 0, 0
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line + 1
}

// topLevel returns the members of the JSON object data, their values as
// they are in data, and the first key given twice, if any. A document that
// is not a JSON object is corrupt.
func topLevel(data []byte) (map[string]json.RawMessage, string, error) {
	if !json.Valid(data) {
		// Unmarshal checks the whole text before it decodes anything: it
		// only finds where the syntax breaks.
		return nil, "", corruptAt(data, json.Unmarshal(data, new(any)))
	}
	if i := skipSpace(data, 0); data[i] != '{' {
		// An array or a scalar: nothing is decoded into the map.
		return nil, "", corruptAt(data, json.Unmarshal(data, new(map[string]json.RawMessage)))
	}
	top := make(map[string]json.RawMessage)
	dup := ""
	for l := openList(data); ; {
		quoted, raw, ok := l.member()
		if !ok {
			break
		}
		key := string(keyText(quoted))
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
	c := lineCounter{data: data}
	walkArray(data, key, func(off int, _ json.RawMessage) {
		lines = append(lines, c.at(off))
	})
	return lines
}

// walkArray calls fn with the offset and the bytes of each element of the
// top-level array named key (the first of that name). data must be valid
// JSON.
func walkArray(data []byte, key string, fn func(off int, raw json.RawMessage)) {
	for top := openList(data); ; {
		quoted, value, ok := top.member()
		if !ok {
			return
		}
		if string(keyText(quoted)) != key {
			continue
		}
		base := offsetIn(data, value)
		for l := openList(value); ; {
			off, raw, ok := l.element()
			if !ok {
				return
			}
			fn(base+off, raw)
		}
	}
}

func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}
