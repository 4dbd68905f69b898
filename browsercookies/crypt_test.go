package browsercookies

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Published test vectors: yt-dlp's test/test_cookies.py
// (test_chrome_cookie_decryptor_*), values Chromium wrote on each platform
// with the key or password given. They were written before database
// version 24, so no host hash precedes the values.
func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDeriveKeyVectors(t *testing.T) {
	assert.Equal(t, unhex("37a1ecd46dfc41c7b1395ad019dc4d17"), deriveKey([]byte("abc"), linuxIterations), `Linux key of "abc"`)
	assert.Equal(t, unhex("59e2c0d050f6f4e16cc18c51cb7ccd59"), deriveKey([]byte("abc"), macIterations), `macOS key of "abc"`)
}

func TestDecryptVectors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		d     *decryptor
		enc   string
		value string
	}{
		{"Linux v10", &decryptor{goos: "linux"}, "763130cc5725cde6e69f4d2220a7b0cae407d6", "USD"},
		// v11 under an empty keyring password, which Chromium used after
		// a bug; it is tried after the keyring's.
		{"Linux v11, empty password", &decryptor{goos: "linux", keyringPasswords: func(context.Context) ([][]byte, error) {
			return nil, errors.New("no keyring in this test")
		}}, "7631312381103e60778f29c0b2c10df41a6cdd93fdf8f84ef2a983f1e96f0e6c565164", "tz=Europe.London"},
		{"Windows v10 (AES-GCM)", &decryptor{goos: "windows", windowsKey: func(context.Context) ([]byte, error) {
			return unhex("59efadadee7270f059e69b12c23c7a165d0abbb8cbd79b41c31465997bd6f426"), nil
		}}, "76313054b8f3b801a754746356fc88b8b8ef05b5fd18c9300039abb18933852987e1a92da3ad3d", "32101439"},
		{"macOS v10", &decryptor{goos: "darwin", macPassword: func(context.Context) ([]byte, error) {
			return []byte("6eIDUdtKAacvlHwBVwvg/Q=="), nil
		}}, "763130b3beada15b9f43a198e09a01d9cfbf63", "2021-06-01-22"},
	} {
		got, err := tc.d.decrypt(ctx, unhex(tc.enc), "example.com")
		assert.NoError(t, err, tc.name)
		assert.Equal(t, tc.value, got, tc.name)
	}
}

