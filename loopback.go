package httpsession

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
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
// Hosts are recognised however they are written, as the jar recognises
// them when it decides to send Secure cookies: in any case, with a trailing
// dot ("127.0.0.1.", dialled as 127.0.0.1), or in Unicode that maps to these
// names ("app.ｌｏｃａｌｈｏｓｔ"). base's dialers are kept underneath: its
// DialContext, or its deprecated Dial if it has only that, and its
// DialTLSContext or DialTLS.
//
// A Session's own transport has these rules. Give base to LoopbackTransport
// before WithTransport, or before Jar.Transport, when you bring your own
// *http.Transport: the jar sends Secure cookies to these hosts over plain
// http.
func LoopbackTransport(base *http.Transport) *http.Transport {
	var t *http.Transport
	if base == nil {
		t = cloneDefaultTransport()
	} else {
		t = base.Clone()
	}
	keepLoopbackLocal(t)
	return t
}

// cloneDefaultTransport returns a clone of http.DefaultTransport, or a new
// transport if it was replaced by something else.
func cloneDefaultTransport() *http.Transport {
	if d, ok := http.DefaultTransport.(*http.Transport); ok && d != nil {
		return d.Clone()
	}
	return &http.Transport{}
}

// keepLoopbackLocal changes t's dialers and proxy function as
// LoopbackTransport describes.
func keepLoopbackLocal(t *http.Transport) {
	// A transport given to LoopbackTransport may still use the deprecated
	// Dial and DialTLS; they must keep working under the wrapped dialers.
	//lint:ignore SA1019 read only to wrap them, as the comment above says
	legacyDial, legacyDialTLS := t.Dial, t.DialTLS
	dial := t.DialContext
	if dial == nil && legacyDial != nil {
		dial = withoutContext(legacyDial)
	}
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	// DialContext takes precedence over Dial, and DialTLSContext over
	// DialTLS: the wrapped dialers are set as the context ones.
	t.DialContext = loopbackDialer(dial)
	switch {
	case t.DialTLSContext != nil:
		t.DialTLSContext = loopbackDialer(t.DialTLSContext)
	case legacyDialTLS != nil:
		t.DialTLSContext = loopbackDialer(withoutContext(legacyDialTLS))
	}
	if proxy := t.Proxy; proxy != nil {
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if host, err := canonicalHost(req.URL); err == nil && isLoopbackHost(host) {
				return nil, nil
			}
			return proxy(req)
		}
	}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// withoutContext adapts a dialer without a context, such as the deprecated
// http.Transport.Dial, to a dialFunc.
func withoutContext(dial func(network, addr string) (net.Conn, error)) dialFunc {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		return dial(network, addr)
	}
}

// loopbackDialer wraps dial so that the hosts isLoopbackHost accepts are
// never looked up: localhost names connect to the loopback addresses, and a
// loopback address is dialled as the IP it is ("127.0.0.1." has a trailing
// dot that would make the resolver ask DNS for it). The host of addr is
// canonicalised as the jar canonicalises a URL's host (canonicalName).
func loopbackDialer(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return dial(ctx, network, addr)
		}
		host, err = canonicalName(host)
		if err != nil || !isLoopbackHost(host) {
			return dial(ctx, network, addr)
		}
		if !isLocalhostName(host) {
			return dial(ctx, network, net.JoinHostPort(host, port))
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
