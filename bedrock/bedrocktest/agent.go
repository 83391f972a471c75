package bedrocktest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/framewire/eventstream/bedrock"
)

// MinThinkingBudget is the smallest extended thinking budget the service accepts, in tokens.
const MinThinkingBudget = 1024

// DefaultBlockedMessage is the text of a reply that a guardrail blocked, when neither the
// directive nor the scenario rule gives one. It is the message the Bedrock console proposes
// for a new guardrail.
const DefaultBlockedMessage = "Sorry, the model cannot answer this question."

// agentRequest is what a request says about tools, reasoning, output limits and guardrails,
// read from the operation's own format: Converse and ConverseStream bodies, or the model
// family's InvokeModel body.
type agentRequest struct {
	converse bool // a Converse body
	claude   bool // Claude's messages API on InvokeModel
	nova     bool // Nova's InvokeModel body, shaped like Converse's
	mistral  bool // Mistral's chat completion body
	cohere   bool // Cohere Command R's chat body
	// afterTools: the request ends with tool results in messages of their own (Mistral's
	// "tool" role) or carries them beside its message (Command R's "tool_results"), so the
	// directives of the user message before them are spent.
	afterTools bool

	tools      []toolDef
	choice     string // "", "auto", "any" or "tool"
	choiceName string

	// results are the tool results of the last user message, each matched to a call of
	// the assistant message before it.
	results []toolResult

	thinking bool

	maxTokens int // 0: no limit given
	stopSeqs  []string

	guardrail *guardrailConfig
}

type toolDef struct {
	name   string
	schema json.RawMessage
}

type toolResult struct {
	id, name, text string
}

type guardrailConfig struct {
	id, version string
	trace       bool
}

// toolNames lists the request's tools for error messages.
func (a *agentRequest) toolNames() string {
	if len(a.tools) == 0 {
		return "none"
	}
	names := make([]string, len(a.tools))
	for i, t := range a.tools {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

func (a *agentRequest) tool(name string) *toolDef {
	for i := range a.tools {
		if a.tools[i].name == name {
			return &a.tools[i]
		}
	}
	return nil
}

// Converse request members read here.
type converseRequest struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content []converseBlock `json:"content"`
	} `json:"messages"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name        string `json:"name"`
				InputSchema struct {
					JSON json.RawMessage `json:"json"`
				} `json:"inputSchema"`
			} `json:"toolSpec"`
		} `json:"tools"`
		ToolChoice *struct {
			Auto *struct{} `json:"auto"`
			Any  *struct{} `json:"any"`
			Tool *struct {
				Name string `json:"name"`
			} `json:"tool"`
		} `json:"toolChoice"`
	} `json:"toolConfig"`
	InferenceConfig *struct {
		MaxTokens     *int     `json:"maxTokens"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"`
	AdditionalModelRequestFields *struct {
		Thinking *thinkingConfig `json:"thinking"`
	} `json:"additionalModelRequestFields"`
	GuardrailConfig *struct {
		GuardrailIdentifier string `json:"guardrailIdentifier"`
		GuardrailVersion    string `json:"guardrailVersion"`
		Trace               string `json:"trace"`
	} `json:"guardrailConfig"`
}

type thinkingConfig struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

// converseBlock is one Converse content block, of the kinds read here.
type converseBlock struct {
	ToolUse *struct {
		ToolUseID string `json:"toolUseId"`
		Name      string `json:"name"`
	} `json:"toolUse"`
	ToolResult *struct {
		ToolUseID string            `json:"toolUseId"`
		Content   []json.RawMessage `json:"content"`
	} `json:"toolResult"`
}

