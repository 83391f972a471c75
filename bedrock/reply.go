package bedrock

import (
	"hash/fnv"
	"iter"
	"strconv"
	"time"
	"unicode/utf8"
)

// Usage is what the generators report as token usage and invocation metrics.
type Usage struct {
	InputTokens, OutputTokens           int
	InvocationLatency, FirstByteLatency time.Duration
}

// A BlockKind is the kind of a content block.
type BlockKind uint8

// Block kinds.
const (
	// TextBlock is answer text, streamed a few words per event.
	TextBlock BlockKind = iota
	// ToolUseBlock is a call of the tool ToolName with the JSON object Input, identified by
	// ToolUseID; its input streams as pieces of the JSON text.
	ToolUseBlock
	// ReasoningBlock is extended thinking: Text streamed a few words per event, then its
	// Signature in one event.
	ReasoningBlock
)

// A Block is one content block of a reply.
type Block struct {
	Kind BlockKind
	// Text is the text of a TextBlock or a ReasoningBlock.
	Text string
	// Signature signs a ReasoningBlock's text.
	Signature string
	// ToolUseID, ToolName and Input (JSON text of an object) make a ToolUseBlock.
	ToolUseID, ToolName, Input string
}

// A StopReason says why a reply ended, named as Converse names it; each family's events
// carry its own name for it. The zero StopReason is StopEndTurn.
type StopReason string

// Stop reasons.
const (
	StopEndTurn   StopReason = "end_turn"
	StopToolUse   StopReason = "tool_use"
	StopMaxTokens StopReason = "max_tokens"
	StopSequence  StopReason = "stop_sequence"
	StopGuardrail StopReason = "guardrail_intervened"
)

// guardrailActions is the member the service adds to an InvokeModel response when a
// guardrail intervened.
const guardrailActions = `"amazon-bedrock-guardrailAction":"INTERVENED"`

// A Reply is what a generated response stream says: its content blocks, in order, and the
// usage reported at its end.
//
// [Reply.Chunks] and [Reply.ConverseEvents] render a Reply as the events of
// InvokeModelWithResponseStream and ConverseStream. They produce one event at a time into a
// buffer they reuse, so that a stream costs about one event of memory beyond the Reply
// itself, however long the reply; [Reply.ChunkCount] and [Reply.ConverseEventCount] give the
// number of events up front without producing them. Both are pure functions of the Reply
// (identifiers in the events derive from its text).
type Reply struct {
	Blocks []Block
	Usage  Usage
	// Stop is why the reply ended ("" is StopEndTurn), and StopSequence the stop sequence
	// met when Stop is StopSequence.
	Stop         StopReason
	StopSequence string
	// Trace, when not empty, is the JSON of the trace the service adds: the "trace" member
	// of ConverseStream's metadata event, or "amazon-bedrock-trace" in the last chunk.
	Trace []byte
}

// stop returns r.Stop, StopEndTurn when it is not set.
func (r *Reply) stop() StopReason {
	if r.Stop == "" {
		return StopEndTurn
	}
	return r.Stop
}

// StopName names r's stop reason as family f does in its responses: Titan's completionReason
// (FINISH, LENGTH, STOP_CRITERIA_MET, CONTENT_FILTERED), Llama's and Mistral's stop_reason (stop,
// length, tool_calls), Cohere's finish_reason (COMPLETE, MAX_TOKENS; Command R calls tools
// with COMPLETE too), Nova's and Claude's stop reasons
// (Claude has none for a guardrail: its blocked message ends the turn, end_turn).
func (r *Reply) StopName(f Family) string {
	st := r.stop()
	switch f {
	case FamilyTitan:
		switch st {
		case StopMaxTokens:
			return "LENGTH"
		case StopSequence:
			return "STOP_CRITERIA_MET"
		case StopGuardrail:
			return "CONTENT_FILTERED"
		}
		return "FINISH"
	case FamilyLlama, FamilyMistral, FamilyMistralChat:
		switch st {
		case StopMaxTokens:
			return "length"
		case StopToolUse:
			return "tool_calls"
		}
		return "stop"
	case FamilyCohere, FamilyCohereChat:
		if st == StopMaxTokens {
			return "MAX_TOKENS"
		}
		return "COMPLETE"
	case FamilyNova:
		return string(st)
	}
	// Claude's messages API has no guardrail stop reason: the blocked message ends its turn.
	if st == StopGuardrail {
		return string(StopEndTurn)
	}
	return string(st)
}

