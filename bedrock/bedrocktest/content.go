package bedrocktest

import (
	"encoding/json"
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
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		InputText *string `json:"inputText"`
		Message   *string `json:"message"`
		Prompt    *string `json:"prompt"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	for i := len(doc.Messages) - 1; i >= 0; i-- {
		m := doc.Messages[i]
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			return s
		}
		var blocks []struct {
			Text *string `json:"text"`
		}
		if json.Unmarshal(m.Content, &blocks) != nil {
			return ""
		}
		var parts []string
		for _, b := range blocks {
			if b.Text != nil {
				parts = append(parts, *b.Text)
			}
		}
		return strings.Join(parts, "\n")
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
	var body []byte
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
	x.ended, x.log.Aborted = true, f.TruncateAfter >= 0
	h.record(x)
	if f.TruncateAfter >= 0 {
		x.w.WriteHeader(http.StatusOK)
		x.w.Write(body[:len(body)/2])
		http.NewResponseController(x.w).Flush()
		panic(http.ErrAbortHandler)
	}
	x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(http.StatusOK)
	x.w.Write(body)
}

// hasMember reports whether the JSON object body has a top-level member key.
func hasMember(body []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

type obj = map[string]any

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps, strings and numbers are marshalled here
	}
	return b
}

// converseResponse is the Converse output for text.
func converseResponse(text string, u bedrock.Usage) []byte {
	return mustJSON(obj{
		"output":     obj{"message": obj{"role": "assistant", "content": []obj{{"text": text}}}},
		"stopReason": "end_turn",
		"usage": obj{
			"inputTokens":  u.InputTokens,
			"outputTokens": u.OutputTokens,
			"totalTokens":  u.InputTokens + u.OutputTokens,
		},
		"metrics": obj{"latencyMs": u.InvocationLatency.Milliseconds()},
	})
}

// invokeResponse is the model family's own InvokeModel response body for the reply, shaped
// after the request (chat or completion) where a family has both.
func invokeResponse(p *plan, u bedrock.Usage) []byte {
	var req map[string]json.RawMessage
	json.Unmarshal(p.req, &req) // validated as JSON already
	_, chat := req["messages"]
	id := newRequestID()
	switch p.family {
	case bedrock.FamilyTitan:
		return mustJSON(obj{
			"inputTextTokenCount": u.InputTokens,
			"results": []obj{{
				"tokenCount":       u.OutputTokens,
				"outputText":       p.reply,
				"completionReason": "FINISH",
			}},
		})
	case bedrock.FamilyLlama:
		return mustJSON(obj{
			"generation":             p.reply,
			"prompt_token_count":     u.InputTokens,
			"generation_token_count": u.OutputTokens,
			"stop_reason":            "stop",
		})
	case bedrock.FamilyMistral:
		if chat {
			return mustJSON(obj{
				"id":      id,
				"object":  "chat.completion",
				"created": time.Now().Unix(),
				"model":   p.model,
				"choices": []obj{{
					"index":         0,
					"message":       obj{"role": "assistant", "content": p.reply},
					"finish_reason": "stop",
				}},
				"usage": obj{
					"prompt_tokens":     u.InputTokens,
					"completion_tokens": u.OutputTokens,
					"total_tokens":      u.InputTokens + u.OutputTokens,
				},
			})
		}
		return mustJSON(obj{"outputs": []obj{{"text": p.reply, "stop_reason": "stop"}}})
	case bedrock.FamilyCohere:
		if _, ok := req["message"]; ok {
			return mustJSON(obj{
				"response_id":   id,
				"text":          p.reply,
				"generation_id": newRequestID(),
				"chat_history": []obj{
					{"role": "USER", "message": p.prompt},
					{"role": "CHATBOT", "message": p.reply},
				},
				"finish_reason": "COMPLETE",
			})
		}
		return mustJSON(obj{
			"id":          id,
			"generations": []obj{{"id": newRequestID(), "text": p.reply, "finish_reason": "COMPLETE"}},
			"prompt":      p.prompt,
		})
	case bedrock.FamilyNova:
		return mustJSON(obj{
			"output":     obj{"message": obj{"role": "assistant", "content": []obj{{"text": p.reply}}}},
			"stopReason": "end_turn",
			"usage": obj{
				"inputTokens":  u.InputTokens,
				"outputTokens": u.OutputTokens,
				"totalTokens":  u.InputTokens + u.OutputTokens,
			},
		})
	}
	if _, ok := req["prompt"]; ok && !chat {
		return mustJSON(obj{
			"type":        "completion",
			"completion":  p.reply,
			"stop_reason": "stop_sequence",
			"stop":        "\n\nHuman:",
		})
	}
	return mustJSON(obj{
		"id":            "msg_bdrk_" + strings.ReplaceAll(id, "-", "")[:24],
		"type":          "message",
		"role":          "assistant",
		"model":         p.model,
		"content":       []obj{{"type": "text", "text": p.reply}},
		"stop_reason":   "end_turn",
		"stop_sequence": nil,
		"usage":         obj{"input_tokens": u.InputTokens, "output_tokens": u.OutputTokens},
	})
}
