//go:build !amd64 || purego

package eventstream

// Without a carry-less multiplication path, crcUpdate uses the slicing steps alone.
var useCLMUL, useVPCLMUL = false, false

func crcCLMUL(crc uint32, p []byte, vpclmul bool) uint32 { panic("eventstream: no crcCLMUL") }
