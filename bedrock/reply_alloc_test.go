//go:build !race

package bedrock

import (
	"strings"
	"testing"
)

// TestReplyAllocs checks that the generators produce each event into a reused buffer: a
// whole stream of a long reply allocates a few times, not once per event.
func TestReplyAllocs(t *testing.T) {
	r := textReply(strings.Repeat("some words of a long reply ", 2000), Usage{InputTokens: 1})
	for _, f := range allFamilies {
		n := testing.AllocsPerRun(5, func() {
			for range r.Chunks(f) {
			}
		})
		if n > 20 {
			t.Errorf("%s: %v allocations for %d chunks", f, n, r.ChunkCount(f))
		}
	}
	n := testing.AllocsPerRun(5, func() {
		for range r.ConverseEvents() {
		}
	})
	if n > 20 {
		t.Errorf("converse: %v allocations for %d events", n, r.ConverseEventCount())
	}
}
