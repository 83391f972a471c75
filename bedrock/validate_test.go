package bedrock

import (
	"net/http"
	"strings"
	"testing"
)

func jsonHeader(kv ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestValidateModelID(t *testing.T) {
	valid := []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"anthropic.claude-v2",
		"amazon.titan-text-express-v1",
		"meta.llama3-8b-instruct-v1:0",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-lite-v1/abcdefghijkl",
		"arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefghijkl",
		"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl",
		"arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl",
		"arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-2:123456789012:application-inference-profile/a1b2c3d4e5f6",
		"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-v2",
		"arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ:12",
		"arn:aws:sagemaker:us-west-2:123456789012:endpoint/my-endpoint-1",
		"arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
		"arn:aws:bedrock:us-east-1:123456789012:prompt-router/abc123",
		"my_custom-model",
		"a",
		"x.y",
		strings.Repeat("a", 2048),
	}
	for _, op := range []Operation{OpInvoke, OpInvokeWithResponseStream} {
		for _, id := range valid {
			if err := ValidateRequest(op, id, jsonHeader(), []byte(`{}`)); err != nil {
				t.Errorf("%s %q: %v", op, id, err)
			}
		}
	}
	for _, op := range []Operation{OpConverse, OpConverseStream} {
		for _, id := range valid {
			if err := ValidateRequest(op, id, jsonHeader(), []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)); err != nil {
				t.Errorf("%s %q: %v", op, id, err)
			}
		}
	}

	for _, tc := range []struct {
		id, want string
	}{
		{"", "1 validation error detected: Value '' at 'modelId' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{strings.Repeat("a", 2049), "1 validation error detected: Value '" + strings.Repeat("a", 2049) + "' at 'modelId' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"anthropic claude", "1 validation error detected: Value 'anthropic claude' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + ModelIDPattern},
		{"anthropic.claude-v2?x=1", ""},
		{"model/with/slashes", ""},
		{"arn:aws:bedrock:us-east-1:123:provisioned-model/abc", ""},
		{"anthropic.claude-v2\n", ""},
		{"mödel", ""},
		{"anthropic.claude_v2.x", ""},
	} {
		err := ValidateRequest(OpInvokeWithResponseStream, tc.id, jsonHeader(), []byte(`{}`))
		if err == nil {
			t.Errorf("%q: accepted", tc.id)
			continue
		}
		want := tc.want
		if want == "" {
			want = "1 validation error detected: Value '" + tc.id + "' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + ModelIDPattern
		}
		if err.Name != "ValidationException" || err.StatusCode != 400 || err.Message != want {
			t.Errorf("%q: got %s %d %q", tc.id, err.Name, err.StatusCode, err.Message)
		}
	}
	// Converse operations quote their own pattern; length counts characters, not bytes.
	err := ValidateRequest(OpConverseStream, "bad id", jsonHeader(), []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`))
	if err == nil || !strings.HasSuffix(err.Message, ConverseModelIDPattern) {
		t.Errorf("converse pattern: %v", err)
	}
	err = ValidateRequest(OpInvoke, strings.Repeat("é", 2048), jsonHeader(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Message, "regular expression") {
		t.Errorf("2048 two-byte characters: %v", err)
	}
}

func TestValidateHeaders(t *testing.T) {
	const id = "anthropic.claude-v2"
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		want string // "" for valid
	}{
		{"trace enabled", jsonHeader(HeaderTrace, "ENABLED"), `{}`, ""},
		{"trace disabled", jsonHeader(HeaderTrace, "DISABLED"), `{}`, ""},
		{"trace full", jsonHeader(HeaderTrace, "ENABLED_FULL"), `{}`, ""},
		{"latency standard", jsonHeader(HeaderPerformanceLatency, "standard"), `{}`, ""},
		{"latency optimized", jsonHeader(HeaderPerformanceLatency, "optimized"), `{}`, ""},
		{"latency fast", jsonHeader(HeaderPerformanceLatency, "fast"), `{}`,
			"1 validation error detected: Value 'fast' at 'performanceConfigLatency' failed to satisfy constraint: Member must satisfy enum value set: [standard, optimized]"},
		{"trace lower case", jsonHeader(HeaderTrace, "enabled"), `{}`,
			"1 validation error detected: Value 'enabled' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]"},
		{"trace empty", jsonHeader(HeaderTrace, ""), `{}`,
			"1 validation error detected: Value '' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]"},
		{"guardrail id and version", jsonHeader(HeaderGuardrailIdentifier, "abc123", HeaderGuardrailVersion, "1"), `{}`, ""},
		{"guardrail draft", jsonHeader(HeaderGuardrailIdentifier, "abc123", HeaderGuardrailVersion, "DRAFT"), `{}`, ""},
		{"guardrail max version", jsonHeader(HeaderGuardrailIdentifier, "abc123", HeaderGuardrailVersion, "99999999"), `{}`, ""},
		{"guardrail arn", jsonHeader(HeaderGuardrailIdentifier, "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123", HeaderGuardrailVersion, "2"), `{}`, ""},
		{"guardrail config with id", jsonHeader(HeaderGuardrailIdentifier, "abc123", HeaderGuardrailVersion, "2"), `{"amazon-bedrock-guardrailConfig":{"streamProcessingMode":"ASYNCHRONOUS"}}`, ""},
		{"empty guardrail headers", jsonHeader(HeaderGuardrailIdentifier, "", HeaderGuardrailVersion, ""), `{}`, ""},
		{"version without identifier", jsonHeader(HeaderGuardrailVersion, "3"), `{}`, ""},
		{"guardrail id upper case", jsonHeader(HeaderGuardrailIdentifier, "ABC", HeaderGuardrailVersion, "1"), `{}`,
			"1 validation error detected: Value 'ABC' at 'guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailIdentifierPattern},
		{"guardrail arn of another resource", jsonHeader(HeaderGuardrailIdentifier, "arn:aws:bedrock:us-east-1:123456789012:prompt/abc", HeaderGuardrailVersion, "1"), `{}`,
			"1 validation error detected: Value 'arn:aws:bedrock:us-east-1:123456789012:prompt/abc' at 'guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailIdentifierPattern},
		{"guardrail id too long", jsonHeader(HeaderGuardrailIdentifier, strings.Repeat("a", 2049), HeaderGuardrailVersion, "1"), `{}`,
			"1 validation error detected: Value '" + strings.Repeat("a", 2049) + "' at 'guardrailIdentifier' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"version zero", jsonHeader(HeaderGuardrailIdentifier, "abc", HeaderGuardrailVersion, "0"), `{}`,
			"1 validation error detected: Value '0' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailVersionPattern},
		{"version nine digits", jsonHeader(HeaderGuardrailIdentifier, "abc", HeaderGuardrailVersion, "123456789"), `{}`,
			"1 validation error detected: Value '123456789' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailVersionPattern},
		{"version draft lower case", jsonHeader(HeaderGuardrailIdentifier, "abc", HeaderGuardrailVersion, "draft"), `{}`,
			"1 validation error detected: Value 'draft' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailVersionPattern},
		{"identifier without version", jsonHeader(HeaderGuardrailIdentifier, "abc123"), `{}`,
			"A guardrail version is required when a guardrail identifier is specified."},
		{"guardrail config without identifier", jsonHeader(), `{"prompt":"x","amazon-bedrock-guardrailConfig":{"tagSuffix":"a"}}`,
			"amazon-bedrock-guardrailConfig is present in the request body, but no guardrail identifier was specified."},
		{"guardrail config name nested is fine", jsonHeader(), `{"prompt":{"amazon-bedrock-guardrailConfig":1}}`, ""},
		{"guardrail with non-JSON content type", withType(jsonHeader(HeaderGuardrailIdentifier, "abc", HeaderGuardrailVersion, "1"), "text/plain"), `{}`,
			"Content type 'text/plain' is not supported with a guardrail. Use application/json."},
		{"two errors", jsonHeader(HeaderTrace, "ON", HeaderGuardrailIdentifier, "abc", HeaderGuardrailVersion, "v1"), `{}`,
			"2 validation errors detected: Value 'ON' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]; " +
				"Value 'v1' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: " + GuardrailVersionPattern},
		{"content type with charset", http.Header{"Content-Type": {"application/json; charset=utf-8"}}, `{}`, ""},
		{"content type missing is JSON", http.Header{}, `{}`, ""},
		{"content type missing, body not JSON", http.Header{}, `{"prompt":`, "Malformed input request: the body is not valid JSON, please reformat your input and try again."},
		{"content type empty", http.Header{"Content-Type": {""}}, `{}`, "The provided Content Type is invalid or not supported for this model"},
		{"content type octet-stream", http.Header{"Content-Type": {"application/octet-stream"}}, `{}`, "The provided Content Type is invalid or not supported for this model"},
		{"body not JSON", jsonHeader(), `{"prompt":`, "Malformed input request: the body is not valid JSON, please reformat your input and try again."},
		{"body empty", jsonHeader(), ``, "Malformed input request: the body is not valid JSON, please reformat your input and try again."},
		{"body an array", jsonHeader(), `[1]`, ""},
	} {
		err := ValidateRequest(OpInvokeWithResponseStream, id, tc.h, []byte(tc.body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.want != "" && (err.Message != tc.want || err.StatusCode != 400 || err.Name != ErrValidation):
			t.Errorf("%s:\n got %d %s %q\nwant %q", tc.name, err.StatusCode, err.Name, err.Message, tc.want)
		}
	}
}

func TestValidateBodySize(t *testing.T) {
	body := make([]byte, MaxBodyLen)
	copy(body, `"`)
	for i := 1; i < len(body)-1; i++ {
		body[i] = 'a'
	}
	body[len(body)-1] = '"'
	if err := ValidateRequest(OpInvoke, "a.b", jsonHeader(), body); err != nil {
		t.Errorf("%d bytes: %v", len(body), err)
	}
	big := append(body[:len(body)-1:len(body)-1], 'a', '"')
	err := ValidateRequest(OpInvoke, "a.b", jsonHeader(), big)
	want := "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to 25000000"
	if err == nil || err.Message != want {
		t.Errorf("%d bytes: %v", len(big), err)
	}
	if err := ValidateRequest(OpConverse, "a.b", jsonHeader(), big); err == nil || err.StatusCode != 400 {
		t.Errorf("converse %d bytes: %v", len(big), err)
	}
}

func TestValidateConverse(t *testing.T) {
	const id = "anthropic.claude-v2"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"one user message", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, ""},
		{"alternating", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"}]},{"role":"user","content":[{"text":"c"},{"image":{"format":"png","source":{"bytes":"AA=="}}}]}],"system":[{"text":"s"}],"inferenceConfig":{"maxTokens":10}}`, ""},
		{"not an object", `[]`, "Malformed input request: the body must be a JSON object, please reformat your input and try again."},
		{"not JSON", `{"messages":`, "Malformed input request: the body is not valid JSON, please reformat your input and try again."},
		{"no messages", `{}`, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"empty messages", `{"messages":[]}`, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"starts with assistant", `{"messages":[{"role":"assistant","content":[{"text":"a"}]}]}`, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"two user messages", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`,
			"A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."},
		{"messages not a list", `{"messages":{"role":"user"}}`, "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must be a list"},
		{"message not an object", `{"messages":["hi"]}`, "1 validation error detected: Value at 'messages.1.member' failed to satisfy constraint: Member must be a structure"},
		{"bad role", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"system","content":[{"text":"b"}]}]}`,
			"1 validation error detected: Value 'system' at 'messages.2.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]"},
		{"missing role and content", `{"messages":[{}]}`,
			"2 validation errors detected: Value null at 'messages.1.member.role' failed to satisfy constraint: Member must not be null; Value null at 'messages.1.member.content' failed to satisfy constraint: Member must not be null"},
		{"content not a list", `{"messages":[{"role":"user","content":"hi"}]}`,
			"1 validation error detected: Value at 'messages.1.member.content' failed to satisfy constraint: Member must be a list of content blocks"},
		{"content block with two members", `{"messages":[{"role":"user","content":[{"text":"a"},{"text":"b","image":{}}]}]}`,
			"1 validation error detected: Value at 'messages.1.member.content.2.member' failed to satisfy constraint: Member must have exactly one member set"},
		{"empty content block", `{"messages":[{"role":"user","content":[{}]}]}`,
			"1 validation error detected: Value at 'messages.1.member.content.1.member' failed to satisfy constraint: Member must have exactly one member set"},
	} {
		for _, op := range []Operation{OpConverse, OpConverseStream} {
			err := ValidateRequest(op, id, jsonHeader(), []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s %s: %v", op, tc.name, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s %s: accepted", op, tc.name)
			case tc.want != "" && (err.Message != tc.want || err.StatusCode != 400):
				t.Errorf("%s %s:\n got %q\nwant %q", op, tc.name, err.Message, tc.want)
			}
		}
	}
	// Converse ignores the InvokeModel headers: its trace and guardrail live in the body.
	if err := ValidateRequest(OpConverse, id, jsonHeader(HeaderTrace, "bogus", HeaderGuardrailIdentifier, "ABC"), []byte(`{"messages":[{"role":"user","content":[{"text":"a"}]}]}`)); err != nil {
		t.Errorf("converse with invoke headers: %v", err)
	}
	prompt := "arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ:3"
	if err := ValidateRequest(OpConverseStream, prompt, jsonHeader(), []byte(`{"promptVariables":{"x":{"text":"y"}}}`)); err != nil {
		t.Errorf("prompt ARN without messages: %v", err)
	}
	if err := ValidateRequest(OpConverseStream, id, jsonHeader(), []byte(`{"promptVariables":{"x":{"text":"y"}}}`)); err == nil {
		t.Error("model ID without messages accepted")
	}
	// Only the InvokeModel operations read a body without a content type as JSON.
	if err := ValidateRequest(OpConverseStream, id, http.Header{}, []byte(`{"messages":[{"role":"user","content":[{"text":"a"}]}]}`)); err == nil {
		t.Error("ConverseStream without a content type accepted")
	}
	if err := ValidateRequest("Chat", id, jsonHeader(), []byte(`{}`)); err == nil {
		t.Error("unknown operation accepted")
	}
}

func withType(h http.Header, ct string) http.Header {
	h.Set("Content-Type", ct)
	return h
}
