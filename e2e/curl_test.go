//go:build unix

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// curl is the third client: it shares cookie files (cookies.txt) with our
// Session in both directions, logged in to the Django site.

// runCurl runs Debian's curl, never through a proxy, and returns stdout.
func runCurl(t *testing.T, args ...string) string {
	t.Helper()
	requirePackages(t, "curl")
	cmd := exec.CommandContext(testContext(t), curlPath, append([]string{"--silent", "--show-error", "--noproxy", "*",
		"--max-time", strconv.Itoa(int(patience / time.Second))}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "curl %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

var csrfField = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// curlLogin logs in to Django with curl, as a shell script would: GET the
// form with -c, take the token from the HTML, POST with -b and -c. The
// cookies end up in jarFile.
func curlLogin(t *testing.T, base, jarFile string) {
	t.Helper()
	page := runCurl(t, "--cookie-jar", jarFile, base+"/accounts/login/")
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(t, m, "no CSRF token in Django's login form:\n%s", page)
	code := runCurl(t, "--cookie", jarFile, "--cookie-jar", jarFile,
		"--output", os.DevNull, "--write-out", "%{http_code}",
		"--data-urlencode", "username="+djangoUser,
		"--data-urlencode", "password="+djangoPassword,
		"--data-urlencode", "csrfmiddlewaretoken="+m[1],
		"--data-urlencode", "next=/private/",
		base+"/accounts/login/")
	require.Equal(t, "302", code, "curl's login was not accepted")
}

// curlGet fetches url with the cookies of jarFile and returns the status
// and body. Redirects are not followed.
func curlGet(t *testing.T, jarFile, url string) (string, string) {
	t.Helper()
	out := runCurl(t, "--cookie", jarFile, "--write-out", "\n%{http_code}", url)
	i := strings.LastIndexByte(out, '\n')
	return out[i+1:], out[:i]
}

// TestCurlCookieJarOpensLoggedIn: a jar that curl -c wrote during a Django
// login is opened by our Session, which is then logged in; it keeps the
// file a cookies.txt that curl goes on using.
func TestCurlCookieJarOpensLoggedIn(t *testing.T) {
	requirePackages(t, "curl")
	srv := djangoServer(t)
	jarFile := filepath.Join(t.TempDir(), "curl-cookies.txt")
	curlLogin(t, srv.url, jarFile)
	data, err := os.ReadFile(jarFile)
	require.NoError(t, err)
	require.Contains(t, string(data), "#HttpOnly_127.0.0.1\t", "curl wrote no HttpOnly sessionid:\n%s", data)

	s := openSession(t, jarFile, httpsession.WithMaxRedirects(0))
	ctx := testContext(t)
	res := read(t)(s.Get(ctx, srv.url+"/private/"))
	require.Equal(t, http.StatusOK, res.status, "not logged in with curl's cookies (Location: %s); file:\n%s", res.resp.Header.Get("Location"), data)
	assert.Contains(t, res.body, "Logged in as "+djangoUser)

	// The attributes cookies.txt holds came through.
	got := cookieByName(t, s.Jar())
	if c, ok := got["sessionid"]; assert.True(t, ok) {
		assert.Equal(t, "127.0.0.1", c.Domain)
		assert.True(t, c.HostOnly)
		assert.True(t, c.HttpOnly, "#HttpOnly_ prefix")
		assert.Equal(t, "/", c.Path)
		assertExpiresIn(t, c, sessionCookieAge)
	}
	if c, ok := got["csrftoken"]; assert.True(t, ok) {
		assert.False(t, c.HttpOnly)
		assertExpiresIn(t, c, csrfCookieAge)
	}

	// Closing saves the file in the format it had; curl still gets in.
	require.NoError(t, s.Close())
	data, err = os.ReadFile(jarFile)
	require.NoError(t, err)
	assert.False(t, bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")), "the cookies.txt was turned into JSON:\n%s", data)
	code, body := curlGet(t, jarFile, srv.url+"/private/")
	assert.Equal(t, "200", code)
	assert.Contains(t, body, "Logged in as "+djangoUser)
}

// TestSaveNetscapeLetsCurlIn: a session logged in to Django writes its
// cookies with SaveNetscape; curl -b with that file reaches the protected
// page, logs out writing the same file with -c, and our session from the
// file is then logged out.
func TestSaveNetscapeLetsCurlIn(t *testing.T) {
	requirePackages(t, "curl")
	srv := djangoServer(t)
	s := newSession(t)
	res := djangoLogin(t, s, srv.url)
	require.Equal(t, http.StatusOK, res.status)
	jarFile := filepath.Join(t.TempDir(), "ours.txt")
	require.NoError(t, s.Jar().SaveNetscape(jarFile))

	code, body := curlGet(t, jarFile, srv.url+"/private/")
	require.Equal(t, "200", code, "curl -b with our cookies.txt is not logged in")
	assert.Contains(t, body, "Logged in as "+djangoUser)

	// curl logs out, reading and writing our file.
	csrf, ok := s.Jar().Get(mustURL(t, srv.url+"/"), "csrftoken")
	require.True(t, ok)
	code = runCurl(t, "--cookie", jarFile, "--cookie-jar", jarFile,
		"--output", os.DevNull, "--write-out", "%{http_code}",
		"--data-urlencode", "csrfmiddlewaretoken="+csrf.Value,
		srv.url+"/accounts/logout/")
	require.Equal(t, "302", code)

	s2 := openSession(t, jarFile, httpsession.WithMaxRedirects(0))
	names := cookieByName(t, s2.Jar())
	assert.NotContains(t, names, "sessionid", "curl's logout did not reach the file")
	assert.Contains(t, names, "csrftoken")
	res = read(t)(s2.Get(testContext(t), srv.url+"/private/"))
	assert.Equal(t, http.StatusFound, res.status)
}
