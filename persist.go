package httpsession

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofrs/flock"

	"github.com/httpsession/httpsession/internal/atomicfile"
)

// fileVersion is the version of the native file format this package writes.
// A file of a later version is refused, and never overwritten, rather than
// read wrongly.
const fileVersion = 1

// filePerm is the mode of a new cookie file: cookies are credentials.
const filePerm fs.FileMode = 0o600

// DefaultLockTimeout is how long Save waits for another process to finish
// saving the same file.
const DefaultLockTimeout = 10 * time.Second

// nativeFile is the native JSON file: a version and one record per cookie.
type nativeFile struct {
	Version int          `json:"version"`
	Cookies []fileRecord `json:"cookies"`
}

// fileRecord is one cookie in the native file: the cookie's own JSON form
// (cookiejson.go) and what only a jar knows of it.
type fileRecord struct {
	cookieJSON
	Updated   time.Time `json:"updated"`       // when the cookie was last set: merges keep the newer
	Seq       uint64    `json:"seq,omitempty"` // breaks ties between equal creation times
	Partition string    `json:"partitionKey,omitempty"`
}

// fileCookie is a cookie read from a file, with where it stood there.
type fileCookie struct {
	Cookie
	updated   time.Time
	seq       uint64 // the writer's creation order
	partition string // a Partitioned cookie's partition, if the file says
	line      int
}

// sortByCreation puts cookies read from a file in the order they were
// created, so that the jar gives them sequence numbers in that order and
// cookies created at the same instant are sent in the same order as before
// (§5.8.3). The sort is stable: files without order keep their own. It
// sorts pointers, which move much faster than the cookies themselves.
func sortByCreation(cookies []fileCookie) []*fileCookie {
	order := make([]*fileCookie, len(cookies))
	for i := range cookies {
		order[i] = &cookies[i]
	}
	slices.SortStableFunc(order, func(a, b *fileCookie) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return order
}

func toRecord(e *entry) fileRecord {
	return fileRecord{cookieJSON: toCookieJSON(&e.Cookie), Updated: e.updated, Seq: e.seq, Partition: e.partition}
}

func fromRecord(r *fileRecord) (fileCookie, error) {
	c, err := r.cookie()
	fc := fileCookie{Cookie: c, updated: r.Updated, seq: r.Seq, partition: r.Partition}
	if err != nil {
		return fc, err
	}
	if fc.updated.IsZero() {
		fc.updated = fc.Created
	}
	return fc, nil
}

// encodeNative writes the native file: one cookie per line, in a stable
// order, so that a person can read it and a diff shows what changed.
func encodeNative(w io.Writer, records []fileRecord) error {
	if _, err := fmt.Fprintf(w, "{\"version\": %d, \"cookies\": [", fileVersion); err != nil {
		return err
	}
	buf := make([]byte, 0, 512)
	for i := range records {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  "...)
		var err error
		if buf, err = appendRecord(buf, &records[i]); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}

// appendRecord appends r as JSON, byte for byte as encoding/json marshals a
// fileRecord with HTML escaping off: the fields in their order, those tagged
// omitempty left out when empty. Writing it out by hand, without
// reflection, makes saving several times faster; a test compares the two.
// A record with a time the jar does not make (not UTC, or a year outside
// what time.Time.MarshalJSON accepts) is left to encoding/json, for the
// same output or the same error.
func appendRecord(b []byte, r *fileRecord) ([]byte, error) {
	if !r.plainTimes() || !plainTime(r.Updated) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			return b, err
		}
		return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
	}
	b = r.appendFields(append(b, '{'))
	b = appendJSONTime(append(b, `,"updated":`...), r.Updated)
	if r.Seq != 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), r.Seq, 10)
	}
	if r.Partition != "" {
		b = appendJSONString(append(b, `,"partitionKey":`...), r.Partition)
	}
	return append(b, '}'), nil
}

// plainTime reports whether appendJSONTime writes t as MarshalJSON does:
// t is in UTC, and in the years MarshalJSON accepts.
func plainTime(t time.Time) bool {
	y := t.Year()
	return t.Location() == time.UTC && y >= 0 && y <= 9999
}

