package httpsession

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The reference parser below transcribes the ABNF of RFC 6265bis §5.1.1 into
// anchored regular expressions. It is slow and independent of date.go, which
// makes it a useful oracle for the hand-written parser. Each expression
// matches a whole token because "[ non-digit *OCTET ]" only asks that the
// digits be followed by a non-digit or the end. Month literals spell out both
// cases because (?i) would also fold non-ASCII letters such as U+017F.
var (
	cookieDateRefTime  = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[^0-9]|$)`)
	cookieDateRefDay   = regexp.MustCompile(`^([0-9]{1,2})(?:[^0-9]|$)`)
	cookieDateRefYear  = regexp.MustCompile(`^([0-9]{2,4})(?:[^0-9]|$)`)
	cookieDateRefMonth = regexp.MustCompile(`^(?:` +
		`[Jj][Aa][Nn]|[Ff][Ee][Bb]|[Mm][Aa][Rr]|[Aa][Pp][Rr]|[Mm][Aa][Yy]|[Jj][Uu][Nn]|` +
		`[Jj][Uu][Ll]|[Aa][Uu][Gg]|[Ss][Ee][Pp]|[Oo][Cc][Tt]|[Nn][Oo][Vv]|[Dd][Ee][Cc])`)
)

// referenceParseCookieDate is the oracle: same algorithm, different code.
func referenceParseCookieDate(s string) (time.Time, bool) {
	// Bytes, not runes: the grammar is over octets, so split byte-wise.
	tokens := strings.FieldsFunc(cookieDateToLatin1(s), func(r rune) bool {
		return r == 0x09 || (r >= 0x20 && r <= 0x2F) || (r >= 0x3B && r <= 0x40) ||
			(r >= 0x5B && r <= 0x60) || (r >= 0x7B && r <= 0x7E)
	})
	var hms []string
	var day, month, year string
	for _, tok := range tokens {
		tok = cookieDateFromLatin1(tok)
		if m := cookieDateRefTime.FindStringSubmatch(tok); hms == nil && m != nil {
			hms = m[1:4]
		} else if m := cookieDateRefDay.FindStringSubmatch(tok); day == "" && m != nil {
			day = m[1]
		} else if month == "" && cookieDateRefMonth.MatchString(tok) {
			month = strings.ToLower(tok[:3])
		} else if m := cookieDateRefYear.FindStringSubmatch(tok); year == "" && m != nil {
			year = m[1]
		}
	}
	if hms == nil || day == "" || month == "" || year == "" {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(year)
	if y >= 70 && y <= 99 {
		y += 1900
	} else if y <= 69 {
		y += 2000
	}
	d, _ := strconv.Atoi(day)
	h, _ := strconv.Atoi(hms[0])
	mi, _ := strconv.Atoi(hms[1])
	se, _ := strconv.Atoi(hms[2])
	mo := time.Month(strings.Index("janfebmaraprmayjunjulaugsepoctnovdec", month)/3 + 1)
	if d < 1 || d > 31 || y < 1601 || h > 23 || mi > 59 || se > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, mo, d, h, mi, se, 0, time.UTC)
	if t.Day() != d { // time.Date normalised a nonexistent date.
		return time.Time{}, false
	}
	return t, true
}

// cookieDateToLatin1 maps each octet to the rune of the same value, so that
// rune-based helpers see exactly one rune per octet.
func cookieDateToLatin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// cookieDateFromLatin1 undoes cookieDateToLatin1.
func cookieDateFromLatin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

func FuzzParseCookieDate(f *testing.F) {
	for _, tc := range parseCookieDateCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"1:2:3 4 may 5555",
		"99:99:99 99 xxx 9999",
		"\xff\xfe01 Jan 1970 00:00:00",
		"00:00:00\x0001\x00jan\x001970",
		strings.Repeat("1", 100),
		strings.Repeat("Jan ", 50),
		"29 Feb 0 00:00:00",
	} {
		f.Add(s)
	}

	// time.RFC1123 with the literal "GMT" that cookies use instead of "UTC".
	const rfc1123GMT = "Mon, 02 Jan 2006 15:04:05 GMT"

	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseCookieDate(s)

		ref, refOK := referenceParseCookieDate(s)
		require.Equal(t, refOK, ok, "validity differs from the reference for %q", s)
		if !ok {
			require.True(t, got.IsZero(), "a failed parse returns the zero time")
			return
		}
		require.True(t, ref.Equal(got), "got %v, reference %v for %q", got, ref, s)

		require.Equal(t, time.UTC, got.Location())
		require.GreaterOrEqual(t, got.Year(), 1601)
		require.LessOrEqual(t, got.Year(), 9999)
		require.Zero(t, got.Nanosecond())

		formatted := got.Format(rfc1123GMT)
		again, ok := parseCookieDate(formatted)
		require.True(t, ok, "cannot re-parse %q (from %q)", formatted, s)
		require.True(t, again.Equal(got), "round trip %q -> %q -> %v", s, formatted, again)
	})
}
