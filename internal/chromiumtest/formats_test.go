//go:build linux

package chromiumtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// formatLines are cookies of every kind a login may leave, set by
// https://www.example.test/app/.
var formatLines = []string{
	"sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
	"lang=en; Domain=example.test; Path=/; Max-Age=86400",
	"strict=1; Path=/; Secure; SameSite=Strict; Max-Age=3600",
	"cross=1; Path=/; Secure; SameSite=None",
	"__Host-csrf=t0k; Path=/; Secure",
	"deep=1; Path=/app",
	`json={"k":[1,2]}; Path=/`,
	"utf8=héllo; Path=/",
	"chips=p; Path=/; Secure; SameSite=None; Partitioned",
}

// formatChecks are the pages whose Cookie header is compared.
var formatChecks = []string{
	"https://www.example.test/app/page",
	"https://www.example.test/",
	"https://shop.example.test/",
	"http://www.example.test/app/",
}

// TestCDPCookiesOfChromium reads the cookies a real Chromium holds, as the
// DevTools Protocol gives them (Storage.getCookies, the object form of
// FormatCDP), into a jar; and gives Chromium a jar's cookies in FormatCDP
// (Storage.setCookies). Either way, the Cookie header sent to every page is
// the same, and the attributes survive.
func TestCDPCookiesOfChromium(t *testing.T) {
	bin := requireChromium(t)
	ctx := budgetContext(t)
	srv := startServers(t)
	b := launchBrowser(ctx, t, bin)

	pageURL := func(raw, token string) string {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		port := srv.httpPort
		if u.Scheme == "https" {
			port = srv.httpsPort
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
		u.RawQuery = "k=" + token
		return u.String()
	}
	chromiumHeader := func(raw, token string) string {
		require.NoError(t, b.navigate(ctx, pageURL(raw, token)))
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.reqs[token].cookie
	}
	sorted := func(header string) []string {
		if header == "" {
			return nil
		}
		parts := strings.Split(header, "; ")
		sort.Strings(parts)
		return parts
	}

	// Chromium to the jar.
	srv.mu.Lock()
	srv.sets["fmt-set"] = formatLines
	srv.mu.Unlock()
	require.NoError(t, b.navigate(ctx, pageURL("https://www.example.test/app/", "fmt-set")))
	var got json.RawMessage
	require.NoError(t, b.call(ctx, "", "Storage.getCookies", map[string]any{}, &got))
	format, err := httpsession.DetectFormat(got)
	require.NoError(t, err)
	assert.Equal(t, httpsession.FormatCDP, format, "%s", got)
	jar := httpsession.NewJar()
	require.NoError(t, jar.Import(bytes.NewReader(got)), "%s", got)
	require.Equal(t, len(formatLines), jar.Len(), "%s", got)
	for i, check := range formatChecks {
		u, err := url.Parse(check)
		require.NoError(t, err)
		want := chromiumHeader(check, fmt.Sprintf("fmt-in-%d", i))
		assert.Equal(t, sorted(want), sorted(jar.CookieHeader(u)), "%s\n%s", check, got)
	}
	byName := map[string]httpsession.Cookie{}
	for _, c := range jar.All() {
		byName[c.Name] = c
	}
	assert.True(t, byName["sid"].HostOnly && byName["sid"].Secure && byName["sid"].HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, byName["sid"].SameSite)
	assert.False(t, byName["lang"].HostOnly)
	assert.Equal(t, "example.test", byName["lang"].Domain)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), byName["lang"].Expires, time.Minute)
	assert.True(t, byName["sid"].Expires.IsZero())
	assert.Equal(t, http.SameSiteStrictMode, byName["strict"].SameSite)
	assert.Equal(t, http.SameSiteNoneMode, byName["cross"].SameSite)
	assert.True(t, byName["chips"].Partitioned, "%s", got)
	assert.Equal(t, "/app", byName["deep"].Path)

	// The jar to Chromium.
	own := httpsession.NewJar()
	u, err := url.Parse("https://www.example.test/app/")
	require.NoError(t, err)
	own.SetRawCookies(u, formatLines)
	var out bytes.Buffer
	require.NoError(t, own.Export(&out, httpsession.FormatCDP))
	var cookies []json.RawMessage
	require.NoError(t, json.Unmarshal(out.Bytes(), &cookies))
	require.NoError(t, b.clearCookies(ctx))
	require.NoError(t, b.call(ctx, "", "Storage.setCookies", map[string]any{"cookies": cookies}, nil), "%s", out.Bytes())
	for i, check := range formatChecks {
		u, err := url.Parse(check)
		require.NoError(t, err)
		want := own.CookieHeader(u)
		assert.Equal(t, sorted(want), sorted(chromiumHeader(check, fmt.Sprintf("fmt-out-%d", i))), "%s\n%s", check, out.Bytes())
	}
	// And back: what Chromium made of our records is what we wrote, but
	// for the order (Chromium lists longer paths first).
	require.NoError(t, b.call(ctx, "", "Storage.getCookies", map[string]any{}, &got))
	again := httpsession.NewJar()
	require.NoError(t, again.Import(bytes.NewReader(got)))
	var back bytes.Buffer
	require.NoError(t, again.Export(&back, httpsession.FormatCDP))
	assert.Equal(t, records(t, out.Bytes()), records(t, back.Bytes()))
}

// records returns the records of a CDP array, by name.
func records(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var list []json.RawMessage
	require.NoError(t, json.Unmarshal(data, &list))
	out := map[string]string{}
	for _, r := range list {
		var c struct{ Name string }
		require.NoError(t, json.Unmarshal(r, &c))
		out[c.Name] = string(r)
	}
	return out
}
