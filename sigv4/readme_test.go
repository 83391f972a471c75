package sigv4

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeSnippet checks that the code of README.md's section on signing is taken from the
// package example, which runs: every line of the snippet but "..." is a line of
// example_test.go, in the same order.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Signing client streams\n")
	if !ok {
		t.Fatal("README.md has no section on signing client streams")
	}
	_, code, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the section has no Go code")
	}
	code, _, _ = strings.Cut(code, "```")

	rest := strings.Split(string(example), "\n")
	n := 0
	for line := range strings.SplitSeq(code, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "..." {
			continue
		}
		for len(rest) > 0 && strings.TrimSpace(rest[0]) != line {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			t.Fatalf("README line %q is not in example_test.go (in order)", line)
		}
		rest = rest[1:]
		n++
	}
	if n < 5 {
		t.Fatalf("only %d lines of code checked", n)
	}
}
