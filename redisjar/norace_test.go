//go:build !race

package redisjar_test

// raceEnabled: see race_test.go.
const raceEnabled = false