// appendJSONTime appends a plainTime t as time.Time's MarshalJSON does: RFC
// 3339 with nanoseconds, quoted.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML escaping off: '"', '\\' and control characters,
// invalid UTF-8 as U+FFFD, and U+2028 and U+2029, which JavaScript does not
// allow in strings.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// decodeNative reads the native file. A file that is not valid JSON of a
// known version is corrupt; the error says where. Records that cannot be
// turned into cookies come back as line errors.
func decodeNative(data []byte) ([]fileCookie, []LineError, error) {
	var f nativeFile
	// A file written by encodeNative starts each record on a line of its
	// own: size the slice for them up front, so that decoding does not copy
	// the records again each time the slice grows. None of those records
	// is under 128 bytes, which bounds the guess for any other file.
	records := bytes.Count(data, []byte("\n  {"))
	f.Cookies = make([]fileRecord, 0, min(records, len(data)/128))
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, corruptAt(data, err)
	}
	if f.Version != fileVersion {
		return nil, nil, fmt.Errorf("%w: unsupported version %d (this library reads version %d)", ErrCorrupt, f.Version, fileVersion)
	}
	out := make([]fileCookie, 0, len(f.Cookies))
	var bad []LineError
	var lines []int
	for i := range f.Cookies {
		c, err := fromRecord(&f.Cookies[i])
		if err != nil {
			if lines == nil {
				lines = recordLines(data)
			}
			bad = append(bad, LineError{Line: lineAt(lines, i), Err: err})
			continue
		}
		c.line = i
		out = append(out, c)
	}
	if len(bad) > 0 || lines != nil {
		for i := range out {
			out[i].line = lineAt(lines, out[i].line)
		}
	} else {
		for i := range out {
			out[i].line = -out[i].line - 1 // record index, resolved lazily
		}
	}
	return out, bad, nil
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
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "cookies" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if _, err := dec.Token(); err != nil {
			return nil
		}
		var lines []int
		for dec.More() {
			off := int(dec.InputOffset())
			for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
				off++
			}
			line, _ := position(data, off)
			lines = append(lines, line)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return lines
			}
		}
		return lines
	}
	return nil
}

func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// fileFormat is one of the two cookie file formats.
type fileFormat int

const (
	formatNone     fileFormat = iota // an empty or missing file
	formatNative                     // the native JSON file
	formatNetscape                   // cookies.txt
)

func (f fileFormat) String() string {
	switch f {
	case formatNative:
		return "the native JSON format"
	case formatNetscape:
		return "the Netscape cookies.txt format"
	}
	return "no format"
}

// detectFormat tells the two formats apart by their first byte.
func detectFormat(data []byte) fileFormat {
	switch {
	case looksNative(data):
		return formatNative
	case len(bytes.TrimSpace(data)) == 0:
		return formatNone
	}
	return formatNetscape
}

// looksNative reports whether data is a native (JSON) file rather than
// cookies.txt: JSON starts with '{', cookies.txt never does.
func looksNative(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// decodeFile reads either format. Records of cookies.txt, which carries no
// change times, count as changed when the file was last modified.
func decodeFile(data []byte, modTime time.Time) ([]fileCookie, []LineError, error) {
	if looksNative(data) {
		return decodeNative(data)
	}
	recs, bad, err := parseNetscape(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 && len(bad) > 0 {
		// Not one line is a cookie: this is some other file (notes, HTML,
		// a config), and treating it as an empty jar would let the next
		// save overwrite it.
		return nil, nil, fmt.Errorf("%w: neither JSON nor cookies.txt: no line holds a cookie (%v)", ErrCorrupt, &bad[0])
	}
	out := make([]fileCookie, len(recs))
	for i, r := range recs {
		out[i] = fileCookie{Cookie: r.cookie, updated: modTime, line: r.line}
	}
	return out, bad, nil
}

// fileSync is what the jar knows of a file it last loaded or saved: which
// cookies were in it, how far the jar's changes had gone, and the file's
// identity, to notice that someone else has replaced it since.
type fileSync struct {
	info    os.FileInfo
	format  fileFormat
	version uint64
	// known lists the cookies the file held. It becomes a set only when a
	// merge needs one: most saves find their file unchanged and merge
	// nothing.
	known []cookieID
}

// unchanged reports whether the file is still the one we last read or wrote.
func (s *fileSync) unchanged(fi os.FileInfo) bool {
	return s != nil && s.info != nil && fi != nil && os.SameFile(s.info, fi) &&
		s.info.ModTime().Equal(fi.ModTime()) && s.info.Size() == fi.Size()
}

// readCookieFile reads a file whole, with its identity taken from the open
// file, so that a rename by another process between the two cannot mix them.
func readCookieFile(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is a directory", path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, fi, nil
}

// canonicalPath names a file the same way however the caller spells it.
func canonicalPath(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	if p, err := filepath.Abs(path); err == nil {
		path = p
	}
	return path
}

// Load merges a cookie file into the jar: the native JSON file that Save
// writes, or a Netscape cookies.txt file (curl, wget, yt-dlp, browser
// extensions); the format is detected. Each cookie is checked again as if a
// server had just sent it, so a hand-edited file cannot plant a cookie on a
// public suffix. Expired cookies are skipped. Where the jar already holds a
// cookie, the more recently set of the two is kept.
//
// A missing file gives an error for which errors.Is(err, fs.ErrNotExist)
// holds. A file that cannot be read as either format gives an error that
// wraps ErrCorrupt, names the file and the position, and leaves the jar
// unchanged. Records refused one by one are reported in a *FileError; the
// others are loaded.
func (j *Jar) Load(path string) error {
	data, info, err := readCookieFile(path)
	if err != nil {
		return fmt.Errorf("httpsession: load %s: %w", path, err)
	}
	cookies, bad, err := decodeFile(data, info.ModTime())
	if err != nil {
		return fmt.Errorf("httpsession: load %s: %w", path, err)
	}
	order := sortByCreation(cookies)
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	st := &fileSync{info: info, format: detectFormat(data), known: make([]cookieID, 0, len(cookies))}
	var lines []int // record lines of a native file, found only if needed
	for _, fc := range order {
		if fc.expired(now) {
			continue
		}
		id, err := j.importLocked(fc, now)
		if err != nil {
			if fc.line < 0 && lines == nil {
				lines = recordLines(data)
			}
			bad = append(bad, LineError{Line: fc.resolveLine(lines), Err: err})
			continue
		}
		st.known = append(st.known, id)
	}
	st.version = j.version
	j.attach(canonicalPath(path), st)
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b LineError) int { return a.Line - b.Line })
		return &FileError{Path: path, Lines: bad}
	}
	return nil
}

