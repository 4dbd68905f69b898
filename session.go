package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNoFile is returned by Save for a session made by New, which has no file.
var ErrNoFile = errors.New("httpsession: session has no file")

// ErrClosed is wrapped by the error of Save on a session that was closed.
var ErrClosed = errors.New("httpsession: session is closed")

// ErrTooManyRedirects is wrapped by the error of a request that was
// redirected more often than the session allows.
var ErrTooManyRedirects = errors.New("httpsession: too many redirects")

// Session is an HTTP client that stays logged in, as Python's
// requests.Session: it keeps cookies in a Jar, sends default headers, query
// parameters and credentials with every request, and, when made by Open,
// saves its cookies to a file so that the next run is still logged in.
//
// A Session is safe for concurrent use by multiple goroutines.
type Session struct {
	jar     *Jar
	client  *http.Client
	cfg     sessionConfig
	baseURL *url.URL
	path    string          // the file of an Open session
	format  fileFormat      // the format it is kept in
	own     *http.Transport // the transport New made, closed by Close

	mu      sync.Mutex
	timer   *time.Timer    // a pending autosave
	saving  sync.WaitGroup // autosaves under way, which Close waits for
	closed  bool
	saveErr error // the last autosave's failure, reported by Close
}

// New returns a session whose cookies live in memory (or in the jar given
// with WithJar). It returns an error when options contradict each other.
func New(opts ...Option) (*Session, error) {
	cfg := defaultSessionConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	s := &Session{cfg: cfg, jar: cfg.jar}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.jar == nil {
		s.jar = NewJar(cfg.jarOpts...)
	}
	base := cfg.base
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.proxySet {
			t.Proxy = cfg.proxy
		}
		s.own, base = t, t
	}
	if cfg.logger != nil {
		base = &logTransport{logger: cfg.logger, next: base}
	}
	var rt http.RoundTripper = &Transport{Jar: s.jar, Base: base, changed: s.changed}
	if cfg.retry != nil {
		rt = &retryTransport{policy: *cfg.retry, next: rt, now: time.Now}
	}
	s.client = &http.Client{
		Transport:     &defaultsTransport{s: s, next: rt},
		CheckRedirect: s.checkRedirect,
		Timeout:       cfg.timeout,
	}
	return s, nil
}

func (s *Session) validate() error {
	c := &s.cfg
	if c.baseURL != "" {
		u, err := url.Parse(c.baseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("httpsession: base URL %q is not an absolute URL", c.baseURL)
		}
		s.baseURL = u
	}
	switch {
	case c.proxySet && c.base != nil:
		return errors.New("httpsession: WithProxy and WithTransport do not combine: set the proxy on the transport")
	case c.maxRedirects < 0:
		return errors.New("httpsession: WithMaxRedirects needs a number of 0 or more")
	case c.timeout < 0:
		return errors.New("httpsession: WithTimeout needs a duration of 0 or more")
	case c.retry != nil && (c.retry.MinBackoff < 0 || c.retry.MaxBackoff < 0):
		return errors.New("httpsession: RetryPolicy backoffs must not be negative")
	}
	return nil
}

// Open returns a session that keeps its cookies in the file at path: it
// loads the file if it exists (native JSON or cookies.txt), saves changes
// back to it by itself (see WithSaveInterval) and on Close, and merges with
// other processes saving the same file (see Jar.SaveContext). A new file is
// a cookies.txt if path ends in ".txt", and native JSON otherwise; an
// existing file keeps its format.
//
// A file that cannot be read makes Open fail (the error wraps ErrCorrupt)
// rather than start empty and later overwrite it; so does a path that is
// not a regular file (ErrUnsafePath), such as a FIFO or a device. If single
// records of the file cannot be read or are refused (a hand-edited line, a
// cookie planted on a public suffix), Open returns the session together
// with a *FileError that names them: the session works, and every save
// keeps those records in the file as they are. They are also logged at
// warning level with WithLogger.
func Open(path string, opts ...Option) (*Session, error) {
	if path == "" {
		return nil, fmt.Errorf("httpsession: open: %w: empty path", ErrUnsafePath)
	}
	target, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("httpsession: open %s: %w", path, err)
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	s.path, s.format = path, formatNative
	if strings.EqualFold(filepath.Ext(path), ".txt") {
		s.format = formatNetscape
	}
	var loadErr error
	err = s.jar.Load(path)
	var fe *FileError
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
	case errors.As(err, &fe):
		loadErr = err
		if s.cfg.logger != nil {
			s.cfg.logger.Warn("httpsession: some records of the cookie file were not loaded; they are kept in the file", "error", err)
		}
	default:
		s.closeIdle()
		return nil, err
	}
	// Keep the file in the format it has: a cookies.txt that curl also
	// uses stays a cookies.txt.
	s.jar.mu.Lock()
	if st := s.jar.hist.file(target); st != nil && st.format != formatNone {
		s.format = st.format
	}
	s.jar.mu.Unlock()
	// Fail now, not at the first save, if the file's directory is missing
	// or not writable: creating the lock file beside it tells.
	if err := probeLockFile(target + ".lock"); err != nil {
		s.closeIdle()
		return nil, fmt.Errorf("httpsession: open %s: %w", path, err)
	}
	return s, loadErr
}

// Jar returns the session's cookie jar.
func (s *Session) Jar() *Jar { return s.jar }

