package httpsession

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialRecorder is a DialContext that records the addresses it is asked to
// connect to: a host name there would go to the resolver, and DNS.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialRecorder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *dialRecorder) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// proxyRecorder is an HTTP proxy that records what it is asked for and
// answers every request itself.
func proxyRecorder(t *testing.T) (*url.URL, *sessRecorder) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	return u, rec
}

// Item 10 (RFC 6761 §6.3): localhost names are loopback. The session
// connects them to 127.0.0.1 itself, never asks the resolver, and never
// sends them, or a loopback address, through a proxy: a Secure cookie,
// which the jar sends to these origins over plain http, stays on the
// machine.
func TestLocalhostNamesStayOnTheMachine(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	port := sessPort(t, ts)
	proxy, proxied := proxyRecorder(t)

	for _, host := range []string{"localhost", "app.localhost", "deep.name.that-no-dns-knows.localhost", "APP.LOCALHOST", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			j := NewJar()
			require.NoError(t, j.Set(Cookie{Name: "sid", Value: "s3cret", Domain: host, HostOnly: true, Secure: true}))
			s := sessNew(t, WithJar(j), WithProxy(http.ProxyURL(proxy)))
			path := "/" + host
			sessDone(t)(s.Get(context.Background(), "http://"+host+":"+port+path))
			seen := rec.one(t, path)
			assert.Equal(t, "sid=s3cret", seen.Header.Get("Cookie"), "the Secure cookie went to the server")
			assert.Empty(t, proxied.byPath(path), "and not to the proxy")
		})
	}
	// Other hosts still use the proxy.
	s := sessNew(t, WithProxy(http.ProxyURL(proxy)))
	sessDone(t)(s.Get(context.Background(), "http://example.test/elsewhere"))
	assert.Len(t, proxied.byPath("/elsewhere"), 1)
}

func TestLoopbackTransportNeverAsksTheResolver(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	port := sessPort(t, ts)
	d := &dialRecorder{}
	proxy, proxied := proxyRecorder(t)
	base := &http.Transport{DialContext: d.dial, Proxy: http.ProxyURL(proxy)}
	tr := LoopbackTransport(base)
	assert.NotSame(t, base, tr, "base is cloned, not changed")

	j := NewJar()
	client := &http.Client{Transport: j.Transport(tr)}
	resp, err := client.Get("http://api.localhost:" + port + "/direct")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, rec.byPath("/direct"), 1)
	assert.Equal(t, []string{"127.0.0.1:" + port}, d.all(), "the dialer got the loopback address, not the name")
	assert.Empty(t, proxied.all())

	// Jar.Transport(nil) has the same rules.
	j2 := NewJar()
	require.NoError(t, j2.Set(Cookie{Name: "sid", Value: "v", Domain: "svc.localhost", HostOnly: true, Secure: true}))
	c2 := &http.Client{Transport: j2.Transport(nil)}
	resp, err = c2.Get("http://svc.localhost:" + port + "/default")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "sid=v", rec.one(t, "/default").Header.Get("Cookie"))
	c2.CloseIdleConnections()
}

func TestLoopbackTransportFallsBackToIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback on this machine")
	}
	rec := &sessRecorder{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rec.record(r) }))
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)
	_, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	// Nothing listens on 127.0.0.1 at that port (unless by chance, which
	// the test then also accepts: the request reached a loopback server).
	s := sessNew(t)
	resp, err := s.Get(context.Background(), "http://v6.localhost:"+port+"/six")
	if err != nil {
		t.Skipf("127.0.0.1:%s is taken by another program: %v", port, err)
	}
	require.NoError(t, resp.Body.Close())
	assert.Len(t, rec.byPath("/six"), 1)
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "a.localhost": true, "a.b.localhost": true,
		"localhost.com": false, "notlocalhost": false, "example.com": false, "": false, "127.0.0.1": false,
	} {
		assert.Equal(t, want, isLocalhostName(host), host)
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": false, "::2": false, "a.localhost": true} {
		assert.Equal(t, want, isLoopbackHost(host), host)
	}
}

// loopbackSpellings are ways to write a host that stays on the machine
// which a URL parser maps to localhost names and loopback addresses: the
// jar canonicalises them (RFC 6265bis §5.1.2: lower case, IDNA/UTS #46 to
// ASCII, no trailing dot), so the transport must recognise them too. cookie
// is the canonical host the jar holds its cookie under.
var loopbackSpellings = []struct {
	name, host, cookie string
}{
	{"an IPv4 loopback address with a trailing dot", "127.0.0.1.", "127.0.0.1"},
	{"localhost with a trailing dot", "LocalHost.", "localhost"},
	{"fullwidth letters, which UTS #46 maps to ASCII", "app.ｌｏｃａｌｈｏｓｔ", "app.localhost"},
	{"an ideographic full stop, percent-encoded, which maps to '.'", "app%E3%80%82localhost", "app.localhost"},
	{"a trailing soft hyphen, which UTS #46 maps to nothing", "app.localhost\u00ad", "app.localhost"},
}

