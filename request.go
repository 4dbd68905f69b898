package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Get sends a GET request. A relative url resolves against the base URL.
func (s *Session) Get(ctx context.Context, url string, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodGet, url, nil, "", opts)
}

// Head sends a HEAD request.
func (s *Session) Head(ctx context.Context, url string, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodHead, url, nil, "", opts)
}

// Post sends a POST request with body. Set its Content-Type with Header.
func (s *Session) Post(ctx context.Context, url string, body io.Reader, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodPost, url, body, "", opts)
}

// PostForm sends a POST request with data as an HTML form
// (application/x-www-form-urlencoded), as a browser submits a login form.
func (s *Session) PostForm(ctx context.Context, url string, data url.Values, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodPost, url, strings.NewReader(data.Encode()), "application/x-www-form-urlencoded", opts)
}

// PostJSON sends a POST request with v encoded as JSON (application/json).
func (s *Session) PostJSON(ctx context.Context, rawURL string, v any, opts ...RequestOption) (*http.Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, &url.Error{Op: "Post", URL: redactRawURL(rawURL), Err: fmt.Errorf("httpsession: encode JSON: %w", err)}
	}
	return s.send(ctx, http.MethodPost, rawURL, bytes.NewReader(body), "application/json", opts)
}

// Put sends a PUT request with body.
func (s *Session) Put(ctx context.Context, url string, body io.Reader, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodPut, url, body, "", opts)
}

// Patch sends a PATCH request with body.
func (s *Session) Patch(ctx context.Context, url string, body io.Reader, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodPatch, url, body, "", opts)
}

// Delete sends a DELETE request.
func (s *Session) Delete(ctx context.Context, url string, opts ...RequestOption) (*http.Response, error) {
	return s.send(ctx, http.MethodDelete, url, nil, "", opts)
}

// Do sends req with the session's cookies and defaults: its default headers
// where req has none of that name, its credentials, its query parameters. A
// relative req.URL (no scheme and no host) resolves against the base URL, as
// with Get; req itself is not changed. As with http.Client, the caller
// closes the response body, and every error is a *url.Error, whose URL has
// its password, query values and fragment redacted.
func (s *Session) Do(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, &url.Error{Op: "Do", Err: errNilRequest}
	}
	if req.URL.Scheme == "" && req.URL.Host == "" {
		u, err := s.resolveURL(req.URL)
		if err != nil {
			return nil, urlError(req.Method, req.URL, err)
		}
		r := new(http.Request)
		*r = *req
		r.URL = u
		req = r
	}
	resp, err := s.doLoggedIn(req)
	if err != nil {
		// A logged-out response that could not be helped comes back with
		// its error (see WithLogin); otherwise resp is nil.
		if !errors.Is(err, ErrLoggedOut) {
			resp = nil
		}
		return resp, urlError(req.Method, req.URL, err)
	}
	return resp, nil
}

// Errors of requests that were never sent.
var (
	errNilContext = errors.New("httpsession: nil Context")
	errNilRequest = errors.New("httpsession: nil Request")
	errNoBaseURL  = errors.New("httpsession: not an absolute URL, and the session has no base URL")
)