// appendLastExtras appends, after the metrics of the last chunk, the guardrail action and
// the trace.
func (r *Reply) appendLastExtras(b []byte) []byte {
	if r.stop() == StopGuardrail {
		b = append(b, ',')
		b = append(b, guardrailActions...)
	}
	if len(r.Trace) > 0 {
		b = append(b, `,"amazon-bedrock-trace":`...)
		b = append(b, r.Trace...)
	}
	return b
}

// wordsPerChunk is how many words each generated text delta carries.
const wordsPerChunk = 3

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' }

// maxPieceLen bounds the bytes of one text delta, as a model's deltas are bounded by its
// tokens: a "word" of megabytes (an echoed prompt without spaces) streams in pieces instead
// of one frame larger than the format allows.
const maxPieceLen = 1024

// pieceEnd returns where the piece of text that starts at start ends: after wordsPerChunk
// words and the white space that follows them, or at the first character boundary at or
// after maxPieceLen bytes. Pieces join back to the text.
func pieceEnd(text string, start int) int {
	words, inWord := 0, false
	for i := start; i < len(text); i++ {
		if i-start >= maxPieceLen && utf8.RuneStart(text[i]) {
			return i
		}
		space := isSpace(text[i])
		if !space && !inWord {
			if words == wordsPerChunk {
				return i
			}
			words++
		}
		inWord = !space
	}
	return len(text)
}

// pieces yields text a few words at a time.
func pieces(text string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for start := 0; start < len(text); {
			end := pieceEnd(text, start)
			if !yield(text[start:end]) {
				return
			}
			start = end
		}
	}
}

// pieceCount is the number of pieces that pieces yields for text.
func pieceCount(text string) int {
	n := 0
	for start := 0; start < len(text); start = pieceEnd(text, start) {
		n++
	}
	return n
}

// textPieces yields the pieces of every block, in order.
func (r *Reply) textPieces() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, b := range r.Blocks {
			if b.Kind != TextBlock {
				continue
			}
			for p := range pieces(b.Text) {
				if !yield(p) {
					return
				}
			}
		}
	}
}

func (r *Reply) textPieceCount() int {
	n := 0
	for _, b := range r.Blocks {
		if b.Kind == TextBlock {
			n += pieceCount(b.Text)
		}
	}
	return n
}

// inputPieceLen is the most bytes of a tool's JSON input that one event carries.
const inputPieceLen = 24

// inputPieceEnd returns where the piece of JSON text s that starts at start ends: after at
// most inputPieceLen bytes, at a character boundary.
func inputPieceEnd(s string, start int) int {
	end := start + inputPieceLen
	if end >= len(s) {
		return len(s)
	}
	for end > start+1 && !utf8.RuneStart(s[end]) {
		end--
	}
	return end
}

// inputPieces yields the JSON text s in pieces; "" yields nothing.
func inputPieces(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for start := 0; start < len(s); {
			end := inputPieceEnd(s, start)
			if !yield(s[start:end]) {
				return
			}
			start = end
		}
	}
}

func inputPieceCount(s string) int {
	n := 0
	for start := 0; start < len(s); start = inputPieceEnd(s, start) {
		n++
	}
	return n
}

// deltaCount is the number of delta events of block b: text pieces, reasoning pieces and a
// signature, or input pieces.
func deltaCount(b *Block) int {
	switch b.Kind {
	case ToolUseBlock:
		return inputPieceCount(b.Input)
	case ReasoningBlock:
		n := pieceCount(b.Text)
		if b.Signature != "" {
			n++
		}
		return n
	}
	return pieceCount(b.Text)
}

