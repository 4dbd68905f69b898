package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/safefile"
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
	*session
	// unchecked marks the session a LoginFunc is given (see WithLogin):
	// its requests are never checked for being logged out.
	unchecked bool
	// lease marks the session a Lease hands out: its requests are sent
	// only while that lease holds its identity.
	lease *Lease
}

// session is a Session's state, shared by the Session and the view of it
// that its LoginFunc is given.
type session struct {
	jar     *Jar
	client  *http.Client
	cfg     sessionConfig
	baseURL *url.URL
	path    string          // the file of an Open session
	format  Format          // the format it is kept in
	own     *http.Transport // the transport New made, closed by Close

	mu    sync.Mutex
	timer *time.Timer // a pending autosave
	// running reports an autosave under way, and dirty a change made
	// meanwhile, for which the autosave schedules the next when it is
	// done, with what its outcome says of the delay.
	running, dirty bool
	saving         sync.WaitGroup // autosaves under way, which Close waits for
	closed         bool
	saveErr        error // the last autosave's failure, reported by Close
	// failed counts the saves that failed in a row, and failedAt is when
	// the last did: autosaves back off after each (backoffDelay), so
	// that a file that cannot be written (too large, corrupt, a full
	// disk) is not tried again at every change.
	failed   int
	failedAt time.Time

	login *loginRoom // with WithLogin
}

