package httpsession

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// busReplica joins jars in one process the way a shared store joins
// processes: what one jar changes, the others apply.
type busReplica struct {
	mu       sync.Mutex
	peers    []*Jar
	told     [][]Change
	refresh  int
	applyErr error
}

func (r *busReplica) Refresh() {
	r.mu.Lock()
	r.refresh++
	r.mu.Unlock()
}

func (r *busReplica) Changed(changes []Change) {
	r.mu.Lock()
	r.told = append(r.told, changes)
	peers := r.peers
	r.mu.Unlock()
	for _, p := range peers {
		if err := p.Apply(changes); err != nil {
			r.mu.Lock()
			r.applyErr = err
			r.mu.Unlock()
		}
	}
}

func joinedJars(t *testing.T, clock *testClock) (*Jar, *Jar, *busReplica, *busReplica) {
	t.Helper()
	ra, rb := &busReplica{}, &busReplica{}
	a := NewJar(WithClock(clock.now), WithReplica(ra))
	b := NewJar(WithClock(clock.now), WithReplica(rb))
	ra.peers, rb.peers = []*Jar{b}, []*Jar{a}
	return a, b, ra, rb
}

func TestReplicaCarriesChanges(t *testing.T) {
	clock := newTestClock()
	a, b, ra, rb := joinedJars(t, clock)
	u := mustURL(t, "https://www.example.com/")

	a.SetRawCookies(u, []string{"sid=1; Secure; HttpOnly", "pref=x; Domain=example.com; Max-Age=60", "p=1; Secure; Partitioned"})
	assert.Equal(t, a.All(), b.All(), "every stored cookie reaches the other jar, every attribute")
	assert.Equal(t, "sid=1; pref=x; p=1", b.CookieHeader(u))
	assert.Len(t, ra.told, 1, "one call per locked change, after the lock")
	assert.Empty(t, rb.told, "applied changes are not told back (no echo)")
	assert.Positive(t, rb.refresh, "a lookup asks the replica to refresh first")

	clock.advance(time.Second)
	require.True(t, b.Delete("www.example.com", "/", "sid"))
	_, ok := a.Get(u, "sid")
	assert.False(t, ok, "a deletion reaches the other jar")

	clock.advance(time.Second)
	b.SetRawCookies(u, []string{"pref=y; Domain=example.com; Max-Age=0"})
	assert.NotContains(t, cookieNames(a.All()), "pref", "an expiry set elsewhere deletes")
	require.NoError(t, ra.applyErr)
	require.NoError(t, rb.applyErr)
}

func TestApplyKeepsTheNewerChange(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	u := mustURL(t, "https://h.com/")
	j.SetRawCookies(u, []string{"a=mine"})
	mine := j.All()[0]

	older := mine
	older.Value = "theirs"
	require.NoError(t, j.Apply([]Change{{Cookie: older, Updated: t0.Add(-time.Second)}}))
	c, _ := j.Get(u, "a")
	assert.Equal(t, "mine", c.Value, "an older change elsewhere does not win")

	require.NoError(t, j.Apply([]Change{{Cookie: mine, Deleted: true, Updated: t0.Add(-time.Second)}}))
	assert.Equal(t, 1, j.Len(), "nor does an older deletion")

	newer := mine
	newer.Value = "theirs"
	require.NoError(t, j.Apply([]Change{{Cookie: newer, Updated: t0.Add(time.Second)}}))
	c, _ = j.Get(u, "a")
	assert.Equal(t, "theirs", c.Value, "a newer change elsewhere wins")

	require.NoError(t, j.Apply([]Change{{Cookie: mine, Deleted: true, Updated: t0.Add(2 * time.Second)}}))
	assert.Zero(t, j.Len(), "and so does a newer deletion")
}

func TestApplyRefusesWhatAServerCouldNotSet(t *testing.T) {
	j := NewJar()
	err := j.Apply([]Change{
		{Cookie: Cookie{Name: "super", Value: "1", Domain: "co.uk", Path: "/"}, Updated: time.Now()},
		{Cookie: Cookie{Name: "ok", Value: "1", Domain: "example.com", Path: "/", HostOnly: true}, Updated: time.Now()},
	})
	require.ErrorIs(t, err, ErrInvalidCookie, "a shared store cannot plant a supercookie")
	assert.Equal(t, []string{"ok"}, cookieNames(j.All()))
}
