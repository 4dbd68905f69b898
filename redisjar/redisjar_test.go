package redisjar_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// values maps the jar's cookie names to their values.
func values(j *httpsession.Jar) map[string]string {
	out := make(map[string]string)
	for _, c := range j.All() {
		out[c.Name] = c.Value
	}
	return out
}

func TestFourProcessesShareAllCookies(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	worker := buildWorker(t)

	const workers, each = 4, 1000
	var wg sync.WaitGroup
	outs := make([][]byte, workers)
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(worker, "-addr", srv.addr(), "-prefix", "fleet", "-id", strconv.Itoa(i), "-n", strconv.Itoa(each))
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i], "worker %d: %s", i, outs[i])
	}

	fifth, log := openStore(t, srv.client(), "fleet", redisjar.WithJarOptions(httpsession.WithLimits(0, 0)))
	got := values(fifth.Jar())
	require.Len(t, got, workers*each, "every cookie of every process is visible to a fifth")
	for i := range workers {
		for k := range each {
			require.Equal(t, fmt.Sprintf("v%d", k), got[fmt.Sprintf("w%d-%04d", i, k)])
		}
	}
	assert.Empty(t, log.errs)
}

func TestLoginIsSentByAnotherWorkersNextRequest(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	var mu sync.Mutex
	current := ""
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/login":
			current = r.URL.Query().Get("token")
			http.SetCookie(w, &http.Cookie{Name: "session", Value: current, Path: "/", HttpOnly: true})
		case "/account":
			if c, err := r.Cookie("session"); err != nil || c.Value != current {
				http.Error(w, "log in first", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "welcome ", current)
		}
	}))
	defer site.Close()

	a, _ := openStore(t, client, "shop")
	b, _ := openStore(t, client, "shop")
	first, err := a.Session(httpsession.WithBaseURL(site.URL))
	require.NoError(t, err)
	second, err := b.Session(httpsession.WithBaseURL(site.URL))
	require.NoError(t, err)
	ctx := context.Background()

	for round := range 20 {
		token := fmt.Sprintf("login-%d", round)
		resp, err := first.Get(ctx, "/login?token="+token)
		require.NoError(t, err)
		resp.Body.Close()

		resp, err = second.Get(ctx, "/account")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "round %d: the other worker's very next request carries the new login", round)
	}
}

func TestKilledRedisLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	client := srv.client()
	a, logA := openStore(t, client, "crash")
	b, _ := openStore(t, client, "crash")
	u := mustURL(t, "https://shop.example.com/")

	for i := range 50 {
		a.Jar().SetRawCookies(u, []string{fmt.Sprintf("before%d=v; Max-Age=3600", i)})
	}
	require.NoError(t, a.Flush(context.Background()), "acknowledged before the kill")

	srv.kill()
	start := time.Now()
	for i := range 20 {
		a.Jar().SetRawCookies(u, []string{fmt.Sprintf("during%d=v", i)})
	}
	b.Jar().SetRawCookies(u, []string{"fromb=1"})
	require.True(t, b.Jar().Delete("shop.example.com", "/", "before0"))
	// A jar call waits for Redis's acknowledgement only until the store
	// finds Redis gone (a refused dial, at once); were it to wait for the
	// acknowledgement itself, the first call alone would take the stores'
	// ack wait (patience), well past this bound.
	assert.Less(t, time.Since(start), patience/4, "the jars keep working while Redis is down")
	assert.Contains(t, a.Jar().CookieHeader(u), "during19=v", "from the local copy")
	// The store records the outage (Err) and then reports it to the
	// handler: wait for the report, the later of the two.
	require.Eventually(t, func() bool { return logA.has(redisjar.ErrUnavailable) }, patience, 10*time.Millisecond, "the outage is reported")
	require.ErrorIs(t, a.Err(), redisjar.ErrUnavailable)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := a.Flush(ctx)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, redisjar.ErrUnavailable, "Flush says why it could not finish")

	srv.start()
	// Nothing is called: the stores find Redis again by themselves.
	require.Eventually(t, func() bool {
		av, bv := values(a.Jar()), values(b.Jar())
		return a.Err() == nil && b.Err() == nil &&
			av["fromb"] == "1" && bv["during19"] == "v" && !hasKey(av, "before0")
	}, patience, 20*time.Millisecond, "changes made while Redis was down reach the other worker")

	fresh, log := openStore(t, client, "crash")
	got := values(fresh.Jar())
	for i := 1; i < 50; i++ {
		assert.Equal(t, "v", got[fmt.Sprintf("before%d", i)], "acknowledged before the kill")
	}
	for i := range 20 {
		assert.Equal(t, "v", got[fmt.Sprintf("during%d", i)], "made while Redis was down")
	}
	assert.Equal(t, "1", got["fromb"])
	assert.NotContains(t, got, "before0", "a deletion made while Redis was down")
	assert.Len(t, got, 49+20+1)
	assert.Empty(t, log.errs)
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func TestPrefixesDoNotSeeEachOther(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	a, _ := openStore(t, client, "acct:alice")
	b, _ := openStore(t, client, "acct:bob")
	u := mustURL(t, "https://example.com/")
	a.Jar().SetRawCookies(u, []string{"sid=alice"})
	b.Jar().SetRawCookies(u, []string{"sid=bob"})
	require.NoError(t, a.Flush(context.Background()))
	require.NoError(t, b.Flush(context.Background()))

	assert.Equal(t, "sid=alice", a.Jar().CookieHeader(u))
	assert.Equal(t, "sid=bob", b.Jar().CookieHeader(u))
	alice, _ := openStore(t, client, "acct:alice")
	assert.Equal(t, map[string]string{"sid": "alice"}, values(alice.Jar()))
	keys, err := client.Keys(context.Background(), "{acct:alice}:*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 4, "one cookie, the index, the stream and its counter")
}

func TestExpiryBecomesRedisTTL(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	s, _ := openStore(t, client, "ttl", redisjar.WithTombstoneTTL(time.Hour))
	u := mustURL(t, "https://example.com/")
	s.Jar().SetRawCookies(u, []string{"persistent=1; Max-Age=3600", "session=1", "gone=1"})
	require.True(t, s.Jar().Delete("example.com", "/", "gone"))
	require.NoError(t, s.Flush(context.Background()))

	ctx := context.Background()
	ttls := map[string]time.Duration{}
	keys, err := client.Keys(ctx, "{ttl}:c:*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		rec, err := client.HGet(ctx, k, "rec").Result()
		require.NoError(t, err)
		name := rec[strings.Index(rec, `"name":"`)+8:]
		name = name[:strings.IndexByte(name, '"')]
		ttls[name], err = client.PTTL(ctx, k).Result()
		require.NoError(t, err)
	}
	require.Len(t, ttls, 3)
	assert.InDelta(t, float64(time.Hour), float64(ttls["persistent"]), float64(10*time.Second), "PEXPIREAT at the cookie's expiry")
	assert.Equal(t, time.Duration(-1), ttls["session"], "a session cookie has no TTL")
	assert.InDelta(t, float64(time.Hour), float64(ttls["gone"]), float64(10*time.Second), "a tombstone lives for the tombstone TTL")
	tomb, err := client.HGetAll(ctx, keys[slices.IndexFunc(keys, func(k string) bool {
		rec, _ := client.HGet(ctx, k, "rec").Result()
		return strings.Contains(rec, `"deleted":true`)
	})]).Result()
	require.NoError(t, err)
	assert.Equal(t, "1", tomb["del"])
	assert.Contains(t, tomb["rec"], `"value":""`, "a tombstone keeps no value")
}

func TestDeletionReachesTheOtherWorker(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	a, _ := openStore(t, client, "del")
	b, _ := openStore(t, client, "del")
	u := mustURL(t, "https://example.com/")
	a.Jar().SetRawCookies(u, []string{"sid=1", "keep=1"})
	assert.Equal(t, "sid=1; keep=1", b.Jar().CookieHeader(u))

	a.Jar().SetRawCookies(u, []string{"sid=; Max-Age=0"}) // the server logs out
	assert.Equal(t, "keep=1", b.Jar().CookieHeader(u), "the next request of the other worker")
	require.True(t, b.Jar().Delete("example.com", "/", "keep"))
	assert.Empty(t, a.Jar().CookieHeader(u))
}

// handWrite stores a change into Redis the way the script does, as someone
// with access to Redis could.
func handWrite(t *testing.T, client *redis.Client, prefix, key, rec string, at time.Time, logged bool) {
	t.Helper()
	ctx := context.Background()
	upd := fmt.Sprintf("%020d", at.UnixNano())
	tag := "{" + prefix + "}"
	require.NoError(t, client.HSet(ctx, tag+":c:"+key, "upd", upd, "del", "0", "rec", rec, "exp", "0").Err())
	require.NoError(t, client.ZAdd(ctx, tag+":index", redis.Z{Score: 1e18, Member: tag + ":c:" + key}).Err())
	if !logged {
		return
	}
	n, err := client.Incr(ctx, tag+":seq").Result()
	require.NoError(t, err)
	require.NoError(t, client.XAdd(ctx, &redis.XAddArgs{Stream: tag + ":log", Values: []string{
		"upd", upd, "del", "0", "rec", rec, "n", strconv.FormatInt(n, 10), "w", "",
	}}).Err())
}

func TestSupercookieInRedisIsRefused(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	worker, log := openStore(t, client, "evil")
	now := time.Now().UTC()
	super := fmt.Sprintf(`{"cookie":{"name":"track","value":"1","domain":"co.uk","path":"/","hostOnly":false,"secure":false,"httpOnly":false,"created":%q,"lastAccess":%q},"updated":%q}`,
		now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	handWrite(t, client, "evil", "co.uk:handmade", super, now, true)

	u := mustURL(t, "https://shop.co.uk/")
	assert.Empty(t, worker.Jar().CookieHeader(u), "the running worker refuses it")
	// The report may come from the follower rather than this lookup: wait
	// for it.
	assert.Eventually(t, func() bool { return log.has(httpsession.ErrInvalidCookie) }, patience, 5*time.Millisecond, "and reports it")
	assert.True(t, log.hasText("public suffix"), "as a supercookie")

	fresh, freshLog := openStore(t, client, "evil")
	assert.Zero(t, fresh.Jar().Len(), "so does a worker loading from Redis")
	assert.True(t, freshLog.has(httpsession.ErrInvalidCookie))

	handWrite(t, client, "evil", "x:bad", `{"name":`, now, true)
	worker.Jar().CookieHeader(u)
	assert.True(t, log.has(redisjar.ErrBadRecord), "an unreadable record is reported")
}

func TestConcurrentWorkersConverge(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	a, logA := openStore(t, client, "race")
	b, logB := openStore(t, client, "race")
	u := mustURL(t, "https://example.com/")
	var wg sync.WaitGroup
	for g := range 8 {
		jar := a.Jar()
		if g%2 == 1 {
			jar = b.Jar()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				name := fmt.Sprintf("c%d", rand.IntN(12))
				switch i % 4 {
				case 0, 1:
					jar.SetRawCookies(u, []string{fmt.Sprintf("%s=g%d-%d", name, g, i)})
				case 2:
					jar.Delete("example.com", "/", name)
				default:
					jar.CookieHeader(u)
				}
			}
		}()
	}
	wg.Wait()
	ctx := context.Background()
	require.NoError(t, a.Flush(ctx))
	require.NoError(t, b.Flush(ctx))

	fresh, _ := openStore(t, client, "race")
	want := values(fresh.Jar())
	require.Eventually(t, func() bool {
		a.Jar().CookieHeader(u)
		b.Jar().CookieHeader(u)
		return maps.Equal(values(a.Jar()), want) && maps.Equal(values(b.Jar()), want)
	}, patience, 10*time.Millisecond, "every copy ends with what Redis holds")
	assert.Empty(t, logA.errs)
	assert.Empty(t, logB.errs)
}

func TestNewestChangeWinsAndTiesAreDeterministic(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	t0 := time.Now().UTC().Truncate(time.Second)
	clock := func(at time.Time) redisjar.Option {
		return redisjar.WithJarOptions(httpsession.WithClock(func() time.Time { return at }))
	}
	u := mustURL(t, "https://example.com/")
	ctx := context.Background()

	// The later change wins, whichever reaches Redis first.
	late, _ := openStore(t, client, "order", clock(t0.Add(time.Second)))
	early, _ := openStore(t, client, "order", clock(t0))
	// (early sets first: had it seen late's change before making its own,
	// its hybrid clock would put its change after late's, rightly.)
	early.Jar().SetRawCookies(u, []string{"x=earlier"})
	late.Jar().SetRawCookies(u, []string{"x=later"})
	require.NoError(t, late.Flush(ctx))
	require.NoError(t, early.Flush(ctx))
	assert.Equal(t, "x=later", early.Jar().CookieHeader(u), "the worker whose change lost takes the winner")
	assert.Equal(t, "x=later", late.Jar().CookieHeader(u))

	// Two different changes on clocks that read the same instant: the same
	// winner in every copy. Which one depends on whether the second worker
	// had seen the first change when it made its own (its follower may
	// have applied it): a change made after seeing another wins, by the
	// jar's hybrid clock; two changes that did not see each other tie, and
	// the greater wins ("b").
	for round, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		prefix := fmt.Sprintf("tie%d", round)
		one, _ := openStore(t, client, prefix, clock(t0))
		two, _ := openStore(t, client, prefix, clock(t0))
		one.Jar().SetRawCookies(u, []string{"x=" + order[0]})
		two.Jar().SetRawCookies(u, []string{"x=" + order[1]})
		require.NoError(t, one.Flush(ctx))
		require.NoError(t, two.Flush(ctx))
		fresh, _ := openStore(t, client, prefix)
		winner := fresh.Jar().CookieHeader(u)
		assert.Contains(t, []string{"x=b", "x=" + order[1]}, winner, "order %v", order)
		require.Eventually(t, func() bool {
			return one.Jar().CookieHeader(u) == winner && two.Jar().CookieHeader(u) == winner
		}, patience, 10*time.Millisecond, "order %v", order)
	}
}