// New returns a session whose cookies live in memory (or in the jar given
// with WithJar). It returns an error when options contradict each other.
func New(opts ...Option) (*Session, error) {
	cfg := defaultSessionConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	s := &Session{session: &session{cfg: cfg, jar: cfg.jar}}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.jar == nil {
		s.jar = NewJar(cfg.jarOpts...)
	}
	if cfg.login != nil {
		s.login = &loginRoom{
			login:   cfg.login,
			detect:  cfg.loggedOut,
			timeout: cfg.loginTimeout,
			first:   cfg.loginBackoff,
			limit:   cfg.maxLoginBackoff,
			lock:    cfg.loginLock,
			view:    &Session{session: s.session, unchecked: true},
			publish: s.publishLogin,
			pool:    cfg.pool,
			logger:  cfg.logger,
			stopped: make(chan struct{}),
		}
	}
	base := cfg.base
	if base == nil {
		// LoopbackTransport(nil), with the proxy of WithProxy wrapped too.
		t := cloneDefaultTransport()
		if cfg.proxySet {
			t.Proxy = cfg.proxy
		}
		keepLoopbackLocal(t)
		s.own, base = t, t
	}
	if cfg.pool != nil {
		base = cfg.pool.guard(base)
	}
	if cfg.logger != nil {
		base = &logTransport{logger: cfg.logger, next: base}
	}
	var rt http.RoundTripper = &Transport{Jar: s.jar, Base: base, changed: s.changed}
	if cfg.retry != nil {
		rt = &retryTransport{policy: *cfg.retry, next: rt, now: time.Now}
		if cfg.pool != nil {
			rt.(*retryTransport).final = cfg.pool.blocked
		}
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
	if c.baseURLSet {
		u, err := url.Parse(c.baseURL)
		if err != nil || !isWebScheme(u.Scheme) || u.Host == "" {
			return fmt.Errorf("httpsession: base URL %q is not an absolute http or https URL%s", redactRawURL(c.baseURL), schemeHint(c.baseURL))
		}
		s.baseURL = u
	}
	if err := checkHeader(c.header); err != nil {
		return err
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
// loads the file if it exists (in any Format, detected as Jar.Load detects
// it), saves changes back to it by itself (see WithSaveInterval) and on
// Close, and merges with other processes saving the same file (see
// Jar.SaveContext). A new file is a cookies.txt if path ends in ".txt", and
// native JSON otherwise; an existing file keeps its format. So a
// Playwright storageState stays one that Playwright can load, its
// "origins" untouched (see Jar.ExportFile); so do the Cookie-Editor and
// DevTools Protocol formats. Those formats, like cookies.txt, keep no
// change times, deletions or creation times: the sync model still holds
// (see Format), but a deletion is known only by a cookie gone from the
// file.
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
		return nil, pathError("open", path, fmt.Errorf("%w: empty path", ErrUnsafePath))
	}
	target, err := safefile.Resolve(path)
	if err != nil {
		return nil, pathError("open", path, fileErr(err))
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	// The file is the one path names now: a later os.Chdir must not move
	// the saves away from the file, its lock and its login record.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, pathError("open", path, err)
	}
	s.path, s.format = abs, FormatJSON
	if strings.EqualFold(filepath.Ext(path), ".txt") {
		s.format = FormatNetscape
	}
	if s.login != nil && s.login.lock == nil {
		fl := &fileLoginLock{s: s, target: target}
		s.login.lock = fl
		// Read before the file, so that the cookies loaded are at least
		// as new as this generation's login.
		rec, err := fl.peek()
		if err != nil {
			s.closeIdle()
			return nil, pathError("open", path, err)
		}
		s.login.remote = rec.Generation
		if err := safefile.ProbeLock(fl.lockPath()); err != nil {
			s.closeIdle()
			return nil, pathError("open", path, fileErr(err))
		}
	}
	var loadErr error
	err = s.jar.LoadContext(context.Background(), path, s.cfg.loadOpts...)
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
	if err := safefile.ProbeLock(target + ".lock"); err != nil {
		s.closeIdle()
		return nil, pathError("open", path, fileErr(err))
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
	if s.lease != nil {
		c.Transport = &tagTransport{lease: s.lease, next: c.Transport}
	}
	return &c
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
		if s.failed > 0 && time.Since(s.failedAt) < backoffDelay(time.Second, s.failed) {
			// Backing off after failed saves; the next change after the
			// delay, or Close, tries again.
			s.mu.Unlock()
			return
		}
		// Close waits for this save, so that nothing writes the file
		// after Close returns.
		s.saving.Add(1)
		s.mu.Unlock()
		defer s.saving.Done()
		_ = s.save()
		return
	}
	switch {
	case s.running:
		s.dirty = true
	case s.timer == nil:
		s.timer = time.AfterFunc(backoffDelay(s.cfg.saveInterval, s.failed), s.autosave)
	}
	s.mu.Unlock()
}

// backoffDelay is how long an autosave waits after failed saves in a row:
// d, doubled for each failure, at most a minute (or d, if longer).
func backoffDelay(d time.Duration, failed int) time.Duration {
	return min(d<<min(failed, 16), max(d, time.Minute))
}

func (s *Session) autosave() {
	s.mu.Lock()
	s.timer = nil
	if s.closed {
		// Close stopped the timer too late; it saves by itself.
		s.mu.Unlock()
		return
	}
	s.running = true
	s.saving.Add(1)
	s.mu.Unlock()
	defer s.saving.Done()
	_ = s.save()
	s.mu.Lock()
	s.running = false
	if s.dirty && !s.closed && s.timer == nil {
		s.timer = time.AfterFunc(backoffDelay(s.cfg.saveInterval, s.failed), s.autosave)
	}
	s.dirty = false
	s.mu.Unlock()
}

// doLoggedIn sends req, and logs in when its answer means logged out (see
// WithLogin). Errors are not yet wrapped in a *url.Error.
func (s *Session) doLoggedIn(req *http.Request) (*http.Response, error) {
	if s.lease != nil {
		req = req.WithContext(s.lease.tag(req.Context()))
	}
	if s.login == nil || s.unchecked {
		return s.client.Do(req)
	}
	return s.login.do(req, s.client.Do)
}

// publishLogin saves a fresh login's cookies at once, before any request
// is sent again with them, so that the other processes on the file, and
// the next run, find them. A session closed meanwhile saves nothing: Close
// saves by itself, and nothing writes the file after Close.
func (s *Session) publishLogin() error {
	if s.path == "" {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("%w: the login ended after Close", ErrClosed)
	}
	s.saving.Add(1)
	s.mu.Unlock()
	defer s.saving.Done()
	return s.save()
}

// save writes the jar to the session's file, remembering a failure for
// Close to report.
func (s *Session) save() error {
	err := s.jar.saveFile(context.Background(), s.path, s.format, s.cfg.saveOpts)
	s.mu.Lock()
	s.saveErr = err
	if err != nil {
		s.failed, s.failedAt = s.failed+1, time.Now()
	} else {
		s.failed = 0
	}
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
		return pathError("save", s.path, ErrClosed)
	}
	return s.save()
}

// Close saves an Open session's cookies and releases its idle connections.
// It stops the session's logins (WithLogin): none starts after it, and the
// one under way is cancelled and waited for at most a second, whatever its
// LoginFunc does. It is safe to call more than once; later calls do
// nothing. A session still sends requests after Close, but no longer saves
// and no longer logs in.
//
// Close on the Session of a Lease releases the lease (see Lease.Release)
// and leaves the session open for the pool's next lease: the Pool closes
// its sessions.
func (s *Session) Close() error {
	if s.lease != nil {
		s.lease.Release()
		return nil
	}
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
	if s.login != nil {
		// No login starts now; the one under way is cancelled, and
		// waited for a moment at most.
		s.login.stop()
	}
	// An autosave, or a login's save, that had already begun finishes
	// first, so that nothing writes the file after Close returns.
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
