package corpusgen

// Expect is what decoding a vector with default limits must give: the number of frames that
// decode, then either a clean end (Class "") or an error of Class ("checksum", "malformed",
// "too_large" or "unexpected_eof") in Field of the frame at stream offset Offset.
type Expect struct {
	Frames int
	Class  string
	Field  string
	Offset int64
}

// g is the stream offset of a bad frame that follows the good frame.
var g = int64(len(good))

// Expectations gives the outcome of every vector, written from SPEC.md sections 2 and 5
// rather than from any decoder's output; the corpus test checks that each NAME.json agrees.
// Field names are those of eventstream.Error.
var Expectations = map[string]Expect{
	"all-header-types":           {Frames: 1},
	"bedrock-chunks-incomplete":  {Frames: 15},
	"bedrock-chunks":             {Frames: 17},
	"bedrock-converse-stream":    {Frames: 9},
	"bedrock-exception":          {Frames: 1},
	"bedrock-model-stream-error": {Frames: 3},
	"duplicate-name-many":        {0, "malformed", "header name", 0},
	"duplicate-name":             {1, "malformed", "header name", g},
	"empty-frame":                {Frames: 1},
	"empty-name":                 {0, "malformed", "header name", 0},
	"empty-stream":               {Frames: 0},
	"error-frame":                {Frames: 1},
	"headers-1024":               {Frames: 1},
	"headers-length-1":           {0, "malformed", "headers_length", 0},
	"headers-length-2":           {0, "malformed", "headers_length", 0},
	"headers-length-huge":        {0, "malformed", "headers_length", 0},
	"headers-length-over-limit":  {0, "too_large", "headers_length", 0},
	"headers-length-past-frame":  {0, "malformed", "headers_length", 0},
	"headers-only":               {Frames: 1},
	"integer-extremes":           {Frames: 1},
	"many-frames":                {Frames: 150},
	"message-crc-before-headers": {0, "checksum", "message crc", 0},
	"message-crc-corrupted":      {1, "checksum", "message crc", g},
	"name-255":                   {Frames: 1},
	"name-not-utf8":              {0, "malformed", "header name", 0},
	"name-not-utf8-after-value":  {0, "malformed", "header name", 0},
	"name-past-block":            {0, "malformed", "header name", 0},
	"name-utf8":                  {Frames: 1},
	"negative-numbers":           {Frames: 1},
	"payload-binary":             {Frames: 1},
	"payload-corrupted":          {1, "checksum", "message crc", g},
	"payload-only":               {Frames: 1},
	"prelude-crc-corrupted":      {1, "checksum", "prelude crc", g},
	"prelude-length-corrupted":   {0, "checksum", "prelude crc", 0},
	"signed-events":              {Frames: 2},
	"smallest-header":            {Frames: 1},
	"string-not-utf8":            {Frames: 1},
	"timestamp-extremes":         {Frames: 1},
	"timestamps":                 {Frames: 1},
	"too-many-headers":           {0, "malformed", "header count", 0},
	"total-length-15":            {0, "malformed", "total_length", 0},
	"total-length-max":           {0, "too_large", "total_length", 0},
	"total-length-over-limit":    {0, "too_large", "total_length", 0},
	"total-length-zero":          {1, "malformed", "total_length", g},
	"truncated-body":             {1, "unexpected_eof", "", g},
	"truncated-prelude":          {1, "unexpected_eof", "", g},
	"type-past-block":            {0, "malformed", "header name", 0},
	"unknown-type-10":            {0, "malformed", "header type", 0},
	"unknown-type-255":           {0, "malformed", "header type", 0},
	"value-32767":                {Frames: 1},
	"value-65535":                {Frames: 1},
	"value-bytes-past-block":     {0, "malformed", "header value", 0},
	"value-empty":                {Frames: 1},
	"value-length-past-block":    {0, "malformed", "header value", 0},
	"value-past-block":           {0, "malformed", "header value", 0},
}