// appendID appends a stable identifier of n characters derived from the reply's text.
func (r *Reply) appendID(b []byte, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := fnv.New64a()
	for _, blk := range r.Blocks {
		h.Write([]byte(blk.Text))
	}
	x := h.Sum64()
	for range n {
		b = append(b, alphabet[x%uint64(len(alphabet))])
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return b
}

// appendMetrics appends the "amazon-bedrock-invocationMetrics" member built from u.
func appendMetrics(b []byte, u Usage) []byte {
	b = append(b, `"`+metricsKey+`":{"inputTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.InputTokens), 10)
	b = append(b, `,"outputTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.OutputTokens), 10)
	b = append(b, `,"invocationLatency":`...)
	b = strconv.AppendInt(b, u.InvocationLatency.Milliseconds(), 10)
	b = append(b, `,"firstByteLatency":`...)
	b = strconv.AppendInt(b, u.FirstByteLatency.Milliseconds(), 10)
	return append(b, '}')
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// ChunkCount returns the number of chunks that r.Chunks(f) yields.
func (r *Reply) ChunkCount(f Family) int {
	n := r.textPieceCount()
	switch f {
	case FamilyTitan:
		return max(n, 1)
	case FamilyMistralChat:
		for _, b := range r.Blocks {
			if b.Kind == ToolUseBlock {
				n++
			}
		}
		return n + 1
	case FamilyLlama, FamilyMistral, FamilyCohere:
		return n + 1
	case FamilyCohereChat:
		if r.hasToolUse() {
			return 3 // stream-start, tool-calls-generation, stream-end
		}
		return n + 2
	case FamilyNova:
		n = 3
		for i := range r.Blocks {
			switch b := &r.Blocks[i]; b.Kind {
			case TextBlock:
				n += pieceCount(b.Text) + 1
			case ToolUseBlock:
				n += inputPieceCount(b.Input) + 2
			}
		}
		return n
	}
	n = 3
	for i := range r.Blocks {
		n += deltaCount(&r.Blocks[i]) + 2
	}
	return n
}

// Chunks yields the model JSON documents (each one to pass to [Writer.WriteChunk]) that
// stream r as family f does: the family's opening events, the text of each block a few words
// per chunk, the closing events, and "amazon-bedrock-invocationMetrics" built from r.Usage in
// the last chunk. An unknown family gets Claude's format. The text deltas of the chunks, read
// with [TextDelta], join back to the text of the blocks. Each document is valid until the
// iteration moves on: copy it to keep it.
func (r *Reply) Chunks(f Family) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		var b []byte
		u := r.Usage
		switch f {
		case FamilyTitan:
			n, i := r.textPieceCount(), 0
			titan := func(p string) bool {
				b = append(b[:0], `{"outputText":`...)
				b = appendJSONString(b, p)
				if i < n-1 {
					b = append(b, `,"index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":`...)
				} else {
					b = append(b, `,"index":0,"totalOutputTextTokenCount":`...)
					b = appendInt(b, u.OutputTokens)
					b = append(b, `,"completionReason":"`...)
					b = append(b, r.StopName(f)...)
					b = append(b, `","inputTextTokenCount":`...)
				}
				if i == 0 {
					b = appendInt(b, u.InputTokens)
				} else {
					b = append(b, "null"...)
				}
				if i >= n-1 {
					b = append(b, ',')
					b = appendMetrics(b, u)
					b = r.appendLastExtras(b)
				}
				i++
				return yield(append(b, '}'))
			}
			if n == 0 {
				titan("") // the last chunk carries the metrics, even without text
				return
			}
			for p := range r.textPieces() {
				if !titan(p) {
					return
				}
			}
		case FamilyLlama:
			i := 0
			for p := range r.textPieces() {
				b = append(b[:0], `{"generation":`...)
				b = appendJSONString(b, p)
				b = append(b, `,"prompt_token_count":`...)
				if i == 0 {
					b = appendInt(b, u.InputTokens)
				} else {
					b = append(b, "null"...)
				}
				b = append(b, `,"generation_token_count":`...)
				b = appendInt(b, i+1)
				b = append(b, `,"stop_reason":null}`...)
				if !yield(b) {
					return
				}
				i++
			}
			b = append(b[:0], `{"generation":"","prompt_token_count":null,"generation_token_count":`...)
			b = appendInt(b, u.OutputTokens)
			b = append(b, `,"stop_reason":"`...)
			b = append(b, r.StopName(f)...)
			b = append(b, `",`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		case FamilyMistral:
			for p := range r.textPieces() {
				b = append(b[:0], `{"outputs":[{"text":`...)
				b = appendJSONString(b, p)
				b = append(b, `,"stop_reason":null}]}`...)
				if !yield(b) {
					return
				}
			}
			b = append(b[:0], `{"outputs":[{"text":"","stop_reason":"`...)
			b = append(b, r.StopName(f)...)
			b = append(b, `"}],`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		case FamilyMistralChat:
			head := append(r.appendID([]byte(`{"id":"`), 32), `","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":`...)
			for p := range r.textPieces() {
				b = append(b[:0], head...)
				b = appendJSONString(b, p)
				b = append(b, `},"stop_reason":null}]}`...)
				if !yield(b) {
					return
				}
			}
			for _, blk := range r.Blocks {
				if blk.Kind != ToolUseBlock {
					continue
				}
				// A tool call comes whole, its arguments a string of JSON.
				b = append(b[:0], head...)
				b = append(b, `"","tool_calls":[{"id":`...)
				b = appendJSONString(b, blk.ToolUseID)
				b = append(b, `,"function":{"name":`...)
				b = appendJSONString(b, blk.ToolName)
				b = append(b, `,"arguments":`...)
				b = appendJSONString(b, blk.Input)
				if !yield(append(b, `}}]},"stop_reason":null}]}`...)) {
					return
				}
			}
			b = append(b[:0], head...)
			b = append(b, `""},"stop_reason":"`...)
			b = append(b, r.StopName(f)...)
			b = append(b, `"}],`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		case FamilyCohere:
			head := append(r.appendID([]byte(`{"generations":[{"id":"`), 36), `","text":`...)
			for p := range r.textPieces() {
				b = append(b[:0], head...)
				b = appendJSONString(b, p)
				b = append(b, `,"finish_reason":null,"is_finished":false}]}`...)
				if !yield(b) {
					return
				}
			}
			b = append(b[:0], head...)
			b = append(b, `"","finish_reason":"`...)
			b = append(b, r.StopName(f)...)
			b = append(b, `","is_finished":true}],`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		case FamilyCohereChat:
			r.cohereChat(&b, yield)
		case FamilyNova:
			if !yield(append(b, `{"messageStart":{"role":"assistant"}}`...)) {
				return
			}
			i := -1
			for _, blk := range r.Blocks {
				if blk.Kind == ReasoningBlock {
					continue
				}
				i++
				if blk.Kind == ToolUseBlock {
					// As ConverseStream's events, keyed by their names.
					b = append(b[:0], `{"contentBlockStart":{"start":{"toolUse":{"toolUseId":`...)
					b = appendJSONString(b, blk.ToolUseID)
					b = append(b, `,"name":`...)
					b = appendJSONString(b, blk.ToolName)
					b = append(b, `}},"contentBlockIndex":`...)
					b = appendInt(b, i)
					if !yield(append(b, `}}`...)) {
						return
					}
					for p := range inputPieces(blk.Input) {
						b = append(b[:0], `{"contentBlockDelta":{"delta":{"toolUse":{"input":`...)
						b = appendJSONString(b, p)
						b = append(b, `}},"contentBlockIndex":`...)
						b = appendInt(b, i)
						if !yield(append(b, `}}`...)) {
							return
						}
					}
				}
				for p := range pieces(blk.Text) {
					b = append(b[:0], `{"contentBlockDelta":{"delta":{"text":`...)
					b = appendJSONString(b, p)
					b = append(b, `},"contentBlockIndex":`...)
					b = appendInt(b, i)
					b = append(b, `}}`...)
					if !yield(b) {
						return
					}
				}
				b = append(b[:0], `{"contentBlockStop":{"contentBlockIndex":`...)
				b = appendInt(b, i)
				if !yield(append(b, `}}`...)) {
					return
				}
			}
			b = append(b[:0], `{"messageStop":{"stopReason":"`...)
			b = append(b, r.StopName(f)...)
			if !yield(append(b, `"}}`...)) {
				return
			}
			b = append(b[:0], `{"metadata":{"usage":{"inputTokens":`...)
			b = appendInt(b, u.InputTokens)
			b = append(b, `,"outputTokens":`...)
			b = appendInt(b, u.OutputTokens)
			b = append(b, `},"metrics":{},"trace":{}},`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		default:
			b = append(b, `{"type":"message_start","message":{"id":"msg_bdrk_`...)
			b = r.appendID(b, 24)
			b = append(b, `","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
			b = appendInt(b, u.InputTokens)
			if !yield(append(b, `,"output_tokens":1}}}`...)) {
				return
			}
			for i := range r.Blocks {
				if !r.claudeBlock(i, &b, yield) {
					return
				}
			}
			b = append(b[:0], `{"type":"message_delta","delta":{"stop_reason":"`...)
			b = append(b, r.StopName(f)...)
			b = append(b, `","stop_sequence":`...)
			if r.stop() == StopSequence {
				b = appendJSONString(b, r.StopSequence)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `},"usage":{"output_tokens":`...)
			b = appendInt(b, u.OutputTokens)
			if !yield(append(b, `}}`...)) {
				return
			}
			b = append(b[:0], `{"type":"message_stop",`...)
			b = appendMetrics(b, u)
			b = r.appendLastExtras(b)
			yield(append(b, '}'))
		}
	}
}

// hasToolUse reports whether r calls a tool.
func (r *Reply) hasToolUse() bool {
	for i := range r.Blocks {
		if r.Blocks[i].Kind == ToolUseBlock {
			return true
		}
	}
	return false
}

// appendUUID appends a stable identifier in the form of a UUID derived from the reply's text
// and salt, which tells apart the identifiers of one reply.
func (r *Reply) appendUUID(b []byte, salt byte) []byte {
	const hex = "0123456789abcdef"
	h := fnv.New64a()
	h.Write([]byte{salt})
	for _, blk := range r.Blocks {
		h.Write([]byte(blk.Text))
	}
	x := h.Sum64()
	y := x*6364136223846793005 + 1442695040888963407
	y ^= y >> 29
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		if i == 16 {
			x = y
		}
		b = append(b, hex[x&0xf])
		x >>= 4
	}
	return b
}

// cohereChat yields the chunks of r in Cohere Command R's chat streaming format: a
// "stream-start" event with the generation_id; then either "text-generation" events with the
// text a few words each, or, when r calls tools, one "tool-calls-generation" event with the
// text before the calls (the preamble) as its "text" and every call as {"name","parameters"};
// and a "stream-end" event with the finish_reason and the whole response (response_id, text
// up to [CohereEndTextMax], generation_id, finish_reason, tool_calls, meta), carrying the
// invocation metrics.
func (r *Reply) cohereChat(bp *[]byte, yield func([]byte) bool) {
	u := r.Usage
	b := append((*bp)[:0], `{"is_finished":false,"event_type":"stream-start","generation_id":"`...)
	b = r.appendUUID(b, 'g')
	*bp = b
	if !yield(append(b, `"}`...)) {
		return
	}
	calls := r.hasToolUse()
	if calls {
		b = append(b[:0], `{"is_finished":false,"event_type":"tool-calls-generation",`...)
		if r.textPieceCount() > 0 {
			b = append(b, `"text":`...)
			b = r.appendText(b)
			b = append(b, ',')
		}
		b = r.appendCohereToolCalls(b)
		*bp = b
		if !yield(append(b, '}')) {
			return
		}
	} else {
		for p := range r.textPieces() {
			b = append(b[:0], `{"is_finished":false,"event_type":"text-generation","text":`...)
			b = appendJSONString(b, p)
			*bp = b
			if !yield(append(b, '}')) {
				return
			}
		}
	}
	b = append(b[:0], `{"is_finished":true,"event_type":"stream-end","response":{"response_id":"`...)
	b = r.appendUUID(b, 'r')
	b = append(b, `","text":`...)
	if r.textLen() <= CohereEndTextMax {
		b = r.appendText(b)
	} else {
		b = append(b, `""`...)
	}
	b = append(b, `,"generation_id":"`...)
	b = r.appendUUID(b, 'g')
	b = append(b, `","finish_reason":"`...)
	b = append(b, r.StopName(FamilyCohereChat)...)
	b = append(b, '"')
	if calls {
		b = append(b, ',')
		b = r.appendCohereToolCalls(b)
	}
	b = append(b, `,"meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":`...)
	b = appendInt(b, u.InputTokens)
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, u.OutputTokens)
	b = append(b, `}}},"finish_reason":"`...)
	b = append(b, r.StopName(FamilyCohereChat)...)
	b = append(b, `",`...)
	b = appendMetrics(b, u)
	b = r.appendLastExtras(b)
	*bp = b
	yield(append(b, '}'))
}

// CohereEndTextMax is the longest text, in bytes, that a Command R "stream-end" chunk
// repeats in its response: a longer one, far beyond what a Command R model writes, is left
// out ("text":""), so that the chunk of an echoed long prompt stays well within the 16 MiB
// event payloads that the AWS SDKs accept. The text-generation chunks carry it all.
const CohereEndTextMax = 1 << 20

// textLen is the length in bytes of the text of r's text blocks.
func (r *Reply) textLen() int {
	n := 0
	for _, blk := range r.Blocks {
		if blk.Kind == TextBlock {
			n += len(blk.Text)
		}
	}
	return n
}

// appendText appends the text of r's text blocks as one JSON string.
func (r *Reply) appendText(b []byte) []byte {
	b = append(b, '"')
	for _, blk := range r.Blocks {
		if blk.Kind == TextBlock {
			n := len(b)
			b = appendJSONString(b, blk.Text)
			b = append(b[:n], b[n+1:len(b)-1]...) // without its quotes
		}
	}
	return append(b, '"')
}

// appendCohereToolCalls appends Command R's "tool_calls" member: each call of r as
// {"name":...,"parameters":<input object>}.
func (r *Reply) appendCohereToolCalls(b []byte) []byte {
	b = append(b, `"tool_calls":[`...)
	first := true
	for _, blk := range r.Blocks {
		if blk.Kind != ToolUseBlock {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"name":`...)
		b = appendJSONString(b, blk.ToolName)
		b = append(b, `,"parameters":`...)
		if blk.Input == "" {
			b = append(b, "{}"...)
		}
		b = append(b, blk.Input...)
		b = append(b, '}')
	}
	return append(b, ']')
}

// claudeBlock yields the chunks of block i in Claude's messages streaming format:
// content_block_start, the deltas (text_delta; thinking_delta then signature_delta;
// input_json_delta) and content_block_stop. It reports whether to go on.
func (r *Reply) claudeBlock(i int, bp *[]byte, yield func([]byte) bool) bool {
	blk := &r.Blocks[i]
	b := append((*bp)[:0], `{"type":"content_block_start","index":`...)
	b = appendInt(b, i)
	switch blk.Kind {
	case ToolUseBlock:
		b = append(b, `,"content_block":{"type":"tool_use","id":`...)
		b = appendJSONString(b, blk.ToolUseID)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, blk.ToolName)
		b = append(b, `,"input":{}}}`...)
	case ReasoningBlock:
		b = append(b, `,"content_block":{"type":"thinking","thinking":""}}`...)
	default:
		b = append(b, `,"content_block":{"type":"text","text":""}}`...)
	}
	*bp = b
	if !yield(b) {
		return false
	}
	delta := func(typ, member, v string) bool {
		b := append((*bp)[:0], `{"type":"content_block_delta","index":`...)
		b = appendInt(b, i)
		b = append(b, `,"delta":{"type":"`...)
		b = append(b, typ...)
		b = append(b, `","`...)
		b = append(b, member...)
		b = append(b, `":`...)
		b = appendJSONString(b, v)
		b = append(b, `}}`...)
		*bp = b
		return yield(b)
	}
	switch blk.Kind {
	case ToolUseBlock:
		for p := range inputPieces(blk.Input) {
			if !delta("input_json_delta", "partial_json", p) {
				return false
			}
		}
	case ReasoningBlock:
		for p := range pieces(blk.Text) {
			if !delta("thinking_delta", "thinking", p) {
				return false
			}
		}
		if blk.Signature != "" && !delta("signature_delta", "signature", blk.Signature) {
			return false
		}
	default:
		for p := range pieces(blk.Text) {
			if !delta("text_delta", "text", p) {
				return false
			}
		}
	}
	b = append((*bp)[:0], `{"type":"content_block_stop","index":`...)
	b = appendInt(b, i)
	b = append(b, '}')
	*bp = b
	return yield(b)
}

// ConverseEventCount returns the number of events that r.ConverseEvents yields.
func (r *Reply) ConverseEventCount() int {
	n := 3
	for i := range r.Blocks {
		n += deltaCount(&r.Blocks[i]) + 1
		if r.Blocks[i].Kind == ToolUseBlock {
			n++ // contentBlockStart
		}
	}
	return n
}

// ConverseEvents yields the ConverseStream events of r, each as its ":event-type" and its
// JSON (to pass to [Writer.WriteEvent]): messageStart, for each block contentBlockDelta
// events of a few words each and a contentBlockStop, messageStop with stopReason end_turn,
// and metadata with usage (input, output and total tokens) and metrics.latencyMs from
// r.Usage. The JSON is valid until the iteration moves on: copy it to keep it.
func (r *Reply) ConverseEvents() iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		var b []byte
		u := r.Usage
		if !yield("messageStart", append(b, `{"role":"assistant"}`...)) {
			return
		}
		for i := range r.Blocks {
			if !r.converseBlock(i, &b, yield) {
				return
			}
		}
		b = append(b[:0], `{"stopReason":"`...)
		b = append(b, r.stop()...)
		if !yield("messageStop", append(b, `"}`...)) {
			return
		}
		b = append(b[:0], `{"usage":{"inputTokens":`...)
		b = appendInt(b, u.InputTokens)
		b = append(b, `,"outputTokens":`...)
		b = appendInt(b, u.OutputTokens)
		b = append(b, `,"totalTokens":`...)
		b = appendInt(b, u.InputTokens+u.OutputTokens)
		b = append(b, `},"metrics":{"latencyMs":`...)
		b = strconv.AppendInt(b, u.InvocationLatency.Milliseconds(), 10)
		b = append(b, '}')
		if len(r.Trace) > 0 {
			b = append(b, `,"trace":`...)
			b = append(b, r.Trace...)
		}
		yield("metadata", append(b, '}'))
	}
}

// converseBlock yields the ConverseStream events of block i: contentBlockStart (tool use
// only), the contentBlockDelta events (text; reasoningContent text then signature; toolUse
// input) and contentBlockStop. It reports whether to go on.
func (r *Reply) converseBlock(i int, bp *[]byte, yield func(string, []byte) bool) bool {
	blk := &r.Blocks[i]
	head := func() []byte {
		b := append((*bp)[:0], `{"contentBlockIndex":`...)
		return appendInt(b, i)
	}
	if blk.Kind == ToolUseBlock {
		b := append(head(), `,"start":{"toolUse":{"toolUseId":`...)
		b = appendJSONString(b, blk.ToolUseID)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, blk.ToolName)
		b = append(b, `}}}`...)
		*bp = b
		if !yield("contentBlockStart", b) {
			return false
		}
	}
	delta := func(open, v, close string) bool {
		b := append(head(), `,"delta":`...)
		b = append(b, open...)
		b = appendJSONString(b, v)
		b = append(b, close...)
		*bp = b
		return yield("contentBlockDelta", b)
	}
	switch blk.Kind {
	case ToolUseBlock:
		for p := range inputPieces(blk.Input) {
			if !delta(`{"toolUse":{"input":`, p, `}}}`) {
				return false
			}
		}
	case ReasoningBlock:
		for p := range pieces(blk.Text) {
			if !delta(`{"reasoningContent":{"text":`, p, `}}}`) {
				return false
			}
		}
		if blk.Signature != "" && !delta(`{"reasoningContent":{"signature":`, blk.Signature, `}}}`) {
			return false
		}
	default:
		for p := range pieces(blk.Text) {
			if !delta(`{"text":`, p, `}}`) {
				return false
			}
		}
	}
	b := append(head(), '}')
	*bp = b
	return yield("contentBlockStop", b)
}

// appendJSONString appends s as a JSON string, escaped as encoding/json escapes it: '"',
// '\\' and control characters, '<', '>' and '&' as \u escapes, U+2028 and U+2029, and each
// byte of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
