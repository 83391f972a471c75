package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../testdata/corpus/"

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

func runCmd(stdin io.Reader, args ...string) result {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := run(args, stdin, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{args: []string{"-h"}, code: 0, out: "Usage: eventstream COMMAND"},
		{args: []string{"--help"}, code: 0, out: "serve    serve the Amazon Bedrock Runtime API"},
		{args: []string{"help"}, code: 0, out: "Commands:"},
		{args: nil, code: 2, err: "Usage: eventstream COMMAND"},
		{args: []string{"frobnicate"}, code: 2, err: `eventstream: unknown command "frobnicate"`},
		{args: []string{"verify", "-x"}, code: 2, err: "flag provided but not defined: -x\nUsage: eventstream verify [FILE...]"},
		{args: []string{"dump", "-x", "file"}, code: 2, err: "flag provided but not defined: -x\nUsage: eventstream dump [FILE...]"},
		{args: []string{"serve", "-x"}, code: 2, err: "flag provided but not defined: -x\nUsage: eventstream serve"},
		{args: []string{"serve", "-addr"}, code: 2, err: "flag needs an argument: -addr\nUsage: eventstream serve"},
		{args: []string{"serve", "extra"}, code: 2, err: `eventstream serve: unexpected argument "extra"`},
		{args: []string{"serve", "-session-idle-timeout", "0s"}, code: 2, err: "must be positive"},
	}
	// -h, -help and --help on every command: its usage once, on standard output, exit 0.
	for _, cmd := range []string{"dump", "encode", "verify", "serve"} {
		for _, h := range []string{"-h", "-help", "--help"} {
			tests = append(tests, struct {
				args     []string
				code     int
				out, err string
			}{args: []string{cmd, h}, code: 0, out: "Usage: eventstream " + cmd + " "})
		}
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCmd(nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.out) || !strings.Contains(r.stderr, tt.err) {
				t.Errorf("eventstream %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tt.args, r.code, r.stdout, r.stderr, tt.code, tt.out, tt.err)
			}
			if tt.code == 0 && (r.stderr != "" || strings.Count(r.stdout, "Usage:") != 1 || !strings.HasPrefix(r.stdout, "Usage: ")) {
				t.Errorf("eventstream %v: stdout %q, stderr %q; want the usage once on stdout and nothing on stderr", tt.args, r.stdout, r.stderr)
			}
			if tt.code == 2 && (r.stdout != "" || strings.Count(r.stderr, "Usage:") > 1) {
				t.Errorf("eventstream %v: stdout %q, stderr %q; want the usage at most once on stderr and nothing on stdout", tt.args, r.stdout, r.stderr)
			}
		})
	}
}

// TestReadmeCommand runs the README's first command.
func TestReadmeCommand(t *testing.T) {
	r := runCmd(nil, "dump", corpus+"bedrock-chunks.bin")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || r.stderr != "" || len(lines) != 17 {
		t.Fatalf("exit %d, %d lines, stderr %q; want 0, 17 lines, no stderr", r.code, len(lines), r.stderr)
	}
	const first = `{"offset":0,"headers":[{"name":":event-type","type":"string","value":"chunk"},{"name":":content-type","type":"string","value":"application/json"},{"name":":message-type","type":"string","value":"event"}],"payload":"eyJieXRlcyI6`
	if !strings.HasPrefix(lines[0], first) || !strings.Contains(lines[0], `"text":"{\"bytes\":\"`) {
		t.Errorf("first line = %s", lines[0])
	}
}

