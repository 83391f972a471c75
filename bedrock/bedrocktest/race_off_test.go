//go:build !race

package bedrocktest

const raceEnabled = false
