package browsercookies

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// Session is the one call from a browser profile to a logged-in Session:
// its cookies are sent, and the ones that could not be read are reported
// with the working session.
func TestSessionFromAProfile(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Cookie")
	}))
	defer srv.Close()
	path := tempDB(t, "cookies.sqlite")
	ms := future.UnixMilli()
	writeFirefox(t, path, 17, []ffRow{
		{id: 1, name: "sid", value: "logged-in", host: "127.0.0.1", expiry: ms, sameSite: ffSameSiteUnset},
		{id: 2, name: "super", value: "secret-super", host: ".com", expiry: ms, sameSite: ffSameSiteUnset},
	})
	s, err := Session(context.Background(), path, httpsession.WithBaseURL(srv.URL))
	var fe *httpsession.FileError
	require.ErrorAs(t, err, &fe, "the supercookie is reported")
	require.Len(t, fe.Lines, 1)
	assert.Equal(t, 2, fe.Lines[0].Line)
	assert.ErrorIs(t, err, httpsession.ErrInvalidCookie)
	require.NotNil(t, s, "with the working session")
	defer s.Close()
	resp, err := s.Get(context.Background(), "/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "sid=logged-in", got)

	s, err = Session(context.Background(), t.TempDir()+"/missing.sqlite")
	require.Error(t, err)
	assert.Nil(t, s)
	assert.NotErrorAs(t, err, &fe, "a missing database is a plain error")
}
