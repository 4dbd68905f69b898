// Command worker is a fleet worker for the tests of package redisjar: it
// opens the shared jar, sets n cookies of its own, waits until Redis has
// acknowledged them and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "", "Redis address")
	prefix := flag.String("prefix", "", "key prefix")
	id := flag.Int("id", 0, "worker number")
	n := flag.Int("n", 1000, "cookies to set")
	flag.Parse()
	if err := run(*addr, *prefix, *id, *n); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(addr, prefix string, id, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	store, err := redisjar.OpenStore(ctx, client, prefix,
		redisjar.WithJarOptions(httpsession.WithLimits(0, 0)),
		redisjar.WithAckWait(0))
	if err != nil {
		return err
	}
	jar := store.Jar()
	for i := range n {
		err := jar.Set(httpsession.Cookie{
			Name:     fmt.Sprintf("w%d-%04d", id, i),
			Value:    fmt.Sprintf("v%d", i),
			Domain:   "fleet.example.com",
			HostOnly: true,
			Path:     "/",
		})
		if err != nil {
			return err
		}
	}
	if err := store.Flush(ctx); err != nil {
		return err
	}
	return store.Close()
}
