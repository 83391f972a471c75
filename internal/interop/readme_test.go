package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// readmeBlocks returns the fenced code blocks of a README section, by language.
func readmeBlocks(t *testing.T, title string) map[string][]string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README has no section %q", title)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	blocks := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)```(\\w+)\n(.*?)```\n").FindAllStringSubmatch(sec, -1) {
		blocks[m[1]] = append(blocks[m[1]], m[2])
	}
	return blocks
}

// TestREADMEExamples checks that the examples of the README section "Test your Bedrock
// application locally" are the tested programs, byte for byte, and that its scenario parses.
func TestREADMEExamples(t *testing.T) {
	blocks := readmeBlocks(t, "Test your Bedrock application locally")
	for lang, file := range map[string]string{"go": "example/echo_test.go", "js": "js/example.mjs"} {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks[lang]) != 1 || blocks[lang][0] != string(want) {
			t.Errorf("the README's %s example is not %s", lang, file)
		}
	}
	if len(blocks["json"]) != 1 {
		t.Fatalf("%d scenario blocks", len(blocks["json"]))
	}
	if _, err := bedrocktest.ParseScenario([]byte(blocks["json"][0])); err != nil {
		t.Errorf("README scenario: %v", err)
	}
}

// TestREADMEAgentSection checks the README section "Testing an agent": its Go example is the
// tested program, its scenario parses, and its curl commands, run against `eventstream
// serve` (on a free port instead of 8085), answer as the section says.
func TestREADMEAgentSection(t *testing.T) {
	blocks := readmeBlocks(t, "Testing an agent")
	want, err := os.ReadFile("example/agent/agent_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks["go"]) != 1 || blocks["go"][0] != string(want) {
		t.Error("the README's agent example is not example/agent/agent_test.go")
	}
	if len(blocks["json"]) != 1 {
		t.Fatalf("%d scenario blocks", len(blocks["json"]))
	}
	if _, err := bedrocktest.ParseScenario([]byte(blocks["json"][0])); err != nil {
		t.Errorf("README scenario: %v", err)
	}
	if len(blocks["sh"]) != 1 {
		t.Fatalf("%d sh blocks", len(blocks["sh"]))
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	_, out, stderr := startServe(t, buildCommand(t), "-addr", "127.0.0.1:0")
	if !out.Scan() {
		t.Fatalf("no first line; stderr: %s", stderr)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(out.Text())
	script := strings.ReplaceAll(blocks["sh"][0], "http://127.0.0.1:8085", url)
	got, err := exec.Command("sh", "-e", "-c", script).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	// The Converse reply, then the journal with that request, then nothing from DELETE.
	dec := json.NewDecoder(strings.NewReader(string(got)))
	var reply struct{ StopReason string }
	var journal []bedrocktest.Request
	if err := dec.Decode(&reply); err != nil || reply.StopReason != "end_turn" {
		t.Fatalf("reply: %v, %s", err, got)
	}
	if err := dec.Decode(&journal); err != nil || len(journal) != 1 || journal[0].Operation != "Converse" ||
		!strings.Contains(journal[0].Body, `"Be brief."`) || journal[0].End != bedrocktest.EndComplete {
		t.Fatalf("journal: %v, %s", err, got)
	}
	if dec.More() {
		t.Errorf("DELETE printed something: %s", got)
	}
}

// TestREADMEVoiceSection checks that the examples of the README section "Voice sessions
// (Nova Sonic)" are the tested programs, byte for byte (js/sonic.test.js runs the
// JavaScript one).
func TestREADMEVoiceSection(t *testing.T) {
	blocks := readmeBlocks(t, "Voice sessions (Nova Sonic)")
	for lang, file := range map[string]string{"go": "example/voice/voice_test.go", "js": "js/voice-example.mjs"} {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks[lang]) != 1 || blocks[lang][0] != string(want) {
			t.Errorf("the README's %s example is not %s", lang, file)
		}
	}
}
