//go:build !amd64 || purego

package eventstream

// Without a carry-less multiplication path, crcUpdate uses the slicing steps alone.
var useCLMUL, useVPCLMUL = false, false

// crcUpdate continues crc over p.
func crcUpdate(crc uint32, p []byte) uint32 { return crcGeneric(crc, p) }
