//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// procStatus reads a "VmRSS"-style field of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

const mib = 1 << 20

// startServeBinary builds the command and runs "eventstream serve" on a free port, returning the
// process and its base URL.
func startServeBinary(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eventstream")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	return cmd, url
}

// bigPrompt is a request body of about 24.5 MB for op whose last user message asks for
// an exception after a few frames, so that the test reads little of the stream: the server
// plans the whole reply all the same. The prompt needs no escaping, so the JSON is written
// around it as is: encoding/json takes about a second for it under the race detector.
func bigPrompt(op string, size int) []byte {
	words := strings.Repeat("lorem ipsum dolor ", size/18)
	prompt := words
	if strings.HasSuffix(op, "stream") {
		prompt = "[[mock exception=throttlingException after=20]] " + words
	}
	if strings.HasPrefix(op, "converse") {
		return []byte(`{"messages":[{"role":"user","content":[{"text":"` + prompt + `"}]}]}`)
	}
	return []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":` + strconv.Itoa(size) +
		`,"messages":[{"role":"user","content":"` + prompt + `"}]}`)
}

// TestServeMemory runs the serve command and watches its resident memory: one 24.5 MB
// prompt peaks below four times its size, a client that stops reading holds about its body
// and a frame, and memory returns to near where it started once every client has gone.
func TestServeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	cmd, url := startServeBinary(t)
	pid := cmd.Process.Pid
	model := "anthropic.claude-3-haiku-20240307-v1:0"
	time.Sleep(200 * time.Millisecond)
	start := procStatus(t, pid, "VmRSS")
	const size = 24_500_000

	for _, op := range []string{"converse-stream", "invoke-with-response-stream", "converse", "invoke"} {
		body := bigPrompt(op, size)
		resp, err := http.Post(url+"/model/"+model+"/"+op, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			t.Fatalf("%s: status %d, %d bytes", op, resp.StatusCode, n)
		}
		hwm := procStatus(t, pid, "VmHWM")
		t.Logf("%s: body %.1f MiB, peak RSS so far %.1f MiB (started at %.1f MiB)", op, float64(len(body))/mib, float64(hwm)/mib, float64(start)/mib)
		if hwm > 4*int64(len(body)) {
			t.Errorf("%s: peak RSS %.1f MiB, want below 4 x %.1f MiB", op, float64(hwm)/mib, float64(len(body))/mib)
		}
	}

	// Clients that stop reading after the headers: each holds its reply text (the size of
	// its body) and one frame, not the stream nor its body.
	const stalled = 2
	var conns []net.Conn
	bodySize := 0
	body := bigPrompt("invoke-with-response-stream", size)
	bodySize = len(body)
	body = bytes.Replace(body, []byte("exception=throttlingException after=20"), []byte("chunk-delay=0s"), 1)
	for range stalled {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /model/%s/invoke-with-response-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", model, len(body))
		c.Write(body)
		if _, err := c.Read(make([]byte, 1)); err != nil { // the response has begun
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // the socket buffers fill; the server gives back what is free
	held := procStatus(t, pid, "VmRSS") - start
	t.Logf("%d stalled clients: RSS %.1f MiB above the start", stalled, float64(held)/mib)
	// Each holds its reply (the size of its body), a frame and the journal's copy of the
	// body's first MiB; 2 MiB each and 8 MiB in all are left for the runtime's own.
	if limit := int64(stalled)*(int64(bodySize)+bedrocktest.MaxJournalBody+2*mib) + 8*mib; held > limit {
		t.Errorf("%d stalled clients hold %.1f MiB, want at most %.1f MiB (body, frame and journal copy each, plus the runtime's slack)",
			stalled, float64(held)/mib, float64(limit)/mib)
	}
	for _, c := range conns {
		c.Close()
	}

	deadline := time.Now().Add(30 * time.Second)
	rss := procStatus(t, pid, "VmRSS")
	// The bound is 64 MiB; the server gives memory back once idle, and gets within
	// a few MiB, so 32 MiB is asked here to catch a server that does not.
	const after = 32 * mib
	for rss > start+after && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		rss = procStatus(t, pid, "VmRSS")
	}
	t.Logf("after the clients left: RSS %.1f MiB (started at %.1f MiB)", float64(rss)/mib, float64(start)/mib)
	if rss > start+after {
		t.Errorf("RSS %.1f MiB 30 s after the clients left, want within %d MiB of the start (%.1f MiB)", float64(rss)/mib, after/mib, float64(start)/mib)
	}
}
