package cookiefile

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
// share: reading their records field by field, their
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
	case Playwright:
		return &playwrightSpec
	case CookieEditor:
		return &cookieEditorSpec
	}
	return &cdpSpec
}

// maxPartitionKey bounds a partition key as any attribute value is bounded
// (RFC 6265bis §5.6).
const maxPartitionKey = 1024

var (
	errTooLargePartitionKey = fmt.Errorf("%w: Domain or Path longer than 1024 bytes (§5.6)", ErrInvalidCookie)
	errNotCookieObject      = fmt.Errorf("%w: not a cookie object (no \"name\"); a save drops it", ErrInvalidCookie)
	errNotUTF8              = errors.New("a string is not UTF-8 text")
)

// decodeForeign reads the cookies of a file in one of the other programs'
// formats, element by element. A record that cannot be read is reported in
// f.Bad, by its number in the array, and carried if it is a cookie object
// (one with a "name") at all.
func decodeForeign(s sniffed) *File {
	// No room is made for a cookie per record up front: a record that
	// does not read ([{"name":1},…]) costs no cookie.
	f := &File{Format: s.format, raws: make([]json.RawMessage, 0, s.length), length: s.length}
	f.Carried.members = s.members
	spec := specOf(s.format)
	for l := openList(s.array); ; {
		_, raw, ok := l.element()
		if !ok {
			break
		}
		i := len(f.raws)
		f.raws = append(f.raws, raw)
		if !hasName(raw) {
			// Not a cookie at all: reported, and not written back, so that
			// a save never leaves a file of no cookie, which would not
			// read as a cookie file.
			f.Bad = AppendBad(f.Bad, LineError{Line: i + 1, Record: true, Err: errNotCookieObject})
			continue
		}
		r := Record{line: i + 1, index: i}
		jr, err := decodeRecord(raw)
		if err == nil {
			r.Cookie, r.Partition, err = spec.read(jr)
		}
		if err != nil {
			f.Refuse(&r, fmt.Errorf("%w: %v", ErrInvalidCookie, err))
			continue
		}
		r.Partitioned = r.Partition != ""
		f.Records = append(f.Records, r)
	}
	return f
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
func sameSiteTitle(m http.SameSite) string { return spellSameSite(m).title }

// sameSiteSpelling is how each format writes one SameSite mode.
type sameSiteSpelling struct {
	native    string // the native file ("" for none)
	title     string // Playwright and CDP ("" for none and for the default mode)
	extension string // the browser extensions' API
}

// spellSameSite returns how each format writes m: one table for them all.
func spellSameSite(m http.SameSite) sameSiteSpelling {
	switch m {
	case http.SameSiteDefaultMode:
		return sameSiteSpelling{native: "default", extension: "unspecified"}
	case http.SameSiteLaxMode:
		return sameSiteSpelling{native: "lax", title: "Lax", extension: "lax"}
	case http.SameSiteStrictMode:
		return sameSiteSpelling{native: "strict", title: "Strict", extension: "strict"}
	case http.SameSiteNoneMode:
		return sameSiteSpelling{native: "none", title: "None", extension: "no_restriction"}
	}
	return sameSiteSpelling{extension: "unspecified"}
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
	if len(raw) > maxPartitionKey {
		// A site is a scheme and a host: 1024 bytes, as for any attribute.
		return "", errTooLargePartitionKey
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
