//go:build race

package bedrocktest

// raceEnabled reports a build with the race detector, which makes load tests several times
// slower: they run smaller.
const raceEnabled = true
