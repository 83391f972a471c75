module github.com/framewire/eventstream/internal/benchcmp

go 1.24.0

replace github.com/framewire/eventstream => ../..

require (
	github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream v1.7.26
	github.com/framewire/eventstream v0.0.0
	github.com/klauspost/crc32 v1.3.0
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/aws/smithy-go v1.28.8 // indirect
	golang.org/x/perf v0.0.0-20250813145418-2f7363a06fe1 // indirect
	golang.org/x/sys v0.41.0 // indirect
)

tool golang.org/x/perf/cmd/benchstat
