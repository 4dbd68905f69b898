package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/httpsession/httpsession"
)

const listHelp = `list prints the cookies of FILE, a cookie file in any format cookiejar knows
(native JSON, cookies.txt, Playwright's storageState, Cookie-Editor JSON,
CDP cookies), as a table sorted by domain, path and name. Expired cookies
are not shown.

  DOMAIN   a leading dot marks a domain cookie, sent to the domain and its
           subdomains; a bare host is a host-only cookie, sent to that host
  VALUE    the first characters (at most 12, and never more than a third of
           the value) then "…" and the length in bytes; the whole value with
           -a. Cookie values are credentials: mind where you paste them.
  FLAGS    Secure, HttpOnly, SameSite=Lax|Strict|None (SameSite alone when
           given without a value), Partitioned; "-" for none
  EXPIRES  "session", or the expiry in UTC (RFC 3339) and how far off it is

With -json, each cookie is printed as one JSON object per line, with the
fields of the native file format. "value" is only present with -a;
"valueBytes" always is. Names, values and paths that are not UTF-8 are given
in base64 in "nameBase64", "valueBase64" and "pathBase64".

Examples:
  cookiejar list cookies.txt
  cookiejar list -domain example.com session.json
  cookiejar list -json -a session.json | jq -r 'select(.name == "sid") | .value'
`

// runList implements "cookiejar list".
func runList(args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("list", "list [-a] [-domain D] [-json] FILE", listHelp)
	var (
		showValues, asJSON bool
		domain             string
	)
	cmd.flags.BoolVar(&showValues, "a", false, "show whole cookie values")
	cmd.flags.BoolVar(&showValues, "show-values", false, "the same as -a")
	cmd.flags.StringVar(&domain, "domain", "", "show only the cookies of domain `D` and its subdomains (ASCII or punycode)")
	cmd.flags.BoolVar(&asJSON, "json", false, "print one JSON object per cookie instead of a table")
	files, code, ok := cmd.parse(args, 1, stdout, stderr)
	if !ok {
		return code
	}
	jar := newJar()
	code = loadInto(jar, files[0], stderr)
	if code == exitFailure {
		return code
	}
	cookies := filterDomain(jar.All(), domain)
	var err error
	if asJSON {
		err = writeJSON(stdout, cookies, showValues)
	} else {
		err = writeTable(stdout, cookies, showValues, time.Now())
	}
	if err != nil {
		return fail(stderr, fmt.Errorf("writing the list: %w", err))
	}
	return code
}

// filterDomain returns the cookies whose domain is domain or one of its
// subdomains; all of them when domain is empty.
func filterDomain(cookies []httpsession.Cookie, domain string) []httpsession.Cookie {
	domain = strings.ToLower(strings.Trim(domain, "."))
	if domain == "" {
		return cookies
	}
	var out []httpsession.Cookie
	for _, c := range cookies {
		if c.Domain == domain || strings.HasSuffix(c.Domain, "."+domain) {
			out = append(out, c)
		}
	}
	return out
}

// writeTable writes cookies as an aligned table, values shortened unless
// showValues is set. now is the time expiries are counted from.
func writeTable(w io.Writer, cookies []httpsession.Cookie, showValues bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tPATH\tNAME\tVALUE\tFLAGS\tEXPIRES")
	for i := range cookies {
		c := &cookies[i]
		domain := c.Domain
		if !c.HostOnly {
			domain = "." + domain
		}
		value := shortValue(c.Value)
		if showValues {
			value = fullValue(c)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			printable(domain), printable(c.Path), printable(c.Name), value, flags(c), expiry(c.Expires, now))
	}
	return tw.Flush()
}

// shortValue shows the start of a value and its length in bytes: at most 12
// characters, and never more than a third of the value, so that a short
// secret is never shown whole.
func shortValue(v string) string {
	if v == "" {
		return "(empty)"
	}
	n := min(12, utf8.RuneCountInString(v)/3)
	end := 0
	for i := 0; i < n; i++ {
		_, size := utf8.DecodeRuneInString(v[end:])
		end += size
	}
	return fmt.Sprintf("%s… (%d bytes)", printable(v[:end]), len(v))
}

// fullValue shows the whole value as it is sent, in quotes for a quoted
// cookie.
func fullValue(c *httpsession.Cookie) string {
	switch {
	case c.Quoted:
		return `"` + printable(c.Value) + `"`
	case c.Value == "":
		return "(empty)"
	}
	return printable(c.Value)
}

// printable makes s safe for a table cell and a terminal: bytes that are not
// UTF-8, TABs and other unprintable characters are written as Go escapes.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// sameSiteFlag shows a SameSite mode in the table, or "" when unset.
func sameSiteFlag(m http.SameSite) string {
	switch m {
	case http.SameSiteDefaultMode:
		return "SameSite"
	case http.SameSiteLaxMode:
		return "SameSite=Lax"
	case http.SameSiteStrictMode:
		return "SameSite=Strict"
	case http.SameSiteNoneMode:
		return "SameSite=None"
	}
	return ""
}

// flags lists the cookie's attributes that are flags, or "-".
func flags(c *httpsession.Cookie) string {
	var f []string
	if c.Secure {
		f = append(f, "Secure")
	}
	if c.HttpOnly {
		f = append(f, "HttpOnly")
	}
	if s := sameSiteFlag(c.SameSite); s != "" {
		f = append(f, s)
	}
	if c.Partitioned {
		f = append(f, "Partitioned")
	}
	if len(f) == 0 {
		return "-"
	}
	return strings.Join(f, ",")
}

// expiry shows when a cookie expires: "session", or the time in RFC 3339 and
// how long from now.
func expiry(t, now time.Time) string {
	if t.IsZero() {
		return "session"
	}
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), relative(t.Sub(now)))
}

// relative shows a duration roughly: rounded to its largest sensible unit.
func relative(d time.Duration) string {
	prefix, suffix := "in ", ""
	if d < 0 {
		prefix, suffix, d = "", " ago", -d
	}
	unit, name := time.Second, "s"
	switch {
	case d >= 48*time.Hour:
		unit, name = 24*time.Hour, "d"
	case d >= 2*time.Hour:
		unit, name = time.Hour, "h"
	case d >= 2*time.Minute:
		unit, name = time.Minute, "m"
	}
	return fmt.Sprintf("%s%d%s%s", prefix, (d+unit/2)/unit, name, suffix)
}

// writeJSON writes one JSON object per cookie: the cookie as the native file
// records it (httpsession.Cookie's JSON form) with its length in valueBytes,
// and without its value unless showValues.
func writeJSON(w io.Writer, cookies []httpsession.Cookie, showValues bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range cookies {
		data, err := json.Marshal(cookies[i])
		if err != nil {
			return err
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil {
			return err
		}
		if !showValues {
			delete(fields, "value")
			delete(fields, "valueBase64")
		}
		fields["valueBytes"] = json.RawMessage(strconv.Itoa(len(cookies[i].Value)))
		if err := enc.Encode(fields); err != nil {
			return err
		}
	}
	return nil
}
