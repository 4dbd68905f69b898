package httpsession

import "time"

// parseCookieDate parses a cookie-date per RFC 6265bis §5.1.1 and reports whether it is valid.
//
// The algorithm is deliberately lenient: any date-token that matches none of
// the four productions (weekday names, "GMT", "+0000", "PST", ...) is
// ignored, and the fields are always read as UTC (step 6), so time-zone
// designators never shift the result. It does not allocate.
func parseCookieDate(s string) (time.Time, bool) {
	var d cookieDateFields
	// RFC 6265bis §5.1.1 step 1: divide the cookie-date into date-tokens,
	// the maximal runs of non-delimiter octets.
	for i := 0; i < len(s) && !d.complete(); {
		if isDateDelimiter(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && !isDateDelimiter(s[j]) {
			j++
		}
		d.consume(s[i:j])
		i = j
	}
	return d.result()
}

// cookieDateFields holds the values and found-flags of RFC 6265bis §5.1.1.
type cookieDateFields struct {
	hour, minute, second int
	day, year            int
	month                time.Month

	foundTime, foundDay, foundMonth, foundYear bool
}

// complete reports whether every flag is set; step 2 can then change nothing
// more, so the remaining tokens need not be scanned.
func (d *cookieDateFields) complete() bool {
	return d.foundTime && d.foundDay && d.foundMonth && d.foundYear
}

// consume applies RFC 6265bis §5.1.1 step 2 to one date-token: the first
// production, in the order time, day-of-month, month, year, whose flag is not
// yet set and which the token matches claims it.
func (d *cookieDateFields) consume(tok string) {
	// RFC 6265bis §5.1.1 step 2.1: time.
	if !d.foundTime {
		if h, m, s, ok := matchDateTime(tok); ok {
			d.hour, d.minute, d.second, d.foundTime = h, m, s, true
			return
		}
	}
	// RFC 6265bis §5.1.1 step 2.2: day-of-month = 1*2DIGIT [ non-digit *OCTET ].
	if !d.foundDay {
		if v, ok := matchDateNumber(tok, 1, 2); ok {
			d.day, d.foundDay = v, true
			return
		}
	}
	// RFC 6265bis §5.1.1 step 2.3: month.
	if !d.foundMonth {
		if m, ok := matchDateMonth(tok); ok {
			d.month, d.foundMonth = m, true
			return
		}
	}
	// RFC 6265bis §5.1.1 step 2.4: year = 2*4DIGIT [ non-digit *OCTET ].
	if !d.foundYear {
		if v, ok := matchDateNumber(tok, 2, 4); ok {
			d.year, d.foundYear = v, true
		}
	}
}

// result applies RFC 6265bis §5.1.1 steps 3 to 7 to the collected fields.
func (d *cookieDateFields) result() (time.Time, bool) {
	switch {
	// RFC 6265bis §5.1.1 step 3: 70..99 means 1970..1999.
	case d.year >= 70 && d.year <= 99:
		d.year += 1900
	// RFC 6265bis §5.1.1 step 4: 0..69 means 2000..2069.
	case d.year >= 0 && d.year <= 69:
		d.year += 2000
	}
	// RFC 6265bis §5.1.1 step 5: every field present and in range. The month
	// needs no check: step 2.3 only ever yields January..December.
	if !d.complete() ||
		d.day < 1 || d.day > 31 ||
		d.year < 1601 ||
		d.hour > 23 || d.minute > 59 || d.second > 59 {
		return time.Time{}, false
	}
	// RFC 6265bis §5.1.1 step 6: the date must exist. time.Date would quietly
	// normalise Feb 30 to Mar 2, so reject impossible days first.
	if d.day > daysInDateMonth(d.month, d.year) {
		return time.Time{}, false
	}
	// RFC 6265bis §5.1.1 steps 6 and 7: the fields name a UTC instant.
	return time.Date(d.year, d.month, d.day, d.hour, d.minute, d.second, 0, time.UTC), true
}

// isDateDelimiter reports whether b is a delimiter of RFC 6265bis §5.1.1
// step 1: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E. Everything else,
// including ":", controls other than HTAB, and %x7F-FF, is part of a token.
func isDateDelimiter(b byte) bool {
	return b == 0x09 ||
		(b >= 0x20 && b <= 0x2F) ||
		(b >= 0x3B && b <= 0x40) ||
		(b >= 0x5B && b <= 0x60) ||
		(b >= 0x7B && b <= 0x7E)
}

// dateDigitRun returns the value and length of the run of ASCII digits (the
// ABNF DIGIT; no other script's digits) at the start of s. It stops after
// limit+1 digits: a longer run already fails every production, and stopping
// keeps the value from overflowing.
func dateDigitRun(s string, limit int) (v, n int) {
	for n < len(s) && n <= limit && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	return v, n
}

// matchDateNumber matches <lo>*<hi>DIGIT [ non-digit *OCTET ], the shape
// shared by day-of-month and year in RFC 6265bis §5.1.1 step 1. A run of at
// most hi digits is necessarily followed by a non-digit or by the token's end.
func matchDateNumber(tok string, lo, hi int) (int, bool) {
	v, n := dateDigitRun(tok, hi)
	return v, n >= lo && n <= hi
}

// matchDateTime matches time = hms-time [ non-digit *OCTET ] with
// hms-time = time-field ":" time-field ":" time-field and
// time-field = 1*2DIGIT (RFC 6265bis §5.1.1 step 1).
func matchDateTime(tok string) (h, m, s int, ok bool) {
	var f [3]int
	for i := range f {
		v, n := dateDigitRun(tok, 2)
		if n < 1 || n > 2 {
			return 0, 0, 0, false
		}
		f[i], tok = v, tok[n:]
		if i == len(f)-1 {
			break // Whatever follows starts with a non-digit: trailer allowed.
		}
		if tok == "" || tok[0] != ':' {
			return 0, 0, 0, false
		}
		tok = tok[1:]
	}
	return f[0], f[1], f[2], true
}

// dateMonthNames lists the month prefixes of RFC 6265bis §5.1.1 step 1 in
// calendar order, three octets each.
const dateMonthNames = "janfebmaraprmayjunjulaugsepoctnovdec"

// matchDateMonth matches month = ( "jan" / ... / "dec" ) *OCTET, so "Sept"
// and "January" count. ABNF literals are ASCII case-insensitive; because each
// name is lower-case letters, b|0x20 equals the name's letter exactly when b
// is that letter in either case (non-ASCII and other octets never do).
func matchDateMonth(tok string) (time.Month, bool) {
	if len(tok) < 3 {
		return 0, false
	}
	a, b, c := tok[0]|0x20, tok[1]|0x20, tok[2]|0x20
	for i := 0; i < len(dateMonthNames); i += 3 {
		if a == dateMonthNames[i] && b == dateMonthNames[i+1] && c == dateMonthNames[i+2] {
			return time.Month(i/3 + 1), true
		}
	}
	return 0, false
}

// daysInDateMonth returns the length of month m in year y of the proleptic
// Gregorian calendar, which is what RFC 6265bis §5.1.1 step 6 calls a date
// (step 5 already limits years to 1601 and later).
func daysInDateMonth(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
