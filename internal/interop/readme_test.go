package interop

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// TestREADMEExamples checks that the examples of the README section "Test your Bedrock
// application locally" are the tested programs, byte for byte, and that its scenario parses.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Test your Bedrock application locally\n")
	if !ok {
		t.Fatal("README has no section \"Test your Bedrock application locally\"")
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	blocks := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)```(\\w+)\n(.*?)```\n").FindAllStringSubmatch(sec, -1) {
		blocks[m[1]] = append(blocks[m[1]], m[2])
	}
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
