package bedrocktest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/framewire/eventstream/bedrock"
)

const scenarioJSON = `{
  "rules": [
    {"model": "anthropic.claude-*", "prompt": "weather", "reply": "Sunny, 21 degrees."},
    {"prompt": "flaky", "reply": "recovered", "mock": "status=503 fail-attempts=1"},
    {"model": "meta.llama*", "mock": "exception=throttlingException after=2"},
    {"model": "*nova*", "prompt": "slow", "mock": "chunk-delay=1ms"}
  ]
}`

func TestScenario(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scenario.json")
	if err := os.WriteFile(path, []byte(scenarioJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Scenario: sc})
	defer srv.Close()
	c := srv.Client()

	// Scripted reply for a matching model and prompt.
	resp := post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeBody("What is the weather in Paris?"))
	evs, complete, err := readStream(t, resp)
	if err != nil || !complete || joinText(t, bedrock.FamilyClaude, evs) != "Sunny, 21 degrees." {
		t.Errorf("weather: %v %v %q", err, complete, joinText(t, bedrock.FamilyClaude, evs))
	}
	// Same prompt, another model: no rule, echo.
	resp = post(t, c, srv.URL, "amazon.titan-text-express-v1", "invoke-with-response-stream", `{"inputText":"What is the weather?"}`)
	evs, _, _ = readStream(t, resp)
	if got := joinText(t, bedrock.FamilyTitan, evs); got != "What is the weather?" {
		t.Errorf("titan: %q", got)
	}
	// Rule faults: the first attempt fails, the second gets the reply.
	resp = post(t, c, srv.URL, "cohere.command-text-v14", "invoke", `{"prompt":"a flaky one"}`)
	if name, status, _ := apiError(t, resp); name != "ServiceUnavailableException" || status != 503 {
		t.Errorf("flaky attempt 1: %s %d", name, status)
	}
	resp = post(t, c, srv.URL, "cohere.command-text-v14", "converse-stream", converseBody("a flaky one"), "Amz-Sdk-Request", "attempt=2; max=3")
	evs, _, err = readStream(t, resp)
	if err != nil || joinText(t, bedrock.FamilyConverse, evs[1:len(evs)-3]) != "recovered" {
		t.Errorf("flaky attempt 2: %v", err)
	}
	// Model-wide fault, and a prompt directive overriding it.
	resp = post(t, c, srv.URL, "meta.llama3-8b-instruct-v1:0", "invoke-with-response-stream", `{"prompt":"one two three four five six seven eight nine"}`)
	evs, _, err = readStream(t, resp)
	var ex *bedrock.Exception
	if !errors.As(err, &ex) || ex.Type != "throttlingException" || len(evs) != 2 {
		t.Errorf("llama: %d events, %v", len(evs), err)
	}
	resp = post(t, c, srv.URL, "meta.llama3-8b-instruct-v1:0", "invoke-with-response-stream", `{"prompt":"one two three four five six seven eight nine [[mock exception=modelTimeoutException after=1]]"}`)
	evs, _, err = readStream(t, resp)
	if !errors.As(err, &ex) || ex.Type != "modelTimeoutException" || len(evs) != 1 {
		t.Errorf("llama with directive: %d events, %v", len(evs), err)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	for _, bad := range []string{
		`{"rules":[{"modle":"x"}]}`,
		`{"rules":[{"mock":"exception=x after=-1"}]}`,
		`{"rules":[{"mock":"nonsense=1"}]}`,
		`{"rules":`,
		`[]`,
	} {
		if _, err := ParseScenario([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "bedrocktest: scenario") {
			t.Errorf("ParseScenario(%s): %v", bad, err)
		}
	}
	if _, err := LoadScenario(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadScenario of a missing file: no error")
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "anything", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*b*", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXcYb", false},
		{"ab*ba", "aba", false},
		{"*", "", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}
