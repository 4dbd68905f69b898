package httpsession

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Secrets travel in URLs (a password in the userinfo part, an API key or a
// token in the query, an access token in the fragment) and in Set-Cookie
// lines. Nothing the session logs or returns as an error carries them: URLs
// are shown with their user info as "REDACTED" (a token is often the user
// name alone), every query value as "REDACTED" (the keys stay, so that a
// log still says which parameters were sent; a part without a value, which
// may be the secret itself, is hidden whole) and the whole fragment as
// "#REDACTED". A URL that
// does not parse is shown as its scheme alone ("https://REDACTED"): where
// its parts begin and end is anybody's guess. And a message that reports a
// malformed URL or protocol element shows none of the text it quotes.

// redacted replaces a secret in logs and error messages.
const redacted = "REDACTED"

// redactURL returns u as logs and errors show it: the user info and every
// query value hidden, and the whole fragment, which is never sent and may
// hold a token ("#access_token=...", or a bare one).
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	if u.User != nil {
		// The user name may be the secret: a token as https://TOKEN@host/.
		v.User = url.User(redacted)
	}
	v.RawQuery = redactQuery(u.RawQuery)
	v.ForceQuery = u.ForceQuery
	v.Fragment, v.RawFragment = "", ""
	frag := ""
	if u.Fragment != "" || u.RawFragment != "" {
		frag = "#" + redacted
	}
	return v.Redacted() + frag
}

// redactQuery hides the values of a query string ("a=1&b=2" becomes
// "a=REDACTED&b=REDACTED"), keeping the keys of values and its separators;
// a part with no value, or with no key, is hidden whole.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	var b strings.Builder
	for q != "" {
		i := strings.IndexAny(q, "&;")
		part, sep := q, ""
		if i >= 0 {
			part, sep, q = q[:i], q[i:i+1], q[i+1:]
		} else {
			q = ""
		}
		switch key, value, ok := strings.Cut(part, "="); {
		case part == "":
		case ok && value != "" && key != "":
			part = key + "=" + redacted
		default:
			// A part with no value may be a secret itself: "?TOKEN",
			// "?token%3DSECRET", Query("TOKEN", "").
			part = redacted
		}
		b.WriteString(part)
		b.WriteString(sep)
	}
	return b.String()
}

// redactRawURL returns a URL given as text as logs and errors show it: as
// redactURL shows it if it parses, and as its scheme alone
// ("https://REDACTED") if it does not.
func redactRawURL(raw string) string {
	if shown, ok := schemelessURL(raw); ok {
		return shown
	}
	u, err := url.Parse(raw)
	if err != nil {
		return unparsableURL(raw)
	}
	return redactURL(u)
}

// schemelessURL shows a URL written without its scheme, as people type
// them ("127.0.0.1:8090/x", "bob:PW@host:8090"): read as a host and what
// follows, its host and path shown as typed, its user info, query values
// and fragment hidden. ok is false for text that is not such a URL.
func schemelessURL(raw string) (shown string, ok bool) {
	if strings.Contains(raw, "://") || strings.HasPrefix(raw, "/") {
		return "", false
	}
	u, err := url.Parse("//" + raw)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " \t") {
		return "", false
	}
	return strings.TrimPrefix(redactURL(u), "//"), true
}

// schemeHint is what an error about a URL without a scheme suggests.
func schemeHint(raw string) string {
	if shown, ok := schemelessURL(raw); ok {
		return fmt.Sprintf(" (a URL needs its scheme: %q)", "http://"+shown)
	}
	return ""
}

// unparsableURL shows a URL that does not parse: its scheme and
// "REDACTED", or "REDACTED" alone. Nothing else of it is shown, since
// nothing tells which of its parts is the password ("https://bob:PW/X@h/"
// does not parse because of its password).
func unparsableURL(raw string) string {
	n := schemeLen(raw)
	switch {
	case n > 0 && strings.HasPrefix(raw[n:], "://"):
		return strings.ToLower(raw[:n]) + "://" + redacted
	case n > 0:
		return strings.ToLower(raw[:n]) + ":" + redacted
	case strings.HasPrefix(raw, "//"):
		return "//" + redacted
	}
	return redacted
}

// schemeLen returns the length of the scheme that s begins with (RFC 3986
// §3.1: a letter, then letters, digits, '+', '-' and '.', then ':'), or 0.
func schemeLen(s string) int {
	if s == "" || !isLetter(s[0]) {
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			return i
		case !isSchemeChar(c):
			return 0
		}
	}
	return 0
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSchemeChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

// redactParseError hides the secrets inside a *url.Error from url.Parse,
// which quotes the whole URL.
func redactParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactRawURL(ue.URL), Err: redactError(ue.Err)}
	}
	return redactError(err)
}

