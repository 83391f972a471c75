//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runServeFor runs serve with args until it returns or until stopAfter, when its context is
// cancelled as a signal would; it fails if serve does not return within two seconds more.
func runServeFor(t *testing.T, stopAfter time.Duration, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stopAfter)
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- serve(ctx, args, &stdout, &stderr) }()
	select {
	case code := <-done:
		return code, stderr.String()
	case <-time.After(stopAfter + 2*time.Second):
		t.Fatalf("serve %q still running %v after it was told to stop", args, 2*time.Second)
		return 0, ""
	}
}

func TestServeRefusesEmptyAddr(t *testing.T) {
	code, stderr := runServeFor(t, time.Second, "-addr", "")
	if code != 2 || !strings.Contains(stderr, "-addr is empty") {
		t.Errorf("-addr \"\": exit %d, %q", code, stderr)
	}
}

func TestServeLimitFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-read-timeout", "0s"}, {"-write-timeout", "-1s"}, {"-idle-timeout", "0"}, {"-max-conns", "0"},
	} {
		if code, stderr := runServeFor(t, time.Second, append([]string{"-addr", "127.0.0.1:0"}, args...)...); code != 2 || !strings.Contains(stderr, "want a positive") {
			t.Errorf("%q: exit %d, %q", args, code, stderr)
		}
	}
	code, stderr := runServeFor(t, 300*time.Millisecond, "-addr", "127.0.0.1:0", "-read-timeout", "5s", "-write-timeout", "5s", "-idle-timeout", "5s", "-max-conns", "10")
	if code != 0 {
		t.Errorf("limits set: exit %d, %q", code, stderr)
	}
}

// TestServeScenarioLimits checks that a scenario file over 1 MiB is refused, and that a
// signal stops serve while it waits on a FIFO that no one writes.
func TestServeScenarioLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, append([]byte(`{"rules":[]}`), bytes.Repeat([]byte(" "), 1<<20)...), 0o600)
	if code, stderr := runServeFor(t, time.Second, "-addr", "127.0.0.1:0", "-scenario", big); code != 1 || !strings.Contains(stderr, "larger than 1048576 bytes") {
		t.Errorf("big scenario: exit %d, %q", code, stderr)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	start := time.Now()
	code, stderr := runServeFor(t, 200*time.Millisecond, "-addr", "127.0.0.1:0", "-scenario", fifo)
	if code != 1 || !strings.Contains(stderr, "stopped while reading") {
		t.Errorf("FIFO scenario: exit %d after %v, %q", code, time.Since(start), stderr)
	}
}

// TestServeJournalSize checks that -journal-size bounds what GET /_mock/requests returns,
// and that 0 turns the journal off.
func TestServeJournalSize(t *testing.T) {
	for _, tc := range []struct {
		size string
		want int
	}{{"1", 1}, {"0", 0}} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var stderr bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-journal-size", tc.size}, pw, &stderr) }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		go io.Copy(io.Discard, pr)
		url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
		if err != nil || url == "" {
			t.Fatalf("first line %q: %v", line, err)
		}
		for range 2 {
			resp, err := http.Post(url+"/model/anthropic.claude-3-haiku-20240307-v1:0/converse", "application/json",
				strings.NewReader(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp, err := http.Get(url + "/_mock/requests")
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if len(got) != tc.want {
			t.Errorf("-journal-size %s: %d entries, want %d", tc.size, len(got), tc.want)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
		pw.Close()
	}
	if code, stderr := runServeFor(t, time.Second, "-addr", "127.0.0.1:0", "-journal-size", "-1"); code != 2 || !strings.Contains(stderr, "-journal-size") {
		t.Errorf("-journal-size -1: exit %d, %q", code, stderr)
	}
}
