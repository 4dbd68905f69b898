package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// What the JSON formats of other programs (Playwright, Cookie-Editor, CDP)
// share: telling them apart, reading their records field by field, their
// numbers of seconds, SameSite names and partition keys, and writing them.

// foreignSpec is how one of the other programs' formats reads and writes a
// cookie record.
type foreignSpec struct {
	// read reads a record: the cookie, and the partition key as the
	// record gives it (the top-level site), "" for none.
	read func(r jsonRecord) (Cookie, string, error)
	// record returns the record to write for c, a cookie of the jar in
	// the given partition.
	record func(c *Cookie, partition string) any
	indent string // one level of indentation, as the program writes it
}

func specOf(f Format) *foreignSpec {
	switch f {
	case FormatPlaywright:
		return &playwrightSpec
	case FormatCookieEditor:
		return &cookieEditorSpec
	}
	return &cdpSpec
}

// Keys that tell the formats apart (see DetectFormat).
var (
	// Only the browsers' extension API writes these.
	extensionKeys = []string{"hostOnly", "expirationDate", "storeId"}
	// Only the DevTools Protocol writes these, beside Playwright's keys.
	cdpKeys = []string{"size", "session", "priority", "sourceScheme", "sourcePort", "sameParty", "partitionKeyOpaque"}
	// In an array, "expires" also says CDP (or Playwright's cookies, read
	// alike); "session" does not, as the extensions write it too.
	cdpArrayKeys = []string{"expires", "size", "priority", "sourceScheme", "sourcePort", "sameParty", "partitionKeyOpaque"}
	// Only the native file writes these: an object whose cookies hold
	// them is a native file without its version, for the native decoder
	// to refuse, never a storageState to rewrite.
	nativeKeys = []string{"created", "lastAccess", "updated", "seq", "nameBase64", "valueBase64", "pathBase64"}
)

// sniffed is what telling a file's format found.
type sniffed struct {
	format  Format
	members []topMember // an object's members, in order (foreign formats)
	// Foreign formats: the cookie array as it is written (valid JSON),
	// its number of elements, and of cookie objects (with a "name").
	array  []byte
	length int
	named  int
}

// topMember is one member of a JSON object, its value as it was written.
type topMember struct {
	key   string
	value json.RawMessage
}

// sniff tells the format of a cookie file's content (see DetectFormat). For
// the other programs' formats it returns their records too.
func sniff(data []byte) (sniffed, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	body := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(bytes.TrimRight(body, " \t\r\n")) == 0:
		return sniffed{format: formatNone}, nil
	case body[0] == '{':
		return sniffObject(body)
	case body[0] == '[':
		return sniffArray(data)
	}
	return sniffed{format: FormatNetscape}, nil
}

// sniffObject tells the format of a JSON object. An object that is not
// valid JSON, or of no known shape, is left to the native decoder, which
// says what is wrong with it.
func sniffObject(body []byte) (sniffed, error) {
	native := sniffed{format: FormatJSON}
	if bytes.HasPrefix(body, []byte(`{"version"`)) {
		return native, nil // as Save writes it: no need to read further
	}
	members, err := objectMembers(body)
	if err != nil {
		return native, nil
	}
	var cookies []byte
	origins := false
	for i := range members {
		m := &members[i]
		switch {
		case strings.EqualFold(m.key, "version"), strings.EqualFold(m.key, "deleted"):
			// The native file, perhaps mistyped: its decoder says what
			// is wrong with it.
			return native, nil
		case m.key == "cookies":
			if cookies != nil {
				return sniffed{}, fmt.Errorf("%w: the key \"cookies\" is given twice", ErrCorrupt)
			}
			// A save writes the array anew from the cookies: the members
			// kept need not hold it.
			cookies, m.value = m.value, nil
		case m.key == "origins":
			origins = true
		}
	}
	if cookies == nil {
		return native, nil
	}
	if cookies[0] != '[' {
		return sniffed{}, fmt.Errorf("%w: \"cookies\" is not an array", ErrCorrupt)
	}
	s := sniffed{format: FormatPlaywright, members: members, array: cookies}
	k := s.scan()
	switch {
	case k.native:
		return native, nil
	case s.length > 0 && s.named == 0:
		return sniffed{}, fmt.Errorf("%w: a \"cookies\" array that holds no cookie (no object with a \"name\")", ErrCorrupt)
	case !origins && k.cdp:
		s.format = FormatCDP
	}
	for i := range members {
		// Kept to be written back: their own copies, so that what the jar
		// keeps of the file is not the whole file.
		members[i].value = bytes.Clone(members[i].value)
	}
	return s, nil
}

