package bedrocktest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// lastUserText finds the text of the last user message in a request body of any family or
// of Converse: "messages" (Claude, Nova, Mistral chat, Converse; string content or text
// blocks), "inputText" (Titan), "message" (Cohere chat) or "prompt" (the completion models,
// with the user turn taken out of the usual prompt templates). A body with none gives "".
func lastUserText(body []byte) string {
	var doc struct {
		Messages []struct {
			Role    string      `json:"role"`
			Content userContent `json:"content"`
		} `json:"messages"`
		InputText *string `json:"inputText"`
		Message   *string `json:"message"`
		Prompt    *string `json:"prompt"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	for i := len(doc.Messages) - 1; i >= 0; i-- {
		if m := doc.Messages[i]; m.Role == "user" {
			return m.Content.text
		}
	}
	switch {
	case doc.InputText != nil:
		return *doc.InputText
	case doc.Message != nil:
		return *doc.Message
	case doc.Prompt != nil:
		return userTurn(*doc.Prompt)
	}
	return ""
}

// userContent is the text of a message's content: a string, or its text blocks joined by
// newlines ("" for anything else). It is decoded from the body in place, without a copy of
// the content's JSON.
type userContent struct{ text string }

func (c *userContent) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &c.text) == nil {
		return nil
	}
	var blocks []struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(b, &blocks) != nil {
		return nil
	}
	var parts []string
	for _, blk := range blocks {
		if blk.Text != nil {
			parts = append(parts, *blk.Text)
		}
	}
	c.text = strings.Join(parts, "\n")
	return nil
}

// topMembers says which of the members that shape an InvokeModel response a request body has
// at its top level.
type topMembers struct {
	Messages present `json:"messages"` // chat rather than completion
	Message  present `json:"message"`  // Cohere chat
	Prompt   present `json:"prompt"`   // text completion
}

// present records that a member is there, whatever its value, without copying it.
type present bool

func (p *present) UnmarshalJSON([]byte) error { *p = true; return nil }

func topMembersOf(body []byte) topMembers {
	var m topMembers
	json.Unmarshal(body, &m) // a body that is not an object has none
	return m
}

// userTurn takes the last user turn out of a prompt written in one of the usual templates
// (Claude "\n\nHuman: ... \n\nAssistant:", Llama 3 headers, "[INST] ... [/INST]"); a
// prompt in none of them is returned whole.
func userTurn(p string) string {
	between := func(open, close string) (string, bool) {
		i := strings.LastIndex(p, open)
		if i < 0 {
			return "", false
		}
		s := p[i+len(open):]
		if j := strings.Index(s, close); j >= 0 {
			s = s[:j]
		}
		return strings.TrimSpace(s), true
	}
	if s, ok := between("Human:", "\n\nAssistant:"); ok {
		return s
	}
	if s, ok := between("<|start_header_id|>user<|end_header_id|>", "<|eot_id|>"); ok {
		return s
	}
	if s, ok := between("[INST]", "[/INST]"); ok {
		return s
	}
	return p
}

// respond answers a non-streaming operation: the family's whole response body for
// InvokeModel, the Converse response for Converse. An exception directive becomes the
// matching error response; truncate sends half the body and cuts the connection.
func (h *handler) respond(x *exchange, op bedrock.Operation, p *plan) {
	f := p.faults
	if !sleep(x.r.Context(), f.Delay) {
		return
	}
	if f.Exception != "" {
		name := strings.ToUpper(f.Exception[:1]) + f.Exception[1:]
		e := bedrock.NewAPIError(name, f.Message)
		if e.Message == "" {
			e.Message = "bedrocktest: injected " + name
		}
		x.fail(e)
		return
	}
	u := p.usage(x.start, 1)
	var body *lazyBody
	if op == bedrock.OpConverse {
		body = converseResponse(p.reply, u)
	} else {
		body = invokeResponse(p, u)
		hdr := x.w.Header()
		hdr.Set("X-Amzn-Bedrock-Input-Token-Count", strconv.Itoa(u.InputTokens))
		hdr.Set("X-Amzn-Bedrock-Output-Token-Count", strconv.Itoa(u.OutputTokens))
		hdr.Set("X-Amzn-Bedrock-Invocation-Latency", strconv.FormatInt(u.InvocationLatency.Milliseconds(), 10))
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.log.Status = http.StatusOK
	x.writeDeadline()
	x.ended, x.log.Aborted = true, f.TruncateAfter >= 0
	h.record(x)
	n := body.len()
	if f.TruncateAfter >= 0 {
		x.w.WriteHeader(http.StatusOK)
		x.writeBody(body, n/2)
		x.rc.Flush()
		panic(http.ErrAbortHandler)
	}
	x.w.Header().Set("Content-Length", strconv.Itoa(n))
	x.w.WriteHeader(http.StatusOK)
	x.writeBody(body, n)
}

// writeBody writes the first n bytes of body, each piece given the write timeout.
func (x *exchange) writeBody(body *lazyBody, n int) {
	body.walk(func(p []byte) error {
		p = p[:min(len(p), n)]
		n -= len(p)
		x.writeDeadline()
		if _, err := x.w.Write(p); err != nil {
			return err
		}
		if n == 0 {
			return errBodyDone
		}
		return nil
	})
}

var errBodyDone = errors.New("bedrocktest: body written")

type obj = map[string]any

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps, strings and numbers are marshalled here
	}
	return b
}

// converseResponse is the Converse response for the reply: its content blocks (text,
// reasoningContent.reasoningText, toolUse with its input as a JSON object), stop reason,
// usage, metrics and trace.
func converseResponse(r *bedrock.Reply, u bedrock.Usage) *lazyBody {
	lb := &lazyBody{}
	resp := obj{
		"output":     obj{"message": obj{"role": "assistant", "content": converseContent(lb, r)}},
		"stopReason": r.StopName(bedrock.FamilyNova),
		"usage": obj{
			"inputTokens":  u.InputTokens,
			"outputTokens": u.OutputTokens,
			"totalTokens":  u.InputTokens + u.OutputTokens,
		},
		"metrics": obj{"latencyMs": u.InvocationLatency.Milliseconds()},
	}
	if len(r.Trace) > 0 {
		resp["trace"] = json.RawMessage(r.Trace)
	}
	lb.skeleton = mustJSON(resp)
	return lb
}

// converseContent is the reply's content blocks in Converse's shape (Nova's too): text,
// reasoningContent.reasoningText and toolUse with its input as a JSON object.
func converseContent(lb *lazyBody, r *bedrock.Reply) []obj {
	content := make([]obj, 0, len(r.Blocks))
	for _, b := range r.Blocks {
		switch b.Kind {
		case bedrock.ReasoningBlock:
			content = append(content, obj{"reasoningContent": obj{"reasoningText": obj{"text": lb.str(b.Text), "signature": b.Signature}}})
		case bedrock.ToolUseBlock:
			content = append(content, obj{"toolUse": obj{"toolUseId": b.ToolUseID, "name": b.ToolName, "input": json.RawMessage(b.Input)}})
		default:
			content = append(content, obj{"text": lb.str(b.Text)})
		}
	}
	return content
}

// replyText is the text of the reply's text blocks (without a copy when there is one).
func replyText(r *bedrock.Reply) string {
	text, n := "", 0
	for _, blk := range r.Blocks {
		if blk.Kind == bedrock.TextBlock {
			text, n = blk.Text, n+1
		}
	}
	if n <= 1 {
		return text
	}
	var b strings.Builder
	for _, blk := range r.Blocks {
		if blk.Kind == bedrock.TextBlock {
			b.WriteString(blk.Text)
		}
	}
	return b.String()
}

// withGuardrail adds to an InvokeModel response the members the service adds when a
// guardrail intervened: "amazon-bedrock-guardrailAction" and, with a trace,
// "amazon-bedrock-trace".
func withGuardrail(resp obj, r *bedrock.Reply) obj {
	if r.Stop == bedrock.StopGuardrail {
		resp["amazon-bedrock-guardrailAction"] = "INTERVENED"
	}
	if len(r.Trace) > 0 {
		resp["amazon-bedrock-trace"] = json.RawMessage(r.Trace)
	}
	return resp
}

// invokeResponse is the model family's own InvokeModel response body for the reply, shaped
// after the request (chat or completion) where a family has both.
func invokeResponse(p *plan, u bedrock.Usage) *lazyBody {
	lb := &lazyBody{}
	lb.skeleton = invokeSkeleton(lb, p, u)
	return lb
}

func invokeSkeleton(lb *lazyBody, p *plan, u bedrock.Usage) []byte {
	chat := p.members.Messages
	id := newRequestID()
	text := lb.str(replyText(p.reply))
	prompt := lb.str(p.prompt)
	stop := p.reply.StopName(p.family)
	switch p.family {
	case bedrock.FamilyTitan:
		return mustJSON(withGuardrail(obj{
			"inputTextTokenCount": u.InputTokens,
			"results": []obj{{
				"tokenCount":       u.OutputTokens,
				"outputText":       text,
				"completionReason": stop,
			}},
		}, p.reply))
	case bedrock.FamilyLlama:
		return mustJSON(withGuardrail(obj{
			"generation":             text,
			"prompt_token_count":     u.InputTokens,
			"generation_token_count": u.OutputTokens,
			"stop_reason":            stop,
		}, p.reply))
	case bedrock.FamilyMistral:
		if chat {
			return mustJSON(withGuardrail(obj{
				"id":      id,
				"object":  "chat.completion",
				"created": time.Now().Unix(),
				"model":   p.model,
				"choices": []obj{{
					"index":         0,
					"message":       mistralMessage(p.reply, text),
					"finish_reason": stop,
				}},
				"usage": obj{
					"prompt_tokens":     u.InputTokens,
					"completion_tokens": u.OutputTokens,
					"total_tokens":      u.InputTokens + u.OutputTokens,
				},
			}, p.reply))
		}
		return mustJSON(withGuardrail(obj{"outputs": []obj{{"text": text, "stop_reason": stop}}}, p.reply))
	case bedrock.FamilyCohere:
		if p.members.Message {
			chatbot := obj{"role": "CHATBOT", "message": text}
			resp := obj{
				"response_id":   id,
				"text":          text,
				"generation_id": newRequestID(),
				"chat_history":  []obj{{"role": "USER", "message": prompt}, chatbot},
				"finish_reason": stop,
				"meta": obj{
					"api_version":  obj{"version": "1"},
					"billed_units": obj{"input_tokens": u.InputTokens, "output_tokens": u.OutputTokens},
				},
			}
			if calls := cohereToolCalls(p.reply); calls != nil {
				resp["tool_calls"], chatbot["tool_calls"] = calls, calls
			}
			return mustJSON(withGuardrail(resp, p.reply))
		}
		return mustJSON(withGuardrail(obj{
			"id":          id,
			"generations": []obj{{"id": newRequestID(), "text": text, "finish_reason": stop}},
			"prompt":      prompt,
		}, p.reply))
	case bedrock.FamilyNova:
		return mustJSON(withGuardrail(obj{
			"output":     obj{"message": obj{"role": "assistant", "content": converseContent(lb, p.reply)}},
			"stopReason": stop,
			"usage": obj{
				"inputTokens":  u.InputTokens,
				"outputTokens": u.OutputTokens,
				"totalTokens":  u.InputTokens + u.OutputTokens,
			},
		}, p.reply))
	}
	if p.members.Prompt && !chat {
		return mustJSON(withGuardrail(obj{
			"type":        "completion",
			"completion":  text,
			"stop_reason": completionStop(p.reply),
			"stop":        completionStopSequence(p.reply),
		}, p.reply))
	}
	content := make([]obj, 0, len(p.reply.Blocks))
	for _, b := range p.reply.Blocks {
		switch b.Kind {
		case bedrock.ReasoningBlock:
			content = append(content, obj{"type": "thinking", "thinking": lb.str(b.Text), "signature": b.Signature})
		case bedrock.ToolUseBlock:
			content = append(content, obj{"type": "tool_use", "id": b.ToolUseID, "name": b.ToolName, "input": json.RawMessage(b.Input)})
		default:
			content = append(content, obj{"type": "text", "text": lb.str(b.Text)})
		}
	}
	var stopSeq any
	if p.reply.Stop == bedrock.StopSequence {
		stopSeq = p.reply.StopSequence
	}
	return mustJSON(withGuardrail(obj{
		"id":            "msg_bdrk_" + strings.ReplaceAll(id, "-", "")[:24],
		"type":          "message",
		"role":          "assistant",
		"model":         p.model,
		"content":       content,
		"stop_reason":   stop,
		"stop_sequence": stopSeq,
		"usage":         obj{"input_tokens": u.InputTokens, "output_tokens": u.OutputTokens},
	}, p.reply))
}

// completionStop is the stop_reason of a Claude text completion: max_tokens at the limit,
// else stop_sequence (the end of the turn counts as meeting "\n\nHuman:").
func completionStop(r *bedrock.Reply) string {
	if r.Stop == bedrock.StopMaxTokens {
		return "max_tokens"
	}
	return "stop_sequence"
}

// completionStopSequence is the "stop" of a Claude text completion.
func completionStopSequence(r *bedrock.Reply) any {
	switch r.Stop {
	case bedrock.StopMaxTokens:
		return nil
	case bedrock.StopSequence:
		return r.StopSequence
	}
	return "\n\nHuman:"
}

// mistralMessage is a Mistral chat response message: the text, and the tool calls with
// their arguments as a string of JSON.
func mistralMessage(r *bedrock.Reply, text string) obj {
	m := obj{"role": "assistant", "content": text}
	var calls []obj
	for _, b := range r.Blocks {
		if b.Kind == bedrock.ToolUseBlock {
			calls = append(calls, obj{"id": b.ToolUseID, "function": obj{"name": b.ToolName, "arguments": b.Input}})
		}
	}
	if calls != nil {
		m["tool_calls"] = calls
	}
	return m
}

// cohereToolCalls is a Command R response's tool_calls: each call as its name and its
// parameters (the input object); nil when the reply calls none.
func cohereToolCalls(r *bedrock.Reply) []obj {
	var calls []obj
	for _, b := range r.Blocks {
		if b.Kind == bedrock.ToolUseBlock {
			calls = append(calls, obj{"name": b.ToolName, "parameters": json.RawMessage(b.Input)})
		}
	}
	return calls
}