func TestDecryptFailures(t *testing.T) {
	ctx := context.Background()
	key := v10Key()
	linux := func() *decryptor { return &decryptor{goos: "linux", hashPrefix: true} }
	good := encryptCBC(key, "v10", "example.com", "value", true)
	got, err := linux().decrypt(ctx, good, "example.com")
	require.NoError(t, err, "v10 with host hash")
	require.Equal(t, "value", got, "v10 with host hash")
	for _, tc := range []struct {
		name string
		d    *decryptor
		enc  []byte
		host string
		want error
	}{
		{"hash of another host", linux(), good, "other.example.com", ErrDecrypt},
		{"v20", linux(), append([]byte("v20"), make([]byte, 48)...), "example.com", ErrAppBound},
		{"v20 on Windows", &decryptor{goos: "windows"}, append([]byte("v20"), make([]byte, 48)...), "example.com", ErrAppBound},
		{"unknown prefix", linux(), []byte("v99abcdefghijklmnop"), "example.com", ErrUnknownEncryption},
		{"no prefix on Linux", linux(), []byte{1, 2}, "example.com", ErrUnknownEncryption},
		{"not whole blocks", linux(), append([]byte("v10"), 1, 2, 3), "example.com", ErrDecrypt},
		{"v10 under another key", linux(), encryptCBC(deriveKey([]byte("other"), 1), "v10", "example.com", "value", true), "example.com", ErrDecrypt},
		{"v11 without a keyring", &decryptor{goos: "linux", hashPrefix: true, keyringPasswords: func(context.Context) ([][]byte, error) {
			return nil, errors.New("no Secret Service")
		}}, encryptCBC(deriveKey([]byte("keyring password"), 1), "v11", "example.com", "value", true), "example.com", ErrNoKey},
		{"v11 under another password", &decryptor{goos: "linux", hashPrefix: true, keyringPasswords: func(context.Context) ([][]byte, error) {
			return [][]byte{[]byte("wrong")}, nil
		}}, encryptCBC(deriveKey([]byte("keyring password"), 1), "v11", "example.com", "value", true), "example.com", ErrDecrypt},
		{"GCM tampered", &decryptor{goos: "windows", windowsKey: func(context.Context) ([]byte, error) {
			return unhex("59efadadee7270f059e69b12c23c7a165d0abbb8cbd79b41c31465997bd6f426"), nil
		}}, unhex("76313054b8f3b801a754746356fc88b8b8ef05b5fd18c9300039abb18933852987e1a92da3ad3e"), "example.com", ErrDecrypt},
		{"Windows key missing", &decryptor{goos: "windows", windowsKey: func(context.Context) ([]byte, error) {
			return nil, errors.New("no Local State")
		}}, unhex("76313054b8f3b801a754746356fc88b8b8ef05b5fd18c9300039abb18933852987e1a92da3ad3d"), "example.com", ErrNoKey},
		{"Keychain refused", &decryptor{goos: "darwin", macPassword: func(context.Context) ([]byte, error) {
			return nil, errors.New("user denied")
		}}, unhex("763130b3beada15b9f43a198e09a01d9cfbf63"), "example.com", ErrNoKey},
	} {
		got, err := tc.d.decrypt(ctx, tc.enc, tc.host)
		assert.ErrorIs(t, err, tc.want, "%s: decrypted %q", tc.name, got)
	}
	// v11 with the keyring's password; the key is looked up once.
	calls := 0
	d := &decryptor{goos: "linux", hashPrefix: true, keyringPasswords: func(context.Context) ([][]byte, error) {
		calls++
		return [][]byte{[]byte("wrong"), []byte("keyring password")}, nil
	}}
	for range 3 {
		enc := encryptCBC(deriveKey([]byte("keyring password"), 1), "v11", "example.com", "v11 value", true)
		got, err := d.decrypt(ctx, enc, "example.com")
		assert.NoError(t, err, "v11")
		assert.Equal(t, "v11 value", got, "v11")
	}
	assert.Equal(t, 1, calls, "times the keyring was asked")
	// macOS values without a prefix are from before encryption.
	got, err = (&decryptor{goos: "darwin"}).decrypt(ctx, []byte("plain old"), "example.com")
	assert.NoError(t, err, "macOS unprefixed")
	assert.Equal(t, "plain old", got, "macOS unprefixed")
	// Windows values without a prefix are DPAPI blobs.
	dpapi := func(b []byte) ([]byte, error) { return bytes.TrimPrefix(b, []byte("blob:")), nil }
	got, err = (&decryptor{goos: "windows", dpapi: dpapi}).decrypt(ctx, []byte("blob:dpapi value"), "example.com")
	assert.NoError(t, err, "Windows DPAPI value")
	assert.Equal(t, "dpapi value", got, "Windows DPAPI value")
}

func TestLocalStateKey(t *testing.T) {
	key := unhex("59efadadee7270f059e69b12c23c7a165d0abbb8cbd79b41c31465997bd6f426")
	fakeDPAPI := func(b []byte) ([]byte, error) {
		if !bytes.HasPrefix(b, []byte("sealed:")) {
			return nil, errors.New("not sealed")
		}
		return b[len("sealed:"):], nil
	}
	state := `{"os_crypt":{"encrypted_key":"` + base64.StdEncoding.EncodeToString(append([]byte("DPAPIsealed:"), key...)) + `"}}`
	got, err := localStateKey([]byte(state), fakeDPAPI)
	assert.NoError(t, err, "localStateKey")
	assert.Equal(t, key, got, "localStateKey")
	for _, bad := range []string{
		`{}`, `not json`, `{"os_crypt":{"encrypted_key":"!!"}}`,
		`{"os_crypt":{"encrypted_key":"` + base64.StdEncoding.EncodeToString([]byte("sealed:x")) + `"}}`,
		`{"os_crypt":{"encrypted_key":"` + base64.StdEncoding.EncodeToString([]byte("DPAPIsealed:short")) + `"}}`,
	} {
		_, err := localStateKey([]byte(bad), fakeDPAPI)
		assert.Error(t, err, "localStateKey(%s)", bad)
	}
}

func TestUnpad(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want []byte
		ok   bool
	}{
		{append([]byte("abc"), bytes.Repeat([]byte{13}, 13)...), []byte("abc"), true},
		{bytes.Repeat([]byte{16}, 16), []byte{}, true},
		{append([]byte("abc"), 0), nil, false},
		{append([]byte("abc"), 17), nil, false},
		{[]byte{2, 1, 2}, nil, false},
		{nil, nil, false},
	} {
		got, ok := unpad(tc.in)
		assert.Equal(t, tc.ok, ok, "unpad(%v)", tc.in)
		// bytes.Equal: an empty result may be nil or not.
		assert.True(t, bytes.Equal(tc.want, got), "unpad(%v) = %v, want %v", tc.in, got, tc.want)
	}
}
