package httpsession

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Version is this library's version, sent in the default User-Agent.
const Version = "0.2.0"

// DefaultUserAgent is the User-Agent a Session sends unless told otherwise.
const DefaultUserAgent = "httpsession/" + Version + " (+https://github.com/httpsession/httpsession)"

// DefaultMaxRedirects is how many redirects a Session follows, as requests.
const DefaultMaxRedirects = 30

// DefaultSaveInterval bounds how much an Open session can lose in a crash:
// changes are saved at most this long after they happen.
const DefaultSaveInterval = time.Second

// Option configures a Session made by New or Open. A nil Option is ignored.
type Option func(*sessionConfig)

type sessionConfig struct {
	jar          *Jar
	jarOpts      []JarOption
	base         http.RoundTripper
	proxy        func(*http.Request) (*url.URL, error)
	proxySet     bool
	header       http.Header
	baseURL      string
	baseURLSet   bool
	query        url.Values
	auth         authFunc
	timeout      time.Duration
	maxRedirects int
	retry        *RetryPolicy
	logger       *slog.Logger
	saveInterval time.Duration
	loadOpts     []LoadOption
	saveOpts     []SaveOption
	login        LoginFunc
	loggedOut    func(*http.Response) bool
	loginLock    LoginLock
	loginTimeout time.Duration
	// loginBackoff and maxLoginBackoff: WithLoginBackoff.
	loginBackoff, maxLoginBackoff time.Duration
	// pool is set by a Pool for the sessions of its identities.
	pool *poolHooks
}

// authFunc sets a request's credentials.
type authFunc func(h http.Header)

func defaultSessionConfig() sessionConfig {
	h := make(http.Header)
	h.Set("User-Agent", DefaultUserAgent)
	return sessionConfig{
		header:          h,
		query:           make(url.Values),
		maxRedirects:    DefaultMaxRedirects,
		saveInterval:    DefaultSaveInterval,
		loginTimeout:    DefaultLoginTimeout,
		loginBackoff:    DefaultLoginBackoff,
		maxLoginBackoff: DefaultMaxLoginBackoff,
	}
}

// WithJar makes the session keep its cookies in j, which may be shared with
// other sessions and clients. By default New makes an empty jar and Open a
// jar loaded from its file.
func WithJar(j *Jar) Option {
	return func(c *sessionConfig) { c.jar = j }
}

// WithJarOptions configures the jar the session makes (ignored with WithJar).
func WithJarOptions(opts ...JarOption) Option {
	return func(c *sessionConfig) { c.jarOpts = append(c.jarOpts, opts...) }
}

// WithTransport sets the transport underneath the session's own, which
// handles cookies, defaults, retries and logging. The default is
// LoopbackTransport(nil): a clone of http.DefaultTransport that connects
// localhost names to loopback without DNS and never proxies them. The jar
// sends Secure cookies to such hosts over plain http, as browsers do, so
// pass an *http.Transport of your own through LoopbackTransport first.
func WithTransport(base http.RoundTripper) Option {
	return func(c *sessionConfig) { c.base = base }
}

// WithProxy sets the proxy function of the session's default transport. The
// default is http.ProxyFromEnvironment; nil means no proxy. Requests to
// localhost names and loopback addresses never go through the proxy. It cannot be
// combined with WithTransport, whose transport chooses its own proxy.
func WithProxy(proxy func(*http.Request) (*url.URL, error)) Option {
	return func(c *sessionConfig) { c.proxy, c.proxySet = proxy, true }
}

