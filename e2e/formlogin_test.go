//go:build unix

package e2e

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// FormLogin against the real Django LoginView, with no WithLoggedOut: the
// redirect of login_required to the form starts a login, and another after
// the server ended every session.
func TestDjangoFormLoginWithNoLoggedOutTest(t *testing.T) {
	srv := djangoServer(t)
	endSessions(t, srv)
	ctx := testContext(t)
	s := newSession(t, httpsession.WithBaseURL(srv.url),
		httpsession.WithLogin(httpsession.FormLogin("/accounts/login/", url.Values{"username": {djangoUser}, "password": {djangoPassword}})))
	before := djangoLogins(t, srv)
	for round := 1; round <= 3; round++ {
		assert.Empty(t, pageRound(ctx, s, 4, 3), "round %d", round)
		assert.Equal(t, round, djangoLogins(t, srv)-before, "logins after %d expiries", round)
		endSessions(t, srv)
	}
}

// countPosts counts the login POSTs a transport sends.
type countPosts struct {
	next  http.RoundTripper
	posts atomic.Int32
}

func (c *countPosts) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == "/accounts/login/" {
		c.posts.Add(1)
	}
	return c.next.RoundTrip(req)
}

// A wrong password, which Django answers with 200 and the form again, is
// a failed login: every request fails with ErrLoginFailed, and the
// backoff keeps the login POSTs to one per 1 s, 2 s, 4 s ... of the run.
func TestDjangoWrongPasswordIsBackedOff(t *testing.T) {
	srv := djangoServer(t)
	ctx := testContext(t)
	counter := &countPosts{next: loopbackTransport(t)}
	s, err := httpsession.New(httpsession.WithTransport(counter), httpsession.WithBaseURL(srv.url),
		httpsession.WithLogin(httpsession.FormLogin("/accounts/login/", url.Values{"username": {djangoUser}, "password": {"not-" + djangoPassword}})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				err := fetchPrivate(ctx, s)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Len(t, errs, 200)
	for _, err := range errs {
		require.True(t, errors.Is(err, httpsession.ErrLoginFailed), "%v", err)
	}
	assert.ErrorContains(t, errs[0], "the login form came back")
	allowed := 1 + int(math.Log2(elapsed.Seconds()+1))
	assert.LessOrEqual(t, int(counter.posts.Load()), allowed, "login POSTs in %v", elapsed)
}
