package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/httpsession/httpsession/internal/safefile"
)

// Format is a cookie file format that the jar reads and writes: its own
// native JSON file, curl's cookies.txt, and the JSON of the tools people log
// in with (Playwright, the Cookie-Editor and EditThisCookie browser
// extensions, the Chrome DevTools Protocol and Puppeteer).
//
// Load, Open and Import tell the formats apart by their content (see
// DetectFormat); Export and ExportFile write the one asked for. Every
// cookie read in any format is checked as if a server had sent it (see
// Jar.Set): no domain cookie on a public suffix, the __Secure- and __Host-
// prefixes, SameSite=None and Partitioned need Secure, sizes, the 400-day
// lifetime cap.
//
// None of the other programs' formats has change times or deletions: what
// Load and a save do with such a file is what they do with cookies.txt (a
// record counts as changed when the file was last modified, unless it is as
// this jar last read or wrote it, and a record gone since then as deleted
// then). None keeps creation or last-access times either: a cookie read
// from one is created when it is loaded.
type Format int

const (
	// FormatJSON is the native file that Save writes: every attribute,
	// change times and deletions.
	FormatJSON Format = iota
	// FormatNetscape is cookies.txt, as curl -c, wget, yt-dlp and Python's
	// MozillaCookieJar write it (see WriteNetscape and ReadNetscape).
	FormatNetscape
	// FormatPlaywright is Playwright's storageState: an object with a
	// "cookies" array and an "origins" array (the origins' localStorage,
	// which the jar does not use and keeps as given). See
	// internal/cookiefile/playwright.go for the mapping of each attribute.
	FormatPlaywright
	// FormatCookieEditor is the JSON array that the Cookie-Editor and
	// EditThisCookie browser extensions export and import: the cookies as
	// the browsers' extension API (chrome.cookies, browser.cookies) gives
	// them. See internal/cookiefile/cookieeditor.go for the mapping.
	FormatCookieEditor
	// FormatCDP is the cookie objects of the Chrome DevTools Protocol
	// (Network.Cookie), as Puppeteer's page.cookies() and
	// browserContext.cookies() return them: a JSON array, or an object
	// {"cookies": [...]} as Network.getAllCookies and Storage.getCookies
	// answer. See internal/cookiefile/cdp.go for the mapping.
	FormatCDP
)

// formatNames are the names String gives each Format, then the other names
// ParseFormat accepts for it.
var formatNames = [...][]string{
	FormatJSON:         {"json", "native"},
	FormatNetscape:     {"netscape", "cookies.txt", "txt"},
	FormatPlaywright:   {"playwright", "storagestate", "storage-state"},
	FormatCookieEditor: {"cookie-editor", "cookieeditor", "editthiscookie"},
	FormatCDP:          {"cdp", "puppeteer"},
}