// WithHeader sets a header sent with every request, as requests'
// session.headers. An empty value removes a default, such as User-Agent.
// New and Open refuse a key that is not an HTTP token and a value with a
// control character.
func WithHeader(key, value string) Option {
	return func(c *sessionConfig) {
		if value == "" {
			c.header.Del(key)
			return
		}
		c.header.Set(key, value)
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option { return WithHeader("User-Agent", ua) }

// WithBaseURL sets the URL that relative request URLs resolve against, such
// as "https://api.example.com/v1/", in Get and the other methods and in Do.
// It must be an absolute http or https URL: New and Open refuse anything
// else, an empty string included. Session.Cookie and Session.CookieMap read
// the cookies the session would send to it.
func WithBaseURL(base string) Option {
	return func(c *sessionConfig) { c.baseURL, c.baseURLSet = base, true }
}

// WithQuery adds a query parameter to every request, as requests'
// session.params. Its value never reaches a log or an error: query values
// are shown as REDACTED.
func WithQuery(key, value string) Option {
	return func(c *sessionConfig) { c.query.Add(key, value) }
}

// WithBasicAuth sends HTTP basic credentials with every request to the host
// of the request (never to another host a redirect leads to).
func WithBasicAuth(user, password string) Option {
	return func(c *sessionConfig) { c.auth = basicAuth(user, password) }
}

// WithBearerToken sends "Authorization: Bearer token" with every request to
// the host of the request (never to another host a redirect leads to).
func WithBearerToken(token string) Option {
	return func(c *sessionConfig) { c.auth = bearerAuth(token) }
}

// WithTimeout bounds each request, redirects and retries included, as
// http.Client.Timeout does. Zero, the default, means no limit beyond the
// request's context.
func WithTimeout(d time.Duration) Option {
	return func(c *sessionConfig) { c.timeout = d }
}

// WithMaxRedirects sets how many redirects a request follows (default 30,
// as requests). Zero means redirects are not followed: the 3xx response is
// returned.
func WithMaxRedirects(n int) Option {
	return func(c *sessionConfig) { c.maxRedirects = n }
}

// WithRetry turns retries on with the given policy (see RetryPolicy). By
// default a session does not retry.
func WithRetry(p RetryPolicy) Option {
	return func(c *sessionConfig) { c.retry = &p }
}

// WithLogger logs one line per request and one per response at debug level.
// Cookie values and the Cookie, Set-Cookie and Authorization headers never
// reach the log: only cookie names do. URLs are logged with their password,
// every query value ("?api_key=REDACTED", the keys kept) and their fragment
// replaced, and errors without what they quote of a malformed URL or reply.
func WithLogger(l *slog.Logger) Option {
	return func(c *sessionConfig) { c.logger = l }
}

// WithSaveInterval sets how long an Open session waits after a change
// before saving, so that a crawl is not held up by the disk: a crash loses
// at most this much. The default is DefaultSaveInterval. Zero or less saves
// after every response that changed the jar, before the response is
// returned. After a save fails (the error is logged, and Close reports the
// last), the next waits twice as long as the one before, up to a minute
// (a second, doubled, with zero), so that a file that cannot be written is
// not tried again at every change; a save that succeeds ends the backoff.
func WithSaveInterval(d time.Duration) Option {
	return func(c *sessionConfig) { c.saveInterval = d }
}

// WithSaveOptions sets the options an Open session saves with, such as
// OmitSessionCookies or LockTimeout.
func WithSaveOptions(opts ...SaveOption) Option {
	return func(c *sessionConfig) { c.saveOpts = append(c.saveOpts, opts...) }
}

// WithLoadOptions sets the options with which Open loads its file, such
// as ReadLarge for a file an older version let grow past MaxFileSize.
func WithLoadOptions(opts ...LoadOption) Option {
	return func(c *sessionConfig) { c.loadOpts = append(c.loadOpts, opts...) }
}

// RequestOption configures one request of a Session. A nil RequestOption
// is ignored.
type RequestOption func(*requestConfig)

type requestConfig struct {
	header  http.Header
	remove  []string
	query   url.Values
	cookies []*http.Cookie
	auth    authFunc
}

// Header sets a header for this request only, replacing the session's. An
// empty value removes the session's header of that name from this request.
func Header(key, value string) RequestOption {
	return func(c *requestConfig) {
		key = http.CanonicalHeaderKey(key)
		c.remove = slices.DeleteFunc(c.remove, func(k string) bool { return k == key })
		if value == "" {
			c.header.Del(key)
			c.remove = append(c.remove, key)
			return
		}
		c.header.Set(key, value)
	}
}

// Query adds a query parameter to this request only.
func Query(key, value string) RequestOption {
	return func(c *requestConfig) { c.query.Add(key, value) }
}

// Cookies sends cookies with this request only, as requests'
// cookies={...}: they are never stored, and they replace the jar's cookies
// of the same name for this request. They go to the request's host only,
// not to other hosts a redirect leads to. Only Name, Value and Quoted are
// used. A value with a space or a comma is sent in double quotes
// (theme="dark mode"), as net/http's Cookie.String sends it, so that no
// server reads it as two cookies; other values are quoted only if Quoted is
// set.
//
// They are checked before anything is sent: a name that is not an HTTP
// token, or a value with ';', a control character, '"', '\\' or a byte
// outside ASCII (which net/http's own Cookie handling would drop) makes the
// request fail with an error that wraps ErrInvalidCookie and does not show
// the value.
func Cookies(cookies ...*http.Cookie) RequestOption {
	return func(c *requestConfig) { c.cookies = append(c.cookies, cookies...) }
}

// CookieMap is Cookies given as a map of names to values, as requests'
// cookies={"k": "v"}. They are sent in the order of their names.
func CookieMap(cookies map[string]string) RequestOption {
	return func(c *requestConfig) {
		for _, name := range slices.Sorted(maps.Keys(cookies)) {
			c.cookies = append(c.cookies, &http.Cookie{Name: name, Value: cookies[name]})
		}
	}
}

// BasicAuth sends HTTP basic credentials with this request, in place of the
// session's.
func BasicAuth(user, password string) RequestOption {
	return func(c *requestConfig) { c.auth = basicAuth(user, password) }
}

// BearerToken sends "Authorization: Bearer token" with this request, in
// place of the session's.
func BearerToken(token string) RequestOption {
	return func(c *requestConfig) { c.auth = bearerAuth(token) }
}

func basicAuth(user, password string) authFunc {
	return func(h http.Header) {
		r := http.Request{Header: h}
		r.SetBasicAuth(user, password)
	}
}

func bearerAuth(token string) authFunc {
	return func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
}

// check refuses what the request options cannot send as given: a header
// that net/http would refuse, a cookie it would mangle.
func (c *requestConfig) check() error {
	if err := checkHeader(c.header); err != nil {
		return err
	}
	for i, ck := range c.cookies {
		if err := checkRequestCookie(ck); err != nil {
			return fmt.Errorf("%w (per-request cookie #%d)", err, i+1)
		}
	}
	return nil
}

// checkHeader refuses a header name that is not a token and a value with a
// control character other than tab (RFC 9110 §5.1, §5.5), without showing
// the value, which may be a credential.
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if !isToken(k) {
			return fmt.Errorf("httpsession: header name %q is not a token (RFC 9110 §5.1)", k)
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
					return fmt.Errorf("httpsession: header %s: value holds a control character (RFC 9110 §5.5)", k)
				}
			}
		}
	}
	return nil
}

