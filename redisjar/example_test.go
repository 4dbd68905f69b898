package redisjar_test

import (
	"context"
	"log"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
)

// A fleet worker: every worker opening the same prefix shares one login.
func ExampleOpenStore() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "redis.internal:6379"})
	store, err := redisjar.OpenStore(ctx, client, "scraper:acme")
	if err != nil {
		log.Fatal(err) // Redis unreachable at start: errors.Is(err, redisjar.ErrUnavailable)
	}
	defer store.Close()
	s, err := store.Session(httpsession.WithBaseURL("https://app.example.com/"))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := s.Get(ctx, "/account") // carries the fleet's login, if any worker has made it
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	// ... log in if needed: the other workers' next requests carry it.
	if err := store.Flush(ctx); err != nil { // before exiting: wait until Redis has every change
		log.Print(err)
	}
}

// Seed the fleet with a login made on a laptop and saved by a Session.
func ExampleImport() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "redis.internal:6379"})
	if err := redisjar.Import(ctx, client, "scraper:acme", "cookies.json"); err != nil {
		log.Fatal(err)
	}
}
