package cookiefile

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// FuzzCheckKeys checks checkKeys, which lets the one-pass decode trust a
// file, against a reading of the same document through encoding/json's
// tokens, on every valid JSON document.
func FuzzCheckKeys(f *testing.F) {
	rec := `{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`
	for _, s := range []string{
		`{"version": 2, "cookies": [` + rec + `], "deleted": [{"name":"b","domain":"example.com","path":"/","hostOnly":true,"deleted":"2026-01-01T00:00:00Z"}]}`,
		`{"version": 2, "cookies": [], "cookies": []}`,
		`{"version": 2, "Cookies": []}`,
		`{"version": 2, "\u0063ookies": []}`,
		`{"version": 2, "cookies": [{"name":"a","NAME":"b"}]}`,
		`{"version": 2, "cookies": [{"name":"a","priority":"high"}]}`,
		`{"version": 2, "cookies": [{"name":{"x":1}}]}`,
		`{"version": 1}`, `[]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			_ = checkKeys(data, nil) // must not panic
			return
		}
		if got, want := checkKeys(data, nil), referenceKeys(data); got != want {
			t.Fatalf("checkKeys = %v, want %v, for %q", got, want, data)
		}
	})
}

// referenceKeys is checkKeys written the slow way, through encoding/json's
// tokens and offsets.
func referenceKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object, wantKey bool
		keys            keySet
		seen            map[string]bool
		of              keySet
	}
	var stack []*frame
	topKey := ""
	ended := func() { // a value ended
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return len(stack) == 0
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if _, isKey := tok.(string); isKey {
				raw := bytes.TrimLeft(data[before:dec.InputOffset()], " \t\r\n,")
				key := tok.(string)
				f := stack[n-1]
				if bytes.IndexByte(raw, '\\') >= 0 || f.seen[key] || !slices.Contains(f.keys, key) {
					return false
				}
				f.seen[key], f.wantKey = true, false
				if n == 1 {
					topKey = key
				}
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			var keys keySet
			switch {
			case len(stack) == 0:
				keys = topKeys
			case len(stack) == 2 && !stack[1].object:
				keys = stack[1].of
			default:
				return false
			}
			stack = append(stack, &frame{object: true, wantKey: true, keys: keys, seen: map[string]bool{}})
		case json.Delim('['):
			if len(stack) != 1 || (topKey != "cookies" && topKey != "deleted") {
				return false
			}
			of := recordKeys
			if topKey == "deleted" {
				of = tombKeys
			}
			stack = append(stack, &frame{of: of})
		case json.Delim('}'), json.Delim(']'):
			if len(stack) == 1 && (!stack[0].seen["version"] || !stack[0].seen["cookies"]) {
				return false
			}
			stack = stack[:len(stack)-1]
			ended()
		default:
			if len(stack) == 0 {
				return false // a scalar document
			}
			ended()
		}
	}
}
