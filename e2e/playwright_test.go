//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// playwrightEnv names a directory whose node_modules holds npm's
// playwright-core (npm install playwright-core in it), which drives
// Debian's chromium. .ci/run installs it and sets the variable; elsewhere
// the test skips without it (and fails under CI=true).
const playwrightEnv = "HTTPSESSION_PLAYWRIGHT_DIR"

// playwrightScript is run by node in the directory of playwrightEnv:
//
//	node - save BASE STATE   visit BASE/app/, which sets cookies and
//	                         localStorage, and write the storageState
//	node - load BASE STATE   start a context from STATE, visit
//	                         BASE/app/page and print localStorage's "k"
const playwrightScript = `
const { chromium } = require('playwright-core');
(async () => {
  const [mode, base, state] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--host-resolver-rules=MAP * 127.0.0.1', '--no-sandbox'] });
  try {
    if (mode === 'save') {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await ctx.newPage();
      await page.goto(base + '/app/?k=set');
      await page.waitForFunction(() => localStorage.getItem('k') === 'v');
      await ctx.storageState({ path: state });
    } else {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true, storageState: state });
      const page = await ctx.newPage();
      await page.goto(base + '/app/page?k=check');
      console.log(await page.evaluate(() => localStorage.getItem('k')));
    }
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(e); process.exit(1); });
`

// playwrightLines are the cookies the site sets: a login's.
var playwrightLines = []string{
	"sessionid=x7; Path=/; Secure; HttpOnly; SameSite=Lax",
	"csrftoken=c5; Path=/; Max-Age=86400; SameSite=Strict",
	"lang=en; Domain=example.test; Path=/",
	"__Host-pref=dark; Path=/; Secure",
	"deep=1; Path=/app",
	"chips=p; Path=/; Secure; SameSite=None; Partitioned",
}

// TestPlaywrightStorageStateBothWays hands a login from Playwright to a
// Session and back: the storageState Playwright writes after the site set
// its cookies opens as a Session that sends them, stays a storageState
// whose origins (localStorage) Playwright still loads after the Session
// saved its own cookie into it, and a context Playwright starts from it
// sends every cookie of the Session.
func TestPlaywrightStorageStateBothWays(t *testing.T) {
	dir := os.Getenv(playwrightEnv)
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: .ci/run installs playwright-core and sets it", playwrightEnv)
		}
		t.Skipf("set %s to a directory with node_modules/playwright-core (npm install playwright-core) to run Playwright", playwrightEnv)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skipf("no /usr/bin/chromium for Playwright to drive: %v", err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := r.URL.Query().Get("k")
		mu.Lock()
		seen[k] = r.Header.Get("Cookie")
		mu.Unlock()
		if k == "set" {
			w.Header()["Set-Cookie"] = playwrightLines
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<script>localStorage.setItem("k", "v")</script>`))
	}))
	// Chromium aborts the first handshakes with the test's certificate
	// before it takes it (--ignore-certificate-errors): nothing to log.
	site.Config.ErrorLog = log.New(io.Discard, "", 0)
	site.StartTLS()
	t.Cleanup(site.Close)
	_, port, err := net.SplitHostPort(site.Listener.Addr().String())
	require.NoError(t, err)
	base := "https://www.example.test:" + port
	state := filepath.Join(t.TempDir(), "state.json")
	node := func(mode string) string {
		ctx, cancel := context.WithTimeout(testContext(t), patience)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "-", mode, base, state)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(playwrightScript)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "node %s: %s", mode, out)
		return strings.TrimSpace(string(out))
	}
	pairs := func(header string) []string {
		p := strings.Split(header, "; ")
		sort.Strings(p)
		return p
	}
	origins := func() string {
		data, err := os.ReadFile(state)
		require.NoError(t, err)
		var doc struct{ Origins json.RawMessage }
		require.NoError(t, json.Unmarshal(data, &doc))
		return string(doc.Origins)
	}

	node("save")
	before := origins()
	require.Contains(t, before, `"value": "v"`)
	s, err := httpsession.Open(state)
	require.NoError(t, err)
	want := httpsession.NewJar()
	u, err := url.Parse("https://www.example.test/app/")
	require.NoError(t, err)
	want.SetRawCookies(u, playwrightLines)
	page, err := url.Parse("https://www.example.test/app/page")
	require.NoError(t, err)
	assert.Equal(t, pairs(want.CookieHeader(page)), pairs(s.Jar().CookieHeader(page)), "the Session sends what the site set")
	require.NoError(t, s.Jar().ImportCookieHeader(page, "fromgo=1"))
	require.NoError(t, s.Close())
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	f, err := httpsession.DetectFormat(data)
	require.NoError(t, err)
	assert.Equal(t, httpsession.FormatPlaywright, f, "the Session kept the file a storageState")
	assert.Equal(t, before, origins(), "and its origins as they were")

	assert.Equal(t, "v", node("load"), "Playwright loads the origins")
	mu.Lock()
	sent := seen["check"]
	mu.Unlock()
	j := httpsession.NewJar()
	require.NoError(t, j.Load(state))
	assert.Equal(t, pairs(j.CookieHeader(page)), pairs(sent), "Playwright sends every cookie of the file")
	assert.Contains(t, pairs(sent), "fromgo=1")
	assert.Contains(t, pairs(sent), "chips=p", "a partitioned cookie too")
}
