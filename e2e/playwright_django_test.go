//go:build unix

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// playwrightDjangoScript is run by node in the directory of playwrightEnv:
//
//	node - login BASE STATE USER PASSWORD   log in through Django's form in
//	                                         a browser, write the storageState
//	node - visit BASE STATE                 start from STATE, print what
//	                                         BASE/private/ shows
const playwrightDjangoScript = `
const { chromium } = require('playwright-core');
(async () => {
  const [mode, base, state, user, password] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    if (mode === 'login') {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(base + '/accounts/login/?next=/private/');
      await page.fill('input[name=username]', user);
      await page.fill('input[name=password]', password);
      await Promise.all([page.waitForURL('**/private/'), page.click('[type=submit]')]);
      await ctx.storageState({ path: state });
    } else {
      const ctx = await browser.newContext({ storageState: state });
      const page = await ctx.newPage();
      await page.goto(base + '/private/');
      console.log(new URL(page.url()).pathname + ' ' + (await page.textContent('body')).trim().split('\n')[0]);
    }
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(e); process.exit(1); });
`

// A login made with Playwright, in a real browser through Django's form,
// opens as a logged-in Session; and a login the Session made, exported as a
// storageState, gives Playwright a logged-in page.
func TestPlaywrightDjangoLoginBothWays(t *testing.T) {
	dir := os.Getenv(playwrightEnv)
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: .ci/run installs playwright-core and sets it", playwrightEnv)
		}
		t.Skipf("set %s to a directory with node_modules/playwright-core to run Playwright", playwrightEnv)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skipf("no /usr/bin/chromium for Playwright to drive: %v", err)
	}
	srv := djangoServer(t)
	node := func(args ...string) string {
		ctx, cancel := context.WithTimeout(testContext(t), patience)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", append([]string{"-"}, args...)...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(playwrightDjangoScript)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "node %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}

	// Playwright logs in; the Session takes it from there.
	state := filepath.Join(t.TempDir(), "state.json")
	node("login", srv.url, state, djangoUser, djangoPassword)
	s := openSession(t, state, httpsession.WithBaseURL(srv.url))
	require.NoError(t, fetchPrivate(testContext(t), s), "the Session is logged in with Playwright's login")

	// The Session logs in; Playwright takes it from there.
	endSessions(t, srv)
	fresh := newSession(t, reloginOptions(srv.url)...)
	require.NoError(t, fetchPrivate(testContext(t), fresh), "the Session logs in by itself")
	out := filepath.Join(t.TempDir(), "exported.json")
	require.NoError(t, fresh.Jar().ExportFile(testContext(t), out, httpsession.FormatPlaywright))
	assert.Equal(t, "/private/ Logged in as "+djangoUser+".", node("visit", srv.url, out))
}