func (s *Session) send(ctx context.Context, method, rawURL string, body io.Reader, contentType string, opts []RequestOption) (*http.Response, error) {
	if ctx == nil {
		return nil, &url.Error{Op: urlErrorOp(method), URL: redactRawURL(rawURL), Err: errNilContext}
	}
	rc := requestConfig{header: make(http.Header), query: make(url.Values)}
	for _, opt := range opts {
		if opt != nil {
			opt(&rc)
		}
	}
	u, err := s.resolve(rawURL)
	if err != nil {
		if hint := schemeHint(rawURL); hint != "" {
			err = fmt.Errorf("%w%s", redactParseError(err), hint)
		} else {
			err = redactParseError(err)
		}
		return nil, &url.Error{Op: urlErrorOp(method), URL: redactRawURL(rawURL), Err: err}
	}
	if err := rc.check(); err != nil {
		return nil, urlError(method, u, err)
	}
	s.addQuery(u, rc.query)
	if len(rc.cookies) > 0 {
		ctx = withRequestCookies(ctx, u.Host, rc.cookies)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, preparedKey{}, true), method, u.String(), body)
	if err != nil {
		return nil, urlError(method, u, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range s.cfg.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range rc.header {
		req.Header[k] = vs
	}
	for _, k := range rc.remove {
		req.Header.Del(k)
	}
	// A removed User-Agent means none at all, not net/http's own: an
	// empty value tells net/http to send no User-Agent header.
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""}
	}
	switch {
	case rc.auth != nil:
		rc.auth(req.Header)
	case s.cfg.auth != nil && !removes(rc.remove, "Authorization") && req.Header.Get("Authorization") == "":
		s.cfg.auth(req.Header)
	}
	return s.Do(req)
}

func removes(keys []string, key string) bool {
	return slices.Contains(keys, key)
}

// resolve makes a request URL absolute against the base URL.
func (s *Session) resolve(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return s.resolveURL(u)
}

// resolveURL makes u absolute against the base URL.
func (s *Session) resolveURL(u *url.URL) (*url.URL, error) {
	if s.baseURL != nil {
		u = s.baseURL.ResolveReference(u)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, errNoBaseURL
	}
	return u, nil
}

// addQuery appends the session's and the request's query parameters to u,
// leaving the parameters u already has as they were written.
func (s *Session) addQuery(u *url.URL, extra url.Values) {
	add := make(url.Values, len(s.cfg.query)+len(extra))
	for k, vs := range s.cfg.query {
		add[k] = append(add[k], vs...)
	}
	for k, vs := range extra {
		add[k] = append(add[k], vs...)
	}
	if len(add) == 0 {
		return
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += add.Encode()
}

// checkRedirect bounds redirects and drops credentials that would leave
// their host: a redirect to another host, or from https to http, loses the
// Authorization header, as in requests.
func (s *Session) checkRedirect(req *http.Request, via []*http.Request) error {
	if s.cfg.maxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > s.cfg.maxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, s.cfg.maxRedirects)
	}
	if !sameOrigin(via[0].URL, req.URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

// sameOrigin reports whether credentials for from may go to to, as
// requests decides: the same host name, and the same scheme and port, except
// that http on port 80 may move up to https on port 443.
func sameOrigin(from, to *url.URL) bool {
	if !strings.EqualFold(from.Hostname(), to.Hostname()) {
		return false
	}
	fs, ts := strings.ToLower(from.Scheme), strings.ToLower(to.Scheme)
	fp, tp := portOf(from), portOf(to)
	if fs == "http" && fp == "80" && ts == "https" && tp == "443" {
		return true
	}
	return fs == ts && fp == tp
}

// portOf returns u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "wss") {
		return "443"
	}
	return "80"
}

// preparedKey marks requests built by the session's own methods, which
// already carry its defaults.
type preparedKey struct{}

// defaultsTransport gives requests sent through Client or Do the session's
// defaults; requests from Get, Post and the others already have them.
type defaultsTransport struct {
	s    *Session
	next http.RoundTripper
}

func (t *defaultsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if prepared, _ := req.Context().Value(preparedKey{}).(bool); prepared {
		return t.next.RoundTrip(req)
	}
	cfg := &t.s.cfg
	r := req.Clone(req.Context())
	for k, vs := range cfg.header {
		if _, ok := r.Header[k]; !ok {
			r.Header[k] = append([]string(nil), vs...)
		}
	}
	// Credentials go only to the host the caller first asked for.
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	if cfg.auth != nil && r.Header.Get("Authorization") == "" && sameOrigin(first.URL, req.URL) {
		cfg.auth(r.Header)
	}
	if req.Response == nil {
		t.s.addQuery(r.URL, nil)
	}
	return t.next.RoundTrip(r)
}