func TestWorkerBehindTheStreamReloads(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	worker, _ := openStore(t, client, "gap")
	u := mustURL(t, "https://example.com/")
	now := time.Now().UTC()
	rec := func(name string) string {
		return fmt.Sprintf(`{"cookie":{"name":%q,"value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":%q,"lastAccess":%q},"updated":%q}`,
			name, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	// A change whose stream entry was trimmed away before the worker read it.
	handWrite(t, client, "gap", "example.com:trimmed", rec("trimmed"), now, false)
	require.NoError(t, client.Incr(context.Background(), "{gap}:seq").Err())
	handWrite(t, client, "gap", "example.com:next", rec("next"), now, true)

	worker.Jar().CookieHeader(u)
	assert.Equal(t, map[string]string{"trimmed": "1", "next": "1"}, values(worker.Jar()), "a missing entry makes the worker reload every cookie")
}

func TestFilesSeedAndExportTheFleet(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	dir := t.TempDir()
	ctx := context.Background()

	// A login made on a laptop, saved to a file.
	laptop := httpsession.NewJar()
	laptop.SetRawCookies(mustURL(t, "https://app.example.com/login"), []string{"sid=laptop; Path=/; Secure; HttpOnly", "lang=en; Domain=example.com; Path=/; Max-Age=3600"})
	file := filepath.Join(dir, "cookies.json")
	require.NoError(t, laptop.Save(file))

	worker, _ := openStore(t, client, "files")
	require.NoError(t, redisjar.Import(ctx, client, "files", file, redisjar.WithErrorHandler(func(error) {})))
	u := mustURL(t, "https://app.example.com/")
	assert.Equal(t, "sid=laptop; lang=en", worker.Jar().CookieHeader(u), "Import seeds the fleet")

	// Jar.Load on a Redis-backed jar pushes through the Replica as well.
	other := httpsession.NewJar()
	other.SetRawCookies(u, []string{"theme=dark; Path=/"})
	txt := filepath.Join(dir, "cookies.txt")
	require.NoError(t, other.SaveNetscape(txt))
	require.NoError(t, worker.Jar().Load(txt))
	require.NoError(t, worker.Flush(ctx))
	fresh, _ := openStore(t, client, "files")
	assert.Equal(t, map[string]string{"sid": "laptop", "lang": "en", "theme": "dark"}, values(fresh.Jar()))

	// And the fleet's cookies export to either format.
	out := filepath.Join(dir, "export.json")
	require.NoError(t, fresh.Jar().Save(out))
	outTxt := filepath.Join(dir, "export.txt")
	require.NoError(t, fresh.Jar().SaveNetscape(outTxt))
	for _, p := range []string{out, outTxt} {
		back := httpsession.NewJar()
		require.NoError(t, back.Load(p))
		assert.Equal(t, values(fresh.Jar()), values(back), p)
	}
}

func TestCloseReportsWhatRedisNeverGot(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	client := srv.client()
	s, log := openStore(t, client, "close")
	srv.kill()
	s.Jar().SetRawCookies(mustURL(t, "https://example.com/"), []string{"a=1", "b=2"})
	err := s.Close()
	require.ErrorIs(t, err, redisjar.ErrDropped, "never silent")
	assert.Contains(t, err.Error(), "2 changes")
	assert.True(t, log.has(redisjar.ErrDropped))
	require.ErrorIs(t, s.Flush(context.Background()), redisjar.ErrClosed)
	require.ErrorIs(t, s.Err(), redisjar.ErrClosed)
	assert.Equal(t, "a=1; b=2", s.Jar().CookieHeader(mustURL(t, "https://example.com/")), "the jar keeps working locally")
}

func TestQueueBoundDropsWithAnError(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	client := srv.client()
	s, log := openStore(t, client, "bound", redisjar.WithMaxPending(2))
	srv.kill()
	u := mustURL(t, "https://example.com/")
	s.Jar().SetRawCookies(u, []string{"a=1", "b=1", "c=1"})
	s.Jar().SetRawCookies(u, []string{"a=2"}) // merged with the waiting change to a
	assert.True(t, log.has(redisjar.ErrDropped), "the third cookie did not fit")
	srv.start()
	require.Eventually(t, func() bool { return s.Err() == nil }, patience, 10*time.Millisecond)
	err := s.Flush(context.Background())
	require.ErrorIs(t, err, redisjar.ErrDropped)
	require.NoError(t, s.Flush(context.Background()), "reported once")
	fresh, _ := openStore(t, client, "bound")
	assert.Equal(t, map[string]string{"a": "2", "b": "1"}, values(fresh.Jar()))
}

func TestOpenAndNewSession(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	client := srv.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jar, err := redisjar.Open(ctx, client, "thin")
	require.NoError(t, err)
	sess, err := redisjar.NewSession(ctx, client, "thin")
	require.NoError(t, err)
	u := mustURL(t, "https://example.com/")
	jar.SetRawCookies(u, []string{"sid=1"})
	// Open's store waits for Redis's acknowledgement for its default two
	// seconds only, which a busy machine may exceed: the session sees the
	// cookie by its next request then, or soon after.
	assert.Eventually(t, func() bool { return sess.Jar().CookieHeader(u) == "sid=1" }, patience, 10*time.Millisecond, "Open and NewSession share the prefix")

	// The store follows Redis for as long as its context lives.
	short, stop := context.WithCancel(context.Background())
	log := &errorLog{}
	s, err := redisjar.OpenStore(short, client, "thin", redisjar.WithErrorHandler(log.add), redisjar.WithBlockTime(50*time.Millisecond))
	require.NoError(t, err)
	stop()
	require.Eventually(t, func() bool { return errors.Is(s.Err(), redisjar.ErrClosed) }, patience, 10*time.Millisecond)
	s.Jar().SetRawCookies(u, []string{"late=1"})
	assert.True(t, log.has(redisjar.ErrClosed), "a change after the end is reported, not shared")
	assert.Equal(t, "sid=1; late=1", s.Jar().CookieHeader(u), "and kept locally")
	// The goroutines end with the store's context: Close waits at most for
	// the follower's blocking read (50ms) to return. The bound is far above
	// that, to catch a Close that hangs without tripping on a busy machine.
	begin := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(begin), 30*time.Second, "the goroutines have stopped")

	_, err = redisjar.Open(ctx, client, "")
	require.Error(t, err)
	_, err = redisjar.Open(ctx, client, "a{b}")
	require.Error(t, err)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(freePort(t)), MaxRetries: -1})
	defer dead.Close()
	_, err = redisjar.Open(ctx, dead, "thin")
	require.ErrorIs(t, err, redisjar.ErrUnavailable)
}

