module github.com/framewire/eventstream

go 1.24.0

tool golang.org/x/perf/cmd/benchstat

require github.com/google/go-cmp v0.7.0

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	golang.org/x/perf v0.0.0-20250813145418-2f7363a06fe1 // indirect
)
