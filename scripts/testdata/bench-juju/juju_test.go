// Package juju compares Save and Load with github.com/juju/persistent-cookiejar,
// the persistent jar Go programs used before this one, on the same cookies.
// It is in no module (testdata is skipped by the go command): the module
// proxy does not serve that package, so scripts/bench-juju.sh builds a
// throwaway module around this file from local checkouts (see there).
package juju

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	cookiejar "github.com/juju/persistent-cookiejar"

	"github.com/httpsession/httpsession"
)

// cookieCount is the jar size the comparison is stated for.
const cookieCount = 10000

// cookies gives 10 cookies to each of 1,000 hosts, as a crawl would.
func cookies() map[*url.URL][]*http.Cookie {
	out := make(map[*url.URL][]*http.Cookie)
	for h := range cookieCount / 10 {
		u := &url.URL{Scheme: "https", Host: fmt.Sprintf("www.site%d.example.com", h), Path: "/"}
		for c := range 10 {
			out[u] = append(out[u], &http.Cookie{
				Name: fmt.Sprintf("c%d", c), Value: fmt.Sprintf("v%032d", h*10+c),
				Path: "/", MaxAge: 86400, HttpOnly: c%2 == 0, Secure: c%3 == 0,
			})
		}
	}
	return out
}

func fill(j http.CookieJar) {
	for u, cs := range cookies() {
		j.SetCookies(u, cs)
	}
}

func BenchmarkSave(b *testing.B) {
	b.Run("impl=juju", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "cookies.json")
		j, err := cookiejar.New(&cookiejar.Options{Filename: path})
		if err != nil {
			b.Fatal(err)
		}
		fill(j)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := j.Save(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=ours", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "cookies.json")
		j := httpsession.NewJar(httpsession.WithLimits(0, 0))
		fill(j)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := j.Save(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	jujuPath, oursPath := filepath.Join(dir, "juju.json"), filepath.Join(dir, "ours.json")
	jj, err := cookiejar.New(&cookiejar.Options{Filename: jujuPath})
	if err != nil {
		b.Fatal(err)
	}
	fill(jj)
	if err := jj.Save(); err != nil {
		b.Fatal(err)
	}
	ours := httpsession.NewJar(httpsession.WithLimits(0, 0))
	fill(ours)
	if err := ours.Save(oursPath); err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{jujuPath, oursPath} {
		if fi, err := os.Stat(p); err == nil {
			b.Logf("%s: %d bytes", filepath.Base(p), fi.Size())
		}
	}
	b.Run("impl=juju", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			j, err := cookiejar.New(&cookiejar.Options{Filename: jujuPath})
			if err != nil {
				b.Fatal(err)
			}
			if n := len(j.AllCookies()); n != cookieCount {
				b.Fatalf("%d cookies", n)
			}
		}
	})
	b.Run("impl=ours", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			j := httpsession.NewJar(httpsession.WithLimits(0, 0), httpsession.WithClock(time.Now))
			if err := j.Load(oursPath); err != nil {
				b.Fatal(err)
			}
			if n := j.Len(); n != cookieCount {
				b.Fatalf("%d cookies", n)
			}
		}
	})
}