// Item 10, every spelling: a host the jar treats as a secure origin because
// it never leaves the machine (RFC 6265bis §5.8.3; RFC 6761 §6.3) is the
// same host to the transport: it is not sent through the proxy, the server
// gets the Secure cookie, and the dialer is given a loopback address, never
// a name for the resolver ("127.0.0.1." is a DNS query).
func TestEverySpellingOfLoopbackStaysOnTheMachine(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	port := sessPort(t, ts)
	proxy, proxied := proxyRecorder(t)
	for i, tt := range loopbackSpellings {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJar()
			require.NoError(t, j.Set(Cookie{Name: "sid", Value: "s3cret", Domain: tt.cookie, HostOnly: true, Secure: true}))
			rawURL := func(path string) string { return "http://" + tt.host + ":" + port + path }

			// The session's own transport, with WithProxy.
			s := sessNew(t, WithJar(j), WithProxy(http.ProxyURL(proxy)))
			path := fmt.Sprintf("/session%d", i)
			sessDone(t)(s.Get(context.Background(), rawURL(path)))
			assert.Equal(t, "sid=s3cret", rec.one(t, path).Header.Get("Cookie"), "the Secure cookie went to the server")
			assert.Empty(t, proxied.byPath(path), "and not to the proxy")

			// LoopbackTransport over a transport of the caller's own.
			d := &dialRecorder{}
			tr := LoopbackTransport(&http.Transport{DialContext: d.dial, Proxy: http.ProxyURL(proxy)})
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: j.Transport(tr)}
			path = fmt.Sprintf("/transport%d", i)
			resp, err := client.Get(rawURL(path))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, "sid=s3cret", rec.one(t, path).Header.Get("Cookie"))
			assert.Empty(t, proxied.byPath(path))
			require.NotEmpty(t, d.all())
			for _, addr := range d.all() {
				host, _, err := net.SplitHostPort(addr)
				require.NoError(t, err)
				_, err = netip.ParseAddr(host)
				assert.NoError(t, err, "the dialer got an IP address, not the name %q", host)
			}
			assert.Equal(t, "127.0.0.1:"+port, d.all()[0])
		})
	}
}

// One test decides whether a host stays on the machine: the jar sends it
// Secure cookies over http (RFC 6265bis §5.8.3) exactly when the transport
// keeps it away from the proxy.
func TestJarAndTransportAgreeOnLoopback(t *testing.T) {
	proxy := &url.URL{Scheme: "http", Host: "proxy.example:3128"}
	tr := LoopbackTransport(&http.Transport{Proxy: http.ProxyURL(proxy)})
	hosts := []string{"example.com", "localhost.example.com", "127.0.0.1.example", "app.localhost..",
		"[::1]", "[::ffff:127.0.0.1]", "127.1.2.3", "10.0.0.1", "ＬＯＣＡＬＨＯＳＴ", "[fe80::1%25lo]"}
	for _, tt := range loopbackSpellings {
		hosts = append(hosts, tt.host)
	}
	for _, host := range hosts {
		u, err := url.Parse("http://" + host + "/")
		require.NoError(t, err, host)
		o, err := newOrigin(u)
		require.NoError(t, err, host)
		p, err := tr.Proxy(&http.Request{URL: u})
		require.NoError(t, err)
		assert.Equal(t, o.secure, p == nil, "%s: a secure origin is never proxied, and only it", host)
	}
}

// A transport that still sets the deprecated Dial or DialTLS keeps them:
// LoopbackTransport sets DialContext and DialTLSContext, which take
// precedence, so they must call the caller's dialers.
func TestLoopbackTransportKeepsDeprecatedDialers(t *testing.T) {
	var mu sync.Mutex
	var dialed, dialedTLS []string
	record := func(to *[]string, addr string) {
		mu.Lock()
		defer mu.Unlock()
		*to = append(*to, addr)
	}
	got := func(from *[]string) []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), *from...)
	}

	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rec.record(r) }))
	t.Cleanup(tlsServer.Close)
	tlsConfig := tlsServer.Client().Transport.(*http.Transport).TLSClientConfig.Clone()

	base := &http.Transport{}
	//lint:ignore SA1019 the deprecated fields are what this test is about
	base.Dial, base.DialTLS = func(network, addr string) (net.Conn, error) {
		record(&dialed, addr)
		return net.Dial(network, addr)
	}, func(network, addr string) (net.Conn, error) {
		record(&dialedTLS, addr)
		return tls.Dial(network, addr, tlsConfig)
	}
	tr := LoopbackTransport(base)
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}

	resp, err := client.Get("http://api.localhost:" + sessPort(t, ts) + "/plain")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, rec.byPath("/plain"), 1)
	assert.Equal(t, []string{"127.0.0.1:" + sessPort(t, ts)}, got(&dialed), "Dial was called, with the loopback address")

	tlsPort := sessPort(t, tlsServer)
	resp, err = client.Get("https://api.localhost:" + tlsPort + "/tls")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, rec.byPath("/tls"), 1)
	assert.Equal(t, []string{"127.0.0.1:" + tlsPort}, got(&dialedTLS), "DialTLS was called, with the loopback address")
	assert.Len(t, got(&dialed), 1, "and not Dial")
}
