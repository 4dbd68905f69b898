package browsercookies

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"unicode/utf8"
)

// Chromium's os_crypt on Linux and macOS: AES-128-CBC with a key derived by
// PBKDF2-HMAC-SHA1 from a password, salt "saltysalt", 16 bytes, and an IV
// of 16 spaces. On Linux the password is "peanuts" for v10 values (no
// keyring) and the keyring's for v11, with one iteration; on macOS it is
// the Keychain's, with 1003 iterations.
const (
	linuxIterations = 1
	macIterations   = 1003
	v10Password     = "peanuts"
)

var (
	cbcSalt = []byte("saltysalt")
	cbcIV   = bytes.Repeat([]byte{' '}, aes.BlockSize)
)

// deriveKey derives an AES-128 key from a Chromium password.
func deriveKey(password []byte, iterations int) []byte {
	key, err := pbkdf2.Key(sha1.New, string(password), cbcSalt, iterations, 16)
	if err != nil {
		panic(err) // only for parameters out of FIPS 140 bounds, which these are not
	}
	return key
}

// decryptor decrypts the encrypted_value of a Chromium database written on
// goos. The keys are looked up once, when a value first needs them.
type decryptor struct {
	goos string
	// hashPrefix: the database's version puts SHA-256(host_key) before
	// each decrypted value.
	hashPrefix bool

	// keyringPasswords returns the passwords a Linux keyring holds for
	// the browser (Secret Service); macPassword the Keychain's password;
	// windowsKey the AES-256 key of Local State; dpapi decrypts a DPAPI
	// blob. Each is nil where it cannot be had.
	keyringPasswords func(context.Context) ([][]byte, error)
	macPassword      func(context.Context) ([]byte, error)
	windowsKey       func(context.Context) ([]byte, error)
	dpapi            func([]byte) ([]byte, error)

	v11Keys   [][]byte
	v11Err    error
	macKey    []byte
	macErr    error
	winKey    []byte
	winErr    error
	looked    map[string]bool
	fixedKeys [][]byte // v10 on Linux: "peanuts", then the empty password
}

func newDecryptor(s *source) *decryptor {
	d := &decryptor{goos: runtime.GOOS}
	platformKeys(d, s)
	return d
}

func (d *decryptor) once(what string) bool {
	if d.looked == nil {
		d.looked = map[string]bool{}
	}
	if d.looked[what] {
		return false
	}
	d.looked[what] = true
	return true
}

// decrypt returns the value of encrypted_value enc of a cookie of
// host_key host.
func (d *decryptor) decrypt(ctx context.Context, enc []byte, host string) (string, error) {
	prefix := ""
	if len(enc) >= 3 {
		prefix = string(enc[:3])
	}
	if prefix == "v20" {
		return "", ErrAppBound
	}
	switch d.goos {
	case "darwin":
		if prefix != "v10" {
			// Values from before encryption, kept as they were.
			return string(enc), nil
		}
		if d.once("mac") {
			if d.macPassword == nil {
				d.macErr = errors.New("no Keychain on this system")
			} else if pw, err := d.macPassword(ctx); err != nil {
				d.macErr = err
			} else {
				d.macKey = deriveKey(pw, macIterations)
			}
		}
		if d.macKey == nil {
			return "", fmt.Errorf("%w: v10 value, Keychain password: %v", ErrNoKey, d.macErr)
		}
		return d.decryptCBC(enc[3:], [][]byte{d.macKey}, host)
	case "windows":
		if prefix != "v10" {
			if d.dpapi == nil {
				return "", fmt.Errorf("%w: DPAPI value on a system without DPAPI", ErrNoKey)
			}
			pt, err := d.dpapi(enc)
			if err != nil {
				return "", fmt.Errorf("%w: DPAPI: %v", ErrDecrypt, err)
			}
			return d.finish(pt, host)
		}
		if d.once("windows") {
			if d.windowsKey == nil {
				d.winErr = errors.New("no Local State key on this system")
			} else {
				d.winKey, d.winErr = d.windowsKey(ctx)
			}
		}
		if d.winKey == nil {
			return "", fmt.Errorf("%w: v10 value, Local State key: %v", ErrNoKey, d.winErr)
		}
		return d.decryptGCM(enc[3:], d.winKey, host)
	}
	switch prefix {
	case "v10":
		if d.fixedKeys == nil {
			d.fixedKeys = [][]byte{deriveKey([]byte(v10Password), linuxIterations), deriveKey(nil, linuxIterations)}
		}
		return d.decryptCBC(enc[3:], d.fixedKeys, host)
	case "v11":
		if d.once("v11") {
			if d.keyringPasswords == nil {
				d.v11Err = errors.New("no Secret Service on this system")
			} else {
				var pws [][]byte
				pws, d.v11Err = d.keyringPasswords(ctx)
				for _, pw := range pws {
					d.v11Keys = append(d.v11Keys, deriveKey(pw, linuxIterations))
				}
			}
			d.v11Keys = append(d.v11Keys, deriveKey(nil, linuxIterations))
		}
		pt, err := d.decryptCBC(enc[3:], d.v11Keys, host)
		if err != nil && d.v11Err != nil {
			return "", fmt.Errorf("%w: v11 value, keyring password: %v", ErrNoKey, d.v11Err)
		}
		return pt, err
	}
	// What the value starts with is not shown: it may be a plain value
	// that some other program put in encrypted_value.
	return "", fmt.Errorf("%w: the value starts with none of v10, v11, v20", ErrUnknownEncryption)
}

