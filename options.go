package httpsession

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Version is this library's version, sent in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is the User-Agent a Session sends unless told otherwise.
const DefaultUserAgent = "httpsession/" + Version + " (+https://github.com/httpsession/httpsession)"

// DefaultMaxRedirects is how many redirects a Session follows, as requests.
const DefaultMaxRedirects = 30

// DefaultSaveInterval bounds how much an Open session can lose in a crash:
// changes are saved at most this long after they happen.
const DefaultSaveInterval = time.Second

// Option configures a Session made by New or Open.
type Option func(*sessionConfig)

type sessionConfig struct {
	jar          *Jar
	jarOpts      []JarOption
	base         http.RoundTripper
	proxy        func(*http.Request) (*url.URL, error)
	proxySet     bool
	header       http.Header
	baseURL      string
	query        url.Values
	auth         authFunc
	timeout      time.Duration
	maxRedirects int
	retry        *RetryPolicy
	logger       *slog.Logger
	saveInterval time.Duration
	saveOpts     []SaveOption
}

// authFunc sets a request's credentials.
type authFunc func(h http.Header)

func defaultSessionConfig() sessionConfig {
	h := make(http.Header)
	h.Set("User-Agent", DefaultUserAgent)
	return sessionConfig{
		header:       h,
		query:        make(url.Values),
		maxRedirects: DefaultMaxRedirects,
		saveInterval: DefaultSaveInterval,
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
// handles cookies, defaults, retries and logging. The default is a clone of
// http.DefaultTransport.
func WithTransport(base http.RoundTripper) Option {
	return func(c *sessionConfig) { c.base = base }
}

// WithProxy sets the proxy function of the session's default transport. The
// default is http.ProxyFromEnvironment; nil means no proxy. It cannot be
// combined with WithTransport, whose transport chooses its own proxy.
func WithProxy(proxy func(*http.Request) (*url.URL, error)) Option {
	return func(c *sessionConfig) { c.proxy, c.proxySet = proxy, true }
}

// WithHeader sets a header sent with every request, as requests'
// session.headers. An empty value removes a default, such as User-Agent.
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
// as "https://api.example.com/v1/". It must be absolute.
func WithBaseURL(base string) Option {
	return func(c *sessionConfig) { c.baseURL = base }
}

// WithQuery adds a query parameter to every request, as requests'
// session.params.
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
// reach the log: only cookie names do.
func WithLogger(l *slog.Logger) Option {
	return func(c *sessionConfig) { c.logger = l }
}

// WithSaveInterval sets how long an Open session waits after a change
// before saving, so that a crawl is not held up by the disk: a crash loses
// at most this much. The default is DefaultSaveInterval. Zero or less saves
// after every response that changed the jar, before the response is
// returned.
func WithSaveInterval(d time.Duration) Option {
	return func(c *sessionConfig) { c.saveInterval = d }
}

// WithSaveOptions sets the options an Open session saves with, such as
// OmitSessionCookies or LockTimeout.
func WithSaveOptions(opts ...SaveOption) Option {
	return func(c *sessionConfig) { c.saveOpts = append(c.saveOpts, opts...) }
}

// RequestOption configures one request of a Session.
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

// Cookies sends cookies with this request only: they are never stored, and
// they replace the jar's cookies of the same name for this request. They go
// to the request's host only, not to other hosts a redirect leads to.
func Cookies(cookies ...*http.Cookie) RequestOption {
	return func(c *requestConfig) { c.cookies = append(c.cookies, cookies...) }
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
