module github.com/framewire/eventstream/internal/sigv4check

go 1.24.0

replace github.com/framewire/eventstream => ../..

require (
	github.com/aws/aws-sdk-go-v2 v1.47.7
	github.com/aws/smithy-go v1.28.8
	github.com/framewire/eventstream v0.0.0
)