func TestEveryAttributeTravels(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	a, _ := openStore(t, client, "attrs")
	b, _ := openStore(t, client, "attrs")
	u := mustURL(t, "https://www.example.com/app/page")
	a.Jar().SetRawCookies(u, []string{
		"sid=1; Secure; HttpOnly; SameSite=Strict; Path=/",
		"pref=x; Domain=example.com; Max-Age=600; SameSite=Lax",
		"chips=1; Secure; Partitioned; Path=/",
		"bytes=caf\xe9\xff; Path=/app",
		`quoted="v"`,
		"nameless",
		"__Host-h=1; Secure; Path=/",
	})
	assert.Equal(t, a.Jar().CookieHeader(u), b.Jar().CookieHeader(u))
	// Sending is an access of the copy that sends: last-access times stay local.
	noAccess := func(cs []httpsession.Cookie) []httpsession.Cookie {
		for i := range cs {
			cs[i].LastAccess = time.Time{}
		}
		return cs
	}
	require.Len(t, a.Jar().All(), 7)
	assert.Equal(t, noAccess(a.Jar().All()), noAccess(b.Jar().All()), "every attribute, byte for byte")
}

func TestDeletionsTravelBetweenFilesAndRedis(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	dir := t.TempDir()
	ctx := context.Background()
	u := mustURL(t, "https://app.example.com/")

	worker, _ := openStore(t, client, "tombs")
	worker.Jar().SetRawCookies(u, []string{"sid=fleet; Path=/", "keep=1; Path=/"})
	require.NoError(t, worker.Flush(ctx))

	// A laptop that had the fleet's login logs out, and its file records
	// the deletion; importing that file logs the fleet out too.
	laptop := httpsession.NewJar()
	file := filepath.Join(dir, "laptop.json")
	require.NoError(t, worker.Jar().Save(file))
	require.NoError(t, laptop.Load(file))
	require.True(t, laptop.Delete("app.example.com", "/", "sid"))
	require.NoError(t, laptop.Save(file))
	require.NoError(t, redisjar.Import(ctx, client, "tombs", file, redisjar.WithErrorHandler(func(error) {})))
	assert.Equal(t, "keep=1", worker.Jar().CookieHeader(u), "the file's deletion reached the fleet")

	// And a deletion made in the fleet reaches a file exported from it, so
	// that merging that file with an older one cannot bring the cookie back.
	out := filepath.Join(dir, "export.json")
	old := httpsession.NewJar()
	old.SetRawCookies(u, []string{"keep=old; Path=/"}) // set before the fleet's deletion
	require.NoError(t, old.Save(out))
	// A deletion the program makes is a change made now. (A server's
	// deletion would be about the fleet's own copy, set before old's, and
	// would rightly leave old's newer copy alone: see Jar.serverDelete.)
	require.True(t, worker.Jar().Delete("app.example.com", "/", "keep"))
	require.NoError(t, worker.Flush(ctx))
	fresh, _ := openStore(t, client, "tombs")
	require.NoError(t, fresh.Jar().Save(out), "the export merges with the older file")
	back := httpsession.NewJar()
	require.NoError(t, back.Load(out))
	assert.NotContains(t, values(back), "keep")
	assert.NotContains(t, values(back), "sid")
}

func TestEvictionStaysInOneWorker(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	ctx := context.Background()
	small, _ := openStore(t, client, "limits", redisjar.WithJarOptions(httpsession.WithLimits(3, 0)))
	big, _ := openStore(t, client, "limits")
	u := mustURL(t, "https://shop.example.com/")
	for i := range 6 {
		small.Jar().SetRawCookies(u, []string{"c" + strconv.Itoa(i) + "=1"})
	}
	require.NoError(t, small.Flush(ctx))
	assert.LessOrEqual(t, small.Jar().Len(), 3, "the small worker holds what its limits allow")
	assert.Len(t, values(big.Jar()), 6, "limits are local: what one worker evicts, the fleet keeps")
}
