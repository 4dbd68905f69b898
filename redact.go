package httpsession

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// redactRawURL hides the password of a URL that may not even parse, the way
// url.URL.Redacted does for one that does: "http://user:xxxxx@host/".
func redactRawURL(raw string) string {
	start := strings.Index(raw, "//")
	if start < 0 {
		return raw
	}
	start += 2
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw
	}
	userinfo := raw[start : start+at]
	user, _, hasPassword := strings.Cut(userinfo, ":")
	if !hasPassword {
		return raw
	}
	return raw[:start] + user + ":xxxxx" + raw[start+at:]
}

// redactParseError hides a password inside a *url.Error from url.Parse,
// which quotes the whole URL.
func redactParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactRawURL(ue.URL), Err: ue.Err}
	}
	return err
}

// requestError says which request failed, wrapping the cause. net/http's
// *url.Error is unwrapped first, so the method and URL are not said twice.
func requestError(method string, u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	where := ""
	if u != nil {
		where = u.Redacted()
	}
	return fmt.Errorf("httpsession: %s %s: %w", method, where, err)
}
