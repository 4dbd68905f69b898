package httpsession

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Secrets travel in URLs (a password in the userinfo part, an API key or a
// token in the query) and in Set-Cookie lines. Nothing the session logs or
// returns as an error carries them: URLs are shown with the password as
// "xxxxx", as url.URL.Redacted does, and every query value as "REDACTED"
// (the keys stay, so that a log still says which parameters were sent).

// redacted replaces a secret in logs and error messages.
const redacted = "REDACTED"

// redactURL returns u as logs and errors show it: the password and every
// query and fragment value hidden.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	v.RawQuery = redactQuery(u.RawQuery)
	v.ForceQuery = u.ForceQuery
	frag := ""
	if u.Fragment != "" || u.RawFragment != "" {
		frag = "#" + redactQuery(u.EscapedFragment())
		v.Fragment, v.RawFragment = "", ""
	}
	return v.Redacted() + frag
}

// redactQuery hides the values of a query string ("a=1&b=2" becomes
// "a=REDACTED&b=REDACTED"), keeping its keys, its separators and parts that
// have no value.
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
		if key, value, ok := strings.Cut(part, "="); ok && value != "" {
			part = key + "=" + redacted
		}
		b.WriteString(part)
		b.WriteString(sep)
	}
	return b.String()
}

// redactRawURL hides the secrets of a URL that may not even parse, as
// redactURL does for one that does: "http://user:xxxxx@host/?k=REDACTED".
func redactRawURL(raw string) string {
	return redactText(raw)
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
// shows a URL's password or query values, or a malformed header line.
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

// redactText hides the secrets in free text, such as an error message that
// quotes a URL or a header line: userinfo passwords ("//user:pw@"), the
// values of anything that looks like a query ("?k=v&k2=v2"), and the value
// of a header line that net/textproto quotes because it is malformed
// (`malformed MIME header line: "Set-Cookie: sid=..."`), which may be a
// cookie.
func redactText(s string) string {
	s = redactHeaderLines(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "//"):
			// An authority: hide a password before '@'.
			end := i + 2 + strings.IndexFunc(s[i+2:]+" ", func(r rune) bool { return strings.ContainsRune("/?# \"'`\t\n<>", r) })
			auth := s[i+2 : end]
			if at := strings.LastIndexByte(auth, '@'); at >= 0 {
				if user, _, ok := strings.Cut(auth[:at], ":"); ok {
					auth = user + ":xxxxx" + auth[at:]
				}
			}
			b.WriteString("//")
			b.WriteString(auth)
			i = end
		case s[i] == '?':
			// A query: up to the end of the URL it belongs to.
			end := i + 1 + strings.IndexFunc(s[i+1:]+" ", func(r rune) bool { return strings.ContainsRune("# \"'`\t\n<>", r) })
			b.WriteByte('?')
			b.WriteString(redactQuery(s[i+1 : end]))
			i = end
		case s[i] == '#' && i > 0 && !isSpace(s[i-1]):
			end := i + 1 + strings.IndexFunc(s[i+1:]+" ", func(r rune) bool { return strings.ContainsRune(" \"'`\t\n<>", r) })
			b.WriteByte('#')
			b.WriteString(redactQuery(s[i+1 : end]))
			i = end
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// redactHeaderLines hides the values of the header lines that net/textproto
// quotes in its errors ("malformed MIME header line: %q"), keeping the
// header's name.
func redactHeaderLines(s string) string {
	const marker = "malformed MIME header"
	var b strings.Builder
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			break
		}
		q := strings.IndexByte(s[i:], '"')
		if q < 0 {
			break
		}
		q += i
		quoted, err := strconv.QuotedPrefix(s[q:])
		if err != nil {
			// Cut short: hide the rest.
			b.WriteString(s[:q])
			b.WriteString(`"` + redacted + `"`)
			return b.String()
		}
		line, _ := strconv.Unquote(quoted)
		name, _, hasColon := strings.Cut(line, ":")
		shown := redacted
		if hasColon && isToken(name) {
			shown = name + ": " + redacted
		}
		b.WriteString(s[:q])
		b.WriteString(strconv.Quote(shown))
		s = s[q+len(quoted):]
	}
	b.WriteString(s)
	return b.String()
}

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
// *url.Error from net/http is unwrapped first, so the URL is not said twice.
func urlError(method string, u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
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
