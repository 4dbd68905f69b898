package httpsession

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Transport is an http.RoundTripper that handles cookies with a Jar: it sets
// each request's Cookie header from the jar and stores each response's raw
// Set-Cookie lines with the jar's own parser, so that no cookie is lost to
// net/http's strict one. Every hop of a redirect chain passes through it, so
// the cookies of each hop are stored before the next hop is sent.
//
// Use it in place of http.Client.Jar, with any client (resty, colly, an SDK):
//
//	client := &http.Client{Transport: jar.Transport(nil)}
//
// Leave the client's Jar nil, or cookies are handled twice. A Cookie header
// already on a request is kept: its cookies replace the jar's cookies of the
// same name for that request. Transport is safe for concurrent use.
type Transport struct {
	// Jar holds the cookies. It must not be nil.
	Jar *Jar
	// Base sends the requests. Nil means a transport of the Transport's
	// own, made on first use by LoopbackTransport(nil): http.DefaultTransport's
	// settings, with localhost kept on the machine.
	Base http.RoundTripper

	// changed, if set, is called after a response changed the jar.
	changed func()

	once sync.Once
	own  *http.Transport // the default Base, made on first use
}

// Transport returns a Transport that keeps its cookies in j and sends
// requests with base. A nil base means a transport of its own with
// http.DefaultTransport's settings, which connects localhost names to
// loopback and never sends them through a proxy (see LoopbackTransport):
// the jar sends Secure cookies to them over plain http, as browsers do. Wrap
// a base of your own with LoopbackTransport for the same safety.
func (j *Jar) Transport(base http.RoundTripper) *Transport {
	return &Transport{Jar: j, Base: base}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	t.once.Do(func() { t.own = LoopbackTransport(nil) })
	return t.own
}

// CloseIdleConnections closes the idle connections of the base transport,
// if it has such a method; http.Client.CloseIdleConnections calls it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the caller's request: work on a copy
	// whose header map is our own.
	r := req.Clone(req.Context())
	// Cookies given for one request (Cookies, CookieMap, a Cookie header)
	// go to the origin they were given for: not to another host or port
	// a redirect leads to, and never from https down to http.
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	own := sameOrigin(first.URL, req.URL)
	var extra []*http.Cookie
	if rc := requestCookies(req); rc != nil && own && sameHost(rc.host, req.URL) {
		extra = wireCookies(rc.cookies)
	}
	// Cookies the caller put in the header replace the jar's of that name.
	if own {
		for _, line := range r.Header.Values("Cookie") {
			extra = append(extra, parseCookieHeader(line)...)
		}
	}
	// Set, never add: a retried or redirected request must not carry the
	// jar's cookies twice.
	h := t.Jar.cookieHeaderWith(req.URL, extra)
	if h != "" {
		r.Header.Set("Cookie", h)
	} else {
		r.Header.Del("Cookie")
	}
	resp, err := t.base().RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if lines := resp.Header.Values("Set-Cookie"); len(lines) > 0 {
		before := t.Jar.changeCount()
		// What the request carried tells a deletion which copy of a
		// cookie the server saw (see Jar.serverDelete).
		t.Jar.storeResponse(req.URL, lines, &h)
		if t.changed != nil && t.Jar.changeCount() != before {
			t.changed()
		}
	}
	return resp, nil
}

// wireCookies returns per-request cookies (see Cookies) as they are sent:
// a value with a space or a comma in double quotes, as net/http's
// Cookie.String writes it, so that no server reads "dark is_admin=1" as
// two cookies. It returns a new slice and leaves cs alone.
func wireCookies(cs []*http.Cookie) []*http.Cookie {
	out := make([]*http.Cookie, len(cs))
	for i, c := range cs {
		if !c.Quoted && strings.ContainsAny(c.Value, " ,") {
			q := *c
			q.Quoted = true
			c = &q
		}
		out[i] = c
	}
	return out
}

// parseCookieHeader splits a Cookie header value into its pairs, leniently:
// "a=1; b=2", and a pair without '=' is a nameless cookie.
func parseCookieHeader(line string) []*http.Cookie {
	var out []*http.Cookie
	for _, part := range strings.Split(line, ";") {
		part = trimWSP(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			name, value = "", part
		}
		out = append(out, &http.Cookie{Name: trimWSP(name), Value: trimWSP(value)})
	}
	return out
}

// cookieHeaderWith is CookieHeader with extra cookies for this request only:
// they replace the jar's cookies of the same name and follow them.
func (j *Jar) cookieHeaderWith(u *url.URL, extra []*http.Cookie) string {
	if len(extra) == 0 {
		return j.CookieHeader(u)
	}
	j.refresh()
	names := make(map[string]bool, len(extra))
	for _, c := range extra {
		names[c.Name] = true
	}
	var buf [matchBuf]*entry
	j.mu.Lock()
	entries := j.match(buf[:0], u, j.clock(), true)
	var b strings.Builder
	b.Grow(headerLen(entries))
	for _, e := range entries {
		if names[e.Name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		e.appendHeader(&b)
	}
	j.mu.Unlock()
	for _, c := range extra {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		ck := Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted}
		ck.appendHeader(&b)
	}
	return b.String()
}

// changeCount returns the jar's change counter, to tell whether a response
// changed anything.
func (j *Jar) changeCount() uint64 {
	j.mu.Lock()
	defer j.unlock()
	return j.changes
}

// requestCookiesKey carries a request's own cookies (see Cookies) in its
// context, through every hop of its redirects.
type requestCookiesKey struct{}

type reqCookies struct {
	host    string // the host they were meant for
	cookies []*http.Cookie
}

func withRequestCookies(ctx context.Context, host string, cookies []*http.Cookie) context.Context {
	return context.WithValue(ctx, requestCookiesKey{}, &reqCookies{host: host, cookies: cookies})
}

func requestCookies(req *http.Request) *reqCookies {
	rc, _ := req.Context().Value(requestCookiesKey{}).(*reqCookies)
	return rc
}

// sameHost reports whether u is on host (host name and port, lower case).
func sameHost(host string, u *url.URL) bool {
	return strings.EqualFold(host, u.Host)
}