// resolveLine returns the line a record stood on, given the record lines of
// a native file when the record carries only its index.
func (fc *fileCookie) resolveLine(lines []int) int {
	if fc.line >= 0 {
		return fc.line
	}
	return lineAt(lines, -fc.line-1)
}

// importLocked takes a cookie from a file into the jar unless the jar holds
// a more recently set one of the same identity. It returns the identity.
// The caller holds j.mu.
func (j *Jar) importLocked(fc *fileCookie, now time.Time) (cookieID, error) {
	id, err := j.fileID(fc)
	if err != nil {
		return id, err
	}
	if ours := j.store.get(id); ours != nil && !ours.updated.Before(fc.updated) {
		// Ours is as new or newer: keep it, but a later use seen
		// elsewhere still counts for eviction order.
		if fc.LastAccess.After(ours.LastAccess) {
			ours.LastAccess = fc.LastAccess.UTC()
		}
		return id, nil
	}
	e, err := j.setLocked(fc.Cookie, fc.partition, now)
	if err != nil {
		return id, err
	}
	if e != nil && !fc.updated.IsZero() {
		e.updated = fc.updated
		// The Replica hears of the change with the file's time too, so
		// that a newer change elsewhere still wins over it.
		if n := len(j.pending); n > 0 && !j.pending[n-1].Deleted && j.pending[n-1].Cookie.Name == e.Name &&
			j.pending[n-1].Cookie.Domain == e.Domain && j.pending[n-1].Cookie.Path == e.Path {
			j.pending[n-1].Updated = fc.updated
		}
	}
	return id, nil
}

// fileID is the identity a cookie read from a file has in the jar, as Set
// would canonicalise it.
func (j *Jar) fileID(fc *fileCookie) (cookieID, error) {
	domain, err := toASCII(strings.TrimPrefix(fc.Domain, "."))
	if err != nil {
		return cookieID{}, errBadDomain
	}
	id := cookieID{name: fc.Name, domain: domain, path: cmp.Or(fc.Path, "/"), hostOnly: fc.HostOnly}
	if fc.Partitioned {
		id.partition = cmp.Or(fc.partition, j.partitionKey("https", domain))
	}
	return id, nil
}

// attach records what the jar knows of a file and forgets deletions that
// every attached file has seen. The caller holds j.mu.
func (j *Jar) attach(path string, st *fileSync) {
	if j.syncs == nil {
		j.syncs = make(map[string]*fileSync)
	}
	j.syncs[path] = st
	oldest := st.version
	for _, s := range j.syncs {
		oldest = min(oldest, s.version)
	}
	for id, t := range j.tombstones {
		if t.version <= oldest {
			delete(j.tombstones, id)
		}
	}
}

