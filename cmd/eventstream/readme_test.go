package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// TestMain lets the test binary stand in for the command: with EVENTSTREAM_TEST_AS_COMMAND=1
// in its environment it runs eventstream on its arguments instead of the tests. The tests
// below run shell commands with it, as `go run ./cmd/eventstream` would.
func TestMain(m *testing.M) {
	if os.Getenv("EVENTSTREAM_TEST_AS_COMMAND") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// commandPath returns a directory holding an executable "eventstream" that runs the command
// built into this test binary.
func commandPath(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nEVENTSTREAM_TEST_AS_COMMAND=1 exec '%s' \"$@\"\n", strings.ReplaceAll(exe, "'", `'\''`))
	if err := os.WriteFile(filepath.Join(dir, "eventstream"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shell runs a bash command line in dir with the command on its PATH as eventstream.
func shell(t *testing.T, bin, dir, line string) result {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code := 0
	if err := cmd.Run(); err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{code, out.String(), errOut.String()}
}

// A shellLine is one command line of a ```sh block of README.md.
type shellLine struct {
	n       int    // line number in README.md
	words   []word // the command, without its comment
	comment string // after " #", trimmed
}

// A word is a shell word, or an operator (| > < ; &) when op is set.
type word struct {
	text       string
	quoted, op bool
}

// readmeShellLines returns the command lines of README.md's ```sh blocks.
func readmeShellLines(t *testing.T, readme string) []shellLine {
	var lines []shellLine
	in := false
	for i, l := range strings.Split(readme, "\n") {
		switch strings.TrimSpace(l) {
		case "```sh":
			in = true
			continue
		case "```":
			in = false
			continue
		}
		if !in || strings.TrimSpace(l) == "" {
			continue
		}
		words, comment := shellWords(l)
		if len(words) == 0 {
			continue // a comment line
		}
		lines = append(lines, shellLine{i + 1, words, comment})
	}
	return lines
}

// shellWords splits a command line into words and operators, honouring single and double
// quotes (without escapes), and returns the comment that a word starting with # begins.
func shellWords(s string) (words []word, comment string) {
	var cur strings.Builder
	started, quoted := false, false
	flush := func() {
		if started {
			words = append(words, word{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		started, quoted = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !started:
			return words, strings.TrimSpace(s[i+1:])
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			started, quoted = true, true
			i += j + 1
		case strings.IndexByte("|&;<>", c) >= 0:
			if cur.String() == "2" || cur.String() == "1" { // 2> and 1>
				cur.WriteByte(c)
				words = append(words, word{text: cur.String(), op: true})
				cur.Reset()
				started = false
				continue
			}
			flush()
			if n := len(words); n > 0 && words[n-1].op && i > 0 && strings.IndexByte("|&;<>", s[i-1]) >= 0 {
				words[n-1].text += string(c) // >>, &&, ||
			} else {
				words = append(words, word{text: string(c), op: true})
			}
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	flush()
	return words, ""
}

// fileLike is a word without a slash that names a file by its extension.
var fileLike = regexp.MustCompile(`^[\w.-]*[A-Za-z_-][\w.-]*\.(bin|json|jsonl|go|mod|sum|sh|txt|md|mjs|js|ts|py|pem|yaml|yml|toml|csv)$`)

// paths returns the words of a command that name files or directories of the repository.
func (l shellLine) paths() []string {
	var ps []string
	for i, w := range l.words {
		text := w.text
		switch {
		case w.op || w.quoted:
			continue
		case i > 0 && l.words[i-1].op && strings.Contains(l.words[i-1].text, ">"):
			continue // an output file
		case strings.HasPrefix(text, "-"):
			_, v, ok := strings.Cut(text, "=")
			if !ok {
				continue
			}
			text = v
		}
		switch {
		case strings.Contains(text, "://"):
		case strings.Contains(text, "/"):
			if p, ok := strings.CutSuffix(text, "/..."); ok { // a Go package pattern
				text = p
			}
			ps = append(ps, text)
		case fileLike.MatchString(text):
			ps = append(ps, text)
		}
	}
	return ps
}

// runnable reports whether the test runs the line: a pipeline of the quick commands (dump,
// encode, verify) and of cmp, diff, head, tail, wc and grep, writing no file.
func (l shellLine) runnable() bool {
	var stages [][]string
	var stage []string
	for _, w := range l.words {
		switch {
		case w.op && w.text == "|":
			stages = append(stages, stage)
			stage = nil
		case w.op:
			return false
		default:
			stage = append(stage, w.text)
		}
	}
	stages = append(stages, stage)
	quick := false
	for _, s := range stages {
		switch {
		case len(s) >= 4 && s[0] == "go" && s[1] == "run" && s[2] == "./cmd/eventstream" &&
			(s[3] == "dump" || s[3] == "encode" || s[3] == "verify"):
			quick = true
		case len(s) >= 1 && strings.Contains(" cmp diff head tail wc grep ", " "+s[0]+" "):
		default:
			return false
		}
	}
	return quick
}

// TestReadmeShellCommands keeps the command lines of README.md honest. Every line of every
// ```sh block is a command run from the repository root; text from a word starting with # is
// a comment. The rules, for whoever adds a command:
//
//   - Every word that names a path must exist in the repository: an unquoted word with a
//     slash (not a URL; "./..." and "dir/..." check the directory), a word ending in a file
//     extension such as .bin, .json, .go or .sh, and the value of a -flag=value word of either
//     kind. Words right after > (output files) and quoted words (regular expressions) are not
//     paths. So `-scenario bedrock/bedrocktest/testdata/scenario.json` must name a shipped file.
//   - A line that is a pipeline of `go run ./cmd/eventstream dump|encode|verify ...` stages,
//     with cmp, diff, head, tail, wc or grep stages if wanted, is run (with this test binary as
//     the command) and must exit 0 with nothing on standard error; a comment that starts with
//     "..." gives the end of its output. Such a line must not redirect output to a file: compare
//     with `| cmp - FILE` instead.
//   - A line `go run ./cmd/eventstream serve FLAGS...`, after NAME=value environment settings
//     if wanted, is started with those flags and settings and `-addr 127.0.0.1:0` added last:
//     it must print its first line within 10 seconds, and exit 0 on SIGTERM.
//   - Every other line (`go test ...`, `bash ...`, anything with an operator) is only
//     path-checked.
//   - Every test, benchmark, fuzz target or example a line names, in the command (as in
//     -fuzz '^FuzzDecode$') or in its comment, must be a function of the repository's tests,
//     and go test's -run, -bench or -fuzz with a plain name (-bench Reader) must select one.
//   - Commands quoted in the README's text (`go test ...`, `go run ...`, `bash ...`) are
//     checked in the same way for paths and names, but not run.
func TestReadmeShellCommands(t *testing.T) {
	t.Chdir("../..")
	lines := readmeShellLines(t, string(readFile(t, "README.md")))
	funcs := testFuncs(t)
	bin := commandPath(t)
	ran := 0
	for _, l := range lines {
		checkNames(t, l, funcs)
		if env, args, ok := l.serveLine(); ok {
			ran++
			startServe(t, l, env, args)
			continue
		}
		if !l.runnable() {
			continue
		}
		ran++
		line := strings.ReplaceAll(commandText(l), "go run ./cmd/eventstream ", "eventstream ")
		r := shell(t, bin, ".", line)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("README.md:%d: %q: exit %d, stderr %q", l.n, commandText(l), r.code, r.stderr)
		}
		if want, ok := strings.CutPrefix(l.comment, "..."); ok && !strings.HasSuffix(r.stdout, want+"\n") {
			t.Errorf("README.md:%d: %q printed %q, which does not end with %q", l.n, commandText(l), r.stdout, want)
		}
	}
	if len(lines) < 10 || ran < 3 {
		t.Errorf("found %d command lines in README.md and ran %d: the README or its parsing changed", len(lines), ran)
	}
	inline := readmeInlineCommands(string(readFile(t, "README.md")))
	for _, l := range inline {
		checkNames(t, l, funcs)
	}
	if len(inline) < 3 {
		t.Errorf("found %d commands in the README's text: the README or its parsing changed", len(inline))
	}
}

// checkNames checks that the paths, tests, benchmarks and fuzz targets a command names exist.
func checkNames(t *testing.T, l shellLine, funcs map[string]bool) {
	t.Helper()
	for _, p := range l.paths() {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("README.md:%d: %q names %s, which is not in the repository", l.n, commandText(l), p)
		}
	}
	for _, name := range testFuncName.FindAllString(commandText(l)+" "+l.comment, -1) {
		if !funcs[name] {
			t.Errorf("README.md:%d: %q names %s, which no test file defines", l.n, commandText(l), name)
		}
	}
	// go test's -run, -bench and -fuzz with a plain name must select something.
	prefixes := map[string][]string{"-run": {"Test", "Example", "Fuzz"}, "-bench": {"Benchmark"}, "-fuzz": {"Fuzz"}}
	for i := 0; i+1 < len(l.words); i++ {
		pre, ok := prefixes[l.words[i].text]
		v := strings.TrimSuffix(strings.TrimPrefix(l.words[i+1].text, "^"), "$")
		if !ok || !regexp.MustCompile(`^\w+$`).MatchString(v) {
			continue
		}
		found := false
		for f := range funcs {
			for _, p := range pre {
				found = found || strings.HasPrefix(f, p) && strings.Contains(f, v)
			}
		}
		if !found {
			t.Errorf("README.md:%d: %q: %s %s selects no function of the repository's tests", l.n, commandText(l), l.words[i].text, l.words[i+1].text)
		}
	}
}

// readmeInlineCommands returns the commands quoted in README.md's text (`go test ...`,
// `go run ...`, `bash ...`, outside fenced blocks), which are checked as the ```sh lines are
// but not run.
func readmeInlineCommands(readme string) []shellLine {
	lines := strings.Split(readme, "\n")
	in := false
	for i, l := range lines { // blank out fenced blocks, keeping line numbers
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			lines[i] = ""
		} else if in {
			lines[i] = ""
		}
	}
	text := strings.Join(lines, "\n")
	var cmds []shellLine
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatchIndex(text, -1) {
		c := strings.Join(strings.Fields(text[m[2]:m[3]]), " ")
		if !strings.HasPrefix(c, "go test ") && !strings.HasPrefix(c, "go run ") && !strings.HasPrefix(c, "bash ") {
			continue
		}
		words, comment := shellWords(c)
		cmds = append(cmds, shellLine{1 + strings.Count(text[:m[0]], "\n"), words, comment})
	}
	return cmds
}

// testFuncName matches the name of a test, benchmark, fuzz target or example.
var testFuncName = regexp.MustCompile(`\b(Test|Benchmark|Fuzz|Example)[A-Z]\w*`)

// testFuncs returns the names of the top-level functions of the repository's test files.
func testFuncs(t *testing.T) map[string]bool {
	funcs := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (\w+)\(`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range decl.FindAllSubmatch(b, -1) {
				funcs[string(m[1])] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return funcs
}

// commandText is a line's command as written, quotes restored where they were.
func commandText(l shellLine) string {
	var b strings.Builder
	for i, w := range l.words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w.quoted {
			b.WriteString("'" + w.text + "'")
		} else {
			b.WriteString(w.text)
		}
	}
	return b.String()
}

// serveLine returns the environment settings and arguments of a line that runs serve alone.
func (l shellLine) serveLine() (env, args []string, ok bool) {
	w := l.words
	for len(w) > 0 && !w[0].op && regexp.MustCompile(`^[A-Za-z_]\w*=`).MatchString(w[0].text) {
		env = append(env, w[0].text)
		w = w[1:]
	}
	if len(w) < 4 || w[0].text != "go" || w[1].text != "run" || w[2].text != "./cmd/eventstream" || w[3].text != "serve" {
		return nil, nil, false
	}
	for _, a := range w[4:] {
		if a.op {
			return nil, nil, false
		}
		args = append(args, a.text)
	}
	return env, args, true
}

// startServe starts a README serve line on a free port, waits for its first line and stops it
// with SIGTERM.
func startServe(t *testing.T, l shellLine, env, args []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append(append([]string{"serve"}, args...), "-addr", "127.0.0.1:0")...)
	cmd.Env = append(append(os.Environ(), "EVENTSTREAM_TEST_AS_COMMAND=1"), env...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		first <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-first:
		if s == "" {
			t.Errorf("README.md:%d: %q printed nothing", l.n, commandText(l))
		}
	case <-time.After(10 * time.Second):
		t.Errorf("README.md:%d: %q printed no line in 10 s", l.n, commandText(l))
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("README.md:%d: %q: %v, stderr %q", l.n, commandText(l), err, errOut.String())
	}
}

// TestReadmeShellRules checks the rules of TestReadmeShellCommands on lines like the README's.
func TestReadmeShellRules(t *testing.T) {
	tests := []struct {
		line     string
		paths    []string
		runnable bool
	}{
		{"go run ./cmd/eventstream dump testdata/corpus/x.bin   # one JSON line per frame", []string{"./cmd/eventstream", "testdata/corpus/x.bin"}, true},
		{"go run ./cmd/eventstream dump a.bin | go run ./cmd/eventstream encode | cmp - a.bin   # same bytes", []string{"./cmd/eventstream", "a.bin", "./cmd/eventstream", "a.bin"}, true},
		{"go run ./cmd/eventstream dump a.bin | go run ./cmd/eventstream encode > copy.bin", []string{"./cmd/eventstream", "a.bin", "./cmd/eventstream"}, false},
		{"go run ./cmd/eventstream serve -addr 127.0.0.1:0 -credentials AKIDTEST:s3cr3t -scenario scenario.json", []string{"./cmd/eventstream", "scenario.json"}, false},
		{"go run ./cmd/eventstream serve -credentials-file=secrets/creds.txt", []string{"./cmd/eventstream", "secrets/creds.txt"}, false},
		{"go test -run '^$' -fuzz '^FuzzReader$' -fuzztime 1m ./bedrock   # and FuzzEvent; FuzzVerify in ./sigv4", []string{"./bedrock"}, false},
		{"go test ./...", []string{"."}, false},
		{"bash internal/benchcmp/compare.sh   # against the AWS SDK", []string{"internal/benchcmp/compare.sh"}, false},
		{"curl -s http://127.0.0.1:8085/_mock/requests 2>/dev/null", nil, false},
		{"rm -rf /tmp/x; go run ./cmd/eventstream verify a.bin", []string{"/tmp/x", "./cmd/eventstream", "a.bin"}, false},
	}
	for _, tt := range tests {
		words, comment := shellWords(tt.line)
		l := shellLine{words: words, comment: comment}
		if got := l.paths(); strings.Join(got, " ") != strings.Join(tt.paths, " ") {
			t.Errorf("%q: paths %q, want %q", tt.line, got, tt.paths)
		}
		if got := l.runnable(); got != tt.runnable {
			t.Errorf("%q: runnable %v, want %v", tt.line, got, tt.runnable)
		}
	}
	for line, want := range map[string]string{
		"go run ./cmd/eventstream serve                          # http://127.0.0.1:8085": "[] []",
		"go run ./cmd/eventstream serve -tls -bearer my-token":                            "[] [-tls -bearer my-token]",
		"A_B=x C=y go run ./cmd/eventstream serve -addr 127.0.0.1:0":                      "[A_B=x C=y] [-addr 127.0.0.1:0]",
		"go run ./cmd/eventstream serve > log.txt":                                        "not serve",
		"go test ./cmd/eventstream":                                                       "not serve",
	} {
		words, _ := shellWords(line)
		env, args, ok := shellLine{words: words}.serveLine()
		got := fmt.Sprint(env, " ", args)
		if !ok {
			got = "not serve"
		}
		if got != want {
			t.Errorf("%q: serveLine %s, want %s", line, got, want)
		}
	}
}

// TestReadmeScenario checks that the scenario file the README's serve command names is shipped,
// loads, and is the scenario the README shows.
func TestReadmeScenario(t *testing.T) {
	const file = "../../bedrock/bedrocktest/testdata/scenario.json"
	sc, err := bedrocktest.LoadScenario(file)
	if err != nil || len(sc.Rules) == 0 {
		t.Fatalf("LoadScenario(%s) = %v, %v", file, sc, err)
	}
	if !strings.Contains(string(readFile(t, "../../README.md")), "```json\n"+string(readFile(t, file))+"```\n") {
		t.Errorf("README.md does not show %s as a json block", file)
	}
}

// TestReadmeServeFirstLine checks that the first line serve prints is what README.md says it is.
func TestReadmeServeFirstLine(t *testing.T) {
	m := regexp.MustCompile("The first line on standard output is `([^`]+)`").FindStringSubmatch(string(readFile(t, "../../README.md")))
	if m == nil {
		t.Fatal("README.md does not say what serve's first line is")
	}
	want := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(m[1]), ":8085", `:\d+`) + "$")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int)
	go func() {
		code := serve(ctx, []string{"-addr", "127.0.0.1:0"}, pw, &errOut)
		pw.Close()
		done <- code
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	cancel()
	pr.Close()
	if code := <-done; code != 0 || err != nil {
		t.Fatalf("serve: exit %d, read %v, stderr %q", code, err, errOut.String())
	}
	if !want.MatchString(strings.TrimSuffix(first, "\n")) {
		t.Errorf("serve's first line is %q; README.md says %q", first, m[1])
	}
}

// TestVerifyFullDevice runs `verify FILE > /dev/full`: the summary cannot be written, and
// that is a failure.
func TestVerifyFullDevice(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	bin := commandPath(t)
	for _, c := range []string{"verify", "dump"} {
		r := shell(t, bin, corpus, "eventstream "+c+" payload-only.bin > /dev/full")
		if r.code != 1 || r.stderr != "eventstream "+c+": writing the output: write /dev/stdout: no space left on device\n" {
			t.Errorf("%s > /dev/full: exit %d, stderr %q; want 1 and a write error", c, r.code, r.stderr)
		}
	}
}
