package bedrocktest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// directiveRE finds the directives in a prompt: "[[mock" then settings up to "]]".
var directiveRE = regexp.MustCompile(`\[\[mock(?:\s[^\]]*)?\]\]`)

// Faults is what the directives of a prompt, or the mock setting of a scenario rule, ask of
// a reply.
type Faults struct {
	// Exception is the camelCase member name of an exception frame sent after
	// ExceptionAfter events, ending the stream ("exception=", "after=").
	Exception      string
	ExceptionAfter int
	// Message is the message of the exception or error ("message=", quoted if it has
	// spaces); empty gives a default message.
	Message string
	// OriginalStatus and OriginalMessage fill a modelStreamErrorException
	// ("original-status=", "original-message="); 0 gives 500.
	OriginalStatus  int
	OriginalMessage string

	// Status and Error make the request fail before the stream with that HTTP status and
	// error name ("status=", "error="; either one implies the other from the service's
	// table). FailAttempts > 0 fails only attempts 1..FailAttempts ("fail-attempts="), as
	// told by the Amz-Sdk-Request header that the AWS SDKs send; for a client that sends
	// none, the server counts: a request with the same operation, model and body as one
	// answered within the last 60 seconds is the next attempt, and the count starts over
	// once an attempt has got through.
	Status       int
	Error        string
	FailAttempts int

	// CorruptAfter >= 0 sends frame CorruptAfter+1 of a stream with a wrong message CRC
	// ("corrupt after=N"); TruncateAfter >= 0 sends half of frame TruncateAfter+1 and then
	// cuts the connection ("truncate after=N"; on InvokeModel and Converse, half the body).
	// -1 asks for neither, as in the Faults that ParseDirectives returns for a prompt
	// without directives. A number past the last frame applies to the last frame.
	CorruptAfter  int
	TruncateAfter int

	// Tool makes the reply call tools of the request's tool list ("tool="): a name, names
	// separated by commas (parallel tool use), or "*" for the first tool. In a voice
	// session it makes a turn call one tool of the session's tool configuration (a name or
	// "*") before answering; the answer speaks the tool's result.
	Tool string
	// InterruptAfter >= 0 cuts the assistant's audio of a voice session's turn after that
	// many audio frames, as a barge-in does ("interrupt after=N"; -1 asks for none). Other
	// operations ignore it.
	InterruptAfter int

	// Delay is waited after the response headers and before the first frame ("delay=");
	// ChunkDelay between frames ("chunk-delay="). Both take Go durations ("250ms", "2s").
	Delay, ChunkDelay time.Duration

	// Reasoning, when Reasoned is set, starts the reply with a reasoning block of that text
	// ("reasoning=\"...\""; a bare "reasoning" takes the default text, as a request that
	// enables extended thinking does).
	Reasoning string
	Reasoned  bool
	// Guardrail "intervened" makes the reply what the service sends when a guardrail blocks
	// the request ("guardrail=intervened"): BlockedMessage ("blocked-message=") or
	// DefaultBlockedMessage as its text.
	Guardrail      string
	BlockedMessage string
}

// noFaults is Faults asking for nothing.
func noFaults() Faults { return Faults{CorruptAfter: -1, TruncateAfter: -1, InterruptAfter: -1} }

// ParseDirectives removes every "[[mock ...]]" directive from text and returns the
// remaining text and the faults the directives ask for, later directives overriding
// earlier ones. When at least one directive was removed, the text is trimmed of leading
// and trailing white space; otherwise it is returned unchanged. An unknown setting or a
// bad value is an error naming it.
func ParseDirectives(text string) (string, Faults, error) {
	f := noFaults()
	locs := directiveRE.FindAllStringIndex(text, -1)
	if locs == nil {
		return text, f, nil
	}
	// The text between the directives; when only one piece of it is more than white space
	// (directives before or after the text, as usual), the result is that piece, not a
	// copy: a long prompt is not duplicated.
	var pieces []string
	prev := 0
	for _, loc := range locs {
		pieces = append(pieces, text[prev:loc[0]])
		prev = loc[1]
		body := text[loc[0]+len("[[mock") : loc[1]-len("]]")]
		if err := f.apply(body); err != nil {
			return "", f, err
		}
	}
	pieces = append(pieces, text[prev:])
	only, n := "", 0
	for _, p := range pieces {
		if strings.TrimSpace(p) != "" {
			only, n = p, n+1
		}
	}
	if n <= 1 {
		return strings.TrimSpace(only), f, nil
	}
	return strings.TrimSpace(strings.Join(pieces, "")), f, nil
}