// SaveOption configures SaveContext.
type SaveOption func(*saveConfig)

type saveConfig struct {
	omitSession    bool
	replaceCorrupt bool
	overwrite      bool
	lockTimeout    time.Duration
}

// OmitSessionCookies leaves session cookies out of the file, as curl's -j
// and Python's ignore_discard=False do. By default they are saved: most
// login cookies are session cookies.
func OmitSessionCookies() SaveOption {
	return func(c *saveConfig) { c.omitSession = true }
}

// ReplaceCorrupt lets a save overwrite a file that cannot be read. Without
// it, such a file is left as it is and the save fails with ErrCorrupt.
func ReplaceCorrupt() SaveOption {
	return func(c *saveConfig) { c.replaceCorrupt = true }
}

// Overwrite makes a save replace the file with the jar's cookies instead of
// merging with what the file holds: cookies that only the file has are
// dropped. It still takes the lock and writes atomically. Use it to convert
// or rewrite a file on purpose; it also replaces a corrupt file.
func Overwrite() SaveOption {
	return func(c *saveConfig) { c.overwrite, c.replaceCorrupt = true, true }
}

// LockTimeout sets how long a save waits for another process's save of the
// same file. The default is DefaultLockTimeout. The context passed to
// SaveContext can end the wait sooner.
func LockTimeout(d time.Duration) SaveOption {
	return func(c *saveConfig) { c.lockTimeout = d }
}

// Save writes the jar to the native JSON file at path, as SaveContext does
// with a background context.
func (j *Jar) Save(path string) error {
	return j.SaveContext(context.Background(), path)
}

// SaveContext writes the jar to the native JSON file at path: atomically (a
// crash leaves the old file or the new one, whole), with mode 0600 for a new
// file, and safely beside other processes saving the same file.
//
// A save takes an advisory lock on path+".lock", re-reads the file if
// anyone else replaced it since this jar last loaded or saved it, and merges:
// cookies another process added or changed are kept, conflicts go to the
// more recently set cookie, and cookies deleted here are removed from the
// file rather than taken back from it. The jar takes in what it merged, so
// after a save it holds what the file holds (and its session cookies, if
// they were left out).
//
// An existing file that cannot be read is not overwritten unless
// ReplaceCorrupt is given: the error wraps ErrCorrupt. Nor is a cookies.txt
// file, which Save would turn into JSON, unless Overwrite is given: the
// error wraps ErrFormat. A lock that cannot be had in time gives an error
// that wraps ErrLocked. The lock file stays beside the cookie file: removing
// it could let two processes hold "the" lock at once.
func (j *Jar) SaveContext(ctx context.Context, path string, opts ...SaveOption) error {
	return j.saveFile(ctx, path, formatNative, opts)
}

