package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storageState is a Playwright file as Playwright writes it, with an origin
// holding localStorage and a key of a later Playwright version.
const storageState = `{
  "cookies": [
    {
      "name": "sessionid",
      "value": "x7",
      "domain": "app.example.com",
      "path": "/",
      "expires": -1,
      "httpOnly": true,
      "secure": true,
      "sameSite": "Lax"
    }
  ],
  "origins": [
    {
      "origin": "https://app.example.com",
      "localStorage": [
        {
          "name": "token",
          "value": "t0k3n <&>"
        }
      ]
    }
  ],
  "futureKey": {"kept": [1, 2, 3]}
}
`

const storageOrigins = `"origins": [
    {
      "origin": "https://app.example.com",
      "localStorage": [
        {
          "name": "token",
          "value": "t0k3n <&>"
        }
      ]
    }
  ],
  "futureKey": {"kept": [1, 2, 3]}
}
`

func TestExportFileKeepsPlaywrightOrigins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(path, []byte(storageState), 0o644))
	j := NewJar()
	require.NoError(t, j.Load(path))
	assert.Equal(t, "sessionid=x7", j.CookieHeader(mustURL(t, "https://app.example.com/")))
	require.NoError(t, j.Set(Cookie{Name: "lang", Value: "en", Domain: "example.com"}))

	require.NoError(t, j.ExportFile(ctx, path, FormatPlaywright))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "  ],\n  "+storageOrigins), "origins and other keys as they were, in their place:\n%s", data)
	assert.Contains(t, string(data), `"domain": ".example.com"`)
	got, err := DetectFormat(data)
	require.NoError(t, err)
	assert.Equal(t, FormatPlaywright, got)

	// Overwrite replaces the cookies, never the origins.
	other := NewJar()
	require.NoError(t, other.Set(Cookie{Name: "only", Value: "1", Domain: "example.com", HostOnly: true}))
	require.NoError(t, other.ExportFile(ctx, path, FormatPlaywright, Overwrite()))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "  ],\n  "+storageOrigins), "%s", data)
	assert.NotContains(t, string(data), "sessionid")
	assert.Contains(t, string(data), `"only"`)

	// A new file: mode 0600, an empty origins array.
	fresh := filepath.Join(t.TempDir(), "new.json")
	require.NoError(t, j.ExportFile(ctx, fresh, FormatPlaywright))
	fi, err := os.Stat(fresh)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, filePerm, fi.Mode().Perm())
	}
	data, err = os.ReadFile(fresh)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "  ],\n  \"origins\": []\n}\n"), "%s", data)
}

func TestExportFileRefusesWhatSaveRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := NewJar()
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "example.com", HostOnly: true}))

	state := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(state, []byte(storageState), 0o600))
	for _, f := range []Format{FormatJSON, FormatNetscape, FormatCookieEditor, FormatCDP} {
		err := j.ExportFile(ctx, state, f)
		require.ErrorIs(t, err, ErrFormat, f)
		assert.ErrorContains(t, err, "the file is in Playwright's storageState format")
	}
	require.ErrorIs(t, j.Save(state), ErrFormat, "Save does not turn a Playwright file into the native one")
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	assert.Equal(t, storageState, string(data))
	require.NoError(t, j.ExportFile(ctx, state, FormatCDP, Overwrite()), "unless asked to")
	data, err = os.ReadFile(state)
	require.NoError(t, err)
	got, _ := DetectFormat(data)
	assert.Equal(t, FormatCDP, got)

	native := filepath.Join(dir, "cookies.json")
	require.NoError(t, j.Save(native))
	require.ErrorIs(t, j.ExportFile(ctx, native, FormatPlaywright), ErrFormat)

	corrupt := filepath.Join(dir, "corrupt.json")
	require.NoError(t, os.WriteFile(corrupt, []byte(`{"cookies": [`), 0o600))
	require.ErrorIs(t, j.ExportFile(ctx, corrupt, FormatPlaywright), ErrCorrupt)
	data, err = os.ReadFile(corrupt)
	require.NoError(t, err)
	assert.Equal(t, `{"cookies": [`, string(data), "never written over")

	require.ErrorIs(t, j.ExportFile(ctx, dir, FormatPlaywright), ErrUnsafePath, "a directory")
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "fifo")
		require.NoError(t, syscall.Mkfifo(fifo, 0o600))
		require.ErrorIs(t, j.ExportFile(ctx, fifo, FormatCookieEditor), ErrUnsafePath, "a FIFO")
	}
	require.Error(t, j.ExportFile(ctx, filepath.Join(dir, "x"), Format(42)))
}

// editCookies rewrites a JSON cookie file of another program as that
// program would, with its modification time set to mtime.
func editCookies(t *testing.T, path string, mtime time.Time, edit func(records []map[string]any) []map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(data, &doc))
	records := func(list any) []map[string]any {
		var out []map[string]any
		for _, r := range list.([]any) {
			out = append(out, r.(map[string]any))
		}
		return out
	}
	if obj, ok := doc.(map[string]any); ok {
		obj["cookies"] = edit(records(obj["cookies"]))
	} else {
		doc = edit(records(doc))
	}
	data, err = json.MarshalIndent(doc, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".tmp", data, 0o600))
	require.NoError(t, os.Rename(path+".tmp", path))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

