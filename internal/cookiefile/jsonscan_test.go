package cookiefile

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatsLoneSurrogate(t *testing.T) {
	for text, want := range map[string]bool{
		`"a"`: false, `"\ud83d\ude00"`: false, `"\uD83D\uDE00"`: false, `"\\ud800"`: false, `"\\\\"`: false,
		`"\u00e9\n"`: false, `"\ud800"`: true, `"\ud800\u0041"`: true, `"\ude00"`: true, `"x\ud83d"`: true,
		`"\\\ud800"`: true, `"\ud800\\ude00"`: true,
	} {
		assert.Equal(t, want, loneSurrogate([]byte(text)), text)
	}
}

func TestFormatsJSONListWalksWhatEncodingJSONReads(t *testing.T) {
	doc := []byte(` { "a" : [1, "x,]}\"", {"b": [2, {}]}, [], null, -1.5e3 ] , "\u0063": {} , "d":"}" } `)
	var keys []string
	var values []string
	for l := openList(doc); ; {
		key, value, ok := l.member()
		if !ok {
			break
		}
		keys = append(keys, string(keyText(key)))
		values = append(values, string(value))
	}
	assert.Equal(t, []string{"a", "c", "d"}, keys)
	assert.Equal(t, []string{`[1, "x,]}\"", {"b": [2, {}]}, [], null, -1.5e3 ]`, `{}`, `"}"`}, values)
	var elems []string
	for l := openList([]byte(values[0])); ; {
		off, raw, ok := l.element()
		if !ok {
			break
		}
		assert.Equal(t, string(raw), values[0][off:off+len(raw)])
		elems = append(elems, string(raw))
	}
	assert.Equal(t, []string{"1", `"x,]}\""`, `{"b": [2, {}]}`, "[]", "null", "-1.5e3"}, elems)
	for _, broken := range []string{``, `[`, `[1,`, `{"a"`, `{"a":`, `[:]`, `{"a" 1}`} {
		l := openList([]byte(broken))
		for i := 0; i < 10; i++ {
			l.element()
			l.member()
		}
	}
}

// FuzzJSONList checks jsonList, which the readers walk JSON with instead of
// decoding it, against encoding/json on every valid JSON document, and
// loneSurrogate against what encoding/json makes of a string.
func FuzzJSONList(f *testing.F) {
	for _, s := range []string{
		`[1, "x,]}\"", {"b": [2, {}]}, [], null, -1.5e3 ]`,
		` { "a" : [1] , "\u0063": {} , "d":"}\\" } `,
		`[{"name":"a","value":"\ud83d\ude00"},{"\u006eame":"\ud800"}]`,
		`["\\\ud800", "\\\\ud800", "\udc00\ud800"]`,
		`{}`, `[]`, `"x"`, `{"a":{"b":{"c":[[[]]]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			l := openList(data) // must not loop or panic
			for i := 0; i < len(data)+2; i++ {
				l.element()
				l.member()
			}
			return
		}
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) == nil && elems != nil {
			var got []string
			for l := openList(data); ; {
				_, raw, ok := l.element()
				if !ok {
					break
				}
				got = append(got, string(raw))
			}
			require.Len(t, got, len(elems))
			for i := range elems {
				require.Equal(t, string(elems[i]), got[i])
			}
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if tok, _ := dec.Token(); tok == json.Delim('{') {
			l := openList(data)
			for dec.More() {
				tok, err := dec.Token()
				require.NoError(t, err)
				var value json.RawMessage
				require.NoError(t, dec.Decode(&value))
				key, raw, ok := l.member()
				require.True(t, ok)
				require.Equal(t, tok.(string), string(keyText(key)))
				require.Equal(t, string(value), string(raw))
			}
			_, _, ok := l.member()
			require.False(t, ok)
		}
		// A string that decodes to U+FFFD where the text holds none, in
		// UTF-8 or escaped, holds half a surrogate pair.
		var s string
		if utf8.Valid(data) && !bytes.Contains(data, []byte("\ufffd")) && !bytes.Contains(bytes.ToLower(data), []byte("ufffd")) &&
			json.Unmarshal(data, &s) == nil {
			require.Equal(t, strings.Contains(s, "\ufffd"), loneSurrogate(data), "%q", data)
		}
	})
}
