package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An Operation is a Bedrock Runtime operation. ValidateRequest knows all but
// OpInvokeWithBidirectionalStream, whose input is an event stream.
type Operation string

// Operations.
const (
	OpInvoke                   Operation = "InvokeModel"
	OpInvokeWithResponseStream Operation = "InvokeModelWithResponseStream"
	OpConverse                 Operation = "Converse"
	OpConverseStream           Operation = "ConverseStream"

	OpInvokeWithBidirectionalStream Operation = "InvokeModelWithBidirectionalStream"
)

// Limits and patterns of the Bedrock Runtime API. ValidateRequest matches each pattern against
// the whole value, as the service does.
const (
	// MaxModelIDLen is the longest model ID, in characters.
	MaxModelIDLen = 2048
	// MaxBodyLen is the largest InvokeModel request body, in bytes.
	MaxBodyLen = 25_000_000
	// MaxGuardrailIdentifierLen is the longest guardrail identifier.
	MaxGuardrailIdentifierLen = 2048

	// ModelIDPattern is the pattern a model ID must match in InvokeModel and
	// InvokeModelWithResponseStream, as the API reference gives it.
	ModelIDPattern = `(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:imported-model/[a-z0-9]{12})|([0-9]{12}:provisioned-model/[a-z0-9]{12})|([0-9]{12}:custom-model-deployment/[a-z0-9]{12})|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|(([0-9a-zA-Z][_-]?)+)|([a-zA-Z0-9-:.]+)$|(^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:prompt/[0-9a-zA-Z]{10}(?::[0-9]{1,5})?))$|(^arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/[a-zA-Z0-9-]+$)|(^arn:aws(-[^:]+)?:bedrock:([0-9a-z-]{1,20}):([0-9]{12}):(default-)?prompt-router/[a-zA-Z0-9-:.]+$)`
	// ConverseModelIDPattern is the pattern a model ID must match in Converse and
	// ConverseStream (the same set of IDs, written slightly differently).
	ConverseModelIDPattern = `(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:imported-model/[a-z0-9]{12})|([0-9]{12}:provisioned-model/[a-z0-9]{12})|([0-9]{12}:custom-model-deployment/[a-z0-9]{12})|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|(([0-9a-zA-Z][_-]?)+)|([a-zA-Z0-9-:.]+)|(^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:prompt/[0-9a-zA-Z]{10}(?::[0-9]{1,5})?))$|(^arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/[a-zA-Z0-9-]+$)|(^arn:aws(-[^:]+)?:bedrock:([0-9a-z-]{1,20}):([0-9]{12}):(default-)?prompt-router/[a-zA-Z0-9-:.]+$)`
	// GuardrailIdentifierPattern is the pattern of X-Amzn-Bedrock-GuardrailIdentifier.
	GuardrailIdentifierPattern = `(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))`
	// GuardrailVersionPattern is the pattern of X-Amzn-Bedrock-GuardrailVersion.
	GuardrailVersionPattern = `(([1-9][0-9]{0,7})|(DRAFT))`
)

// The service matches each pattern against the whole value.
var (
	modelIDRE             = wholeMatch(ModelIDPattern)
	converseModelIDRE     = wholeMatch(ConverseModelIDPattern)
	guardrailIdentifierRE = wholeMatch(GuardrailIdentifierPattern)
	guardrailVersionRE    = wholeMatch(GuardrailVersionPattern)
)

func wholeMatch(p string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + p + `)$`) }

// Request headers of InvokeModel and InvokeModelWithResponseStream.
const (
	HeaderTrace               = "X-Amzn-Bedrock-Trace"
	HeaderGuardrailIdentifier = "X-Amzn-Bedrock-GuardrailIdentifier"
	HeaderGuardrailVersion    = "X-Amzn-Bedrock-GuardrailVersion"
	HeaderPerformanceLatency  = "X-Amzn-Bedrock-PerformanceConfig-Latency"
)

