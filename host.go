package httpsession

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// idnaProfile converts internationalised host names to their ASCII (punycode)
// form for comparison. It maps as a browser's URL parser does for look-ups
// but does not insist on letter-digit-hyphen labels: real hosts carry
// underscores.
func idnaProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.Transitional(false),
		idna.StrictDomainName(false),
	)
}

var errBadHost = errors.New("host is not a valid domain name")

// toASCII lower-cases a host and, when it holds non-ASCII letters, converts
// it to punycode (RFC 6265bis §5.1.2: canonicalised host names).
//
// A host that is not valid UTF-8 (raw bytes, as a cookies.txt can hold) is
// refused: the IDNA mapping would turn each bad byte into U+FFFD and give
// it a punycode name it never had.
func toASCII(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if !utf8.ValidString(s) {
				return "", errBadHost
			}
			a, err := idnaProfile().ToASCII(s)
			if err != nil {
				return "", errBadHost
			}
			return a, nil
		}
	}
	return strings.ToLower(s), nil
}

// canonicalHost returns the canonicalised host name of u (§5.1.2): no port,
// no brackets around an IPv6 literal, lower case, punycode, and no trailing
// dot, so that "Example.COM." and "example.com" are one host.
func canonicalHost(u *url.URL) (string, error) {
	return canonicalName(u.Hostname())
}

// canonicalName canonicalises a host name as canonicalHost does, given
// without port or brackets, as in a URL or in the address a transport dials:
// an IP literal is written one way, zone dropped ("::FFFF:1.2.3.4" and
// "::ffff:1.2.3.4" are the same host); a name is converted to lower-case
// punycode (which maps "ｌｏｃａｌｈｏｓｔ" and "app。localhost" as browsers
// do) and loses a trailing dot, and is an IP literal if that leaves one
// ("127.0.0.1.").
func canonicalName(host string) (string, error) {
	if a, ok := parseIP(host); ok {
		return a.WithZone("").String(), nil
	}
	host, err := toASCII(host)
	if err != nil {
		return "", err
	}
	host = strings.TrimSuffix(host, ".")
	if a, ok := parseIP(host); ok {
		return a.WithZone("").String(), nil
	}
	return host, nil
}

// parseIP parses an IPv4 or IPv6 literal. Host names are looked at on every
// request, so it first rules out, without parsing, what cannot be an IP
// address: an IPv4 literal ends with a digit and an IPv6 literal holds a
// colon. (netip.ParseAddr would allocate an error for every host name.)
func parseIP(host string) (netip.Addr, bool) {
	if host == "" || !isDigit(host[len(host)-1]) && strings.IndexByte(host, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isIP reports whether a canonical host is an IPv4 or IPv6 literal.
func isIP(host string) bool {
	_, ok := parseIP(host)
	return ok
}

// isSecureOrigin reports whether a request to u counts as "secure" in the
// sense of §5.7 and §5.8.3: https or wss, or a potentially trustworthy
// origin as the Secure Contexts specification defines it — localhost, any
// *.localhost name and loopback addresses, which never leave the machine
// (isLoopbackHost, which also keeps them off proxies and DNS).
func isSecureOrigin(u *url.URL, host string) bool {
	switch strings.ToLower(u.Scheme) {
	case "https", "wss":
		return true
	}
	return isLoopbackHost(host)
}

// isLoopbackHost reports whether a canonical host (see canonicalName) stays
// on the machine: "localhost", a name under it (RFC 6761 §6.3) or a
// loopback address (127.0.0.0/8, ::1). It is the one test of this: the jar
// sends Secure cookies over plain http to these hosts (isSecureOrigin), and
// the transports of LoopbackTransport connect them to loopback without DNS
// and never through a proxy. Hosts must be canonicalised first, so that
// every spelling of a host ("127.0.0.1.", "app.ｌｏｃａｌｈｏｓｔ") gets
// both answers alike.
func isLoopbackHost(host string) bool {
	if isLocalhostName(host) {
		return true
	}
	a, ok := parseIP(host)
	return ok && a.IsLoopback()
}

// isLocalhostName reports whether a canonical host is "localhost" or a name
// under it (RFC 6761 §6.3).
func isLocalhostName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// The schemes, in one place: those cookies apply to (isCookieScheme), the
// http or https each stands for (webScheme), and those a session sends
// requests to (isWebScheme).

// webScheme maps a URL scheme to the http or https it stands for.
func webScheme(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https", "wss":
		return "https"
	}
	return "http"
}

// isWebScheme reports whether a URL scheme is http or https.
func isWebScheme(scheme string) bool {
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")
}

// isCookieScheme reports whether cookies apply to URLs of this scheme at all.
func isCookieScheme(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "http", "https", "ws", "wss":
		return true
	}
	return false
}

// domainMatch implements §5.1.3: host is domain, or host is a name (not an
// IP address) that ends with "." followed by domain.
func domainMatch(host, domain string) bool {
	if host == domain {
		return true
	}
	return len(host) > len(domain) && host[len(host)-len(domain)-1] == '.' &&
		strings.HasSuffix(host, domain) && !isIP(host)
}

// parentDomain returns d without its leftmost label, or "" at the top.
func parentDomain(d string) string {
	if i := strings.IndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return ""
}

// requestPath returns the path of u as it goes on the wire: escaped, and "/"
// when empty. Cookie paths are matched against this form (§5.1.4), as
// browsers do, so "/a%2Fb" and "/a/b" are different paths.
func requestPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" || p[0] != '/' {
		return "/"
	}
	if strings.IndexByte(p, '%') >= 0 {
		p = unescapeUnreserved(p)
	}
	return p
}

// unescapeUnreserved decodes the escapes of unreserved characters (RFC 3986
// §2.3: letters, digits, "-", ".", "_", "~"), which mean the same escaped or
// not, as browsers' URL canonicalisation does before cookies are matched:
// "/f%6Fo" is "/foo". Other escapes, such as "%2F", stay as they are.
func unescapeUnreserved(p string) string {
	var b []byte
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if c, ok := unhex2(p[i+1], p[i+2]); ok && isUnreserved(c) {
				if b == nil {
					b = append(make([]byte, 0, len(p)), p[:i]...)
				}
				b = append(b, c)
				i += 2
				continue
			}
		}
		if b != nil {
			b = append(b, p[i])
		}
	}
	if b == nil {
		return p
	}
	return string(b)
}

func unhex2(hi, lo byte) (byte, bool) {
	h, ok1 := unhex(hi)
	l, ok2 := unhex(lo)
	return h<<4 | l, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// defaultPath implements the default-path of §5.1.4: the request path up to,
// but not including, its last '/', or "/" if that leaves nothing.
func defaultPath(u *url.URL) string {
	p := requestPath(u)
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// pathMatch implements path-match of §5.1.4.
func pathMatch(requestPath, cookiePath string) bool {
	if requestPath == cookiePath {
		return true
	}
	if cookiePath == "" || !strings.HasPrefix(requestPath, cookiePath) {
		return false
	}
	return cookiePath[len(cookiePath)-1] == '/' || requestPath[len(cookiePath)] == '/'
}
