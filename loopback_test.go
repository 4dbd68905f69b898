package httpsession

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
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

func TestIsLocalhostName(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "localhost.": true, "a.localhost": true, "a.b.localhost.": true,
		"localhost.com": false, "notlocalhost": false, "example.com": false, "": false, "127.0.0.1": false,
	} {
		assert.Equal(t, want, isLocalhostName(host), host)
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": false, "::2": false, "a.localhost": true} {
		assert.Equal(t, want, isLoopbackHost(host), host)
	}
}
