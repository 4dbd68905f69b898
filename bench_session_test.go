package httpsession

// The cost of autosaving: a session made by Open crawls a local server and
// saves its cookies as it goes (DefaultSaveInterval) and on Close, against
// the same crawl by a session made by New, which has no file. See
// scripts/bench.sh and BENCHMARKS.md.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const (
	crawlRequests = 10000
	crawlHosts    = 100
)

// crawlServer answers every page of every host with a page-view counter
// cookie, so that every response changes the jar, and gives each host a
// session cookie on the first visit.
func crawlServer(b *testing.B) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		views := 0
		if c, err := r.Cookie("views"); err == nil {
			views, _ = strconv.Atoi(c.Value)
		}
		h := w.Header()
		h.Add("Set-Cookie", "views="+strconv.Itoa(views+1)+"; Path=/; Max-Age=3600")
		if _, err := r.Cookie("sid"); err != nil {
			h.Add("Set-Cookie", "sid=s"+strconv.FormatInt(time.Now().UnixNano(), 36)+"; Path=/; HttpOnly")
		}
		_, _ = io.WriteString(w, "<html><body>a page</body></html>")
	}))
	b.Cleanup(ts.Close)
	return ts
}

// loopbackTransport sends requests for any host name to addr, so that one
// server stands for many sites.
func loopbackTransport(addr string) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 2,
	}
}

// crawl sends crawlRequests GET requests through s, in turn to crawlHosts
// hosts, and reads every response.
func crawl(b *testing.B, s *Session, port string) {
	ctx := context.Background()
	for i := range crawlRequests {
		u := fmt.Sprintf("http://site%d.test:%s/page/%d", i%crawlHosts, port, i/crawlHosts)
		resp, err := s.Get(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

// BenchmarkCrawl times one crawl of crawlRequests requests per op, from
// making the session to closing it (which saves an Open session). The
// "autosave" session saves at the default interval, and "autosave-10ms"
// every 10ms, many times in each crawl.
func BenchmarkCrawl(b *testing.B) {
	ts := crawlServer(b)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	// One crawl first, untimed, so that the first session measured does
	// not pay alone for warming up the server and the runtime.
	warmTr := loopbackTransport(ts.Listener.Addr().String())
	warm, err := New(WithTransport(warmTr))
	if err != nil {
		b.Fatal(err)
	}
	crawl(b, warm, port)
	_ = warm.Close()
	warmTr.CloseIdleConnections()
	for _, impl := range []string{"memory", "autosave", "autosave-10ms"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			tr := loopbackTransport(ts.Listener.Addr().String())
			defer tr.CloseIdleConnections()
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				var s *Session
				var err error
				path := filepath.Join(dir, fmt.Sprintf("crawl%d.json", i))
				switch impl {
				case "memory":
					s, err = New(WithTransport(tr))
				case "autosave":
					s, err = Open(path, WithTransport(tr))
				default:
					s, err = Open(path, WithTransport(tr), WithSaveInterval(10*time.Millisecond))
				}
				if err != nil {
					b.Fatal(err)
				}
				crawl(b, s, port)
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				if n := s.Jar().Len(); n != 2*crawlHosts {
					b.Fatalf("%d cookies, want %d", n, 2*crawlHosts)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*crawlRequests), "ns/request")
		})
	}
}
