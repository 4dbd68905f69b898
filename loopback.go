package httpsession

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The jar counts http://localhost, http://*.localhost and loopback addresses
// as secure origins, as browsers do (RFC 6265bis §5.8.3, "potentially
// trustworthy"), so Secure cookies go to them over plain http. That is safe
// only if the request really stays on the machine: RFC 6761 §6.3 says
// "localhost" names resolve to loopback, but Go's resolver asks DNS for
// "app.localhost", and a configured proxy would receive the request, Secure
// cookies in cleartext included. Browsers and curl resolve these names to
// loopback themselves and never proxy them; so does a Session's transport,
// and LoopbackTransport gives any *http.Transport the same rules.

// LoopbackTransport returns a clone of base (of http.DefaultTransport when
// base is nil) that keeps localhost on the machine: it connects
// "localhost" and every "*.localhost" name to 127.0.0.1, or ::1 if nothing
// listens there, without asking DNS, and sends requests to these names and
// to loopback addresses (127.0.0.0/8, ::1) directly, never through a proxy.
// Everything else goes as base would send it.
//
// A Session's own transport has these rules. Give base to LoopbackTransport
// before WithTransport, or before Jar.Transport, when you bring your own
// *http.Transport: the jar sends Secure cookies to these hosts over plain
// http.
func LoopbackTransport(base *http.Transport) *http.Transport {
	if base == nil {
		base, _ = http.DefaultTransport.(*http.Transport)
		if base == nil {
			base = &http.Transport{}
		}
	}
	t := base.Clone()
	keepLoopbackLocal(t)
	return t
}

// keepLoopbackLocal changes t's dialers and proxy function as
// LoopbackTransport describes.
func keepLoopbackLocal(t *http.Transport) {
	dial := t.DialContext
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	t.DialContext = loopbackDialer(dial)
	if t.DialTLSContext != nil {
		t.DialTLSContext = loopbackDialer(t.DialTLSContext)
	}
	if proxy := t.Proxy; proxy != nil {
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if isLoopbackHost(req.URL.Hostname()) {
				return nil, nil
			}
			return proxy(req)
		}
	}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// loopbackDialer wraps dial so that localhost names connect to the loopback
// addresses without a name lookup.
func loopbackDialer(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !isLocalhostName(host) {
			return dial(ctx, network, addr)
		}
		var errs []error
		for _, ip := range []string{"127.0.0.1", "::1"} {
			if network == "tcp4" && ip == "::1" || network == "tcp6" && ip == "127.0.0.1" {
				continue
			}
			c, err := dial(ctx, network, net.JoinHostPort(ip, port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}

// isLocalhostName reports whether host is "localhost" or a name under it
// (RFC 6761 §6.3), in any case, with or without a final dot.
func isLocalhostName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// isLoopbackHost reports whether a URL's host name is a localhost name or a
// loopback address.
func isLoopbackHost(host string) bool {
	if isLocalhostName(host) {
		return true
	}
	a, ok := parseIP(host)
	return ok && a.WithZone("").IsLoopback()
}
