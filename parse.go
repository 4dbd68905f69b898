package httpsession

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// Limits of RFC 6265bis §5.6 and §5.7.
const (
	// maxNameValueBytes bounds a cookie's name and value together (§5.6 step 5,
	// §5.7 step 4).
	maxNameValueBytes = 4096
	// maxAttributeValueBytes bounds one attribute value; a longer one is
	// ignored (§5.6, "cookie-av" processing).
	maxAttributeValueBytes = 1024
	// maxAge is the cookie-age-limit of §5.5: no cookie outlives 400 days.
	maxAge = 400 * 24 * time.Hour
)

// setCookie is a cookie as a server asked for it, before the storage model
// (§5.7) has decided whether and where to keep it. Attributes that appear
// more than once have already been reduced to the one that counts: the last
// one, as §5.7 says for every attribute.
type setCookie struct {
	name, value string
	quoted      bool // the value must be sent wrapped in double quotes

	domain    string // lower case, leading dot removed; "" with hasDomain means host-only
	hasDomain bool
	path      string // "" means the default-path of the request

	expires   time.Time // zero when there was no valid Expires attribute
	maxAge    int64     // seconds; only meaningful with hasMaxAge
	hasMaxAge bool

	secure, httpOnly, partitioned bool
	sameSite                      http.SameSite

	// partition, when set, is the partition of a Partitioned cookie read
	// from a file; otherwise the storage model derives it from the origin.
	partition string
}

// isCTL reports whether b is one of the control characters that make
// §5.6 step 1 reject a whole Set-Cookie line: %x00-08 / %x0A-1F / %x7F.
// Horizontal tab (%x09) is allowed.
func isCTL(b byte) bool {
	return b < 0x20 && b != '\t' || b == 0x7f
}

// hasCTL reports whether s contains a control character other than tab.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if isCTL(s[i]) {
			return true
		}
	}
	return false
}

// containsEither reports whether s contains the byte a or the byte b. It is
// strings.ContainsAny for two ASCII bytes, searched for one at a time at
// memchr speed instead of looking each byte of s up in the set.
func containsEither(s string, a, b byte) bool {
	return strings.IndexByte(s, a) >= 0 || strings.IndexByte(s, b) >= 0
}