// apply sets the faults named by one directive body: space-separated key=value settings
// and the bare words corrupt and truncate.
func (f *Faults) apply(body string) error {
	settings, err := splitSettings(body)
	if err != nil {
		return err
	}
	after, hasAfter := 0, false
	kind := ""
	for _, s := range settings {
		k, v, hasValue := strings.Cut(s, "=")
		if !hasValue && k != "corrupt" && k != "truncate" && k != "interrupt" && k != "reasoning" {
			return fmt.Errorf("bedrocktest: directive setting %q needs a value", k)
		}
		switch k {
		case "exception":
			if v == "" {
				return fmt.Errorf("bedrocktest: directive exception= needs a member name")
			}
			f.Exception, kind = v, k
		case "tool":
			if v == "" {
				return fmt.Errorf("bedrocktest: directive tool= needs a tool name, names separated by commas, or *")
			}
			f.Tool = v
		case "corrupt", "truncate", "interrupt":
			if hasValue {
				return fmt.Errorf("bedrocktest: directive %s takes no value, use %s after=N", k, k)
			}
			kind = k
		case "after":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("bedrocktest: directive after=%s: want a count of frames", v)
			}
			after, hasAfter = n, true
		case "message":
			f.Message = v
		case "original-status":
			n, err := strconv.Atoi(v)
			if err != nil || n < 100 || n > 599 {
				return fmt.Errorf("bedrocktest: directive original-status=%s: want 100..599", v)
			}
			f.OriginalStatus = n
		case "original-message":
			f.OriginalMessage = v
		case "status":
			n, err := strconv.Atoi(v)
			if err != nil || n < 400 || n > 599 {
				return fmt.Errorf("bedrocktest: directive status=%s: want an HTTP error status 400..599", v)
			}
			f.Status = n
		case "error":
			if v == "" {
				return fmt.Errorf("bedrocktest: directive error= needs an error name")
			}
			f.Error = v
		case "fail-attempts":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("bedrocktest: directive fail-attempts=%s: want a count", v)
			}
			f.FailAttempts = n
		case "delay", "chunk-delay":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("bedrocktest: directive %s=%s: want a duration such as 250ms", k, v)
			}
			if k == "delay" {
				f.Delay = d
			} else {
				f.ChunkDelay = d
			}
		case "reasoning":
			f.Reasoning, f.Reasoned = v, true
		case "guardrail":
			if v != "intervened" {
				return fmt.Errorf("bedrocktest: directive guardrail=%s: want guardrail=intervened", v)
			}
			f.Guardrail = v
		case "blocked-message":
			f.BlockedMessage = v
		default:
			return fmt.Errorf("bedrocktest: unknown directive setting %q", k)
		}
	}
	if hasAfter {
		switch kind {
		case "exception":
			f.ExceptionAfter = after
		case "corrupt":
			f.CorruptAfter = after
		case "truncate":
			f.TruncateAfter = after
		case "interrupt":
			f.InterruptAfter = after
		default:
			return fmt.Errorf("bedrocktest: directive after= needs exception=, corrupt, truncate or interrupt")
		}
	} else {
		switch kind {
		case "corrupt":
			f.CorruptAfter = 0
		case "truncate":
			f.TruncateAfter = 0
		case "interrupt":
			f.InterruptAfter = 0
		}
	}
	return nil
}

// splitSettings splits on white space, keeping double-quoted values whole and unquoted.
func splitSettings(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord, inQuote := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			inWord = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("bedrocktest: directive has an unclosed quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// merge returns f with the settings that o sets replaced by o's.
func (f Faults) merge(o Faults) Faults {
	if o.Exception != "" {
		f.Exception, f.ExceptionAfter = o.Exception, o.ExceptionAfter
	}
	if o.Message != "" {
		f.Message = o.Message
	}
	if o.OriginalStatus != 0 {
		f.OriginalStatus = o.OriginalStatus
	}
	if o.OriginalMessage != "" {
		f.OriginalMessage = o.OriginalMessage
	}
	if o.Status != 0 || o.Error != "" {
		f.Status, f.Error, f.FailAttempts = o.Status, o.Error, o.FailAttempts
	}
	if o.CorruptAfter >= 0 {
		f.CorruptAfter = o.CorruptAfter
	}
	if o.TruncateAfter >= 0 {
		f.TruncateAfter = o.TruncateAfter
	}
	if o.Tool != "" {
		f.Tool = o.Tool
	}
	if o.InterruptAfter >= 0 {
		f.InterruptAfter = o.InterruptAfter
	}
	if o.Delay != 0 {
		f.Delay = o.Delay
	}
	if o.ChunkDelay != 0 {
		f.ChunkDelay = o.ChunkDelay
	}
	if o.Reasoned {
		f.Reasoning, f.Reasoned = o.Reasoning, true
	}
	if o.Guardrail != "" {
		f.Guardrail = o.Guardrail
	}
	if o.BlockedMessage != "" {
		f.BlockedMessage = o.BlockedMessage
	}
	return f
}

// directExceptions are the exceptions an exception= directive may name on the operations
// without a stream, answered as the error response of that name: those of the stream
// exception members that are also errors of InvokeModel and Converse in the service model.
var directExceptions = []string{bedrock.InternalServerException, bedrock.ValidationException,
	bedrock.ThrottlingException, bedrock.ModelTimeoutException, bedrock.ServiceUnavailableException}

// checkException refuses an exception= directive naming an exception that op cannot send,
// with a ValidationException listing those it can.
func checkException(op bedrock.Operation, name string) *bedrock.APIError {
	if name == "" {
		return nil
	}
	allowed := bedrock.StreamExceptions(op)
	if allowed == nil {
		allowed = directExceptions
	}
	if slices.Contains(allowed, name) {
		return nil
	}
	return bedrock.NewAPIError(bedrock.ErrValidation, fmt.Sprintf("bedrocktest: directive exception=%s: %s can send %s",
		name, op, strings.Join(allowed, ", ")))
}

// sdkAttempt reads the attempt number from an Amz-Sdk-Request header ("attempt=2; max=3"),
// and whether the header told it; a request without one is attempt 1.
func sdkAttempt(h string) (n int, ok bool) {
	for part := range strings.SplitSeq(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "attempt" {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n, true
			}
		}
	}
	return 1, false
}
