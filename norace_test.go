//go:build !race

package httpsession

// raceEnabled reports a build with the race detector, which makes the
// randomized tests several times slower: they play fewer histories.
const raceEnabled = false