// Claude messages request members read here (and the other families' limits).
type invokeRequest struct {
	Messages []struct {
		Role    string        `json:"role"`
		Content claudeContent `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"` // Claude's object, Mistral's string
	Thinking      *thinkingConfig `json:"thinking"`
	MaxTokens     *int            `json:"max_tokens"`
	StopSequences []string        `json:"stop_sequences"`

	MaxTokensToSample *int `json:"max_tokens_to_sample"` // Claude text completions
	TextGeneration    *struct {
		MaxTokenCount *int     `json:"maxTokenCount"`
		StopSequences []string `json:"stopSequences"`
	} `json:"textGenerationConfig"` // Titan
	MaxGenLen       *int     `json:"max_gen_len"` // Llama
	Stop            []string `json:"stop"`        // Mistral
	InferenceConfig *struct {
		MaxNewTokens  *int     `json:"max_new_tokens"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"` // Nova
	ToolConfig json.RawMessage `json:"toolConfig"` // Nova
}

// claudeBlock is one Claude messages content block, of the kinds read here.
type claudeBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
}

// A converseBlock is what a Converse content block says about tool use. It is read without
// its text: a long prompt is not copied. A block of another shape (bedrock.ValidateRequest
// checks the shapes) reads as neither.
func (b *converseBlock) UnmarshalJSON(data []byte) error {
	type plain converseBlock
	var p plain
	if json.Unmarshal(data, &p) == nil {
		*b = converseBlock(p)
	}
	return nil
}

// claudeContent is a Claude message's content: a string (or null), which is not copied, or
// a list of blocks.
type claudeContent struct {
	text   bool // a string or null
	list   bool // a list of blocks
	blocks []claudeBlock
}

func (c *claudeContent) UnmarshalJSON(data []byte) error {
	if data[0] == '"' || string(data) == "null" {
		c.text = true
		return nil
	}
	c.list = json.Unmarshal(data, &c.blocks) == nil
	return nil
}

func validation(format string, args ...any) *bedrock.APIError {
	return bedrock.NewAPIError(bedrock.ErrValidation, fmt.Sprintf(format, args...))
}

// parseAgent reads the agent settings of a request already checked by
// bedrock.ValidateRequest (so the body is JSON).
func parseAgent(op bedrock.Operation, family bedrock.Family, h http.Header, body []byte) (*agentRequest, *bedrock.APIError) {
	if op == bedrock.OpConverse || op == bedrock.OpConverseStream {
		return parseConverse(body)
	}
	a := &agentRequest{}
	var req invokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	if id := h.Get(bedrock.HeaderGuardrailIdentifier); id != "" {
		tr := h.Get(bedrock.HeaderTrace)
		a.guardrail = &guardrailConfig{id: id, version: h.Get(bedrock.HeaderGuardrailVersion), trace: tr == "ENABLED" || tr == "ENABLED_FULL"}
	}
	switch family {
	case bedrock.FamilyTitan:
		if tg := req.TextGeneration; tg != nil {
			a.maxTokens, a.stopSeqs = deref(tg.MaxTokenCount), tg.StopSequences
		}
		return a, nil
	case bedrock.FamilyLlama:
		a.maxTokens = deref(req.MaxGenLen)
		return a, nil
	case bedrock.FamilyMistral:
		a.maxTokens, a.stopSeqs = deref(req.MaxTokens), req.Stop
		if req.Messages != nil {
			return a, a.parseMistralChat(body)
		}
		return a, nil
	case bedrock.FamilyCohere:
		a.maxTokens, a.stopSeqs = deref(req.MaxTokens), req.StopSequences
		if topMembersOf(body).Message {
			return a, a.parseCohereChat(body)
		}
		return a, nil
	case bedrock.FamilyNova:
		// Tools, tool results and messages as in Converse; limits in Nova's own names.
		nova, err := parseConverse(body)
		if err != nil {
			return nil, err
		}
		nova.converse, nova.nova, nova.guardrail = false, true, a.guardrail
		nova.maxTokens, nova.stopSeqs = 0, nil
		if ic := req.InferenceConfig; ic != nil {
			nova.maxTokens, nova.stopSeqs = deref(ic.MaxNewTokens), ic.StopSequences
		}
		return nova, nil
	}
	// Claude, and models of unknown families, which get Claude's format.
	a.stopSeqs = req.StopSequences
	if req.Messages == nil {
		a.maxTokens = deref(req.MaxTokensToSample)
		return a, nil
	}
	a.claude = true
	a.maxTokens = deref(req.MaxTokens)
	for _, t := range req.Tools {
		a.tools = append(a.tools, toolDef{name: t.Name, schema: t.InputSchema})
	}
	if req.ToolChoice != nil {
		var tc struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(req.ToolChoice, &tc); err != nil {
			return nil, validation("tool_choice: Input should be a valid dictionary")
		}
		a.choice, a.choiceName = tc.Type, tc.Name
	}
	if err := a.setThinking(req.Thinking); err != nil {
		return nil, err
	}
	type msg struct {
		role   string
		blocks []claudeBlock
	}
	msgs := make([]msg, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i].role = m.Role
		if m.Content.text {
			continue
		}
		if !m.Content.list {
			return nil, validation("messages.%d.content: Input should be a valid list", i)
		}
		msgs[i].blocks = m.Content.blocks
	}
	last := len(msgs) - 1
	if last < 0 || msgs[last].role != "user" {
		return a, nil
	}
	var prev map[string]string
	if last > 0 && msgs[last-1].role == "assistant" {
		prev = map[string]string{}
		for _, b := range msgs[last-1].blocks {
			if b.Type == "tool_use" {
				prev[b.ID] = b.Name
			}
		}
	}
	var unknown []string
	for _, b := range msgs[last].blocks {
		if b.Type != "tool_result" {
			continue
		}
		name, ok := prev[b.ToolUseID]
		if !ok {
			unknown = append(unknown, b.ToolUseID)
			continue
		}
		a.results = append(a.results, toolResult{id: b.ToolUseID, name: name, text: claudeResultText(b.Content)})
	}
	if unknown != nil {
		// Anthropic's wording, which the service passes on.
		return nil, validation("messages.%d.content: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", last, strings.Join(unknown, ", "))
	}
	return a, nil
}