// sniffArray tells the format of a JSON array of cookies. body may start
// with white space.
func sniffArray(body []byte) (sniffed, error) {
	if !json.Valid(body) {
		// cookies.txt may start with '[': an IPv6 literal domain.
		if hasNetscapeCookie(body) {
			return sniffed{format: FormatNetscape}, nil
		}
		// Unmarshal checks the whole text before it decodes anything: it
		// only finds where the syntax breaks.
		return sniffed{}, corruptAt(body, json.Unmarshal(body, new(any)))
	}
	s := sniffed{array: body}
	k := s.scan()
	switch {
	case k.extension && k.cdpArray:
		return sniffed{}, fmt.Errorf("%w: a JSON array whose cookies hold keys of both the extensions' format (hostOnly, expirationDate, storeId) and the DevTools Protocol's (expires, size, ...)", ErrCorrupt)
	case k.extension || s.length == 0:
		s.format = FormatCookieEditor
	case s.named == 0:
		return sniffed{}, fmt.Errorf("%w: a JSON array that holds no cookie (no object with a \"name\")", ErrCorrupt)
	default:
		s.format = FormatCDP
	}
	return s, nil
}

// keysFound is which of the keys that tell the formats apart the records
// of a cookie array hold.
type keysFound struct {
	extension, cdp, cdpArray, native bool
}

// scan counts the elements of s.array and its cookie objects, and reports
// which of the telling keys they hold. It keeps nothing of them: a file
// of a million elements costs no more than its own bytes.
func (s *sniffed) scan() (k keysFound) {
	for l := openList(s.array); ; {
		_, raw, ok := l.element()
		if !ok {
			break
		}
		s.length++
		if raw[0] != '{' {
			continue
		}
		named := false
		for m := openList(raw); ; {
			quoted, _, ok := m.member()
			if !ok {
				break
			}
			key := keyText(quoted)
			named = named || string(key) == "name"
			k.extension = k.extension || oneOf(key, extensionKeys)
			k.cdp = k.cdp || oneOf(key, cdpKeys)
			k.cdpArray = k.cdpArray || oneOf(key, cdpArrayKeys)
			k.native = k.native || oneOf(key, nativeKeys)
		}
		if named {
			s.named++
		}
	}
	return k
}

func oneOf(key []byte, keys []string) bool {
	for _, k := range keys {
		if string(key) == k {
			return true
		}
	}
	return false
}

// hasName reports whether raw, an element of a cookie array, is a cookie
// object: one with a "name".
func hasName(raw []byte) bool {
	if raw[0] != '{' {
		return false
	}
	for m := openList(raw); ; {
		quoted, _, ok := m.member()
		if !ok {
			return false
		}
		if string(keyText(quoted)) == "name" {
			return true
		}
	}
}

