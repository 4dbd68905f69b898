package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/examples/internal/demoserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Set by TestMain before any test runs, and only read by the tests.
var (
	site    *demoserver.LoginSite
	baseURL string
	// sess is logged in as demoserver.User. A Session is safe for
	// concurrent use, so parallel tests share it.
	sess *httpsession.Session
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	site = demoserver.NewLoginSite()
	srv, err := demoserver.Start(site)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the demo site:", err)
		return 1
	}
	defer srv.Close()
	baseURL = srv.URL

	// The timeouts only stop a hung test; a machine busy with other work
	// can take seconds to answer even a local request.
	sess, err = httpsession.New(httpsession.WithBaseURL(baseURL), httpsession.WithTimeout(time.Minute))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sess.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := logIn(ctx, sess); err != nil {
		fmt.Fprintln(os.Stderr, "log in:", err)
		return 1
	}

	code := m.Run()
	if code == 0 && site.Logins() != 1 {
		fmt.Fprintf(os.Stderr, "the tests logged in %d times; want once\n", site.Logins())
		return 1
	}
	return code
}

var csrfInput = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// logIn posts the login form, with the CSRF token of the form page.
func logIn(ctx context.Context, s *httpsession.Session) error {
	resp, err := s.Get(ctx, "/login")
	if err != nil {
		return err
	}
	form, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	m := csrfInput.FindSubmatch(form)
	if m == nil {
		return fmt.Errorf("GET /login: %s, no CSRF token in the page", resp.Status)
	}
	resp, err = s.PostForm(ctx, "/login", url.Values{
		"username":            {demoserver.User},
		"password":            {demoserver.Password},
		"csrfmiddlewaretoken": {string(m[1])},
	})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/account" {
		return fmt.Errorf("POST /login: %s at %s, want 200 OK at /account", resp.Status, resp.Request.URL.Path)
	}
	return nil
}

// getString gets path with s and returns the status and the body.
func getString(t *testing.T, s *httpsession.Session, path string) (int, string) {
	t.Helper()
	resp, err := s.Get(context.Background(), path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func TestAccountPage(t *testing.T) {
	t.Parallel()
	status, body := getString(t, sess, "/account")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Signed in as alice", body)
}

func TestAPIMe(t *testing.T) {
	t.Parallel()
	resp, err := sess.Get(context.Background(), "/api/me")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var me struct{ User string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
	assert.Equal(t, demoserver.User, me.User)
}

// The API wants the CSRF token in a header, as Django's does: the test
// takes it from the session's jar.
func TestCreateNotes(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(baseURL)
	require.NoError(t, err)
	token, ok := sess.Jar().Get(u, demoserver.CSRFCookie)
	require.True(t, ok, "the login left no csrftoken cookie")

	for _, text := range []string{"buy milk", "feed the cat", "water the roses"} {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			resp, err := sess.PostJSON(context.Background(), "/api/notes", demoserver.Note{Text: text},
				httpsession.Header(demoserver.CSRFHeader, token.Value))
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			var note demoserver.Note
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&note))
			assert.Equal(t, demoserver.User, note.Author)
			assert.Equal(t, text, note.Text)
			assert.NotZero(t, note.ID)
		})
	}
}

func TestNoteWithoutCSRFHeaderIsRefused(t *testing.T) {
	t.Parallel()
	resp, err := sess.PostJSON(context.Background(), "/api/notes", demoserver.Note{Text: "forged"})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// A session without the login cookie is turned away: what every other test
// would see had TestMain not logged in.
func TestAnonymousIsRefused(t *testing.T) {
	t.Parallel()
	anon, err := httpsession.New(httpsession.WithBaseURL(baseURL))
	require.NoError(t, err)
	defer anon.Close()
	status, _ := getString(t, anon, "/account")
	assert.Equal(t, http.StatusUnauthorized, status)
}

// TestSharedCookieFile saves the login to a file that other test packages
// can open to skip logging in themselves.
//
// `go test ./...` builds a test binary per package and runs them as
// parallel processes, so several TestMains may write this file at the same
// time. That is safe: Jar.Save (and an Open session's saves) takes a lock
// on the file, re-reads it if another process replaced it since, and merges,
// so no process loses the cookies another one saved; the file is replaced
// atomically, so a reader never sees half of it. Another package would do
//
//	s, err := httpsession.Open(sharedFile, httpsession.WithBaseURL(url))
//	// GET /account; log in only if it answers 401
//	defer s.Close() // saves what changed, merging with the others
//
// The cookies are valid whatever port the demo site listens on this time:
// cookies are not bound to a port, and the site signs them with a fixed key.
//
// The file is the user's own, integration.json in the user's cache
// directory (demoserver.DefaultFile), not one in the temporary directory:
// there, on a machine several users share, another user's file would be in
// the way (Save refuses a file another user owns).
func TestSharedCookieFile(t *testing.T) {
	sharedFile, err := demoserver.DefaultFile("integration")
	if err != nil {
		// No cache directory: the sharing across packages is lost, the
		// rest holds in a file of this test alone.
		t.Logf("%v: using a file of this test instead", err)
		sharedFile = filepath.Join(t.TempDir(), "integration.json")
	}
	require.NoError(t, sess.Jar().Save(sharedFile))

	before := site.Logins()
	other, err := httpsession.Open(sharedFile, httpsession.WithBaseURL(baseURL))
	require.NoError(t, err)
	status, body := getString(t, other, "/account")
	require.NoError(t, other.Close())

	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Signed in as alice", body)
	assert.Equal(t, before, site.Logins(), "opening the file must not need a login")
}
