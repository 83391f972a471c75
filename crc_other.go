//go:build !amd64 || purego

package eventstream

// Without a carry-less multiplication path, crcUpdate uses the slicing steps alone.
var useCLMUL, useVPCLMUL = false, false

// crcUpdate continues crc over p.
func crcUpdate(crc uint32, p []byte) uint32 { return crcGeneric(crc, p) }

// crcPreludeWords returns the CRC-32 of the prelude's first 8 bytes, total_length and
// headers_length (big-endian), from their values: callers have the values, and need not read
// the bytes (back).
func crcPreludeWords(total, hlen uint32) uint32 { return crcPreludeTables(total, hlen) }
