package cookiefile

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// cookieJSON is a Cookie as JSON: the record of the native cookie file
// without what the file keeps beside the cookie. Names, values and paths that are not valid
// UTF-8 (a server may send any byte) are stored in base64 beside an empty
// text field, so that nothing is lost to JSON's UTF-8 replacement.
type cookieJSON struct {
	Name        string     `json:"name"`
	Value       string     `json:"value"`
	Domain      string     `json:"domain"`
	Path        string     `json:"path"`
	HostOnly    bool       `json:"hostOnly"`
	Secure      bool       `json:"secure"`
	HttpOnly    bool       `json:"httpOnly"`
	SameSite    string     `json:"sameSite,omitempty"`
	Partitioned bool       `json:"partitioned,omitempty"`
	Quoted      bool       `json:"quoted,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"` // absent for a session cookie
	Created     time.Time  `json:"created"`
	LastAccess  time.Time  `json:"lastAccess"`
	NameBase64  string     `json:"nameBase64,omitempty"`
	ValueBase64 string     `json:"valueBase64,omitempty"`
	PathBase64  string     `json:"pathBase64,omitempty"`
}

// MarshalCookie encodes c as one record of the native cookie file (without
// the file's change time): every attribute, SameSite by name ("lax",
// "strict", "none", "default"), no "expires" for a session cookie, and
// base64 fields for bytes that are not UTF-8.
func MarshalCookie(c *Cookie) ([]byte, error) {
	r := toCookieJSON(c)
	return marshalRecord(&r)
}

// UnmarshalCookie decodes a cookie written by MarshalCookie, or a record of
// the native cookie file. The cookie is not checked against any rule.
func UnmarshalCookie(data []byte) (Cookie, error) {
	var r cookieJSON
	if err := json.Unmarshal(data, &r); err != nil {
		return Cookie{}, err
	}
	return r.cookie()
}

func toCookieJSON(c *Cookie) cookieJSON {
	r := cookieJSON{
		Domain:      c.Domain,
		HostOnly:    c.HostOnly,
		Secure:      c.Secure,
		HttpOnly:    c.HttpOnly,
		SameSite:    sameSiteName(c.SameSite),
		Partitioned: c.Partitioned,
		Quoted:      c.Quoted,
		Created:     c.Created,
		LastAccess:  c.LastAccess,
	}
	r.Name, r.NameBase64 = textField(c.Name)
	r.Value, r.ValueBase64 = textField(c.Value)
	r.Path, r.PathBase64 = textField(c.Path)
	if !c.Expires.IsZero() {
		exp := c.Expires
		r.Expires = &exp
	}
	return r
}

// cookie turns the record back into a Cookie.
func (r *cookieJSON) cookie() (Cookie, error) {
	c := Cookie{
		Name: r.Name, Value: r.Value, Quoted: r.Quoted,
		Domain: r.Domain, Path: r.Path, HostOnly: r.HostOnly,
		Secure: r.Secure, HttpOnly: r.HttpOnly, Partitioned: r.Partitioned,
		Created: r.Created, LastAccess: r.LastAccess,
	}
	if r.Expires != nil {
		c.Expires = *r.Expires
	}
	var ok bool
	if c.SameSite, ok = sameSiteFromName(r.SameSite); !ok {
		return c, fmt.Errorf("%w: unknown sameSite %q", ErrInvalidCookie, r.SameSite)
	}
	err := fromBase64(base64Field{r.NameBase64, &c.Name}, base64Field{r.ValueBase64, &c.Value}, base64Field{r.PathBase64, &c.Path})
	return c, err
}

// base64Field is a base64 field of a record (empty when the text field
// says it all) and the text it stands for.
type base64Field struct {
	b64 string
	dst *string
}

// fromBase64 decodes the base64 fields given, each into its text.
func fromBase64(fields ...base64Field) error {
	for _, f := range fields {
		if f.b64 == "" {
			continue
		}
		raw, err := decodeBase64(f.b64)
		if err != nil {
			return err
		}
		*f.dst = raw
	}
	return nil
}

// sameSiteName names a SameSite mode as the cookie's JSON does.
func sameSiteName(m http.SameSite) string { return spellSameSite(m).native }

// sameSiteFromName reads a SameSite mode written by sameSiteName.
func sameSiteFromName(s string) (http.SameSite, bool) {
	for m := http.SameSite(0); m <= http.SameSiteNoneMode; m++ {
		if sameSiteName(m) == s {
			return m, true
		}
	}
	return 0, false
}

// textField splits a string into JSON text, or base64 when it is not UTF-8.
func textField(s string) (text, b64 string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	return "", base64.StdEncoding.EncodeToString([]byte(s))
}

// decodeBase64 decodes a base64 field of a record.
func decodeBase64(s string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("%w: bad base64 field", ErrInvalidCookie)
	}
	return string(raw), nil
}
