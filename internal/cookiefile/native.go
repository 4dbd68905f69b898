package cookiefile

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
// (native_record.go) and what the file keeps beside it.
type fileRecord struct {
	cookieJSON
	Updated   time.Time `json:"updated"`       // the change time of the cookie's last set
	Seq       uint64    `json:"seq,omitempty"` // breaks ties between equal creation times
	Partition string    `json:"partitionKey,omitempty"`
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
	// the digest of what was set (Tomb.Sum, 16 hex digits), which breaks
	// ties, and never the value.
	ExpiredSet string `json:"expiredSet,omitempty"`
}

// toRecordJSON returns the native file's record of r.
func toRecordJSON(r *Record) fileRecord {
	return fileRecord{cookieJSON: toCookieJSON(&r.Cookie), Updated: r.Updated, Seq: r.Seq, Partition: r.Partition}
}

// fromRecordJSON reads a record of the native file.
func fromRecordJSON(r *fileRecord) (Record, error) {
	c, err := r.cookie()
	return Record{Cookie: c, Updated: r.Updated, Seq: r.Seq, Partition: r.Partition}, err
}

// toTombJSON returns the native file's record of t.
func toTombJSON(t *Tomb) tombRecord {
	r := tombRecord{Domain: t.Domain, HostOnly: t.HostOnly, Partition: t.Partition, Deleted: t.Deleted}
	if t.Set {
		r.ExpiredSet = fmt.Sprintf("%016x", t.Sum)
	}
	r.Name, r.NameBase64 = textField(t.Name)
	r.Path, r.PathBase64 = textField(t.Path)
	return r
}

// fromTombJSON reads a deletion of the native file.
func fromTombJSON(r *tombRecord) (Tomb, error) {
	t := Tomb{Name: r.Name, Domain: r.Domain, Path: r.Path, HostOnly: r.HostOnly, Partition: r.Partition, Deleted: r.Deleted}
	if err := fromBase64(base64Field{r.NameBase64, &t.Name}, base64Field{r.PathBase64, &t.Path}); err != nil {
		return t, err
	}
	if t.Deleted.IsZero() {
		return t, errors.New("deletion without a time")
	}
	if r.ExpiredSet != "" {
		sum, err := strconv.ParseUint(r.ExpiredSet, 16, 64)
		if err != nil || len(r.ExpiredSet) != 16 {
			return t, errors.New("expiredSet is not a digest of 16 hex digits")
		}
		t.Set, t.Sum = true, sum
	}
	return t, nil
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

// NativeTombLen returns the bytes t takes in the native file, without what
// separates it from the others.
func NativeTombLen(t *Tomb) int {
	r := toTombJSON(t)
	if raw, ok := appendTomb(nil, &r); ok {
		return len(raw)
	}
	raw, _ := marshalRecord(&r)
	return len(raw)
}

// EncodeNative writes the native file: the records, then the tombstones,
// one a line, in the order given, so that a person can read it and a diff
// shows what changed; what keep carries (records and deletions that could
// not be read) follows the others, as it was read. keep may be nil. The
// error is a failed write, or a time JSON cannot write (a year outside 0
// to 9999).
func EncodeNative(w io.Writer, records []Record, tombs []Tomb, keep *Carried) error {
	if keep == nil {
		keep = &Carried{}
	}
	e := nativeEncoder{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	fmt.Fprintf(&e.buf, "{\"version\": %d, \"cookies\": [", fileVersion)
	// Each record by hand (native_encode.go), or through encoding/json for
	// one it must refuse.
	for i := range records {
		e.next(i)
		r := toRecordJSON(&records[i])
		if b, ok := appendRecord(e.buf.AvailableBuffer(), &r); ok {
			e.buf.Write(b)
		} else {
			slow := r // only this one escapes
			e.slow(&slow)
		}
		e.flush()
	}
	e.raws(len(records), keep.records)
	e.buf.WriteString("\n], \"deleted\": [")
	for i := range tombs {
		e.next(i)
		t := toTombJSON(&tombs[i])
		if b, ok := appendTomb(e.buf.AvailableBuffer(), &t); ok {
			e.buf.Write(b)
		} else {
			slow := t
			e.slow(&slow)
		}
		e.flush()
	}
	e.raws(len(tombs), keep.deleted)
	if len(tombs)+len(keep.deleted) > 0 {
		e.buf.WriteByte('\n')
	}
	e.buf.WriteString("]}\n")
	if e.err == nil {
		_, e.err = w.Write(e.buf.Bytes())
	}
	return e.err
}

// nativeEncoder writes the native file through a buffer, keeping the first
// error.
type nativeEncoder struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

// next starts the i-th element of an array.
func (e *nativeEncoder) next(i int) {
	if i > 0 {
		e.buf.WriteByte(',')
	}
	e.buf.WriteString("\n  ")
}

// slow writes v through encoding/json, without its newline.
func (e *nativeEncoder) slow(v any) {
	if err := e.enc.Encode(v); err != nil {
		if e.err == nil {
			e.err = err
		}
		return
	}
	e.buf.Truncate(e.buf.Len() - 1)
}

// raws writes carried elements after the n others of an array.
func (e *nativeEncoder) raws(n int, raws []json.RawMessage) {
	for i, raw := range raws {
		e.next(n + i)
		e.buf.Write(raw)
		e.flush()
	}
}

// flush writes the buffer out once it holds 64 KiB.
func (e *nativeEncoder) flush() {
	if e.buf.Len() < 64<<10 {
		return
	}
	if e.err == nil {
		_, e.err = e.w.Write(e.buf.Bytes())
	}
	e.buf.Reset()
}

// spill keeps the records of one array of a native file that could not be
// read, to carry them: the first MaxLineErrors one by one, the others
// together in one entry, as elements of the array (so that a file of
// millions of them costs no more than its own bytes). Written back, that
// entry reads as the same elements, and a second read joins them again the
// same way.
type spill struct {
	n     int
	block []byte
}

func (s *spill) add(list []json.RawMessage, raw []byte) []json.RawMessage {
	if s.n++; s.n <= MaxLineErrors {
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
