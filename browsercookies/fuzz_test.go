package browsercookies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// The readers take whatever a database holds. The row targets give the
// row readers fuzzed fields of any SQLite type; the database target a
// damaged file. Nothing may panic; a row is either returned or named in a
// *httpsession.FileError, never with its value. The seed corpora are in
// testdata/fuzz/.

// fuzzValue turns a fuzzed string into an SQLite value of the kind its
// first byte names: integer, text, blob, real or NULL.
func fuzzValue(s string, n int64) any {
	if s == "" {
		return n
	}
	switch s[0] % 5 {
	case 0:
		return n
	case 1:
		return s[1:]
	case 2:
		return []byte(s[1:])
	case 3:
		return float64(n) / 3
	}
	return nil
}

func FuzzFirefoxRow(f *testing.F) {
	ms := time.Now().Add(30 * 24 * time.Hour).UnixMilli()
	f.Add(int64(17), "", "\x01name", "\x01value", "\x01example.com", "\x01/", ms, int64(1), int64(0), int64(256), int64(0))
	f.Add(int64(17), "^userContextId=0&partitionKey=%28https%2Cexample.com%29", "\x01__Host-x", "\x01v", "\x01.example.com", "\x01/p", ms, int64(1), int64(1), int64(0), int64(1))
	f.Add(int64(12), "^firstPartyDomain=example.org", "\x01a", "\x02\xff\xfe", "\x01.co.uk", "\x00", ms/1000, int64(0), int64(1), int64(2), int64(0))
	f.Add(int64(17), "^partitionKey=%28", "\x04", "\x03", "\x01[::1]", "\x01", int64(-1), int64(2), int64(-1), int64(7), int64(2))
	f.Fuzz(func(t *testing.T, schema int64, attrs, name, value, host, path string, expiry, secure, httpOnly, sameSite, partitioned int64) {
		row := []any{int64(1), attrs, fuzzValue(name, 1), fuzzValue(value, 2), fuzzValue(host, 3), fuzzValue(path, 4),
			expiry, expiry * 1000, expiry * 1000, secure, httpOnly, sameSite, partitioned}
		r, keep := firefoxRecord(row, schema, 0)
		if !keep {
			return
		}
		checkFuzzRecord(t, r, secretOf(value))
	})
}

func FuzzChromiumRow(f *testing.F) {
	exp := time.Now().Add(30*24*time.Hour).UnixMicro() + windowsEpochMicros
	good := encryptCBC(v10Key(), "v10", "example.com", "value", true)
	f.Add(true, "example.com", "", "name", "", good, "/", exp, int64(0), int64(0), int64(-1), int64(1))
	f.Add(false, ".example.com", "https://example.com", "__Secure-x", "plain", []byte{}, "/p", exp, int64(1), int64(1), int64(0), int64(1))
	f.Add(true, "example.com", "", "v20", "", append([]byte("v20"), make([]byte, 32)...), "/", exp, int64(0), int64(0), int64(2), int64(1))
	f.Add(true, ".com", "not a url", "n", "", []byte("v11"), "x", int64(-5), int64(3), int64(0), int64(9), int64(0))
	f.Add(false, "example.com", "", "n", "", []byte("v10\x00\x01"), "/", int64(1)<<62, int64(0), int64(0), int64(1), int64(1))
	f.Fuzz(func(t *testing.T, hashPrefix bool, host, topFrame, name, value string, enc []byte, path string, expires, secure, httpOnly, sameSite, persistent int64) {
		d := &decryptor{goos: "linux", hashPrefix: hashPrefix, keyringPasswords: func(context.Context) ([][]byte, error) {
			return [][]byte{[]byte("keyring password")}, nil
		}}
		row := []any{int64(1), host, topFrame, name, value, enc, path, expires, secure, httpOnly, sameSite, persistent, persistent, expires - 1, expires - 1, httpOnly}
		checkFuzzRecord(t, chromiumRecord(context.Background(), row, d), value)
	})
}