// objectMembers returns the members of the JSON object body in order, their
// values as they are in body.
func objectMembers(body []byte) ([]topMember, error) {
	if !json.Valid(body) {
		return nil, errors.New("not valid JSON")
	}
	if body[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var members []topMember
	for l := openList(body); ; {
		quoted, value, ok := l.member()
		if !ok {
			break
		}
		members = append(members, topMember{key: string(keyText(quoted)), value: value})
	}
	return members, nil
}

var (
	errNotCookieObject = fmt.Errorf("%w: not a cookie object (no \"name\"); a save drops it", ErrInvalidCookie)
	errNotUTF8         = errors.New("a string is not UTF-8 text")
)

// decodeForeign reads the cookies of a file in one of the other programs'
// formats, element by element. A record that cannot be read is reported in
// v.bad, by its number in the array, and kept in v.carried if it is a
// cookie object (one with a "name") at all.
func decodeForeign(s sniffed) *fileView {
	// No room is made for a cookie per record up front: a record that
	// does not read ([{"name":1},…]) costs no cookie.
	v := &fileView{format: s.format, raws: make([]json.RawMessage, 0, s.length)}
	v.carried.members = s.members
	spec := specOf(s.format)
	for l := openList(s.array); ; {
		_, raw, ok := l.element()
		if !ok {
			break
		}
		i := len(v.raws)
		v.raws = append(v.raws, raw)
		if !hasName(raw) {
			// Not a cookie at all: reported, and not written back, so that
			// a save never leaves a file of no cookie, which would not
			// read as a cookie file.
			v.bad = appendBad(v.bad, LineError{Line: i + 1, Record: true, Err: errNotCookieObject})
			continue
		}
		fc := fileCookie{line: i + 1, index: i}
		r, err := decodeRecord(raw)
		if err == nil {
			fc.Cookie, fc.partition, err = spec.read(r)
		}
		if err != nil {
			v.refuse(&fc, fmt.Errorf("%w: %v", ErrInvalidCookie, err))
			continue
		}
		fc.Partitioned = fc.partition != ""
		v.cookies = append(v.cookies, fc)
	}
	return v
}

// jsonRecord is one cookie object of the other programs' formats, by key.
// Keys the jar has no use for are ignored, so that a newer version of a
// program that adds one is still read.
type jsonRecord map[string]json.RawMessage

// get returns the value of key, or false if it is absent or null.
func (r jsonRecord) get(key string) (json.RawMessage, bool) {
	raw, ok := r[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return raw, true
}

// text reads a string field.
func (r jsonRecord) text(key string) (string, bool, error) {
	raw, ok := r.get(key)
	if !ok {
		return "", false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false, fmt.Errorf("%q is not a string", key)
	}
	return s, true, nil
}

// flag reads a boolean field; absent is false.
func (r jsonRecord) flag(key string) (bool, error) {
	raw, ok := r.get(key)
	if !ok {
		return false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		return false, fmt.Errorf("%q is not true or false", key)
	}
	return b, nil
}

// number reads a number field as its JSON text.
func (r jsonRecord) number(key string) (string, bool, error) {
	raw, ok := r.get(key)
	if !ok {
		return "", false, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil || !json.Valid(raw) || raw[0] == '"' {
		return "", false, fmt.Errorf("%q is not a number", key)
	}
	return n.String(), true, nil
}

// readCommon reads what every format's record holds alike: name, value,
// domain (and whether it had a leading dot), path (absent means "/"),
// Secure, HttpOnly, SameSite and the partition key.
func readCommon(r jsonRecord) (c Cookie, dotted bool, partition string, err error) {
	var ok bool
	if c.Name, ok, err = r.text("name"); err != nil || !ok {
		return c, false, "", cmpErr(err, "no name")
	}
	if c.Value, ok, err = r.text("value"); err != nil || !ok {
		return c, false, "", cmpErr(err, "no value")
	}
	if c.Domain, ok, err = r.text("domain"); err != nil || !ok {
		return c, false, "", cmpErr(err, "no domain")
	}
	dotted = strings.HasPrefix(c.Domain, ".")
	c.Domain = strings.TrimPrefix(c.Domain, ".")
	if c.Domain == "" || c.Domain[0] == '.' {
		return c, false, "", errors.New("domain is empty or starts with '..'")
	}
	if c.Path, ok, err = r.text("path"); err != nil {
		return c, false, "", err
	} else if !ok {
		c.Path = "/"
	}
	if c.Secure, err = r.flag("secure"); err != nil {
		return c, false, "", err
	}
	if c.HttpOnly, err = r.flag("httpOnly"); err != nil {
		return c, false, "", err
	}
	if c.SameSite, err = readSameSite(r); err != nil {
		return c, false, "", err
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		// What Firefox and WebKit report for a cookie without SameSite: a
		// server cannot set it (§5.7 step 19), the browser evidently did
		// not refuse it, and the attribute has no effect in a client.
		c.SameSite = 0
	}
	partition, err = readPartitionKey(r)
	return c, dotted, partition, err
}

func cmpErr(err error, missing string) error {
	if err != nil {
		return err
	}
	return errors.New(missing)
}

// readSameSite reads "sameSite" in any format's spelling, in any case:
// "Strict", "Lax", "None" (Playwright, CDP), "strict", "lax",
// "no_restriction", "unspecified" (the extensions). Absent, null, "" and
// "unspecified" mean no SameSite attribute.
func readSameSite(r jsonRecord) (http.SameSite, error) {
	s, _, err := r.text("sameSite")
	if err != nil {
		return 0, err
	}
	switch strings.ToLower(s) {
	case "", "unspecified":
		return 0, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "lax":
		return http.SameSiteLaxMode, nil
	case "none", "no_restriction":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("unknown sameSite %q", s)
}

// sameSiteTitle names a SameSite mode as Playwright and CDP do; "" for none
// (and for http.SameSiteDefaultMode, which they cannot say).
func sameSiteTitle(m http.SameSite) string {
	switch m {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// readPartitionKey reads "partitionKey": a string, the top-level site (CDP
// before Chrome 125, Playwright), or an object {"topLevelSite": ...,
// "hasCrossSiteAncestor": ...} (CDP, the extensions' API; Puppeteer's
// "sourceOrigin" too). The jar's partitions are top-level sites:
// hasCrossSiteAncestor is not kept. An opaque partition
// ("partitionKeyOpaque": true, a nonce) cannot be kept and is refused.
func readPartitionKey(r jsonRecord) (string, error) {
	if opaque, err := r.flag("partitionKeyOpaque"); err != nil || opaque {
		return "", cmpErr(err, "opaque partition key (a nonce) cannot be kept")
	}
	raw, ok := r.get("partitionKey")
	if !ok {
		return "", nil
	}
	if len(raw) > maxAttributeValueBytes {
		// A site is a scheme and a host: 1024 bytes, as for any attribute.
		return "", errTooLargeAttribute
	}
	var site string
	if json.Unmarshal(raw, &site) == nil {
		return site, nil
	}
	var key struct {
		TopLevelSite *string `json:"topLevelSite"`
		SourceOrigin *string `json:"sourceOrigin"`
	}
	if json.Unmarshal(raw, &key) != nil || raw[0] != '{' {
		return "", errors.New(`"partitionKey" is neither a site nor an object with "topLevelSite"`)
	}
	switch {
	case key.TopLevelSite != nil:
		return *key.TopLevelSite, nil
	case key.SourceOrigin != nil:
		return *key.SourceOrigin, nil
	}
	return "", nil
}

// cdpPartitionKey is a partition key as CDP and the extensions' API write
// it since Chrome 125.
type cdpPartitionKey struct {
	TopLevelSite         string `json:"topLevelSite"`
	HasCrossSiteAncestor bool   `json:"hasCrossSiteAncestor"`
}

func partitionObject(partition string) *cdpPartitionKey {
	if partition == "" {
		return nil
	}
	return &cdpPartitionKey{TopLevelSite: partition}
}

var errNegativeExpiry = errors.New("expiry is negative: only -1 (a session cookie) may be")

// readExpiry reads a time given as a JSON number of seconds since the Unix
// epoch, with a fraction or not, as every one of these formats gives it.
// -1 (what Playwright and CDP write for a session cookie) and 0 (what some
// tools write, as cookies.txt does) mean a session cookie; any other
// negative number is refused. A number beyond 253402300799, the last second
// of the year 9999, cannot be seconds: it is read as milliseconds, as some
// tools write them (JavaScript's Date.now()). A time beyond the year 9999
// is clamped to its end, as cookies.txt's reader does; the jar caps
// lifetimes at 400 days anyway.
func readExpiry(text string) (t time.Time, session bool, err error) {
	whole, nanos, neg, ok := splitSeconds(text)
	if !ok {
		return time.Time{}, false, fmt.Errorf("expiry %q is not a number", text)
	}
	switch {
	case whole == 0 && nanos == 0:
		return time.Time{}, true, nil
	case neg && whole == 1 && nanos == 0:
		return time.Time{}, true, nil
	case neg:
		return time.Time{}, false, errNegativeExpiry
	case whole > latestExpiry:
		nanos = (whole%1000)*int64(time.Millisecond) + nanos/1000
		whole /= 1000
		if whole > latestExpiry {
			whole, nanos = latestExpiry, 0
		}
	}
	return time.Unix(whole, nanos).UTC(), false, nil
}

// splitSeconds reads a JSON number of seconds exactly, to the nanosecond,
// as its whole seconds (saturated) and nanoseconds, and its sign.
func splitSeconds(text string) (whole, nanos int64, neg, ok bool) {
	digits := strings.TrimPrefix(text, "-")
	neg = len(digits) < len(text)
	w, frac, hasFrac := strings.Cut(digits, ".")
	if w == "" || !allDigits(w) || hasFrac && (frac == "" || !allDigits(frac)) {
		// An exponent ("1.7e9"): through a float, to the microsecond.
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
			return 0, 0, false, false
		}
		f = math.Abs(f)
		if f >= 1<<62 {
			return 1 << 62, 0, neg, true
		}
		whole = int64(f)
		nanos = int64(math.Round((f-float64(whole))*1e6)) * 1000
		if nanos >= int64(time.Second) {
			whole, nanos = whole+1, 0
		}
		return whole, nanos, neg, true
	}
	whole, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		whole = 1 << 62 // saturated; clamped by the caller
	}
	frac = (frac + "000000000")[:9]
	nanos, _ = strconv.ParseInt(frac, 10, 64)
	return whole, nanos, neg, true
}

// writeExpiry writes a time as these formats do: seconds since the Unix
// epoch, with the microseconds as a fraction when there are any (what
// Chrome keeps), so that a time read back is the time written.
func writeExpiry(t time.Time) json.Number {
	us := t.UnixMicro()
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := sign + strconv.FormatInt(us/1e6, 10)
	if frac := us % 1e6; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return json.Number(s)
}
