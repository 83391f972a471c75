// Package framecrc lends the codec's frame checksums, which live in package eventstream, to
// the packages of this module that lay out frames of a fixed shape themselves (package sigv4
// writes its signed frames directly), so that the checksum code has one home.
package framecrc

// Seal writes the prelude CRC and the message CRC of frame, a whole frame whose other bytes,
// total_length (equal to len(frame), at least 16) and headers_length included, are in place.
// It checks nothing else. Package eventstream sets Seal when it is initialised, so it is
// set in any package that imports eventstream.
var Seal func(frame []byte)
