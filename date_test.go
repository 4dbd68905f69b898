package httpsession

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseCookieDateCase is one row of parseCookieDateCases; want is only
// meaningful when ok is true.
type parseCookieDateCase struct {
	name string
	in   string
	want time.Time
	ok   bool
}

// cookieDateUTC builds an expected result without going through the parser.
func cookieDateUTC(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// parseCookieDateCases is shared with FuzzParseCookieDate as its seed corpus.
var parseCookieDateCases = []parseCookieDateCase{
	// Common formats.
	{"RFC 1123 date (§5.1.1)", "Thu, 01 Jan 1970 00:00:00 GMT", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"RFC 6265bis example Expires value (§3.1, §5.1.1)", "Wed, 09 Jun 2021 10:18:14 GMT", cookieDateUTC(2021, time.June, 9, 10, 18, 14), true},
	{"RFC 850 date with weekday name and dashes (§5.1.1 step 1)", "Thursday, 01-Jan-1970 00:00:00 GMT", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"RFC 850 date with two-digit year (§5.1.1 steps 1, 3)", "Sunday, 06-Nov-94 08:49:37 GMT", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"asctime date with padded day (§5.1.1 step 2)", "Sun Nov  6 08:49:37 1994", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"fields in odd order are matched by shape (§5.1.1 step 2)", "1994 Nov 6 08:49:37", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"time first is fine (§5.1.1 step 2.1)", "08:49:37 6 Nov 1994", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"weekday is optional (§5.1.1 step 2)", "06 Nov 1994 08:49:37", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"unusual delimiters split tokens (§5.1.1 step 1)", "06;Nov@1994[08:49:37]", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"tab is a delimiter (§5.1.1 step 1)", "06\tNov\t1994\t08:49:37", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"fractional seconds are split off by the '.' delimiter (§5.1.1 step 1)", "Sun, 06 Nov 1994 08:49:37.123 GMT", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},

	// Time zones: every date is UTC.
	{"GMT+0000 suffix is ignored (§5.1.1 step 2)", "Wed, 09 Jun 2021 10:18:14 GMT+0000", cookieDateUTC(2021, time.June, 9, 10, 18, 14), true},
	{"numeric offset is ignored, fields are UTC (§5.1.1 step 6)", "Sun, 06 Nov 1994 08:49:37 -0800", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"zone name is ignored, fields are UTC (§5.1.1 step 6)", "Sun, 06 Nov 1994 08:49:37 PST", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},

	// Two-digit and short years.
	{"two-digit year 70-99 means 19xx: 70 (§5.1.1 step 3)", "01 Jan 70 00:00:00", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"two-digit year 70-99 means 19xx: 99 (§5.1.1 step 3)", "31 Dec 99 23:59:59", cookieDateUTC(1999, time.December, 31, 23, 59, 59), true},
	{"two-digit year 0-69 means 20xx: 69 (§5.1.1 step 4)", "31 Dec 69 23:59:59", cookieDateUTC(2069, time.December, 31, 23, 59, 59), true},
	{"two-digit year 0-69 means 20xx: 00 (§5.1.1 step 4)", "01 Jan 00 00:00:00", cookieDateUTC(2000, time.January, 1, 0, 0, 0), true},
	{"year is the number the digits denote, so 070 is 1970 (§5.1.1 steps 2.4, 3)", "01 Jan 070 00:00:00", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"one-digit year is not a year (§5.1.1 steps 1, 5)", "Thu, 01 Jan 7 00:00:00 GMT", time.Time{}, false},
	{"three-digit year below 1601 is rejected (§5.1.1 step 5)", "01 Jan 999 00:00:00", time.Time{}, false},

	// Year bounds.
	{"year 1600 is rejected (§5.1.1 step 5)", "Sat, 01 Jan 1600 00:00:00 GMT", time.Time{}, false},
	{"year 1601 is accepted (§5.1.1 step 5)", "Mon, 01 Jan 1601 00:00:00 GMT", cookieDateUTC(1601, time.January, 1, 0, 0, 0), true},
	{"far-future year 9999 is accepted (§5.1.1 step 2.4)", "Fri, 31 Dec 9999 23:59:59 GMT", cookieDateUTC(9999, time.December, 31, 23, 59, 59), true},
	{"five-digit year matches no production (§5.1.1 steps 1, 5)", "01 Jan 12345 00:00:00", time.Time{}, false},
	{"five-digit token is skipped, a later year still counts (§5.1.1 step 2)", "01 Jan 12345 00:00:00 2001", cookieDateUTC(2001, time.January, 1, 0, 0, 0), true},

	// Out-of-range fields.
	{"day-of-month 0 is rejected (§5.1.1 step 5)", "00 Jan 1970 00:00:00", time.Time{}, false},
	{"day-of-month 32 is rejected (§5.1.1 step 5)", "32 Jan 1970 00:00:00", time.Time{}, false},
	{"day-of-month 31 in January is accepted (§5.1.1 step 5)", "31 Jan 1970 00:00:00", cookieDateUTC(1970, time.January, 31, 0, 0, 0), true},
	{"hour 24 is rejected (§5.1.1 step 5)", "01 Jan 1970 24:00:00", time.Time{}, false},
	{"minute 60 is rejected (§5.1.1 step 5)", "01 Jan 1970 00:60:00", time.Time{}, false},
	{"leap second 60 is rejected (§5.1.1 step 5)", "31 Dec 1998 23:59:60", time.Time{}, false},
	{"a two-digit number before the day is taken as day-of-month (§5.1.1 steps 2.2, 5)", "70 Jan 01 00:00:00", time.Time{}, false},
	{"day-of-month allows at most two digits, so 123 is a year (§5.1.1 steps 2.2, 2.4, 5)", "123 Jan 1970 00:00:00", time.Time{}, false},

	// Nonexistent dates.
	{"Feb 29 on a non-leap year is rejected (§5.1.1 step 6)", "29 Feb 2023 00:00:00", time.Time{}, false},
	{"Feb 29 on a leap year is accepted (§5.1.1 step 6)", "29 Feb 2024 12:00:00", cookieDateUTC(2024, time.February, 29, 12, 0, 0), true},
	{"Feb 29 1900 is rejected, centuries are not leap (§5.1.1 step 6)", "29 Feb 1900 00:00:00", time.Time{}, false},
	{"Feb 29 2000 is accepted, every 400th year is leap (§5.1.1 step 6)", "29 Feb 2000 00:00:00", cookieDateUTC(2000, time.February, 29, 0, 0, 0), true},
	{"Feb 30 is rejected, not normalised to March (§5.1.1 step 6)", "30 Feb 2024 00:00:00", time.Time{}, false},
	{"Apr 31 is rejected (§5.1.1 step 6)", "31 Apr 2021 00:00:00", time.Time{}, false},

	// Time field shapes.
	{"one-digit time fields are a time (§5.1.1 step 1 time-field)", "01 Jan 1970 1:2:3", cookieDateUTC(1970, time.January, 1, 1, 2, 3), true},
	{"time may be followed by non-digits (§5.1.1 step 1 time)", "01 Jan 1970 01:02:03abc", cookieDateUTC(1970, time.January, 1, 1, 2, 3), true},
	{"time may be followed by a fourth field (§5.1.1 step 1 time)", "01 Jan 1970 01:02:03:04", cookieDateUTC(1970, time.January, 1, 1, 2, 3), true},
	{"three-digit time field is not a time (§5.1.1 steps 1, 5)", "01 Jan 1970 123:00:00", time.Time{}, false},
	{"three-digit last time field is not a time (§5.1.1 steps 1, 5)", "01 Jan 1970 12:00:000", time.Time{}, false},
	{"hours and minutes alone are not a time (§5.1.1 steps 1, 5)", "Thu, 01 Jan 1970 08:49 GMT", time.Time{}, false},
	{"colon is not a delimiter, so year and time fuse (§5.1.1 step 1)", "06/Nov/1994:08:49:37 +0000", time.Time{}, false},

	// Garbage and empty input.
	{"empty string is rejected (§5.1.1 step 5)", "", time.Time{}, false},
	{"only delimiters is rejected (§5.1.1 steps 1, 5)", " \t,;-/+=@[]{}~", time.Time{}, false},
	{"leading and trailing garbage is ignored (§5.1.1 step 2)", "xx!! Thu, 01 Jan 1970 00:00:00 GMT ??zz", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"newline is not a delimiter, it joins tokens (§5.1.1 step 1)", "01\nJan 1970 00:00:00", time.Time{}, false},
	{"NUL after the time is a non-digit trailer (§5.1.1 step 1)", "01 Jan 1970 00:00:00\x00", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"non-ASCII digits are not DIGIT (§5.1.1 step 1)", "٠١ Jan 1970 00:00:00", time.Time{}, false},
	{"missing month is rejected (§5.1.1 step 5)", "01 1970 00:00:00", time.Time{}, false},

	// Repeated fields: the first of each kind wins.
	{"first time wins (§5.1.1 step 2.1)", "01 Jan 1970 01:02:03 04:05:06", cookieDateUTC(1970, time.January, 1, 1, 2, 3), true},
	{"first month wins (§5.1.1 step 2.3)", "01 Jan Feb 1970 00:00:00", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"second small number becomes the year (§5.1.1 steps 2.2, 2.4)", "01 Jan 02 Feb 1970 00:00:00", cookieDateUTC(2002, time.January, 1, 0, 0, 0), true},
	{"first year wins (§5.1.1 step 2.4)", "Jan 1 1999 2000 00:00:00", cookieDateUTC(1999, time.January, 1, 0, 0, 0), true},

	// Month names.
	{"full month name is a month (§5.1.1 step 1 month)", "01 January 1970 00:00:00", cookieDateUTC(1970, time.January, 1, 0, 0, 0), true},
	{"four-letter abbreviation Sept is a month (§5.1.1 step 1 month)", "01 Sept 1970 00:00:00", cookieDateUTC(1970, time.September, 1, 0, 0, 0), true},
	{"only the first three letters count (§5.1.1 step 1 month)", "01 Marshmallow 1970 00:00:00", cookieDateUTC(1970, time.March, 1, 0, 0, 0), true},
	{"month is case-insensitive: upper case (§5.1.1 step 1)", "01 DECEMBER 1970 00:00:00", cookieDateUTC(1970, time.December, 1, 0, 0, 0), true},
	{"month is case-insensitive: mixed case (§5.1.1 step 1)", "01 oCt 1970 00:00:00", cookieDateUTC(1970, time.October, 1, 0, 0, 0), true},
	{"two letters are not a month (§5.1.1 steps 1, 5)", "01 Ju 1970 00:00:00", time.Time{}, false},
	{"non-ASCII letter in the first three octets is not a month (§5.1.1 step 1)", "01 Jänner 1970 00:00:00", time.Time{}, false},

	// Trailing non-digits after numbers.
	{"day-of-month may carry a suffix like 6th (§5.1.1 step 1 day-of-month)", "Nov 6th 1994 08:49:37", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
	{"year may carry a suffix like AD (§5.1.1 step 1 year)", "6 Nov 1994AD 08:49:37", cookieDateUTC(1994, time.November, 6, 8, 49, 37), true},
}

func TestParseCookieDate(t *testing.T) {
	for _, tc := range parseCookieDateCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseCookieDate(tc.in)
			require.Equal(t, tc.ok, ok, "input %q", tc.in)
			if !ok {
				assert.True(t, got.IsZero(), "a failed parse returns the zero time")
				return
			}
			assert.Equal(t, tc.want.Format(time.RFC3339), got.Format(time.RFC3339))
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestParseCookieDateDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = parseCookieDate("Thursday, 01-Jan-1970 00:00:00 GMT")
		_, _ = parseCookieDate("no date here at all")
	})
	assert.Zero(t, allocs)
}

func BenchmarkParseCookieDate(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, _ = parseCookieDate("Wed, 09 Jun 2021 10:18:14 GMT")
	}
}