// redactedError is an error whose message had secrets in it: it shows the
// message without them and unwraps to the original, so that errors.Is and
// errors.As still see the cause.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactError returns err, or err behind a redactedError when its message
// shows something redactText hides.
func redactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := redactText(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// malformedMarkers are what a message says when it reports a URL that does
// not parse or a malformed protocol element, which it quotes: net/url's
// `parse "..."`, `invalid port ":..."` and "invalid userinfo", net/http's
// `failed to parse Location header "..."` and `malformed HTTP status code
// "..."` (a server's first line may be a Set-Cookie line), net/textproto's
// `malformed MIME header line: "..."`.
var malformedMarkers = []string{`parse "`, "failed to parse", "malformed", "invalid port", "invalid userinfo"}

// reportsMalformed reports whether a message reports something malformed
// (see malformedMarkers): every Go-quoted text in it is hidden.
func reportsMalformed(s string) bool {
	lower := strings.ToLower(s)
	for _, m := range malformedMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// redactText hides the secrets in free text, such as an error message:
//
//   - in a message that reports something malformed (reportsMalformed),
//     every Go-quoted text ("...", as strconv.QuotedPrefix finds it) is
//     shown as "REDACTED", except that a header line net/textproto quotes
//     keeps its header's name ("Set-Cookie: REDACTED");
//   - elsewhere, a quoted URL is shown as redactRawURL shows it;
//   - a URL outside quotes ("https://...", "//..."), up to a space, is shown
//     as redactRawURL shows it;
//   - the values of anything that looks like a query ("?k=v&k2=v2") and a
//     whole fragment ("x#y") are hidden.
func redactText(s string) string {
	return redactTextMode(s, reportsMalformed(s))
}

func redactTextMode(s string, malformed bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				if malformed {
					// Cut short: hide the rest.
					b.WriteString(strconv.Quote(redacted))
					return b.String()
				}
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString(redactQuoted(s[:i], q, malformed))
			i += len(q)
		case isLetter(c) && (i == 0 || !isSchemeChar(s[i-1])) && schemeLen(s[i:]) > 0 &&
			strings.HasPrefix(s[i+schemeLen(s[i:]):], "://"),
			strings.HasPrefix(s[i:], "//"):
			end := i + urlTokenLen(s[i:])
			b.WriteString(redactURLText(s[i:end]))
			i = end
		case c == '?':
			// A query: up to the end of the URL it belongs to.
			end := i + 1 + stopAt(s[i+1:], "# \"<>\t\r\n")
			b.WriteByte('?')
			b.WriteString(redactQuery(s[i+1 : end]))
			i = end
		case c == '#' && i > 0 && !isSpace(s[i-1]):
			end := i + 1 + stopAt(s[i+1:], " \"<>\t\r\n")
			b.WriteByte('#')
			if end > i+1 {
				b.WriteString(redacted)
			}
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// stopAt returns the index of the first byte of s in stops, or len(s).
func stopAt(s, stops string) int {
	if i := strings.IndexAny(s, stops); i >= 0 {
		return i
	}
	return len(s)
}

// urlTokenLen returns the length of the URL that s begins with, in free
// text: up to a space, a double quote or an angle bracket, without the
// punctuation that ends a sentence or a clause ("Get http://h/: EOF").
func urlTokenLen(s string) int {
	n := stopAt(s, " \"<>`\t\r\n")
	for n > 2 && strings.IndexByte(".,;:)", s[n-1]) >= 0 {
		n--
	}
	return n
}

// redactURLText shows a URL found in text: unchanged when it parses and has
// nothing to hide, as redactRawURL shows it otherwise.
func redactURLText(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return unparsableURL(raw)
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" && u.RawFragment == "" {
		return raw
	}
	return redactURL(u)
}

// redactQuoted shows the Go-quoted text q, which follows before in a
// message (see redactText).
func redactQuoted(before, q string, malformed bool) string {
	text, err := strconv.Unquote(q)
	if err != nil {
		return strconv.Quote(redacted)
	}
	if malformed {
		// net/url: `parse "127.0.0.1:8090/x": first path segment ...`, a
		// URL typed without its scheme: its host as typed, its secrets
		// hidden (schemelessURL), so that the person sees what was wrong.
		if strings.HasSuffix(before, "parse ") {
			if shown, ok := schemelessURL(text); ok {
				return strconv.Quote(shown)
			}
		}
		// net/textproto: `malformed MIME header line: "Set-Cookie: ..."`.
		if strings.HasSuffix(before, "header line: ") {
			if name, _, ok := strings.Cut(text, ":"); ok && isToken(name) {
				return strconv.Quote(name + ": " + redacted)
			}
		}
		return strconv.Quote(redacted)
	}
	var clean string
	if n := schemeLen(text); n > 0 && strings.HasPrefix(text[n:], "://") || strings.HasPrefix(text, "//") {
		// Quoted, a URL ends where the quotes do, spaces included.
		clean = redactURLText(text)
	} else {
		clean = redactTextMode(text, false)
	}
	if clean == text {
		return q
	}
	return strconv.Quote(clean)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2), such as a
// header or cookie name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// urlError reports a failed request as net/http does, as a *url.Error (Op
// "Get", "Post", ...), with the URL and the cause's message redacted. An
// *url.Error from net/http is unwrapped first, so the URL is not said twice;
// one deeper in the chain (a failed login's request) is kept with the rest.
func urlError(method string, u *url.URL, err error) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	return &url.Error{Op: urlErrorOp(method), URL: redactURL(u), Err: redactError(err)}
}

// urlErrorOp is the Op of a *url.Error as net/http spells it: "Get", "Post".
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}