// TestDumpEncode checks that dump | encode reproduces every valid corpus vector byte for byte,
// through files and standard input.
func TestDumpEncode(t *testing.T) {
	bins, _ := filepath.Glob(corpus + "*.bin")
	n := 0
	for _, p := range bins {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		b := readFile(t, p)
		d := runCmd(nil, "dump", p)
		if d.code != 0 || name == "value-65535" {
			continue // bad vectors: TestBadInput; value-65535 cannot be encoded
		}
		n++
		e := runCmd(strings.NewReader(d.stdout), "encode")
		if e.code != 0 || e.stdout != string(b) {
			t.Errorf("%s: dump | encode: exit %d, stderr %q, %d bytes out of %d, equal %v",
				name, e.code, e.stderr, len(e.stdout), len(b), e.stdout == string(b))
		}
		if s := runCmd(bytes.NewReader(b), "dump"); s.code != 0 || s.stdout != d.stdout {
			t.Errorf("%s: dump of standard input differs from dump of the file", name)
		}
		if s := runCmd(bytes.NewReader(b), "dump", "-"); s.code != 0 || s.stdout != d.stdout {
			t.Errorf("%s: dump - differs from dump of the file", name)
		}
	}
	if n < 20 {
		t.Errorf("only %d valid corpus vectors round-tripped", n)
	}
}

func TestVerify(t *testing.T) {
	b := readFile(t, corpus+"bedrock-chunks.bin")
	r := runCmd(nil, "verify", corpus+"bedrock-chunks.bin")
	want := fmt.Sprintf("%sbedrock-chunks.bin: ok, 17 frames, %d bytes\n", corpus, len(b))
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("verify: exit %d, stdout %q, stderr %q; want 0, %q", r.code, r.stdout, r.stderr, want)
	}
	r = runCmd(bytes.NewReader(b), "verify")
	if r.code != 0 || r.stdout != fmt.Sprintf("<stdin>: ok, 17 frames, %d bytes\n", len(b)) {
		t.Errorf("verify of stdin: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCmd(nil, "verify", corpus+"empty-stream.bin")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "empty-stream.bin: ok, 0 frames, 0 bytes\n") {
		t.Errorf("verify of an empty stream: exit %d, stdout %q", r.code, r.stdout)
	}
	// Every file is checked; one bad file fails the run.
	r = runCmd(nil, "verify", corpus+"message-crc-corrupted.bin", corpus+"payload-only.bin")
	if r.code != 1 || !strings.Contains(r.stdout, "payload-only.bin: ok, 1 frame, 42 bytes") ||
		!strings.Contains(r.stderr, "message-crc-corrupted.bin: frame at offset 59: message crc 0x") ||
		!strings.Contains(r.stderr, "checksum mismatch (after 1 good frame, 59 bytes)") {
		t.Errorf("verify of a bad and a good file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestBadInput checks that every bad corpus vector fails dump and verify with exit status 1,
// a message naming the frame's offset, and the good frames before it printed.
func TestBadInput(t *testing.T) {
	tests := []struct {
		vector string
		frames int
		msg    string
	}{
		{"prelude-crc-corrupted", 1, "frame at offset 59: prelude crc 0x"},
		{"message-crc-corrupted", 1, "frame at offset 59: message crc 0x"},
		{"total-length-zero", 1, "frame at offset 59: total_length 0 is below the 16-byte minimum: malformed frame"},
		{"headers-length-1", 0, "frame at offset 0: headers_length 1 is shorter than the smallest header"},
		{"total-length-max", 0, "frame at offset 0: total_length 4294967295 is over the limit"},
		{"duplicate-name", 1, "frame at offset 59: header name \":message-type\" of header 2 repeats header 0: malformed frame"},
		{"unknown-type-10", 0, "frame at offset 0: header type"},
		{"truncated-body", 1, "frame at offset 59: stream ends inside the frame: unexpected EOF"},
		{"truncated-prelude", 1, "frame at offset 59: stream ends inside the frame: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			p := corpus + tt.vector + ".bin"
			r := runCmd(nil, "dump", p)
			if r.code != 1 || strings.Count(r.stdout, "\n") != tt.frames ||
				r.stderr != "eventstream dump: "+p+": "+firstLine(r.stderr[len("eventstream dump: "+p+": "):]) ||
				!strings.Contains(r.stderr, tt.msg) {
				t.Errorf("dump: exit %d, stdout %q, stderr %q; want 1, %d frames, an error containing %q",
					r.code, r.stdout, r.stderr, tt.frames, tt.msg)
			}
			v := runCmd(nil, "verify", p)
			if v.code != 1 || v.stdout != "" || !strings.Contains(v.stderr, tt.msg) {
				t.Errorf("verify: exit %d, stdout %q, stderr %q; want 1 and an error containing %q", v.code, v.stdout, v.stderr, tt.msg)
			}
		})
	}
}

func firstLine(s string) string {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s
	}
	return s[:i+1]
}

func TestDumpStopsAtFirstBadFile(t *testing.T) {
	r := runCmd(nil, "dump", corpus+"payload-only.bin", corpus+"no-such-file.bin", corpus+"empty-frame.bin")
	if r.code != 1 || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stderr, "eventstream dump: open "+corpus+"no-such-file.bin: ") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, one frame, an open error", r.code, r.stdout, r.stderr)
	}
}

