package redisjar_test

// Adversarial tests of the identity pool on Redis (README "### Several
// accounts, one pool").

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
)

// netHook plays the network between a machine and Redis: the answer of the
// next pipeline comes late (delayNext), or nothing gets through (cut).
type netHook struct {
	delayNext atomic.Int64 // nanoseconds
	answered  atomic.Int64 // when the delayed pipeline's answer left Redis (unix ns)
	cut       atomic.Bool
	hang      atomic.Int64 // nanoseconds every pipeline hangs before it is sent
}

var errCut = errors.New("cut off from Redis")

func (h *netHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *netHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.cut.Load() {
			cmd.SetErr(errCut)
			return errCut
		}
		return next(ctx, cmd)
	}
}

func (h *netHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.cut.Load() {
			for _, c := range cmds {
				c.SetErr(errCut)
			}
			return errCut
		}
		if d := h.hang.Load(); d > 0 {
			time.Sleep(time.Duration(d)) // a Redis that does not answer; go-redis heeds no deadline
		}
		err := next(ctx, cmds)
		if d := h.delayNext.Swap(0); d > 0 {
			h.answered.Store(time.Now().UnixNano())
			time.Sleep(time.Duration(d))
		}
		return err
	}
}

// Promise: "a holder that could not renew stops sending ... a TTL after
// its last renewal began, before Redis lets anyone take the identity".
// Attack: the answer to the take's read (GET + TIME) comes late. The
// deadline in Redis is TIME + TTL, but the holder measures its lease from
// time.Now() inside the change function, after the answer arrived
// (poollease.go take: start = time.Now() in the update's change; lease:
// l.valid = start + ttl - margin), so a late answer (more than the margin,
// TTL/20) lets the holder send after Redis has handed the identity to
// another machine. Here: TTL 1 s (margin 50 ms), the answer 400 ms late, and
// the holder cut off from Redis after it got its lease.
func TestAttackRedisLeaseMeasuredFromAfterTheClockRead(t *testing.T) {
	srv := startRedis(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	defer site.Close()

	hook := &netHook{}
	ca := srv.client()
	ca.AddHook(hook)
	cb := srv.client()
	ids := []httpsession.Identity{{Name: "x"}}
	opts := []httpsession.PoolOption{
		httpsession.WithLeaseTTL(time.Second),
		httpsession.WithSessionOptions(httpsession.WithBaseURL(site.URL)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	pa, err := redisjar.OpenPool(ctx, ca, "attack:ttl", ids, opts...)
	require.NoError(t, err)
	defer pa.Close()
	pb, err := redisjar.OpenPool(ctx, cb, "attack:ttl", ids, opts...)
	require.NoError(t, err)
	defer pb.Close()

	hook.delayNext.Store(int64(400 * time.Millisecond))
	la, err := pa.AcquireName(ctx, "x")
	require.NoError(t, err)
	defer la.Release()
	hook.cut.Store(true) // machine A loses Redis: it cannot renew
	redisClock := time.Unix(0, hook.answered.Load())

	// Redis's deadline for A's lease is about redisClock + 1 s.
	time.Sleep(time.Until(redisClock.Add(1050 * time.Millisecond)))
	bctx, bcancel := context.WithTimeout(ctx, 2*time.Second)
	defer bcancel()
	lb, err := pb.AcquireName(bctx, "x")
	require.NoError(t, err, "B could not take x after A's lease lapsed in Redis")
	defer lb.Release()

	resp, err := la.Session().Get(ctx, "/page")
	if err == nil {
		resp.Body.Close()
		t.Errorf("A still sent on x %v after Redis's deadline of its lease, while B holds x",
			time.Since(redisClock.Add(time.Second)).Round(time.Millisecond))
	} else {
		assert.ErrorIs(t, err, httpsession.ErrLeaseEnded)
	}
}

// Promise: "State that is not a pool's is ErrCorrupt and is never
// overwritten", on Redis too: JSON without "v" passes for a pool's state
// (poolstate.go decodePoolDoc), and the key is replaced.
func TestAttackRedisForeignJSONStateIsOverwritten(t *testing.T) {
	srv := startRedis(t)
	c := srv.client()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	const foreign = `{"owner":"another app"}`
	require.NoError(t, c.Set(ctx, "{attack:foreign}:pool", foreign, 0).Err())
	p, err := redisjar.OpenPool(ctx, c, "attack:foreign", []httpsession.Identity{{Name: "x"}})
	require.NoError(t, err)
	defer p.Close()
	l, err := p.Acquire(ctx)
	if err == nil {
		l.Release()
	}
	assert.ErrorIs(t, err, httpsession.ErrCorrupt)
	got, _ := c.Get(ctx, "{attack:foreign}:pool").Result()
	assert.Equal(t, foreign, got, "another app's key was overwritten")
}

// inflightSite answers /slow?ms=N after N ms (or when the client goes) and
// anything else at once, counting the requests in flight and the most ever.
type inflightSite struct {
	*httptest.Server
	inflight, most atomic.Int64
}

func newInflightSite(t *testing.T) *inflightSite {
	s := &inflightSite{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			m := s.most.Load()
			if n <= m || s.most.CompareAndSwap(m, n) {
				break
			}
		}
		if ms, _ := strconv.Atoi(r.URL.Query().Get("ms")); ms > 0 {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(s.Close)
	return s
}

// Promise: "a holder that could not renew stops sending (its requests fail
// with ErrLeaseEnded, those under way are cancelled) a TTL after its last
// renewal began, before Redis lets anyone take the identity". Attack: Redis
// stops answering (a hung connection: go-redis heeds a context's deadline
// only with ContextTimeoutEnabled). keep waits for its renewal inside the
// loop that also watches the lapse timer (poollease.go keep: select on
// lapse.C, then p.update), so nothing cancels the request under way at the
// lapse: it runs on while another machine holds the identity and sends.
func TestAttackRedisHungRenewalLeavesRequestRunningPastLapse(t *testing.T) {
	srv := startRedis(t)
	site := newInflightSite(t)
	hook := &netHook{}
	ca := srv.client()
	ca.AddHook(hook)
	cb := srv.client()
	ids := []httpsession.Identity{{Name: "x"}}
	opts := []httpsession.PoolOption{
		httpsession.WithLeaseTTL(time.Second),
		httpsession.WithSessionOptions(httpsession.WithBaseURL(site.URL)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	pa, err := redisjar.OpenPool(ctx, ca, "attack:hang", ids, opts...)
	require.NoError(t, err)
	defer pa.Close()
	pb, err := redisjar.OpenPool(ctx, cb, "attack:hang", ids, opts...)
	require.NoError(t, err)
	defer pb.Close()

	start := time.Now()
	la, err := pa.AcquireName(ctx, "x")
	require.NoError(t, err)
	defer la.Release()
	slow := make(chan error, 1)
	go func() {
		resp, err := la.Session().Get(ctx, "/slow?ms=2500")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		slow <- err
	}()
	for site.inflight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	hook.hang.Store(int64(3 * time.Second))                    // then Redis stops answering A
	time.Sleep(time.Until(start.Add(1100 * time.Millisecond))) // past A's lease in Redis
	bctx, bcancel := context.WithTimeout(ctx, 2*time.Second)
	defer bcancel()
	lb, err := pb.AcquireName(bctx, "x")
	require.NoError(t, err)
	defer lb.Release()
	resp, err := lb.Session().Get(ctx, "/fast")
	require.NoError(t, err)
	resp.Body.Close()
	err = <-slow
	assert.ErrorIs(t, err, httpsession.ErrLeaseEnded, "A's request under way was not cancelled when its lease lapsed")
	assert.EqualValues(t, 1, site.most.Load(), "x had two requests in flight at once, A's and B's")
}
