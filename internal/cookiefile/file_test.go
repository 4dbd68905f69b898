package cookiefile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefuseCarriesAsRead holds File.Refuse and File.RefuseTomb to their
// promise, on the one-pass decode and on the slow one: the refused record
// is reported at its line, with the caller's reason, and carried as it was
// in the file, byte for byte.
func TestRefuseCarriesAsRead(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tomb := Tomb{Name: "gone", Domain: "example.com", Path: "/", Deleted: at, Set: true, Sum: 0xfeedface}
	var b bytes.Buffer
	require.NoError(t, EncodeNative(&b,
		[]Record{{Cookie: Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "/", Created: at, LastAccess: at}, Updated: at}},
		[]Tomb{tomb}, nil))
	fast := b.String()
	lines := strings.Split(fast, "\n")
	record, deletion := strings.TrimSpace(lines[1]), strings.TrimSpace(lines[3])
	// A record that cannot be read sends the file to the slow decode.
	slow := strings.Replace(fast, "\n], \"deleted\"", ",\n  {\"name\": 1}\n], \"deleted\"", 1)
	reason := errors.New("refused")
	for _, tc := range []struct {
		name, data  string
		unread      int // records that could not be read
		tombLine    int
		fastDecoded bool
	}{
		{"one pass", fast, 0, 4, true},
		{"slow", slow, 1, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ours := decodeOurs([]byte(tc.data))
			require.Equal(t, tc.fastDecoded, ours)
			f, err := Decode([]byte(tc.data), nil)
			require.NoError(t, err)
			require.Len(t, f.Records, 1)
			require.Len(t, f.Tombs, 1)
			assert.Equal(t, tomb, withoutPlace(f.Tombs[0]))
			require.Len(t, f.Bad, tc.unread)
			f.Refuse(&f.Records[0], reason)
			f.RefuseTomb(&f.Tombs[0], reason)
			require.Len(t, f.Bad, tc.unread+2)
			assert.Equal(t, LineError{Line: 2, Err: reason}, f.Bad[tc.unread])
			assert.Equal(t, LineError{Line: tc.tombLine, Err: reason}, f.Bad[tc.unread+1])
			records, deleted, n := f.Carried.Counts()
			assert.Equal(t, [3]int{1 + tc.unread, 1, 0}, [3]int{records, deleted, n})

			var out bytes.Buffer
			require.NoError(t, EncodeNative(&out, nil, nil, &f.Carried))
			assert.Contains(t, out.String(), "\n  "+record, "the record written back as it was")
			assert.Contains(t, out.String(), "\n  "+deletion+"\n", "the deletion written back as it was")
			if tc.unread == 0 {
				assert.Equal(t, tc.data, out.String())
			}
		})
	}
}

// withoutPlace returns t without where it stood in its file.
func withoutPlace(t Tomb) Tomb {
	t.line, t.index = 0, 0
	return t
}
