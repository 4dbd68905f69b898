package redisjar_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
)

// The cost of a lease on Redis: Acquire and Release, each a read of the
// pool's state and Redis's clock and a compare-and-swap, against a
// redis-server on loopback. "two-pools" has a second pool (another
// machine) leasing the same identities without pause meanwhile.
func BenchmarkRedisPoolAcquireRelease(b *testing.B) {
	srv := startRedis(b)
	ids := make([]httpsession.Identity, 4)
	for i := range ids {
		ids[i] = httpsession.Identity{Name: fmt.Sprintf("id%d", i)}
	}
	open := func(b *testing.B, prefix string) *httpsession.Pool {
		p, err := redisjar.OpenPool(context.Background(), srv.client(), prefix, ids)
		require.NoError(b, err)
		b.Cleanup(func() { _ = p.Close() })
		return p
	}
	cycle := func(b *testing.B, p *httpsession.Pool) {
		l, err := p.Acquire(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		l.Release()
	}
	b.Run("one-pool", func(b *testing.B) {
		p := open(b, "bench1")
		cycle(b, p)
		b.ResetTimer()
		for range b.N {
			cycle(b, p)
		}
	})
	b.Run("two-pools", func(b *testing.B) {
		p, other := open(b, "bench2"), open(b, "bench2")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				l, err := other.Acquire(ctx)
				if err != nil {
					return
				}
				l.Release()
			}
		}()
		b.Cleanup(func() { cancel(); <-done })
		cycle(b, p)
		b.ResetTimer()
		for range b.N {
			cycle(b, p)
		}
	})
}