// checkFuzzRecord validates one record and checks the outcome: the cookie
// or a line naming it, never both, never its value in the error, and a
// returned cookie a jar takes.
func checkFuzzRecord(t *testing.T, r record, secret string) {
	t.Helper()
	const path = "/profile/cookies.db"
	cookies, err := validate([]record{r}, path, time.Now())
	if err != nil {
		var fe *httpsession.FileError
		require.ErrorAs(t, err, &fe, "validate")
		require.Equal(t, path, fe.Path, "FileError %+v, want line 1 of %s", fe, path)
		require.Len(t, fe.Lines, 1, "FileError %+v, want line 1 of %s", fe, path)
		require.Equal(t, 1, fe.Lines[0].Line, "FileError %+v, want line 1 of %s", fe, path)
		require.Empty(t, cookies, "a row both returned and reported: %v", err)
		if len(secret) >= 8 && !strings.Contains(fmt.Sprintf("%q %q", r.c.Name, r.c.Domain), secret) {
			require.NotContains(t, err.Error(), secret, "the error shows the value")
		}
	}
	require.LessOrEqual(t, len(cookies), 1, "cookies of one row: %v", cookies)
	for _, c := range cookies {
		require.NoError(t, httpsession.NewJar().Set(c), "returned cookie %+v refused", c)
	}
}

// FuzzCookieDatabase: a damaged database file (a valid one with bytes
// changed) is read without panicking, as far as SQLite can read it.
func FuzzCookieDatabase(f *testing.F) {
	for _, seed := range []string{"firefox", "chromium"} {
		dir := f.TempDir()
		var p string
		if seed == "firefox" {
			p = filepath.Join(dir, "cookies.sqlite")
			db := newDB(f, p, "PRAGMA page_size=512", firefoxSchema, "PRAGMA user_version=17")
			insertFirefox(f, db, []ffRow{{id: 1, name: "a", value: "1", host: ".example.com", expiry: time.Now().Add(day).UnixMilli(), sameSite: 256}})
			db.Close()
		} else {
			p = filepath.Join(dir, "Cookies")
			enc := encryptCBC(v10Key(), "v10", "example.com", "1", true)
			db := newDB(f, p, "PRAGMA page_size=512", chromiumSchema, "INSERT INTO meta VALUES ('version', '24')")
			_, err := db.Exec(`INSERT INTO cookies VALUES (0,'example.com','','a','',?,'/',?,0,0,0,1,1,1,-1,2,443,0,0,0)`,
				enc, time.Now().Add(day).UnixMicro()+windowsEpochMicros)
			require.NoError(f, err)
			db.Close()
		}
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data, uint16(0), byte(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint16, b byte) {
		if len(data) == 0 {
			return
		}
		data = bytes.Clone(data)
		data[int(at)%len(data)] ^= b
		p := filepath.Join(t.TempDir(), "db")
		require.NoError(t, os.WriteFile(p, data, 0o600))
		cookies, err := Read(context.Background(), p)
		var fe *httpsession.FileError
		if err != nil && errors.As(err, &fe) {
			require.Equal(t, p, fe.Path, "FileError for the database read")
		}
		for _, c := range cookies {
			require.NoError(t, httpsession.NewJar().Set(c), "returned cookie %+v refused", c)
		}
	})
}

// FuzzSpec: whatever a spec is, Read answers without panicking, and a path
// spec to a file that is no database is an error.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{"firefox", "chromium:Profile 1", "firefox:work::Personal", "::", "nope:x", "./x", "~/x", "firefox::"} {
		f.Add(s, []byte("SQLite format 3\x00"))
	}
	f.Fuzz(func(t *testing.T, spec string, file []byte) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("XDG_CONFIG_HOME", "")
		p := filepath.Join(home, "file")
		require.NoError(t, os.WriteFile(p, file, 0o600))
		Read(context.Background(), spec) //nolint:errcheck // only that it answers
		_, err := Read(context.Background(), p)
		if !bytes.HasPrefix(file, []byte("SQLite format 3\x00")) {
			require.Error(t, err, "Read of a file that is not SQLite")
		}
	})
}

func secretOf(value string) string {
	if len(value) > 1 {
		return value[1:]
	}
	return ""
}
