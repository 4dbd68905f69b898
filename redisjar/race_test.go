//go:build race

package redisjar_test

// raceEnabled builds the fleet test's worker with the race detector too,
// when the tests run with it: its packages are then compiled that way
// already.
const raceEnabled = true