// ValidateRequest checks a request to operation op as the service does before running the
// model, and returns nil or the ValidationException (status 400) the service would send,
// its message in the service's style ("1 validation error detected: Value 'x' at 'modelId'
// failed to satisfy constraint: ...").
//
// modelID is the path label already percent-decoded; body is the whole request body (the
// caller refuses bodies over [MaxBodyLen] before reading them, and ValidateRequest checks the
// length again). The checks:
//   - modelID: 1..2048 characters matching [ModelIDPattern] ([ConverseModelIDPattern] for
//     Converse and ConverseStream);
//   - InvokeModel operations: X-Amzn-Bedrock-Trace one of ENABLED, DISABLED, ENABLED_FULL;
//     X-Amzn-Bedrock-PerformanceConfig-Latency one of standard, optimized;
//     X-Amzn-Bedrock-GuardrailIdentifier at most 2048 characters matching
//     [GuardrailIdentifierPattern]; X-Amzn-Bedrock-GuardrailVersion matching
//     [GuardrailVersionPattern]; body at most 25,000,000 bytes;
//   - Content-Type application/json (parameters allowed), or none at all on the InvokeModel
//     operations (botocore sends none when the caller leaves contentType out);
//   - body JSON (an object for Converse operations);
//   - InvokeModel operations: a guardrail identifier needs a version, and
//     "amazon-bedrock-guardrailConfig" in the body needs a guardrail identifier;
//   - Converse operations: "messages" a list of objects whose "role" is user or assistant
//     and whose "content" is a list of one-member objects; the conversation starts with a
//     user message and alternates roles (a prompt ARN as model ID may leave "messages" out).
func ValidateRequest(op Operation, modelID string, h http.Header, body []byte) *APIError {
	invoke := op == OpInvoke || op == OpInvokeWithResponseStream
	converse := op == OpConverse || op == OpConverseStream
	if !invoke && !converse {
		return NewAPIError(ErrValidation, fmt.Sprintf("Unknown operation %q", string(op)))
	}

	var v violations
	re, pattern := modelIDRE, ModelIDPattern
	if converse {
		re, pattern = converseModelIDRE, ConverseModelIDPattern
	}
	v.str("modelId", modelID, 1, MaxModelIDLen, re, pattern)

	var ident, version string
	if invoke {
		if tr, ok := headerValue(h, HeaderTrace); ok {
			switch tr {
			case "ENABLED", "DISABLED", "ENABLED_FULL":
			default:
				v.add(fmt.Sprintf("Value '%s' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]", tr))
			}
		}
		if pl, ok := headerValue(h, HeaderPerformanceLatency); ok && pl != "standard" && pl != "optimized" {
			v.add(fmt.Sprintf("Value '%s' at 'performanceConfigLatency' failed to satisfy constraint: Member must satisfy enum value set: [standard, optimized]", pl))
		}
		ident, _ = headerValue(h, HeaderGuardrailIdentifier)
		if ident != "" {
			v.str("guardrailIdentifier", ident, 0, MaxGuardrailIdentifierLen, guardrailIdentifierRE, GuardrailIdentifierPattern)
		}
		version, _ = headerValue(h, HeaderGuardrailVersion)
		if version != "" {
			v.str("guardrailVersion", version, 0, -1, guardrailVersionRE, GuardrailVersionPattern)
		}
		if len(body) > MaxBodyLen {
			v.add(fmt.Sprintf("Value at 'body' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBodyLen))
		}
	}
	if len(body) > MaxBodyLen && converse {
		return NewAPIError(ErrValidation, fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyLen))
	}

	// The Converse checks scan the body in place: a large body is not copied.
	bodyJSON := json.Valid(body)
	object, messages, hasMessages := false, []byte(nil), false
	if converse && bodyJSON {
		var m members
		if m, object = objectMembers(body); object {
			for k, val, ok := m.next(); ok; k, val, ok = m.next() {
				if keyIs(k, "messages") {
					messages, hasMessages = val, true // the last one wins, as in encoding/json
				}
			}
			checkMessages(&v, messages)
		}
	}
	if err := v.err(); err != nil {
		return err
	}

	ct, sent := headerValue(h, "Content-Type")
	// botocore sends no Content-Type when InvokeModel's contentType is left out, and the
	// service reads the body as JSON; a content type that is sent must be JSON.
	noneOnInvoke := invoke && !sent
	if mt, _, err := mime.ParseMediaType(ct); !noneOnInvoke && (err != nil || mt != "application/json") {
		if invoke && ident != "" {
			return NewAPIError(ErrValidation, fmt.Sprintf("Content type '%s' is not supported with a guardrail. Use application/json.", ct))
		}
		// The service's own wording for this refusal (the Go SDK sends
		// application/octet-stream when InvokeModel is called without ContentType).
		return NewAPIError(ErrValidation, "The provided Content Type is invalid or not supported for this model")
	}
	if !bodyJSON {
		return NewAPIError(ErrValidation, "Malformed input request: the body is not valid JSON, please reformat your input and try again.")
	}
	if converse {
		if !object {
			return NewAPIError(ErrValidation, "Malformed input request: the body must be a JSON object, please reformat your input and try again.")
		}
		if !hasMessages && strings.Contains(modelID, ":prompt/") {
			return nil // a managed prompt brings its own messages
		}
		return checkConversation(messages)
	}
	if ident != "" && version == "" {
		return NewAPIError(ErrValidation, "A guardrail version is required when a guardrail identifier is specified.")
	}
	if ident == "" && bytes.Contains(body, []byte(`"amazon-bedrock-guardrailConfig"`)) && hasTopLevel(body, "amazon-bedrock-guardrailConfig") {
		return NewAPIError(ErrValidation, "amazon-bedrock-guardrailConfig is present in the request body, but no guardrail identifier was specified.")
	}
	return nil
}

// headerValue returns the header's value and whether it was sent at all.
func headerValue(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// hasTopLevel reports whether the JSON object body has a top-level member key.
func hasTopLevel(body []byte, key string) bool {
	m, ok := objectMembers(body)
	if !ok {
		return false
	}
	for k, _, ok := m.next(); ok; k, _, ok = m.next() {
		if string(k) == key {
			return true
		}
	}
	return false
}

// violations collects constraint failures the way the service lists them.
type violations struct{ list []string }

func (v *violations) add(s string) { v.list = append(v.list, s) }

// str checks a string member: its length in characters (max < 0: no limit) and its pattern.
// The first failed constraint of a member is reported.
func (v *violations) str(member, value string, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	n := utf8.RuneCountInString(value)
	switch {
	case n < minLen:
		v.add(fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", value, member, minLen))
	case maxLen >= 0 && n > maxLen:
		v.add(fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", value, member, maxLen))
	case !re.MatchString(value):
		v.add(fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, member, pattern))
	}
}

func (v *violations) err() *APIError {
	switch len(v.list) {
	case 0:
		return nil
	case 1:
		return NewAPIError(ErrValidation, "1 validation error detected: "+v.list[0])
	}
	return NewAPIError(ErrValidation, strconv.Itoa(len(v.list))+" validation errors detected: "+strings.Join(v.list, "; "))
}

// checkMessages checks the shape of a Converse body's "messages" member, raw is its value
// (nil when absent) in a body that is valid JSON.
func checkMessages(v *violations, raw []byte) {
	if raw == nil || string(raw) == "null" {
		return // absent: checkConversation reports it
	}
	msgs, ok := arrayElements(raw)
	if !ok {
		v.add("Value at 'messages' failed to satisfy constraint: Member must be a list")
		return
	}
	for i := 0; ; i++ {
		m, ok := msgs.next()
		if !ok {
			break
		}
		at := fmt.Sprintf("messages.%d.member", i+1)
		var role, content []byte
		if string(m) != "null" {
			mm, ok := objectMembers(m)
			if !ok {
				v.add(fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must be a structure", at))
				continue
			}
			for k, val, ok := mm.next(); ok; k, val, ok = mm.next() {
				switch {
				case keyIs(k, "role"):
					role = val
				case keyIs(k, "content"):
					content = val
				}
			}
		}
		var r string
		if role == nil || string(role) == "null" {
			v.add(fmt.Sprintf("Value null at '%s.role' failed to satisfy constraint: Member must not be null", at))
		} else if json.Unmarshal(role, &r) != nil || (r != "user" && r != "assistant") {
			v.add(fmt.Sprintf("Value '%s' at '%s.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", strings.Trim(string(role), `"`), at))
		}
		if content == nil || string(content) == "null" {
			v.add(fmt.Sprintf("Value null at '%s.content' failed to satisfy constraint: Member must not be null", at))
			continue
		}
		blocks, ok := arrayElements(content)
		if !ok || !allObjects(content) {
			v.add(fmt.Sprintf("Value at '%s.content' failed to satisfy constraint: Member must be a list of content blocks", at))
			continue
		}
		for j := 0; ; j++ {
			b, ok := blocks.next()
			if !ok {
				break
			}
			if distinctMembers(b) != 1 {
				v.add(fmt.Sprintf("Value at '%s.content.%d.member' failed to satisfy constraint: Member must have exactly one member set", at, j+1))
			}
		}
	}
}

// allObjects reports whether every element of the JSON array raw is an object or null.
func allObjects(raw []byte) bool {
	e, _ := arrayElements(raw)
	for x, ok := e.next(); ok; x, ok = e.next() {
		if _, obj := objectMembers(x); !obj && string(x) != "null" {
			return false
		}
	}
	return true
}

// distinctMembers counts the distinct member names of the JSON object raw (0 for null).
func distinctMembers(raw []byte) int {
	m, ok := objectMembers(raw)
	if !ok {
		return 0
	}
	var names []string
	for k, _, ok := m.next(); ok; k, _, ok = m.next() {
		name := string(k)
		if hasByte(k, '\\') {
			json.Unmarshal([]byte(`"`+name+`"`), &name)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return len(names)
}

// checkConversation checks the order of a Converse body's messages, whose shape
// checkMessages has accepted.
func checkConversation(raw []byte) *APIError {
	var roles []string
	if e, ok := arrayElements(raw); ok {
		for m, ok := e.next(); ok; m, ok = e.next() {
			role := ""
			if mm, ok := objectMembers(m); ok {
				for k, val, ok := mm.next(); ok; k, val, ok = mm.next() {
					if keyIs(k, "role") {
						json.Unmarshal(val, &role)
					}
				}
			}
			roles = append(roles, role)
		}
	}
	if len(roles) == 0 || roles[0] != "user" {
		return NewAPIError(ErrValidation, "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	for i := 1; i < len(roles); i++ {
		if roles[i] == roles[i-1] {
			return NewAPIError(ErrValidation, "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.")
		}
	}
	return nil
}