// Client returns an http.Client that shares this session's cookies, default
// headers, credentials, query parameters, retries and logging, to hand to
// libraries that take one. Each call returns a new client value, so
// changing it does not change the session.
func (s *Session) Client() *http.Client {
	c := *s.client
	return &c
}

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
func (s *Session) PostJSON(ctx context.Context, url string, v any, opts ...RequestOption) (*http.Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("httpsession: POST %s: encode JSON: %w", redactRawURL(url), err)
	}
	return s.send(ctx, http.MethodPost, url, bytes.NewReader(body), "application/json", opts)
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
// where req has none of that name, its credentials, its query parameters.
// req.URL must be absolute. As with http.Client, the caller closes the
// response body.
func (s *Session) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, requestError(req.Method, req.URL, err)
	}
	return resp, nil
}

func (s *Session) send(ctx context.Context, method, rawURL string, body io.Reader, contentType string, opts []RequestOption) (*http.Response, error) {
	rc := requestConfig{header: make(http.Header), query: make(url.Values)}
	for _, opt := range opts {
		opt(&rc)
	}
	u, err := s.resolve(rawURL)
	if err != nil {
		return nil, fmt.Errorf("httpsession: %s %s: %w", method, redactRawURL(rawURL), redactParseError(err))
	}
	s.addQuery(u, rc.query)
	if len(rc.cookies) > 0 {
		ctx = withRequestCookies(ctx, u.Host, rc.cookies)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, preparedKey{}, true), method, u.String(), body)
	if err != nil {
		return nil, requestError(method, u, err)
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
	if s.baseURL != nil {
		u = s.baseURL.ResolveReference(u)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("not an absolute URL, and the session has no base URL")
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

// changed is called by the cookie transport when a response changed the
// jar: an Open session schedules a save.
func (s *Session) changed() {
	if s.path == "" {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.cfg.saveInterval <= 0 {
		// Close waits for this save, so that nothing writes the file
		// after Close returns.
		s.saving.Add(1)
		s.mu.Unlock()
		defer s.saving.Done()
		_ = s.save()
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.cfg.saveInterval, s.autosave)
	}
	s.mu.Unlock()
}

func (s *Session) autosave() {
	s.mu.Lock()
	s.timer = nil
	if s.closed {
		// Close stopped the timer too late; it saves by itself.
		s.mu.Unlock()
		return
	}
	s.saving.Add(1)
	s.mu.Unlock()
	defer s.saving.Done()
	_ = s.save()
}

// save writes the jar to the session's file, remembering a failure for
// Close to report.
func (s *Session) save() error {
	err := s.jar.saveFile(context.Background(), s.path, s.format, s.cfg.saveOpts)
	s.mu.Lock()
	s.saveErr = err
	s.mu.Unlock()
	if err != nil && s.cfg.logger != nil {
		s.cfg.logger.Error("httpsession: saving cookies failed", "error", err)
	}
	return err
}

// Save writes the session's cookies to its file now. A session made by New
// has no file: Save returns ErrNoFile; use Jar().Save(path) instead. After
// Close, which saved for the last time, Save returns ErrClosed and writes
// nothing.
func (s *Session) Save() error {
	if s.path == "" {
		return ErrNoFile
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("httpsession: save %s: %w", s.path, ErrClosed)
	}
	return s.save()
}

// Close saves an Open session's cookies and releases its idle connections.
// It is safe to call more than once; later calls do nothing. A session still
// sends requests after Close, but no longer saves.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	// An autosave that had already begun finishes first, so that nothing
	// writes the file after Close returns.
	s.saving.Wait()
	var err error
	if s.path != "" {
		err = s.save()
	}
	s.closeIdle()
	return err
}

func (s *Session) closeIdle() {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
}

// logTransport logs each request and response at debug level, with no
// cookie value and no credentials.
type logTransport struct {
	logger *slog.Logger
	next   http.RoundTripper
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !t.logger.Enabled(ctx, slog.LevelDebug) {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	t.logger.LogAttrs(ctx, slog.LevelDebug, "http request",
		slog.String("method", req.Method),
		slog.String("url", req.URL.Redacted()),
		slog.Any("cookies", cookieHeaderNames(req.Header.Values("Cookie"))),
		slog.Bool("authorization", req.Header.Get("Authorization") != ""),
	)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.logger.LogAttrs(ctx, slog.LevelDebug, "http error",
			slog.String("method", req.Method),
			slog.String("url", req.URL.Redacted()),
			slog.Duration("elapsed", time.Since(start)),
			slog.String("error", err.Error()),
		)
		return nil, err
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "http response",
		slog.String("method", req.Method),
		slog.String("url", req.URL.Redacted()),
		slog.Int("status", resp.StatusCode),
		slog.Duration("elapsed", time.Since(start)),
		slog.Any("set_cookies", setCookieNames(resp.Header.Values("Set-Cookie"))),
	)
	return resp, nil
}

// cookieHeaderNames returns the names of the cookies in Cookie headers.
func cookieHeaderNames(lines []string) []string {
	var names []string
	for _, line := range lines {
		for _, c := range parseCookieHeader(line) {
			names = append(names, c.Name)
		}
	}
	return names
}

// setCookieNames returns the cookie names of Set-Cookie lines.
func setCookieNames(lines []string) []string {
	names := make([]string, 0, len(lines))
	for _, line := range lines {
		pair, _, _ := strings.Cut(line, ";")
		name, _, ok := strings.Cut(pair, "=")
		if !ok {
			name = ""
		}
		names = append(names, trimWSP(name))
	}
	return names
}
