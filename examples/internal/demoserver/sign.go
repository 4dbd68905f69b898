package demoserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// demoKey signs cookie values. It is fixed so that a cookie signed by one
// run of an example is still valid in the next run, whose server is new; a
// real server reads its key from a secret store and never publishes it.
var demoKey = []byte("httpsession demo key (not a secret)")

// Sign returns value with an HMAC-SHA256 signature, as
// "base64(value).base64(signature)", so that a client cannot change it
// unnoticed. The result contains only characters allowed in a cookie value.
func Sign(value string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(value)) + "." + enc.EncodeToString(mac(value))
}

// Verify returns the value of a string made by Sign, and false if it was
// not signed with the demo key or was changed since.
func Verify(signed string) (string, bool) {
	enc := base64.RawURLEncoding
	v, s, ok := strings.Cut(signed, ".")
	if !ok {
		return "", false
	}
	value, err := enc.DecodeString(v)
	if err != nil {
		return "", false
	}
	sig, err := enc.DecodeString(s)
	if err != nil || !hmac.Equal(sig, mac(string(value))) {
		return "", false
	}
	return string(value), true
}

func mac(value string) []byte {
	h := hmac.New(sha256.New, demoKey)
	h.Write([]byte(value))
	return h.Sum(nil)
}
