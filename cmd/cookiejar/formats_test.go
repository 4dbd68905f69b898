package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// formatOf returns the format the library detects in the file at path.
func formatOf(t *testing.T, path string) httpsession.Format {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := httpsession.DetectFormat(data)
	require.NoError(t, err)
	return f
}

func TestConvertToAndFromEveryFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := nativeFile(t, dir)
	want := carriedOf(load(t, in))
	for _, to := range []string{"native", "json", "netscape", "txt", "playwright", "cookie-editor", "editthiscookie", "cdp", "puppeteer"} {
		f, err := httpsession.ParseFormat(to)
		require.NoError(t, err)
		out := filepath.Join(dir, to+".out")
		code, _, errOut := cookiejar(t, "convert", "--to", to, in, out)
		require.Equal(t, exitOK, code, "%s: %s", to, errOut)
		assert.Equal(t, f, formatOf(t, out), to)
		assert.Equal(t, want, carriedOf(load(t, out)), to)

		// And from it back to native, detected.
		back := filepath.Join(dir, to+".back.json")
		code, _, errOut = cookiejar(t, "convert", out, back)
		require.Equal(t, exitOK, code, "%s: %s", to, errOut)
		assert.Equal(t, want, carriedOf(load(t, back)), to)
	}
}

const storageState = `{
  "cookies": [
    {"name": "sessionid", "value": "x7", "domain": "app.example.com", "path": "/",
     "expires": -1, "httpOnly": true, "secure": true, "sameSite": "Lax"}
  ],
  "origins": [{"origin": "https://app.example.com", "localStorage": [{"name": "k", "value": "v"}]}]
}
`

func TestConvertToPlaywrightKeepsTheOrigins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := writeFile(t, dir, "state.json", storageState)
	in := nativeFile(t, dir)
	code, _, errOut := cookiejar(t, "convert", "-to", "playwright", in, state)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "file exists; use -f to replace it")

	code, _, errOut = cookiejar(t, "convert", "-f", "-to", "playwright", in, state)
	require.Equal(t, exitOK, code, errOut)
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"origins": [{"origin": "https://app.example.com", "localStorage": [{"name": "k", "value": "v"}]}]`)
	assert.NotContains(t, string(data), "sessionid", "OUT holds exactly IN's cookies")
	assert.Equal(t, carriedOf(load(t, in)), carriedOf(load(t, state)))
}

func TestCleanKeepsTheFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := writeFile(t, dir, "state.json", storageState)
	code, out, errOut := cookiejar(t, "clean", "-session", state)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, state+": 0 cookies kept, 1 session cookie removed\n", out)
	assert.Equal(t, httpsession.FormatPlaywright, formatOf(t, state))
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"localStorage": [{"name": "k", "value": "v"}]`)

	editor := writeFile(t, dir, "editor.json", `[{"domain":"x.com","hostOnly":true,"name":"a","value":"1","session":true}]`)
	code, _, errOut = cookiejar(t, "clean", editor)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, httpsession.FormatCookieEditor, formatOf(t, editor))

	empty := writeFile(t, dir, "empty", "")
	code, _, errOut = cookiejar(t, "clean", empty)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, httpsession.FormatNetscape, formatOf(t, empty), "an empty file becomes an empty cookies.txt, as before")
}

func TestRefusedRecordsOfAJSONArrayAreNumbered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "editor.json", `[{"domain":"x.com","hostOnly":true,"name":"a","value":"`+secret+`"},`+
		`{"domain":".co.uk","hostOnly":false,"name":"super","value":"`+secret+`"}]`)
	code, out, errOut := cookiejar(t, "list", "-a", path)
	assert.Equal(t, exitPartial, code)
	assert.Contains(t, out, secret)
	assert.Contains(t, errOut, path+": record 2 not loaded: cookie refused: domain cookie on a public suffix (§5.7 step 9)\n")
	assert.NotContains(t, errOut, secret[:8], "no value in the messages")
	fe := &httpsession.FileError{Path: path, Lines: []httpsession.LineError{{Line: 2, Record: true, Err: httpsession.ErrInvalidCookie}}}
	assert.Equal(t, "1 record(s) not loaded; record 2: cookie refused", describe(path, fe))
}
