package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

func TestConvertNetscapeToNative(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := netscapeFile(t, dir)
	out := filepath.Join(dir, "out.json")
	code, stdout, errOut := cookiejar(t, "convert", in, out)
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, stdout)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("{")), "native output")
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, out)))
	assert.Len(t, load(t, out), 3)

	// And back, under a name that says nothing: -to decides.
	back := filepath.Join(dir, "back.cookies")
	code, _, errOut = cookiejar(t, "convert", "-to", "netscape", out, back)
	require.Equal(t, exitOK, code, errOut)
	data, err = os.ReadFile(back)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("# Netscape HTTP Cookie File")))
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, back)))
}

func TestConvertNativeToNetscape(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := nativeFile(t, dir)
	out := filepath.Join(dir, "cookies.txt")
	code, _, errOut := cookiejar(t, "convert", in, out)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, out)))

	again := filepath.Join(dir, "again.json")
	code, _, errOut = cookiejar(t, "convert", out, again)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, again)))
}

func TestConvertNativeToNativeKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := nativeFile(t, dir)
	out := filepath.Join(dir, "copy.data")
	code, _, errOut := cookiejar(t, "convert", "-to", "native", in, out)
	require.Equal(t, exitOK, code, errOut)
	want, got := load(t, in), load(t, out)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].SameSite, got[i].SameSite)
		assert.Equal(t, want[i].Partitioned, got[i].Partitioned)
		assert.True(t, want[i].Created.Equal(got[i].Created))
		assert.True(t, want[i].Expires.Equal(got[i].Expires))
	}
	assert.Equal(t, carriedOf(want), carriedOf(got))
}

func TestConvertWritesMode0600(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	in := netscapeFile(t, dir)
	for _, name := range []string{"new.json", "new.txt"} {
		out := filepath.Join(dir, name)
		code, _, errOut := cookiejar(t, "convert", in, out)
		require.Equal(t, exitOK, code, errOut)
		fi, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
}

func TestConvertKeepsAnExistingFileWithoutForce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := netscapeFile(t, dir)
	out := writeFile(t, dir, "out.json", "precious")
	code, stdout, errOut := cookiejar(t, "convert", in, out)
	assert.Equal(t, exitFailure, code)
	assert.Empty(t, stdout)
	assert.Contains(t, errOut, out)
	assert.Contains(t, errOut, "-f")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data))
}

func TestConvertForceReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := netscapeFile(t, dir)
	// An existing native file: Save alone would merge its cookie in.
	old := httpsession.NewJar()
	require.NoError(t, old.Set(httpsession.Cookie{Name: "stale", Value: "1", Domain: "old.example", HostOnly: true}))
	for _, out := range []string{
		filepath.Join(dir, "native.json"),
		filepath.Join(dir, "netscape.txt"),
	} {
		if strings.HasSuffix(out, ".json") {
			require.NoError(t, old.Save(out))
		} else {
			require.NoError(t, old.SaveNetscape(out))
		}
		code, _, errOut := cookiejar(t, "convert", "-f", in, out)
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, out)), out)
	}

	// A corrupt file is replaced too with -f.
	out := writeFile(t, dir, "corrupt.json", `{"version": 1, "cookies": [`)
	code, _, errOut := cookiejar(t, "convert", "-f", in, out)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, out)))
}

func TestConvertOutputFormat(t *testing.T) {
	t.Parallel()
	const bad = httpsession.Format(-1)
	for _, tc := range []struct {
		to, path string
		want     httpsession.Format
	}{
		{"", "a.json", httpsession.FormatJSON},
		{"", "A.JSON", httpsession.FormatJSON},
		{"", "cookies.txt", httpsession.FormatNetscape},
		{"native", "cookies.txt", httpsession.FormatJSON},
		{"netscape", "a.json", httpsession.FormatNetscape},
		{"playwright", "state.json", httpsession.FormatPlaywright},
		{"Cookie-Editor", "a.json", httpsession.FormatCookieEditor},
		{"editthiscookie", "a", httpsession.FormatCookieEditor},
		{"cdp", "a.json", httpsession.FormatCDP},
		{"puppeteer", "a.json", httpsession.FormatCDP},
		{"", "cookies", bad},
		{"yaml", "a.json", bad},
	} {
		got, err := outputFormat(tc.to, tc.path)
		if tc.want == bad {
			assert.Error(t, err, tc)
			continue
		}
		require.NoError(t, err, tc)
		assert.Equal(t, tc.want, got, tc)
	}
}

func TestCleanSession(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{netscapeFile(t, dir), nativeFile(t, dir)} {
		before := load(t, path)
		code, out, errOut := cookiejar(t, "clean", "-session", path)
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, path+": 2 cookies kept, 1 session cookie removed\n", out)

		after := load(t, path)
		var want []httpsession.Cookie
		for _, c := range before {
			if !c.Expires.IsZero() {
				want = append(want, c)
			}
		}
		assert.Equal(t, carriedOf(want), carriedOf(after), path)

		// The file keeps its format.
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, strings.HasSuffix(path, ".json"), bytes.HasPrefix(data, []byte("{")), path)
	}
}

func TestCleanDropsExpiredKeepsSession(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "cookies.txt", fmt.Sprintf(
		"example.com\tFALSE\t/\tFALSE\t0\tsession\t1\n"+
			"example.com\tFALSE\t/\tFALSE\t%d\told\t1\n"+
			"example.com\tFALSE\t/\tFALSE\t%d\tfresh\t1\n",
		time.Now().Add(-time.Hour).Unix(), inDays(1).Unix()))
	code, out, errOut := cookiejar(t, "clean", "-expired", path)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, path+": 2 cookies kept\n", out)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "\tsession\t")
	assert.Contains(t, string(data), "\tfresh\t")
	assert.NotContains(t, string(data), "\told\t")
}

// A Playwright storageState given as OUT stays one, its "origins" (the
// localStorage of the pages: a single-page app's token) with it, with -f
// and for import alike (issue 20, point 1).
func TestConvertIntoAPlaywrightFileKeepsItsOrigins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := netscapeFile(t, dir)
	const origins = `[{"origin":"https://app.example","localStorage":[{"name":"token","value":"SPA-TOKEN"}]}]`
	out := writeFile(t, dir, "pw.json", `{"cookies":[{"name":"old","value":"1","domain":"old.example","path":"/","expires":-1,"httpOnly":false,"secure":false,"sameSite":"Lax"}],"origins":`+origins+`}`)
	code, _, errOut := cookiejar(t, "convert", "-f", in, out)
	require.Equal(t, exitOK, code, errOut)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	format, err := httpsession.DetectFormat(data)
	require.NoError(t, err)
	assert.Equal(t, httpsession.FormatPlaywright, format)
	assert.Contains(t, string(data), "SPA-TOKEN")
	assert.NotContains(t, string(data), `"old"`, "-f: exactly IN's cookies")
}