// parseMistralChat reads the tools, tool choice and tool results of a Mistral chat body.
func (a *agentRequest) parseMistralChat(body []byte) *bedrock.APIError {
	var req struct {
		Messages []struct {
			Role       string          `json:"role"`
			Content    json.RawMessage `json:"content"`
			ToolCallID string          `json:"tool_call_id"`
			ToolCalls  []struct {
				ID       string `json:"id"`
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		ToolChoice json.RawMessage `json:"tool_choice"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	a.mistral = true
	for _, t := range req.Tools {
		a.tools = append(a.tools, toolDef{name: t.Function.Name, schema: t.Function.Parameters})
	}
	var choice string
	if json.Unmarshal(req.ToolChoice, &choice) == nil && choice == "any" {
		a.choice = "any"
	}
	first := len(req.Messages)
	for first > 0 && req.Messages[first-1].Role == "tool" {
		first--
	}
	if first == len(req.Messages) {
		return nil
	}
	a.afterTools = true
	issued := map[string]string{}
	if first > 0 && req.Messages[first-1].Role == "assistant" {
		for _, c := range req.Messages[first-1].ToolCalls {
			issued[c.ID] = c.Function.Name
		}
	}
	for i, m := range req.Messages[first:] {
		name, ok := issued[m.ToolCallID]
		if !ok {
			return validation("bedrocktest: messages.%d.tool_call_id %q matches no tool call of the assistant message before it", first+i, m.ToolCallID)
		}
		var text string
		if json.Unmarshal(m.Content, &text) != nil {
			text = string(m.Content)
		}
		a.results = append(a.results, toolResult{id: m.ToolCallID, name: name, text: text})
	}
	return nil
}

// parseCohereChat reads the tools and tool results of a Cohere Command R chat body. Its tools
// declare parameter_definitions, read as a JSON schema; a result names its call by the tool's
// name and parameters, not by an identifier, so each must name a call of the last CHATBOT
// turn of chat_history, or, when that turn made none (Cohere's single-step use sends the
// message again without it), a tool of the request.
func (a *agentRequest) parseCohereChat(body []byte) *bedrock.APIError {
	var req struct {
		ChatHistory []struct {
			Role      string `json:"role"`
			ToolCalls []struct {
				Name string `json:"name"`
			} `json:"tool_calls"`
		} `json:"chat_history"`
		Tools []struct {
			Name                 string                        `json:"name"`
			ParameterDefinitions map[string]cohereParameterDef `json:"parameter_definitions"`
		} `json:"tools"`
		ToolResults []struct {
			Call struct {
				Name string `json:"name"`
			} `json:"call"`
			Outputs []json.RawMessage `json:"outputs"`
		} `json:"tool_results"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	a.cohere = true
	for _, t := range req.Tools {
		a.tools = append(a.tools, toolDef{name: t.Name, schema: cohereSchema(t.ParameterDefinitions)})
	}
	if len(req.ToolResults) == 0 {
		return nil
	}
	a.afterTools = true
	var issued []string
	for i := len(req.ChatHistory) - 1; i >= 0; i-- {
		if h := req.ChatHistory[i]; h.Role == "CHATBOT" {
			for _, c := range h.ToolCalls {
				issued = append(issued, c.Name)
			}
			break
		}
	}
	where := "the tool calls of the last CHATBOT turn of chat_history"
	if issued == nil {
		where = "the request's tools"
		for _, t := range a.tools {
			issued = append(issued, t.name)
		}
	}
	for i, res := range req.ToolResults {
		if !slices.Contains(issued, res.Call.Name) {
			names := strings.Join(issued, ", ")
			if names == "" {
				names = "none"
			}
			return validation("bedrocktest: tool_results.%d.call.name %q is not one of %s: %s", i, res.Call.Name, where, names)
		}
		a.results = append(a.results, toolResult{name: res.Call.Name, text: cohereOutputsText(res.Outputs)})
	}
	return nil
}

// cohereParameterDef is one of a Command R tool's parameter_definitions.
type cohereParameterDef struct {
	Description string `json:"description"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
}

// cohereSchema is the JSON schema of a Command R tool's parameter_definitions: an object
// whose properties have the parameters' types and whose required properties are the
// required parameters.
func cohereSchema(defs map[string]cohereParameterDef) json.RawMessage {
	props := obj{}
	required := []string{}
	for name, d := range defs {
		p := cohereType(d.Type)
		if d.Description != "" {
			p["description"] = d.Description
		}
		props[name] = p
		if d.Required {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	return mustJSON(obj{"type": "object", "properties": props, "required": required})
}

// cohereType is the JSON schema of a Command R parameter type, written in Python's names
// ("str", "int", "float", "bool", "List[str]", "Dict") or JSON schema's; another name is
// read as a string.
func cohereType(t string) obj {
	t = strings.TrimSpace(t)
	lower := strings.ToLower(t)
	switch lower {
	case "int", "integer":
		return obj{"type": "integer"}
	case "float", "number", "double":
		return obj{"type": "number"}
	case "bool", "boolean":
		return obj{"type": "boolean"}
	case "dict", "object":
		return obj{"type": "object"}
	case "list", "array":
		return obj{"type": "array", "items": obj{"type": "string"}}
	}
	if inner, ok := strings.CutPrefix(lower, "list["); ok && strings.HasSuffix(inner, "]") {
		return obj{"type": "array", "items": cohereType(t[len("list[") : len(t)-1])}
	}
	if strings.HasPrefix(lower, "dict[") {
		return obj{"type": "object"}
	}
	return obj{"type": "string"}
}

// cohereOutputsText is the text of a Command R tool result's outputs: an output that is only
// a "text" string is that string, another its JSON text; one per line.
func cohereOutputsText(outputs []json.RawMessage) string {
	parts := make([]string, 0, len(outputs))
	for _, raw := range outputs {
		var t map[string]json.RawMessage
		var s string
		if json.Unmarshal(raw, &t) == nil && len(t) == 1 && t["text"] != nil && json.Unmarshal(t["text"], &s) == nil {
			parts = append(parts, s)
			continue
		}
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			parts = append(parts, b.String())
		}
	}
	return strings.Join(parts, "\n")
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// setThinking checks and records an extended thinking setting.
func (a *agentRequest) setThinking(t *thinkingConfig) *bedrock.APIError {
	if t == nil || t.Type != "enabled" {
		return nil
	}
	if t.BudgetTokens < MinThinkingBudget {
		return validation("thinking.enabled.budget_tokens: Input should be greater than or equal to %d", MinThinkingBudget)
	}
	if a.maxTokens > 0 && a.maxTokens <= t.BudgetTokens {
		return validation("`max_tokens` must be greater than `thinking.budget_tokens`.")
	}
	a.thinking = true
	return nil
}

// claudeResultText is the text of a tool_result's content: a string, or text blocks.
func claudeResultText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []claudeBlock
	json.Unmarshal(raw, &blocks)
	var parts []string
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func parseConverse(body []byte) (*agentRequest, *bedrock.APIError) {
	a := &agentRequest{converse: true}
	var req converseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	if tc := req.ToolConfig; tc != nil {
		for _, t := range tc.Tools {
			if t.ToolSpec != nil {
				a.tools = append(a.tools, toolDef{name: t.ToolSpec.Name, schema: t.ToolSpec.InputSchema.JSON})
			}
		}
		if ch := tc.ToolChoice; ch != nil {
			switch {
			case ch.Tool != nil:
				a.choice, a.choiceName = "tool", ch.Tool.Name
			case ch.Any != nil:
				a.choice = "any"
			case ch.Auto != nil:
				a.choice = "auto"
			}
		}
	}
	if ic := req.InferenceConfig; ic != nil {
		a.maxTokens, a.stopSeqs = deref(ic.MaxTokens), ic.StopSequences
	}
	if f := req.AdditionalModelRequestFields; f != nil {
		if err := a.setThinking(f.Thinking); err != nil {
			return nil, err
		}
	}
	if g := req.GuardrailConfig; g != nil && g.GuardrailIdentifier != "" {
		a.guardrail = &guardrailConfig{id: g.GuardrailIdentifier, version: g.GuardrailVersion, trace: g.Trace == "enabled" || g.Trace == "enabled_full"}
	}
	msgs := make([][]converseBlock, len(req.Messages))
	usesTools := false
	for i, m := range req.Messages {
		msgs[i] = m.Content
		for _, b := range m.Content {
			if b.ToolUse != nil || b.ToolResult != nil {
				usesTools = true
			}
		}
	}
	if usesTools && req.ToolConfig == nil {
		return nil, validation("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
	}
	last := len(msgs) - 1
	if last < 0 || req.Messages[last].Role != "user" {
		return a, nil
	}
	prev := map[string]string{}
	if last > 0 {
		for _, b := range msgs[last-1] {
			if b.ToolUse != nil {
				prev[b.ToolUse.ToolUseID] = b.ToolUse.Name
			}
		}
	}
	for j, b := range msgs[last] {
		if b.ToolResult == nil {
			continue
		}
		name, ok := prev[b.ToolResult.ToolUseID]
		if !ok {
			return nil, validation("The toolUseId %s at messages.%d.content.%d.toolResult does not match any toolUse block in the previous turn.", b.ToolResult.ToolUseID, last, j)
		}
		a.results = append(a.results, toolResult{id: b.ToolResult.ToolUseID, name: name, text: converseResultText(b.ToolResult.Content)})
	}
	return a, nil
}

// converseResultText is the text of a toolResult's content: its text blocks, and its json
// blocks as JSON text, one per line.
func converseResultText(content []json.RawMessage) string {
	var parts []string
	for _, raw := range content {
		var c struct {
			Text *string         `json:"text"`
			JSON json.RawMessage `json:"json"`
		}
		json.Unmarshal(raw, &c)
		switch {
		case c.Text != nil:
			parts = append(parts, *c.Text)
		case c.JSON != nil:
			var b bytes.Buffer
			if json.Compact(&b, c.JSON) == nil {
				parts = append(parts, b.String())
			}
		}
	}
	return strings.Join(parts, "\n")
}

// resultsText joins the text of the tool results.
func resultsText(rs []toolResult) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.text
	}
	return strings.Join(parts, "\n")
}

// toolsToCall resolves the tools a reply calls: those named by the directive or rule
// ("*" is the first tool; names separated by commas), else the one a forcing tool choice
// names (any: the first tool).
func (a *agentRequest) toolsToCall(spec string) ([]*toolDef, *bedrock.APIError) {
	if spec == "" {
		switch a.choice {
		case "any":
			spec = "*"
		case "tool":
			spec = a.choiceName
		default:
			return nil, nil
		}
	}
	var out []*toolDef
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		if name == "*" {
			if len(a.tools) == 0 {
				return nil, validation("bedrocktest: tool=* needs a tool in the request's tools, which has none")
			}
			out = append(out, &a.tools[0])
			continue
		}
		t := a.tool(name)
		if t == nil {
			return nil, validation("bedrocktest: tool %q is not in the request's tools: %s", name, a.toolNames())
		}
		out = append(out, t)
	}
	return out, nil
}

// toolUseID makes a fresh tool use ID in the operation's style.
func (a *agentRequest) toolUseID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [24]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	switch {
	case a.converse || a.nova:
		return "tooluse_" + string(b[:22])
	case a.mistral:
		return string(b[:9])
	case a.cohere:
		return "" // Command R's calls have no identifier
	}
	return "toolu_bdrk_01" + string(b[:])
}

// reasoningText is the default text of a reasoning block.
func reasoningText(prompt string) string {
	if utf8.RuneCountInString(prompt) > 200 {
		prompt = string([]rune(prompt)[:200]) + "..."
	}
	return fmt.Sprintf("The user wrote %q. I will answer from what the conversation gives me.", prompt)
}

// signature signs a reasoning text: a stable base64 digest, shaped like the service's.
func signature(text string) string {
	sum := sha256.Sum256([]byte(text))
	return base64.StdEncoding.EncodeToString(append(sum[:], []byte("bedrocktest")...))
}

// guardrailTrace is the trace of an intervention, in the shape of the operation:
// Converse's GuardrailTraceAssessment, or InvokeModel's "amazon-bedrock-trace" member. One
// content filter (VIOLENCE, HIGH, BLOCKED) on the input stands for the assessment.
func guardrailTrace(a *agentRequest) []byte {
	if a.guardrail == nil || !a.guardrail.trace {
		return nil
	}
	assessment := obj{a.guardrail.id: obj{"contentPolicy": obj{"filters": []obj{{
		"type": "VIOLENCE", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED", "detected": true,
	}}}}}
	if a.converse {
		return mustJSON(obj{"guardrail": obj{"inputAssessment": assessment}})
	}
	return mustJSON(obj{"guardrail": obj{"input": assessment}})
}

// runes counts characters, the unit of the token estimate.
func runes(s string) int { return utf8.RuneCountInString(s) }

// runeOffset returns the byte offset of the n-th rune of s (len(s) if s is shorter), so that
// s[:runeOffset(s, n)] is its first n runes without a copy of s.
func runeOffset(s string, n int) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// outputTokens is the token estimate of a reply's blocks: a token per four characters of
// text, reasoning and tool input, at least one.
func outputTokens(blocks []bedrock.Block) int {
	n := 0
	for _, b := range blocks {
		n += runes(b.Text) + runes(b.Input)
	}
	return max(1, (n+3)/4)
}

// applyStops cuts the reply's text before the first stop sequence (in text blocks; the
// blocks after it are dropped), then cuts the reply at maxTokens tokens of the estimate
// (text and reasoning cut within, a tool call that does not fit whole dropped), and sets
// the stop reason accordingly.
func applyStops(r *bedrock.Reply, stopSeqs []string, maxTokens int) {
	for i := range r.Blocks {
		b := &r.Blocks[i]
		if b.Kind != bedrock.TextBlock {
			continue
		}
		cut, seq := -1, ""
		for _, s := range stopSeqs {
			if s == "" {
				continue
			}
			if j := strings.Index(b.Text, s); j >= 0 && (cut < 0 || j < cut) {
				cut, seq = j, s
			}
		}
		if cut >= 0 {
			b.Text = b.Text[:cut]
			r.Blocks = r.Blocks[:i+1]
			r.Stop, r.StopSequence = bedrock.StopSequence, seq
			break
		}
	}
	if maxTokens <= 0 {
		return
	}
	left := maxTokens * 4
	for i := range r.Blocks {
		b := &r.Blocks[i]
		if b.Kind == bedrock.ToolUseBlock {
			if n := runes(b.Input); n <= left {
				left -= n
				continue
			}
			r.Blocks = r.Blocks[:i]
			r.Stop, r.StopSequence = bedrock.StopMaxTokens, ""
			return
		}
		n := runes(b.Text)
		if n <= left {
			left -= n
			continue
		}
		b.Text = b.Text[:runeOffset(b.Text, left)]
		r.Blocks = r.Blocks[:i+1]
		r.Stop, r.StopSequence = bedrock.StopMaxTokens, ""
		return
	}
}

// buildReply plans the reply: a guardrail's blocked message; or a reasoning block (when
// the request enables extended thinking or a directive or rule asks for one), then either
// the tool calls asked for (after the rule's reply as a preamble) or the answer text (the
// rule's reply, else the text of the tool results sent back, else the echo of the prompt);
// cut by the stop sequences and the token limit.
func buildReply(a *agentRequest, rule *Rule, f Faults, prompt string) (*bedrock.Reply, *bedrock.APIError) {
	r := &bedrock.Reply{}
	if f.Guardrail == "intervened" {
		r.Blocks = []bedrock.Block{{Text: cmp.Or(f.BlockedMessage, DefaultBlockedMessage)}}
		r.Stop = bedrock.StopGuardrail
		r.Trace = guardrailTrace(a)
		return r, nil
	}
	if f.Tool != "" && !a.converse && !a.claude && !a.nova && !a.mistral && !a.cohere {
		return nil, validation("bedrocktest: tool use on InvokeModel is modelled for Anthropic Claude's messages API, Amazon Nova, Mistral's chat completions and Cohere Command R's chat only; use Converse or ConverseStream for other models")
	}
	calls, err := a.toolsToCall(f.Tool)
	if err != nil {
		return nil, err
	}
	if a.thinking && a.claude && (a.choice == "any" || a.choice == "tool") {
		return nil, validation("Thinking may not be enabled when tool_choice forces tool use.")
	}
	if a.thinking || f.Reasoned {
		text := f.Reasoning
		if text == "" {
			text = reasoningText(prompt)
		}
		r.Blocks = append(r.Blocks, bedrock.Block{Kind: bedrock.ReasoningBlock, Text: text, Signature: signature(text)})
	}
	ruleReply := ""
	if rule != nil && rule.Reply != "" {
		names := make([]string, len(a.results))
		for i, res := range a.results {
			names[i] = res.name
		}
		ruleReply = strings.NewReplacer("{{result}}", resultsText(a.results), "{{tool}}", strings.Join(names, ",")).Replace(rule.Reply)
	}
	if len(calls) > 0 {
		if ruleReply != "" {
			r.Blocks = append(r.Blocks, bedrock.Block{Text: ruleReply})
		}
		for _, t := range calls {
			input, err := rule.toolInput(t.schema)
			if err != nil {
				return nil, validation("%v (tool %q); give its input with a scenario rule's tool_input", err, t.name)
			}
			r.Blocks = append(r.Blocks, bedrock.Block{Kind: bedrock.ToolUseBlock, ToolUseID: a.toolUseID(), ToolName: t.name, Input: string(input)})
		}
		r.Stop = bedrock.StopToolUse
	} else {
		answer := prompt
		switch {
		case ruleReply != "":
			answer = ruleReply
		case len(a.results) > 0:
			answer = resultsText(a.results)
		}
		r.Blocks = append(r.Blocks, bedrock.Block{Text: answer})
	}
	applyStops(r, a.stopSeqs, a.maxTokens)
	return r, nil
}

// inputTokens estimates the input tokens of a request body at four characters a token, as
// the output is counted: every string value of the body (the system prompt, each message's
// text, tool results, tool inputs and specifications, and the family's few settings and
// role names, as a tokenizer counts its markup), at least one.
//
// It scans the body in place: a long prompt is counted, not copied.
func inputTokens(body []byte) int { return max(1, (stringValueRunes(body)+3)/4) }

// stringValueRunes counts the characters of the string values (not the keys) of the JSON
// text body.
func stringValueRunes(body []byte) int {
	n := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		end := i + 1 // the closing quote
		for end < len(body) && body[end] != '"' {
			if body[end] == '\\' {
				end++
			}
			end++
		}
		next := end + 1
		for next < len(body) && (body[next] == ' ' || body[next] == '\t' || body[next] == '\n' || body[next] == '\r') {
			next++
		}
		if next >= len(body) || body[next] != ':' { // a value, not a key
			n += jsonStringRunes(body[i+1 : min(end, len(body))])
		}
		i = end
	}
	return n
}

// jsonStringRunes counts the characters of the JSON string whose text between the quotes
// is raw, as encoding/json decodes it: an escape is one character, a surrogate pair one,
// each byte of invalid UTF-8 one.
func jsonStringRunes(raw []byte) int {
	hex4 := func(b []byte) rune {
		if len(b) < 4 {
			return -1
		}
		r, err := strconv.ParseUint(string(b[:4]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(r)
	}
	n := 0
	for i := 0; i < len(raw); n++ {
		switch {
		case raw[i] != '\\':
			_, size := utf8.DecodeRune(raw[i:])
			i += size
		case i+1 < len(raw) && raw[i+1] == 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if utf16.DecodeRune(r, hex4(raw[i+2:])) != utf8.RuneError {
					i += 6
				}
			}
		default:
			i += 2
		}
	}
	return n
}
