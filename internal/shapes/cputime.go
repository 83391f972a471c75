package shapes

import "testing"

// CPUMeter reports the process CPU time per op as the metric cpu-ns/op, next to the wall
// time of sec/op. On a machine shared with other work, wall time includes the time the
// benchmark waits for a core while CPU time does not, so the ratios of CPU times stay
// readable when the machine is busy. CPU time counts every thread, garbage collection
// included: an implementation that allocates pays for it here even when the collector runs
// on another core. Where the process CPU time is not available it reports nothing.
//
// Call it right before the b.Loop loop and defer the result:
//
//	defer shapes.CPUMeter(b)()
func CPUMeter(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		if end, _ := processCPU(); ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