func TestEncodeBadInput(t *testing.T) {
	good := runCmd(nil, "dump", corpus+"payload-only.bin").stdout
	r := runCmd(strings.NewReader(good+`{"headers":[{"name":"x","type":"int8","value":1}],"payload":""}`+"\n"), "encode")
	b := readFile(t, corpus+"payload-only.bin")
	if r.code != 1 || r.stdout != string(b) ||
		r.stderr != `eventstream encode: <stdin>: line 2: header 0 ("x"): unknown type "int8" (want bool, byte, int16, int32, int64, bytes, string, timestamp or uuid)`+"\n" {
		t.Errorf("exit %d, %d bytes out, stderr %q", r.code, len(r.stdout), r.stderr)
	}
	r = runCmd(strings.NewReader("garbage\n"), "encode")
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "eventstream encode: <stdin>: line 1: not a JSON frame: ") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestDumpEncodeFiles checks encode with file arguments, and that frames of several files are
// concatenated.
func TestDumpEncodeFiles(t *testing.T) {
	dir := t.TempDir()
	var want []byte
	var args []string
	for _, v := range []string{"bedrock-chunks", "all-header-types"} {
		d := runCmd(nil, "dump", corpus+v+".bin")
		p := filepath.Join(dir, v+".jsonl")
		if err := os.WriteFile(p, []byte(d.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
		want = append(want, readFile(t, corpus+v+".bin")...)
	}
	r := runCmd(nil, append([]string{"encode"}, args...)...)
	if r.code != 0 || r.stdout != string(want) {
		t.Errorf("encode of two files: exit %d, stderr %q, equal %v", r.code, r.stderr, r.stdout == string(want))
	}
}

// TestReadmeExamples runs the transcripts ("$ eventstream ...") of README.md's section on the
// command, from the repository root, and compares their output with what the README shows.
// TestReadmeShellCommands runs the ```sh lines.
func TestReadmeExamples(t *testing.T) {
	t.Chdir("../..")
	readme := string(readFile(t, "README.md"))
	start := strings.Index(readme, "## The `eventstream` command")
	if start < 0 {
		t.Fatal("README.md has no section on the command")
	}
	section := readme[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	lines := strings.Split(section, "\n")
	examples := 0
	for i, line := range lines {
		line = strings.TrimSpace(line)
		var args []string
		var want string
		switch {
		case strings.HasPrefix(line, "$ eventstream "):
			// A shell transcript: the output lines follow, up to the end of the block.
			args = strings.Fields(strings.TrimPrefix(line, "$ eventstream "))
			for _, out := range lines[i+1:] {
				out = strings.TrimSpace(out)
				if out == "```" {
					break
				}
				want += out + "\n"
			}
		default:
			continue
		}
		examples++
		r := runCmd(nil, args...)
		got := r.stdout + r.stderr
		if !strings.HasSuffix(got, want) || (strings.HasPrefix(line, "$") && got != want) {
			t.Errorf("README example %q printed\n%s\nREADME shows\n%s", line, got, want)
		}
	}
	if examples < 2 {
		t.Errorf("found %d examples in README.md, want at least 2", examples)
	}
}

// TestVerifyOpenError checks that a file that cannot be opened is reported as such, not as a
// stream that went wrong after 0 good frames, and that the other files are still checked.
func TestVerifyOpenError(t *testing.T) {
	r := runCmd(nil, "verify", corpus+"no-such-file.bin", corpus+"payload-only.bin")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "eventstream verify: open "+corpus+"no-such-file.bin: ") ||
		strings.Contains(r.stderr, "after") || strings.Count(r.stderr, "\n") != 1 ||
		r.stdout != corpus+"payload-only.bin: ok, 1 frame, 42 bytes\n" {
		t.Errorf("verify of a missing file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// A file that opens but cannot be read is a read error, with what was read before it.
	r = runCmd(nil, "verify", corpus)
	if r.code != 1 || !strings.Contains(r.stderr, "reading frame at offset 0: ") || !strings.HasSuffix(r.stderr, "(after 0 good frames, 0 bytes)\n") {
		t.Errorf("verify of a directory: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestWriteFailure checks that dump, encode and verify fail when their output cannot be
// written.
func TestWriteFailure(t *testing.T) {
	good := runCmd(nil, "dump", corpus+"payload-only.bin").stdout
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"verify", corpus + "payload-only.bin"}, "", "eventstream verify: writing the output: no space left on device\n"},
		{[]string{"verify"}, "", "eventstream verify: writing the output: no space left on device\n"},
		{[]string{"dump", corpus + "payload-only.bin"}, "", "eventstream dump: writing the output: no space left on device\n"},
		{[]string{"encode"}, good, "eventstream encode: writing the output: no space left on device\n"},
	} {
		var errOut bytes.Buffer
		code := run(tt.args, strings.NewReader(tt.stdin), failWriter{}, &errOut)
		if code != 1 || errOut.String() != tt.want {
			t.Errorf("eventstream %v with a failing stdout: exit %d, stderr %q; want 1, %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}

// TestEncodeRefuses checks that encode refuses, naming the line, what it would otherwise
// change, after writing the frames of the lines before it.
func TestEncodeRefuses(t *testing.T) {
	good := runCmd(nil, "dump", corpus+"payload-only.bin").stdout
	want := string(readFile(t, corpus+"payload-only.bin"))
	for _, tt := range []struct{ line, err string }{
		{"{\"headers\":[{\"name\":\"a\",\"type\":\"string\",\"value\":\"\xff\"}],\"payload\":\"\"}", "line 2, column 50: invalid UTF-8 (byte 0xff)"},
		{`{"headers":[],"payload":"","payload":"YQ=="}`, `line 2: the frame has the key "payload" twice`},
		{`{"headers":[{"name":"a","type":"bool","value":true,"value":false}],"payload":""}`, `line 2: header 0 has the key "value" twice`},
		{`{"payload":""}`, `line 2: the frame has no "headers"`},
		{`{"headers":[]}`, `line 2: the frame has no "payload"`},
		{`{"headers":[{"type":"bool","value":true}],"payload":""}`, `line 2: header 0 has no "name"`},
		{`{"headers":[{"name":"a","value":true}],"payload":""}`, `line 2: header 0 has no "type"`},
		{`{"headers":[{"name":"a","type":"bool"}],"payload":""}`, `line 2: header 0 has no "value"`},
	} {
		r := runCmd(strings.NewReader(good+tt.line+"\n"+good), "encode")
		if r.code != 1 || r.stdout != want || r.stderr != "eventstream encode: <stdin>: "+firstLine(r.stderr[min(len(r.stderr), 29):]) ||
			!strings.HasPrefix(r.stderr, "eventstream encode: <stdin>: "+tt.err) {
			t.Errorf("encode of %q: exit %d, %d bytes out, stderr %q; want 1, the first frame, %q", tt.line, r.code, len(r.stdout), r.stderr, tt.err)
		}
	}
}
