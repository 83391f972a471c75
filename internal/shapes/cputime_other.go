//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package shapes

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