// decryptCBC tries each key on an AES-128-CBC value and returns the first
// plaintext that is well padded and, from database version 24, starts
// with the host's hash, or, before it, is UTF-8.
func (d *decryptor) decryptCBC(ct []byte, keys [][]byte, host string) (string, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", fmt.Errorf("%w: %d bytes of AES-CBC data is not a whole number of blocks", ErrDecrypt, len(ct))
	}
	hashMismatch := false
	for _, key := range keys {
		block, err := aes.NewCipher(key)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
		pt := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, cbcIV).CryptBlocks(pt, ct)
		pt, ok := unpad(pt)
		if !ok {
			continue
		}
		v, err := d.finish(pt, host)
		if errors.Is(err, errHashMismatch) {
			hashMismatch = true
			continue
		}
		if err != nil {
			continue
		}
		return v, nil
	}
	if hashMismatch {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, errHashMismatch)
	}
	return "", fmt.Errorf("%w: no key gives a well-formed value (a wrong key?)", ErrDecrypt)
}

// decryptGCM decrypts a Windows v10 value: a 12-byte nonce, the
// ciphertext, a 16-byte tag, under the AES-256 key of Local State.
func (d *decryptor) decryptGCM(data, key []byte, host string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if len(data) < gcm.NonceSize()+gcm.Overhead() {
		return "", fmt.Errorf("%w: %d bytes is too short for AES-GCM", ErrDecrypt, len(data))
	}
	pt, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("%w: AES-GCM authentication failed (a wrong key?)", ErrDecrypt)
	}
	return d.finish(pt, host)
}

var errHashMismatch = errors.New("the SHA-256 of the host that database version 24 puts before the value does not match (a wrong key, or a value copied from another cookie)")

// finish checks and removes the host hash (version 24 on), and before it
// requires UTF-8, which a wrong key almost never gives.
func (d *decryptor) finish(pt []byte, host string) (string, error) {
	if d.hashPrefix {
		sum := sha256.Sum256([]byte(host))
		if len(pt) < len(sum) || !bytes.Equal(pt[:len(sum)], sum[:]) {
			return "", errHashMismatch
		}
		return string(pt[len(sum):]), nil
	}
	if !utf8.Valid(pt) {
		return "", fmt.Errorf("%w: the value is not UTF-8 (a wrong key?)", ErrDecrypt)
	}
	return string(pt), nil
}

// unpad removes PKCS#7 padding.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// localStateKey returns the AES-256 key of a Windows Chromium's Local
// State: os_crypt.encrypted_key, base64 of "DPAPI" and a DPAPI blob that
// dpapi decrypts.
func localStateKey(localState []byte, dpapi func([]byte) ([]byte, error)) ([]byte, error) {
	var state struct {
		OSCrypt struct {
			EncryptedKey string `json:"encrypted_key"`
		} `json:"os_crypt"`
	}
	if err := json.Unmarshal(localState, &state); err != nil {
		return nil, fmt.Errorf("the Local State file: %w", err)
	}
	if state.OSCrypt.EncryptedKey == "" {
		return nil, errors.New("the Local State file has no os_crypt.encrypted_key")
	}
	blob, err := base64.StdEncoding.DecodeString(state.OSCrypt.EncryptedKey)
	if err != nil {
		return nil, fmt.Errorf("the Local State file's os_crypt.encrypted_key: %w", err)
	}
	blob, ok := bytes.CutPrefix(blob, []byte("DPAPI"))
	if !ok {
		return nil, errors.New(`the Local State file's os_crypt.encrypted_key does not start with "DPAPI"`)
	}
	key, err := dpapi(blob)
	if err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("the Local State key is %d bytes, not 32", len(key))
	}
	return key, nil
}