// checkRequestCookie checks a cookie to be sent as given: its name must be a
// token and its value cookie-octets (RFC 6265bis §4.1.1) or a space or
// comma, which net/http also keeps and sends quoted (see wireCookies). The
// error does not show the value.
func checkRequestCookie(c *http.Cookie) error {
	if c == nil {
		return refusal("nil cookie")
	}
	if !isToken(c.Name) {
		return refusal("name is not an HTTP token (RFC 6265bis §4.1.1)")
	}
	for i := 0; i < len(c.Value); i++ {
		switch b := c.Value[i]; {
		case b == ';':
			return refusal(fmt.Sprintf("cookie %s: value holds ';' (RFC 6265bis §4.1.1)", c.Name))
		case b < ' ' || b == 0x7f:
			return refusal(fmt.Sprintf("cookie %s: value holds a control character (RFC 6265bis §4.1.1)", c.Name))
		case b == '"' || b == '\\':
			return refusal(fmt.Sprintf("cookie %s: value holds %q, which net/http drops (RFC 6265bis §4.1.1)", c.Name, b))
		case b >= 0x80:
			return refusal(fmt.Sprintf("cookie %s: value holds a byte outside ASCII, which net/http drops; escape it, e.g. with url.QueryEscape (RFC 6265bis §4.1.1)", c.Name))
		}
	}
	return nil
}
