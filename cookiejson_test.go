package httpsession

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCookieJSONRoundTrip(t *testing.T) {
	exp := time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, c := range []Cookie{
		{Name: "sid", Value: "1", Domain: "example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Expires: exp, Created: t0, LastAccess: t0.Add(time.Second)},
		{Name: "", Value: "caf\xe9", Domain: "h.com", Path: "/caf\xe9", Quoted: true, Partitioned: true,
			SameSite: http.SameSiteNoneMode, Created: t0, LastAccess: t0},
		{Name: "zone", Value: "x", Domain: "h.com", Path: "/", Created: t0.In(time.FixedZone("", 3600)), LastAccess: t0},
	} {
		data, err := json.Marshal(c)
		require.NoError(t, err)
		var back Cookie
		require.NoError(t, json.Unmarshal(data, &back))
		assert.True(t, back.Created.Equal(c.Created))
		back.Created = c.Created
		assert.Equal(t, c, back, "%s", data)
	}
}

func TestCookieJSONIsTheFileRecord(t *testing.T) {
	c := Cookie{Name: "a", Value: "<1&2>", Domain: "h.com", Path: "/", HostOnly: true, SameSite: http.SameSiteStrictMode, Created: t0, LastAccess: t0}
	data, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"a","value":"<1&2>","domain":"h.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,
		"sameSite":"strict","created":"2026-03-01T12:00:00Z","lastAccess":"2026-03-01T12:00:00Z"}`, string(data))
	assert.NotContains(t, string(data), "expires", "a session cookie has no expires")

	var fromFile Cookie
	require.NoError(t, json.Unmarshal([]byte(`{"name":"a","value":"1","domain":"h.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","seq":4}`), &fromFile))
	assert.Equal(t, "a", fromFile.Name, "a record of the native file reads as a Cookie")
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"name":"a","sameSite":"sideways"}`), &fromFile), ErrInvalidCookie)
}
