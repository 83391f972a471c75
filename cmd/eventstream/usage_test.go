package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeUsageListsEveryFlag checks that serve's usage line and README.md name every flag
// that serve defines.
func TestServeUsageListsEveryFlag(t *testing.T) {
	r := runCmd(nil, "serve", "-h")
	if r.code != 0 {
		t.Fatalf("serve -h: exit %d, stderr %q", r.code, r.stderr)
	}
	synopsis, _, ok := strings.Cut(r.stdout, "\n\n")
	if !ok {
		t.Fatalf("serve -h: no blank line after the usage line:\n%s", r.stdout)
	}
	readme := string(readFile(t, "../../README.md"))
	// PrintDefaults writes each flag as "  -name ..." at the start of a line.
	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(r.stdout, -1)
	if len(flags) < 14 {
		t.Fatalf("serve -h lists %d flags:\n%s", len(flags), r.stdout)
	}
	for _, f := range flags {
		named := regexp.MustCompile(`(^|[^\w-])-` + regexp.QuoteMeta(f[1]) + `([^\w-]|$)`)
		if !named.MatchString(synopsis) {
			t.Errorf("serve's usage line does not name -%s:\n%s", f[1], synopsis)
		}
		if !named.MatchString(readme) {
			t.Errorf("README.md does not name serve's -%s", f[1])
		}
	}
}

// TestServeUsageFirstLine checks that what serve -h says about the first line on standard
// output is what serve prints.
func TestServeUsageFirstLine(t *testing.T) {
	m := regexp.MustCompile(`The first line on standard output is "([^"]+)"`).FindStringSubmatch(runCmd(nil, "serve", "-h").stdout)
	if m == nil {
		t.Fatal("serve -h does not say what the first line is")
	}
	want := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(m[1]), "URL", `http://127\.0\.0\.1:\d+`) + "$")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		code := serve(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	cancel()
	pr.Close()
	if code := <-done; code != 0 || err != nil {
		t.Fatalf("serve: exit %d, read %v", code, err)
	}
	if !want.MatchString(strings.TrimSuffix(first, "\n")) {
		t.Errorf("serve's first line is %q; serve -h says %q", first, m[1])
	}
}

// TestUsageExamples runs the examples of eventstream's usage from the repository root: they
// name only files that exist there.
func TestUsageExamples(t *testing.T) {
	_, examples, ok := strings.Cut(usage, "Examples, from the repository root:\n")
	if !ok {
		t.Fatal("no examples in the usage")
	}
	bin := commandPath(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// copy.bin is written by one example and read by the next: run them in a copy of the
	// corpus's layout so that the repository is left alone.
	if r := shell(t, bin, dir, "mkdir testdata && ln -s "+filepath.Join(root, "testdata/corpus")+" testdata/corpus"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	n := 0
	for line := range strings.Lines(examples) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n++
		if r := shell(t, bin, dir, line); r.code != 0 || r.stderr != "" {
			t.Errorf("%s: exit %d, stderr %q", line, r.code, r.stderr)
		}
	}
	if n < 3 {
		t.Errorf("%d examples", n)
	}
	if r := shell(t, bin, dir, "cmp copy.bin testdata/corpus/bedrock-chunks.bin"); r.code != 0 {
		t.Errorf("dump | encode did not reproduce the file: %s", r.stdout)
	}
}

// TestServeTLSLines checks what serve -tls prints: the https URL, then the CA file, which
// exists and holds a PEM certificate while serve runs.
func TestServeTLSLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		code := serve(ctx, []string{"-tls", "-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	br := bufio.NewReader(pr)
	first, err1 := br.ReadString('\n')
	second, err2 := br.ReadString('\n')
	ca, caErr := os.ReadFile(strings.TrimSuffix(strings.TrimPrefix(second, "eventstream serve: CA certificate in "), "\n"))
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != 0 || err1 != nil || err2 != nil {
		t.Fatalf("serve -tls: exit %d, read %v, %v", code, err1, err2)
	}
	if !regexp.MustCompile(`^eventstream serve: listening on https://127\.0\.0\.1:\d+\n$`).MatchString(first) {
		t.Errorf("first line %q", first)
	}
	if !strings.HasPrefix(second, "eventstream serve: CA certificate in ") || caErr != nil || !bytes.HasPrefix(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("second line %q: %v, %.40q", second, caErr, ca)
	}
}
