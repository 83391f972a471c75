package corpusgen

import (
	"fmt"
	"strings"
)

// README returns testdata/corpus/README.md for the vectors vs.
func README(vs []Vector) string {
	var b strings.Builder
	b.WriteString(`# Conformance corpus

Each vector is a pair: ` + "`NAME.bin`" + ` holds the exact bytes of a stream and ` + "`NAME.json`" + ` says
what decoding it must give. ` + "`corpus_test.go`" + ` (` + "`TestCorpus`" + `) decodes every ` + "`.bin`" + ` four ways (the
streaming ` + "`Decoder`" + `, the same fed one byte per ` + "`Read`" + `, ` + "`DecodeFrame`" + ` over the whole file, and
` + "`bufio.Scanner`" + ` with ` + "`ScanFrames`" + `) and compares each result with the ` + "`.json`" + `.

## How the vectors were made

Every ` + "`.bin`" + ` is written by ` + "`internal/corpusgen`" + `, our own generator, which lays out each frame
field by field with ` + "`encoding/binary`" + ` and ` + "`hash/crc32`" + ` and never calls the codec it tests.
Negative vectors are built the same way, with both CRCs valid except where the vector is about a
checksum, so each one reaches the check it is meant to exercise. Random parts (Bedrock ` + "`p`" + `
padding, the many-frames stream) come from seeded generators, so the bytes are the same on
every run. Nothing is copied from the AWS SDKs or their test vectors. The Bedrock vectors follow
the shapes of SPEC.md section 7; their ids and latencies are made up.

` + "`TestCorpusReproducible`" + ` checks that the generator still writes exactly the committed bytes and
this README. The ` + "`.json`" + ` files are written from the bytes by the streaming decoder (` + "`-update`" + `),
and the same test checks each against the outcome ` + "`corpusgen.Expectations`" + ` declares for the
vector (the "decoding gives" column below), which was written from SPEC.md sections 2 and 5,
so regenerating cannot turn a decoder bug into an expected result. To regenerate:

    go test -run 'TestCorpus' -generate .   # rewrite the .bin files and this README
    go test -run 'TestCorpus' -update .     # rewrite the .json files from the .bin files

## The JSON

    {
      "description": "how the vector was made",
      "frames": [ {"offset": 0, "headers": [{"name": ..., "type": ..., "value": ...}], "payload": "<base64>", "text": "..."} ],
      "error": {"class": "checksum", "offset": 38, "field": "message crc"}
    }

` + "`frames`" + ` lists the frames that decode, in the form ` + "`eventstream dump`" + ` prints (package
` + "`internal/dump`" + `: header types ` + "`bool`" + `, ` + "`byte`" + `, ` + "`int16`" + `, ` + "`int32`" + `, ` + "`int64`" + `, ` + "`bytes`" + ` (base64),
` + "`string`" + `, ` + "`timestamp`" + ` (RFC 3339 with milliseconds, or milliseconds when the year is outside
0000..9999), ` + "`uuid`" + `; ` + "`text`" + ` only when the payload is UTF-8). ` + "`error`" + ` is ` + "`null`" + ` when the
stream ends cleanly at a frame boundary; otherwise its class is ` + "`checksum`" + `, ` + "`malformed`" + `,
` + "`too_large`" + ` or ` + "`unexpected_eof`" + `, its offset is the stream offset of the frame at fault, and
its field is the ` + "`Field`" + ` of the ` + "`*eventstream.Error`" + ` (none for truncation). Limits are the
decoder's defaults.

Truncation at every byte offset of the valid vectors is tested programmatically by the core
tests, not stored here.

## Vectors

| vector | decoding gives | how it was made |
|---|---|---|
`)
	for _, v := range vs {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, outcome(Expectations[v.Name]), strings.ReplaceAll(v.Description, "|", `\|`))
	}
	return b.String()
}

func outcome(e Expect) string {
	frames := fmt.Sprintf("%d frames", e.Frames)
	if e.Frames == 1 {
		frames = "1 frame"
	}
	if e.Class == "" {
		return frames
	}
	s := fmt.Sprintf("%s, then `%s`", frames, e.Class)
	if e.Field != "" {
		s += fmt.Sprintf(" (%s)", e.Field)
	}
	return s + fmt.Sprintf(" at offset %d", e.Offset)
}
