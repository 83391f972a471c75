package benchcmp

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user and system, all threads) the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reports the process CPU time per op as the metric cpu-ns/op, next to the wall
// time of sec/op. On a machine shared with other work, wall time includes the time the
// benchmark waits for a core while CPU time does not, so the ratios of CPU times stay
// readable when the machine is busy. CPU time counts every thread, garbage collection
// included: an implementation that allocates pays for it here even when the collector runs
// on another core.
//
// Call it right before the b.Loop loop and defer the result:
//
//	defer cpuMeter(b)()
func cpuMeter(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