// saveFile applies opts and saves in the given format, wrapping errors with
// the path.
func (j *Jar) saveFile(ctx context.Context, path string, format fileFormat, opts []SaveOption) error {
	cfg := saveConfig{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := j.save(ctx, path, cfg, format); err != nil {
		return fmt.Errorf("httpsession: save %s: %w", path, err)
	}
	return nil
}

func (j *Jar) save(ctx context.Context, path string, cfg saveConfig, format fileFormat) error {
	j.saveMu.Lock()
	defer j.saveMu.Unlock()
	target := canonicalPath(path)
	unlock, err := lockFile(ctx, target+".lock", cfg.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()

	j.mu.Lock()
	st := j.syncs[target]
	j.mu.Unlock()

	// Re-read the file only if someone else replaced it since our last
	// load or save: the common case, a jar saving its own file, skips it.
	var theirs []fileCookie
	found := formatNone
	cur, statErr := os.Stat(target)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
	case statErr != nil:
		return statErr
	case cfg.overwrite:
	case st.unchanged(cur):
		found = st.format
	default:
		data, info, err := readCookieFile(target)
		if err != nil {
			return err
		}
		found = detectFormat(data)
		cookies, _, err := decodeFile(data, info.ModTime())
		switch {
		case err == nil:
			theirs = cookies
		case errors.Is(err, ErrCorrupt) && cfg.replaceCorrupt:
			found = formatNone
		default:
			return fmt.Errorf("%w (not overwritten; use ReplaceCorrupt to replace it)", err)
		}
	}
	// A save never turns a file into the other format behind the user's
	// back: a cookies.txt that curl also reads must stay one.
	if found != formatNone && found != format {
		return fmt.Errorf("%w: the file is in %v; this save writes %v (use Overwrite to replace it)", ErrFormat, found, format)
	}

	j.mu.Lock()
	now := j.clock()
	if theirs != nil {
		j.mergeLocked(sortByCreation(theirs), st, now)
	}
	j.purgeExpired(now)
	entries := j.sortedEntries(func(e *entry) bool { return !cfg.omitSession || !e.Expires.IsZero() })
	next := &fileSync{format: format, version: j.version, known: make([]cookieID, len(entries))}
	for i, e := range entries {
		next.known[i] = e.id()
	}
	var write func(w io.Writer) error
	var skipped error // cookies cookies.txt cannot hold; the file is written without them
	if format == formatNetscape {
		cookies := make([]Cookie, len(entries))
		for i, e := range entries {
			cookies[i] = e.Cookie
		}
		write = func(w io.Writer) (err error) {
			skipped, err = writeNetscapeSkipping(w, cookies)
			return err
		}
	} else {
		records := make([]fileRecord, len(entries))
		for i, e := range entries {
			records[i] = toRecord(e)
		}
		write = func(w io.Writer) error { return encodeNative(w, records) }
	}
	j.unlock()

	if err := atomicfile.WriteFile(target, filePerm, write); err != nil {
		return err
	}
	if next.info, err = os.Stat(target); err != nil {
		return err
	}
	j.mu.Lock()
	j.attach(target, next)
	j.mu.Unlock()
	return skipped
}

// mergeLocked folds a file's cookies into the jar (see SaveContext). st is
// what the jar knew of the file, nil if it never loaded or saved it. The
// caller holds j.mu.
func (j *Jar) mergeLocked(theirs []*fileCookie, st *fileSync, now time.Time) {
	var since uint64
	if st != nil {
		since = st.version
	}
	inFile := make(map[cookieID]struct{}, len(theirs))
	for _, fc := range theirs {
		if fc.expired(now) {
			continue
		}
		id, err := j.fileID(fc)
		if err != nil {
			continue
		}
		inFile[id] = struct{}{}
		// Deleted here after the file's copy was set: it stays deleted.
		if t, ok := j.tombstones[id]; ok && !t.at.Before(fc.updated) {
			continue
		}
		// Refused records (a tampered file) are simply not taken back.
		_, _ = j.importLocked(fc, now)
	}
	if st == nil {
		return
	}
	// A cookie that was in the file at our last sync, is gone from it now
	// and has not changed here since: another process deleted it.
	known := make(map[cookieID]struct{}, len(st.known))
	for _, id := range st.known {
		known[id] = struct{}{}
	}
	for _, id := range j.selectIDs(func(e *entry) bool {
		_, was := known[e.id()]
		_, is := inFile[e.id()]
		return was && !is && e.version <= since
	}) {
		j.store.remove(id)
	}
}

// lockFile takes an exclusive advisory lock on path, waiting up to timeout.
func lockFile(ctx context.Context, path string, timeout time.Duration) (func(), error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fl := flock.New(path)
	ok, err := fl.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		_ = fl.Close()
		return nil, fmt.Errorf("%w: %s held by another process (%v)", ErrLocked, path, err)
	}
	return func() { _ = fl.Unlock(); _ = fl.Close() }, nil
}

// SaveNetscape writes the jar to path in the Netscape cookies.txt format,
// as curl writes it, as SaveNetscapeContext does with a background context.
func (j *Jar) SaveNetscape(path string) error {
	return j.SaveNetscapeContext(context.Background(), path)
}

// SaveNetscapeContext writes the jar to path in the Netscape cookies.txt
// format, as curl writes it (session cookies with expiry 0), atomically and
// with mode 0600 for a new file. Like SaveContext it locks the file and
// merges with changes another program made since this jar last read or
// wrote it; cookies.txt has no change times, so the file's modification
// time stands for them. The format keeps no SameSite, Partitioned or
// creation times.
//
// A cookie the format cannot hold (a tab or a line break in a field) is left
// out; the file is still written with all the others, and the error names
// the cookies left out. A native JSON file at path is not replaced unless
// Overwrite is given (the error wraps ErrFormat).
func (j *Jar) SaveNetscapeContext(ctx context.Context, path string, opts ...SaveOption) error {
	return j.saveFile(ctx, path, formatNetscape, opts)
}
