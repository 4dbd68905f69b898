package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// poolSite is a site with accounts: GET /login?user=NAME&pw=PW logs in
// (sets sid=NAME) when PW is NAME's password, GET /page answers the
// logged-in account (401 without a login), sleeping ?ms= first. It counts,
// per account, the requests in flight (and the most ever), logins, login
// attempts and answers, and answers 429 to an account while it owes it
// some (block).
type poolSite struct {
	*httptest.Server
	mu       sync.Mutex
	inflight map[string]int
	most     map[string]int
	logins   map[string]int
	attempts map[string]int
	answered map[string]int
	owed     map[string]int    // 429s still to give
	after    map[string]string // their Retry-After
	wrong    map[string]bool   // accounts whose password is wrong
}

func newPoolSite(t *testing.T) *poolSite {
	t.Helper()
	s := &poolSite{
		inflight: map[string]int{}, most: map[string]int{}, logins: map[string]int{},
		attempts: map[string]int{}, answered: map[string]int{}, owed: map[string]int{},
		after: map[string]string{}, wrong: map[string]bool{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *poolSite) serve(w http.ResponseWriter, r *http.Request) {
	who := r.URL.Query().Get("user")
	if r.URL.Path != "/login" {
		c, err := r.Cookie("sid")
		if err != nil {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		who = c.Value
	}
	s.mu.Lock()
	s.inflight[who]++
	s.most[who] = max(s.most[who], s.inflight[who])
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight[who]--
		s.mu.Unlock()
	}()
	if ms, _ := strconv.Atoi(r.URL.Query().Get("ms")); ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.URL.Path == "/login":
		s.attempts[who]++
		if s.wrong[who] {
			http.Error(w, "wrong password", http.StatusForbidden)
			return
		}
		s.logins[who]++
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: who, Path: "/"})
		_, _ = io.WriteString(w, "welcome "+who)
	case s.owed[who] > 0:
		s.owed[who]--
		if a := s.after[who]; a != "" {
			w.Header().Set("Retry-After", a)
		}
		http.Error(w, "slow down", http.StatusTooManyRequests)
	default:
		s.answered[who]++
		_, _ = io.WriteString(w, "hello "+who)
	}
}

func (s *poolSite) count(m map[string]int, who string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[who]
}

// siteLogin logs name in on the site.
func siteLogin(name string) LoginFunc {
	return func(ctx context.Context, s *Session) error {
		resp, err := s.Get(ctx, "/login?user="+name)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the site said %s", resp.Status)
		}
		return nil
	}
}

func siteIdentities(names ...string) []Identity {
	ids := make([]Identity, len(names))
	for i, n := range names {
		ids[i] = Identity{Name: n, Login: siteLogin(n)}
	}
	return ids
}

func openTestPool(t *testing.T, dir string, site *poolSite, ids []Identity, opts ...PoolOption) *Pool {
	t.Helper()
	all := append([]PoolOption{WithSessionOptions(WithBaseURL(site.URL), WithLoginBackoff(20*time.Millisecond, 100*time.Millisecond))}, opts...)
	p, err := OpenPool(dir, ids, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// get sends GET path on the lease's session and returns the status, or
// the error.
func get(ctx context.Context, l *Lease, path string) (int, error) {
	resp, err := l.Session().Get(ctx, path)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func TestPoolLeasesAreExclusiveAndEachIdentityLogsInOnce(t *testing.T) {
	site := newPoolSite(t)
	names := []string{"ann", "bob", "cy", "dee"}
	p := openTestPool(t, t.TempDir(), site, siteIdentities(names...))
	ctx := testCtx(t)
	var wg sync.WaitGroup
	var served atomic.Int64
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				l, err := p.Acquire(ctx)
				if !assert.NoError(t, err) {
					return
				}
				status, err := get(ctx, l, "/page?ms=1")
				if assert.NoError(t, err) && assert.Equal(t, http.StatusOK, status) {
					served.Add(1)
				}
				l.Release()
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 12*20, served.Load())
	for _, n := range names {
		assert.Equal(t, 1, site.count(site.most, n), "%s had two requests in flight at once", n)
		assert.Equal(t, 1, site.count(site.logins, n), "%s logged in more than once", n)
	}
	uses := 0
	for _, st := range p.Status() {
		assert.Equal(t, IdentityFree, st.State, st.Name)
		uses += st.Uses
	}
	assert.Equal(t, 12*20, uses)
}

// blockedLease opens a pool of the one identity name on a site that
// answers its first page 429 with Retry-After: 1, and returns a lease that
// got that answer.
func blockedLease(t *testing.T, name string) (*poolSite, *Pool, *Lease, context.Context) {
	t.Helper()
	site := newPoolSite(t)
	site.owed[name], site.after[name] = 1, "1"
	p := openTestPool(t, t.TempDir(), site, siteIdentities(name))
	ctx := testCtx(t)
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	status, err := get(ctx, l, "/page")
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, status)
	return site, p, l, ctx
}

func TestPoolBlockedIdentityCoolsDownAndComesBack(t *testing.T) {
	site, p, l, ctx := blockedLease(t, "bob")
	_, err := get(ctx, l, "/page")
	require.ErrorIs(t, err, ErrBlocked)
	st := p.Status()[0]
	assert.Equal(t, IdentityLeased, st.State)
	l.Release()
	st = p.Status()[0]
	assert.Equal(t, IdentityCooling, st.State)
	assert.WithinDuration(t, time.Now().Add(time.Second), st.Until, 500*time.Millisecond)
	start := time.Now()
	l, err = p.Acquire(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "handed out while cooling down")
	status, err := get(ctx, l, "/page")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	l.Release()
	assert.Equal(t, 1, site.count(site.logins, "bob"))
}

func TestPoolRetiresAnIdentityWhoseLoginKeepsFailing(t *testing.T) {
	site := newPoolSite(t)
	site.wrong["eve"] = true
	p := openTestPool(t, t.TempDir(), site, siteIdentities("ann", "eve"))
	ctx := testCtx(t)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		l, err := p.Acquire(ctx)
		require.NoError(t, err)
		_, _ = get(ctx, l, "/page")
		l.Release()
		if p.Status()[1].State == IdentityRetired {
			break
		}
	}
	st := p.Status()[1]
	require.Equal(t, IdentityRetired, st.State)
	assert.ErrorIs(t, st.Err, ErrRetired)
	assert.ErrorIs(t, st.Err, ErrLoginFailed)
	assert.Equal(t, 3, site.count(site.attempts, "eve"))
	_, err := p.AcquireName(ctx, "eve")
	assert.ErrorIs(t, err, ErrRetired)

	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ann", l.Name())
	l.Retire(errors.New("done with ann"))
	_, err = p.Acquire(ctx)
	require.ErrorIs(t, err, ErrNoIdentity)
	assert.ErrorContains(t, err, "done with ann")
	assert.ErrorContains(t, err, "403 Forbidden")

	require.NoError(t, p.Reinstate(ctx, "ann"))
	l, err = p.Acquire(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ann", l.Name())
	l.Release()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