// trimWSP removes leading and trailing WSP (space and horizontal tab), the
// only whitespace §5.6 trims. Unlike strings.TrimSpace it leaves other bytes,
// such as a vertical tab or a UTF-8 no-break space, in place.
func trimWSP(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseSetCookie parses one Set-Cookie header value with the algorithm of
// RFC 6265bis §5.6, as leniently as browsers do: names and values may hold any
// byte but controls and ';', quotes stay part of the value, and nothing is
// percent-decoded. It reports false when §5.6 says to ignore the line.
func parseSetCookie(line string) (setCookie, bool) {
	var c setCookie
	// §5.6 step 1: a control character other than tab rejects the line.
	if hasCTL(line) {
		return c, false
	}
	// §5.6 step 2: the name-value-pair runs up to the first ';'.
	pair, attrs, _ := strings.Cut(line, ";")
	// §5.6 step 3: without '=', the name is empty and the whole pair is the
	// value (a "nameless" cookie, as browsers keep them).
	name, value, found := strings.Cut(pair, "=")
	if !found {
		name, value = "", pair
	}
	// §5.6 step 4: whitespace around the name and the value is not theirs.
	c.name, c.value = trimWSP(name), trimWSP(value)
	// §5.6 step 5: name and value together may not exceed 4096 octets.
	if len(c.name)+len(c.value) > maxNameValueBytes {
		return c, false
	}
	// §5.7 step 2: a cookie with neither name nor value is ignored. Checking
	// it here lets every caller of parseSetCookie rely on it.
	if c.name == "" && c.value == "" {
		return c, false
	}
	for attrs != "" {
		var av string
		av, attrs, _ = strings.Cut(attrs, ";")
		c.applyAttribute(av)
	}
	return c, true
}

// applyAttribute processes one cookie-av of §5.6: it splits it at the first
// '=', trims both halves and records what the attribute means. Unknown
// attributes and attributes with an overlong value are ignored.
func (c *setCookie) applyAttribute(av string) {
	name, value, _ := strings.Cut(av, "=")
	name, value = trimWSP(name), trimWSP(value)
	// §5.6: an attribute value over 1024 octets makes the cookie-av ignored.
	if len(value) > maxAttributeValueBytes {
		return
	}
	switch {
	case strings.EqualFold(name, "expires"):
		// §5.6.1: an Expires that is not a cookie-date is ignored, so an
		// earlier valid one stays in force.
		if t, ok := parseCookieDate(value); ok {
			c.expires = t
		}
	case strings.EqualFold(name, "max-age"):
		if n, ok := parseMaxAge(value); ok {
			c.maxAge, c.hasMaxAge = n, true
		}
	case strings.EqualFold(name, "domain"):
		// §5.6.3: a leading dot is dropped and the domain is lower-cased.
		// The last Domain attribute wins even when it is empty; an empty
		// one leaves the cookie host-only, as Chromium does.
		c.domain = strings.ToLower(trimDomainDot(value))
		c.hasDomain = true
	case strings.EqualFold(name, "path"):
		// §5.6.4: an empty path, or one not starting with '/', means the
		// default-path; the last Path attribute wins either way.
		if strings.HasPrefix(value, "/") {
			c.path = value
		} else {
			c.path = ""
		}
	case strings.EqualFold(name, "secure"):
		c.secure = true // §5.6.5
	case strings.EqualFold(name, "httponly"):
		c.httpOnly = true // §5.6.6
	case strings.EqualFold(name, "samesite"):
		c.sameSite = parseSameSite(value) // §5.6.7
	case strings.EqualFold(name, "partitioned"):
		// CHIPS (draft-cutler-httpbis-partitioned-cookies).
		c.partitioned = true
	}
}

// trimDomainDot drops the one leading dot §5.6.3 allows. A lone "." stays,
// so that the storage model refuses it as Chromium and net/http/cookiejar
// do, instead of reading it as an empty Domain (host-only).
func trimDomainDot(d string) string {
	if d == "." {
		return d
	}
	return strings.TrimPrefix(d, ".")
}

// parseMaxAge parses a Max-Age attribute value per §5.6.2: an optional '-'
// then digits only. Values too large for int64 saturate; the 400-day cap
// makes them equal anyway.
func parseMaxAge(v string) (int64, bool) {
	neg := strings.HasPrefix(v, "-")
	digits := strings.TrimPrefix(v, "-")
	if digits == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(d-'0'))/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(d-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseSameSite maps a SameSite attribute value to its enforcement mode
// (§5.6.7). An unrecognised value gives http.SameSiteDefaultMode, as
// net/http's own parser does.
func parseSameSite(v string) http.SameSite {
	switch {
	case strings.EqualFold(v, "none"):
		return http.SameSiteNoneMode
	case strings.EqualFold(v, "lax"):
		return http.SameSiteLaxMode
	case strings.EqualFold(v, "strict"):
		return http.SameSiteStrictMode
	}
	return http.SameSiteDefaultMode
}

// fromHTTPCookie converts a cookie parsed by net/http into the same form as
// parseSetCookie produces, so that both paths go through one storage model.
func fromHTTPCookie(hc *http.Cookie) (setCookie, bool) {
	c := setCookie{
		name:        hc.Name,
		value:       hc.Value,
		quoted:      hc.Quoted,
		path:        hc.Path,
		secure:      hc.Secure,
		httpOnly:    hc.HttpOnly,
		sameSite:    hc.SameSite,
		partitioned: hc.Partitioned,
	}
	// net/http sends a value holding a space or a comma in quotes; keep
	// doing so, so that the Cookie header is what net/http/cookiejar sends.
	if containsEither(c.value, ' ', ',') {
		c.quoted = true
	}
	if !strings.HasPrefix(c.path, "/") {
		c.path = ""
	}
	if hc.Domain != "" {
		c.domain = strings.ToLower(trimDomainDot(hc.Domain))
		c.hasDomain = true
	}
	switch {
	case hc.MaxAge < 0: // net/http's way of saying Max-Age=0
		c.maxAge, c.hasMaxAge = 0, true
	case hc.MaxAge > 0:
		c.maxAge, c.hasMaxAge = int64(hc.MaxAge), true
	}
	if !hc.Expires.IsZero() {
		c.expires = hc.Expires
	}
	// A cookie built by hand has not been through a parser: apply the
	// checks of §5.7 steps 2 to 4 and refuse what no header could carry.
	if c.name == "" && c.value == "" || hasCTL(c.name) || hasCTL(c.value) ||
		len(c.name)+len(c.value) > maxNameValueBytes ||
		containsEither(c.name, ';', '=') || strings.IndexByte(c.value, ';') >= 0 {
		return c, false
	}
	return c, true
}