// TestOtherFormatsFollowTheSyncModel runs the cookies.txt rules on the
// JSON formats of other programs, which have no change times either: a
// record changed since this jar last wrote the file is a change made when
// the file was modified, a record gone is a deletion then, a record as it
// was is no change, and a change made here later wins.
func TestOtherFormatsFollowTheSyncModel(t *testing.T) {
	for _, f := range foreignFormats {
		t.Run(f.String(), func(t *testing.T) {
			ctx := context.Background()
			clock := newTestClock()
			path := filepath.Join(t.TempDir(), "cookies.json")
			j := NewJar(WithClock(clock.now))
			for _, name := range []string{"kept", "edited", "removed", "mine", "theirs-too-old"} {
				require.NoError(t, j.Set(Cookie{Name: name, Value: "1", Domain: "example.com", HostOnly: true}))
			}
			require.NoError(t, j.ExportFile(ctx, path, f))
			first, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, j.ExportFile(ctx, path, f))
			again, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(first), string(again), "a save of an unchanged jar changes nothing")

			clock.advance(time.Second)
			edited := clock.now()
			clock.advance(time.Second)
			require.NoError(t, j.Set(Cookie{Name: "mine", Value: "2", Domain: "example.com", HostOnly: true}))
			require.NoError(t, j.Set(Cookie{Name: "theirs-too-old", Value: "2", Domain: "example.com", HostOnly: true}))
			// Another program edits "edited" and "theirs-too-old" and
			// drops "removed", a second before this jar's changes.
			editCookies(t, path, edited, func(records []map[string]any) []map[string]any {
				var out []map[string]any
				for _, r := range records {
					switch r["name"] {
					case "removed":
						continue
					case "edited", "theirs-too-old":
						r["value"] = "new"
					}
					out = append(out, r)
				}
				return out
			})

			require.NoError(t, j.ExportFile(ctx, path, f))
			got := map[string]string{}
			for _, c := range j.All() {
				got[c.Name] = c.Value
			}
			assert.Equal(t, map[string]string{"kept": "1", "edited": "new", "mine": "2", "theirs-too-old": "2"}, got)
			back := NewJar(WithClock(clock.now))
			require.NoError(t, back.Load(path))
			inFile := map[string]string{}
			for _, c := range back.All() {
				inFile[c.Name] = c.Value
			}
			assert.Equal(t, got, inFile)
		})
	}
}

func TestBadRecordsOfOtherFormatsAreReportedAndKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cookies.json")
	file := `[
  {"name": "ok", "value": "1", "domain": "example.com", "storeId": "0"},
  {"name": "super", "value": "1", "domain": ".co.uk", "hostOnly": false},
  42
]`
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	j := NewJar()
	err := j.Load(path)
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, path, fe.Path)
	require.Len(t, fe.Lines, 2)
	assert.Equal(t, []int{2, 3}, []int{fe.Lines[0].Line, fe.Lines[1].Line})
	assert.True(t, fe.Lines[0].Record && fe.Lines[1].Record)
	assert.Contains(t, err.Error(), "record 2: cookie refused: domain cookie on a public suffix (§5.7 step 9)")
	assert.Equal(t, 1, j.Len())

	require.NoError(t, j.Set(Cookie{Name: "new", Value: "1", Domain: "example.com", HostOnly: true}))
	require.NoError(t, j.ExportFile(ctx, path, FormatCookieEditor))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `{"name": "super", "value": "1", "domain": ".co.uk", "hostOnly": false}`, "a refused cookie is kept as it was")
	assert.NotContains(t, string(data), "42", "what is no cookie object at all is dropped")
	assert.Contains(t, string(data), `"name": "new"`)
}

func TestOpenKeepsAPlaywrightFileAPlaywrightFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(path, []byte(storageState), 0o600))
	s, err := Open(path, WithSaveInterval(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "sessionid=x7", s.Jar().CookieHeader(mustURL(t, "https://app.example.com/")))
	require.NoError(t, s.Jar().Set(Cookie{Name: "csrftoken", Value: "c", Domain: "app.example.com", HostOnly: true}))
	require.NoError(t, s.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	got, err := DetectFormat(data)
	require.NoError(t, err)
	assert.Equal(t, FormatPlaywright, got)
	assert.True(t, strings.HasSuffix(string(data), "  ],\n  "+storageOrigins), "%s", data)
	j := NewJar()
	require.NoError(t, j.Load(path))
	assert.Equal(t, "sessionid=x7; csrftoken=c", j.CookieHeader(mustURL(t, "https://app.example.com/")))
}

func TestCDPObjectFormStaysAnObject(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cookies.json")
	file := `{"cookies": [{"name":"a","value":"1","domain":".example.com","path":"/","expires":-1,"size":2,"httpOnly":false,"secure":false,"session":true}], "debuggerId": 7}`
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	j := NewJar()
	require.NoError(t, j.Load(path))
	require.NoError(t, j.Set(Cookie{Name: "b", Value: "2", Domain: "example.com", HostOnly: true}))
	require.NoError(t, j.ExportFile(ctx, path, FormatCDP))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("{\n  \"cookies\": [\n")), "%s", data)
	assert.True(t, bytes.HasSuffix(data, []byte("  ],\n  \"debuggerId\": 7\n}\n")), "%s", data)
	back := NewJar()
	require.NoError(t, back.Load(path))
	assert.Equal(t, "a=1; b=2", back.CookieHeader(mustURL(t, "https://example.com/")))
}

// A JSON array of objects that are not cookies is not a cookie file: Open
// refuses it, and nothing rewrites it (issue 20, point 5).
func TestJSONArrayOfNonCookiesIsNoCookieFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "people.json")
	data := []byte(`[{"name":"alice","age":30}]`)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err := Open(path)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "holds no cookie")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}