// String returns the format's name, one ParseFormat reads back: "json",
// "netscape", "playwright", "cookie-editor" or "cdp".
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f][0]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format a name stands for, in any case: "json" or
// "native"; "netscape", "cookies.txt" or "txt"; "playwright" (or
// "storagestate"); "cookie-editor", "cookieeditor" or "editthiscookie";
// "cdp" or "puppeteer".
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for f, names := range formatNames {
		if slices.Contains(names, name) {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("httpsession: unknown cookie file format %q (want json, netscape, playwright, cookie-editor or cdp)", s)
}

// check reports an error for a Format this package does not know.
func (f Format) check() error {
	if f < FormatJSON || f > FormatCDP {
		return fmt.Errorf("httpsession: unknown cookie file format %v", f)
	}
	return nil
}

// detected returns the Format DetectFormat reports: an empty file counts
// as an empty cookies.txt.
func (f Format) detected() Format {
	if f == formatNone {
		return FormatNetscape
	}
	return f
}

// DetectFormat reports the format of a cookie file's content, by the rules
// Load, Open and Import use:
//
//   - a JSON object with a "version" key is the native file, and so is one
//     (to be refused) with a "deleted" key, a "Version" in another case, or
//     cookies holding keys only the native file writes ("created",
//     "updated", "lastAccess", "seq", the base64 fields);
//   - another JSON object with a "cookies" array is Playwright's
//     storageState, unless no "origins" key is there and a cookie holds a
//     key only the DevTools Protocol writes ("size", "session", "priority",
//     "sourceScheme", "sourcePort", "sameParty", "partitionKeyOpaque"): then
//     it is FormatCDP's object form, as Network.getAllCookies answers; a
//     "cookies" array that is not empty but holds no object with a "name"
//     is refused;
//   - a JSON array is FormatCookieEditor if a cookie in it holds a key only
//     the browsers' extension API writes ("hostOnly", "expirationDate",
//     "storeId"), and FormatCDP otherwise (Puppeteer's cookies, and
//     Playwright's context.cookies(), which read the same); an array with
//     keys of both is refused, and so is one that holds no object with a
//     "name", unless it is empty ([] is an empty FormatCookieEditor file);
//   - anything else is cookies.txt, and empty content (white space only)
//     an empty one.
//
// A byte order mark and white space in front are skipped. The error wraps
// ErrCorrupt when the content is JSON of none of these shapes.
func DetectFormat(data []byte) (Format, error) {
	f, err := cookiefile.Detect(data)
	if err != nil {
		return 0, err
	}
	return Format(f).detected(), nil
}

// Export writes every unexpired cookie of the jar to w in the format f:
//
//   - FormatJSON: the native file, as Save writes it to a new path
//     (deletions the jar remembers included);
//   - FormatNetscape: cookies.txt, as WriteNetscape writes it;
//   - FormatPlaywright: a storageState with the cookies and an empty
//     "origins" array;
//   - FormatCookieEditor: the array the extensions import;
//   - FormatCDP: an array of Network.Cookie objects, which Puppeteer's
//     page.setCookie(...cookies) and Network.setCookies take.
//
// A cookie a format cannot hold (a TAB or line break in cookies.txt, bytes
// that are not UTF-8 in the JSON formats) is left out: the others are
// written, and the error names the cookies left out by domain, path and
// name (never a value).
func (j *Jar) Export(w io.Writer, f Format) error {
	if isNil(w) {
		return errors.New("httpsession: export: nil writer")
	}
	format, err := f, f.check()
	if err != nil {
		return err
	}
	j.refresh()
	j.mu.Lock()
	now := j.clock()
	j.purgeExpired(now)
	j.hist.prune(now)
	var m *merged
	if format == FormatJSON {
		m = j.jarOutput(now)
	} else {
		m = j.liveOutput()
	}
	j.unlock()
	write, skipped := encoder(format, m, nil, now)
	if err := write(w); err != nil {
		return errors.Join(err, *skipped)
	}
	return *skipped
}

// liveOutput is what Export writes in a format that holds only cookies:
// the cookies the jar holds, sorted. The caller holds j.mu.
func (j *Jar) liveOutput() *merged {
	entries := j.sortedEntries(nil)
	out := &merged{records: make([]cookiefile.Record, len(entries)), held: make([]heldRecord, len(entries))}
	for i, e := range entries {
		out.records[i] = toRecord(e)
		out.held[i] = heldRecord{id: e.id(), at: e.updated}
		out.noteFileExpires(e)
	}
	out.sort()
	return out
}

// ExportFile writes the jar to the file at path in the format f, as
// SaveContext writes the native file: atomically, with mode 0600 for a new
// file, under the file's lock, and merged with what the file holds under
// the sync model (the newest change to each cookie wins; see SaveContext
// for the options). FormatJSON is SaveContext and FormatNetscape
// SaveNetscapeContext.
//
// A Playwright file keeps its "origins" and every other key but "cookies"
// as they were, in their order, even with Overwrite; so does the object
// form of a CDP file. Records of the file that could not be read or were
// refused are written back as they were (Overwrite drops them).
//
// A file at path in another format is not replaced unless Overwrite is
// given (the error wraps ErrFormat), nor a corrupt one without
// ReplaceCorrupt (ErrCorrupt); a path that is not a regular file is refused
// (ErrUnsafePath). A cookie the format cannot hold is left out, and the
// error names it; the file is written with the others.
func (j *Jar) ExportFile(ctx context.Context, path string, f Format, opts ...SaveOption) error {
	format, err := f, f.check()
	if err != nil {
		return err
	}
	return j.saveFile(ctx, path, format, opts)
}

// Import reads cookies in any format from r and adds them to the jar: the
// format is detected as DetectFormat and Load detect it. Each cookie is
// checked as if a server had sent it (see Jar.Set), so an imported file
// cannot plant a cookie on a public suffix, break the __Host- and __Secure-
// prefixes or exceed the size limits; cookies that have already expired are
// skipped silently.
//
// The cookies of cookies.txt and of the other programs' formats, which have
// no change times, are sets made now, as with Set: they replace the jar's
// cookies of the same identity. A native file is merged as Load merges it
// (the newest change wins, deletions included).
//
// A record that cannot be read or is refused does not cost the others:
// they are added, and the error is a *FileError whose Lines name each
// refused record, by line for cookies.txt and the native file and by its
// number in the cookie array (counting from 1, LineError.Record set) for
// the other JSON formats (the first 1,000 one by one; the last LineError
// stands for the others, counting them). A record whose text is not UTF-8
// or that gives a key twice is refused, as the native reader refuses it,
// rather than read changed. Content that is not a cookie file in any of the
// formats gives an error that wraps ErrCorrupt, and nothing is added.
func (j *Jar) Import(r io.Reader) error {
	if isNil(r) {
		return errors.New("httpsession: import: nil reader")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("httpsession: import: %w", err)
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("httpsession: import: %w: larger than %d MiB, more than a cookie file holds", ErrCorrupt, MaxFileSize>>20)
	}
	f, err := decodeFile(data)
	if err != nil {
		return fmt.Errorf("httpsession: import: %w", err)
	}
	switch format := Format(f.Format); {
	case format == formatNone:
		return nil
	case format == FormatNetscape:
		j.addNetscape(f)
		return fileError(f, "")
	case format == FormatJSON:
		j.mu.Lock()
		now := j.clock()
		j.purgeExpired(now)
		j.mergeFile(f, time.Time{}, nil, now, mergeOptions{})
		j.unlock()
		return fileError(f, "")
	}
	j.mu.Lock()
	now := j.clock()
	for i := range f.Records {
		r := &f.Records[i]
		e, expired, err := j.prepareForeign(r, now)
		switch {
		case err != nil:
			f.Refuse(r, err)
		case !expired:
			j.commit(&e, false, time.Time{}, now)
		}
	}
	j.unlock()
	return fileError(f, "")
}

// ImportCookieHeader adds the cookies of a Cookie request header, as a
// browser's developer tools show it for a request to u ("a=1; b=2"; a
// leading "Cookie:" is skipped), as if the server at u had set each of
// them: host-only cookies for u's host with Path=/, Secure when u is https
// (or wss, or a loopback host), so that they are never sent over plain http
// where the browser may not have sent them either. A header carries no
// other attribute: the cookies are session cookies, without HttpOnly or
// SameSite.
//
// A pair without '=' is a nameless cookie, as §5.6 reads it. When a name
// comes twice (cookies of several paths), the first is kept, as the one
// the browser sent first is the one of the longest path (§5.8.3), and the
// one servers read. Each cookie goes through the storage model of RFC
// 6265bis §5.7 for u, so a cookie the server at u could not have set (a
// __Host- cookie over http, a name and value over 4096 bytes) is refused:
// the others are added, and the error is a *FileError naming each refused
// pair by its number among the pairs, counting from 1 (LineError.Record).
// A header with a
// control character (a line break) is refused whole; the error wraps
// ErrInvalidCookie.
func (j *Jar) ImportCookieHeader(u *url.URL, header string) error {
	o, err := newOrigin(u)
	if err != nil {
		return err
	}
	if cookiefile.DegenerateDomain(&cookiefile.Cookie{Domain: o.host, HostOnly: true}) != "" {
		return refusal("the URL has no host name: " + redactURL(u))
	}
	header = trimWSP(header)
	if len(header) >= len("Cookie:") && strings.EqualFold(header[:len("Cookie:")], "Cookie:") {
		header = header[len("Cookie:"):]
	}
	if hasCTL(header) {
		return refusal("Cookie header holds a control character")
	}
	var bad []LineError
	seen := make(map[string]bool)
	n := 0 // the pair's number
	j.mu.Lock()
	now := j.clock()
	for _, pair := range strings.Split(header, ";") {
		pair = trimWSP(pair)
		if pair == "" {
			continue
		}
		n++
		name, value, found := strings.Cut(pair, "=")
		if !found {
			name, value = "", pair
		}
		name, value = trimWSP(name), trimWSP(value)
		if seen[name] {
			continue
		}
		seen[name] = true
		err := errEmptyCookie
		if name != "" || value != "" {
			// A session cookie, never expired: no deletion to weigh.
			var e entry
			c := setCookie{name: name, value: value, path: "/", secure: o.secure}
			if e, _, err = j.rules(o, c, now); err == nil {
				j.commit(&e, false, time.Time{}, now)
			}
		}
		if err != nil {
			bad = append(bad, LineError{Line: n, Err: fmt.Errorf("cookie %q: %w", name, err), Record: true})
		}
	}
	j.unlock()
	if len(bad) > 0 {
		return &FileError{Lines: bad}
	}
	return nil
}

// prepareForeign checks a cookie read from another program's format as
// prepare does, with its partition key made one of the jar's. The caller
// holds j.mu.
func (j *Jar) prepareForeign(r *cookiefile.Record, now time.Time) (entry, bool, error) {
	partition := ""
	if r.Partitioned {
		p, err := j.importPartition(r.Partition)
		if err != nil {
			return entry{}, false, err
		}
		partition = p
	}
	return j.prepare((*Cookie)(&r.Cookie), partition, now)
}

var errPartitionKey = refusal("partition key is not an http or https site (\"https://example.com\")")

// importPartition turns a partition key as the other programs write it, the
// top-level site ("https://example.com", perhaps with a port, a path or in
// another case), into the jar's partition of the same site. The caller
// holds j.mu.
func (j *Jar) importPartition(key string) (string, error) {
	u, err := url.Parse(key)
	if err != nil || u.Host == "" || u.User != nil || !isWebScheme(u.Scheme) {
		return "", errPartitionKey
	}
	host, err := canonicalHost(u)
	if err != nil || host == "" || !validHostChars(host) {
		return "", errPartitionKey
	}
	return j.partitionKey(webScheme(u.Scheme), host), nil
}

// overwriteKeep returns what a save with Overwrite keeps of the file at
// path: for a format whose top level holds more than cookies (Playwright's
// origins), the other members of a file already in that format.
func overwriteKeep(path string, format Format) cookiefile.Carried {
	if format != FormatPlaywright && format != FormatCDP {
		return cookiefile.Carried{}
	}
	data, _, err := safefile.ReadRegular(path, MaxFileSize)
	if err != nil {
		return cookiefile.Carried{}
	}
	return cookiefile.Overwritten(data, cookiefile.Format(format))
}

// changeTimes reports whether the format records when each cookie changed.
func (f Format) changeTimes() bool { return cookiefile.Format(f).ChangeTimes() }

// foreign reports whether f is the JSON format of another program.
func (f Format) foreign() bool { return cookiefile.Format(f).Foreign() }

// isNil reports whether a reader or writer is nil, or a nil pointer in an
// interface, which would panic at its first call.
func isNil(x any) bool {
	if x == nil {
		return true
	}
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Pointer, reflect.Func:
		return v.IsNil()
	}
	return false
}
