package httpsession

import (
	"net/http"
	"net/url"
)

// Reading cookies the way requests users do: response.cookies,
// session.cookies.get(name) and get_dict().

// ResponseCookies returns the cookies that resp's Set-Cookie lines set, as
// requests' response.cookies: read with the jar's own RFC 6265bis parser
// (§5.6) and stored by its rules (§5.7) against resp.Request.URL, so each
// has the domain, host-only flag, default path and expiry the jar would
// give it, in the order the lines came.
//
// Left out are the lines the jar would ignore or refuse (a Domain that does
// not match the host, a Secure cookie over http, a broken prefix, a
// supercookie on a public suffix), the cookies that are already expired
// (they delete a cookie rather than set one), and a cookie replaced by a
// later line of the same response. A response alone cannot tell whether a
// cookie the jar already holds would be shadowed (§5.7 step 16); the jar
// itself may still refuse such a cookie.
//
// The rules run with NewJar's defaults: the public suffix list
// golang.org/x/net/publicsuffix.List and the current time from time.Now
// (for Max-Age, Expires and the 400-day cap), not with the
// WithPublicSuffixList or WithClock of a jar that stores the response. A jar
// with another list or clock may decide otherwise about a cookie.
//
// Each hop of a redirect chain has its own response: resp.Request.Response
// is the one that redirected to resp, as requests' response.history. A nil
// resp, or one without its Request, has no cookies.
func ResponseCookies(resp *http.Response) []Cookie {
	if resp == nil || resp.Request == nil {
		return nil
	}
	lines := resp.Header.Values("Set-Cookie")
	if len(lines) == 0 {
		return nil
	}
	o, err := newOrigin(resp.Request.URL)
	if err != nil {
		return nil
	}
	// A jar of its own gives the rules their public suffix list, and holds
	// nothing that would change the outcome.
	j := NewJar()
	now := j.clock()
	var (
		out   []Cookie
		gone  []bool
		index = make(map[cookieID]int, len(lines))
	)
	j.mu.Lock()
	for _, line := range lines {
		c, ok := parseSetCookie(line)
		if !ok {
			continue
		}
		e, expired, err := j.rules(o, c, now)
		if err != nil {
			continue
		}
		id := e.id()
		if i, seen := index[id]; seen {
			out[i], gone[i] = e.Cookie, expired
			continue
		}
		if expired {
			continue
		}
		index[id] = len(out)
		out = append(out, e.Cookie)
		gone = append(gone, false)
	}
	j.mu.Unlock()
	kept := out[:0]
	for i := range out {
		if !gone[i] {
			kept = append(kept, out[i])
		}
	}
	return kept
}

// Cookie returns the cookie called name that the session would send to its
// base URL (WithBaseURL), as requests' session.cookies.get(name). Without a
// base URL it reports false, and says why in a warning to the session's
// logger (WithLogger): the jar holds cookies for many sites, and a name
// alone does not say which; use Jar().Get(u, name) for a URL.
func (s *Session) Cookie(name string) (Cookie, bool) {
	if s.baseURL == nil {
		if s.cfg.logger != nil {
			s.cfg.logger.Warn("httpsession: Session.Cookie needs a base URL (WithBaseURL) to know which site's cookie to return; use Jar().Get(u, name)")
		}
		return Cookie{}, false
	}
	return s.jar.Get(s.baseURL, name)
}

// CookieMap returns the cookies the session would send to rawURL as a map of
// names to values, as requests' session.cookies.get_dict(). A relative
// rawURL resolves against the base URL, and "" is the base URL itself. A
// URL that is not absolute after that, or does not parse, gets an empty map.
func (s *Session) CookieMap(rawURL string) map[string]string {
	u, err := s.resolve(rawURL)
	if err != nil {
		return map[string]string{}
	}
	return s.jar.CookieMap(u)
}

// CookieMap returns the cookies the jar would send to u as a map of names to
// values. Of two cookies with the same name (on different paths or
// domains), the map holds the one sent first: the longer path, then the
// earlier created (§5.8.3).
func (j *Jar) CookieMap(u *url.URL) map[string]string {
	m := make(map[string]string)
	j.refresh()
	j.mu.Lock()
	defer j.unlock()
	var buf [matchBuf]*entry
	for _, e := range j.match(buf[:0], u, j.clock(), false) {
		if _, dup := m[e.Name]; !dup {
			m[e.Name] = e.Value
		}
	}
	return m
}
