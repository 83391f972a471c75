package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the command built by buildCommand.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// buildCommand builds cmd/eventstream once per test binary run.
func buildCommand(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "interop-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "eventstream")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/framewire/eventstream/cmd/eventstream").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// startServe runs `eventstream serve args...` and returns the command, the stdout lines
// read so far (the first holds the URL) and the buffer collecting stderr.
func startServe(t *testing.T, bin string, args ...string) (*exec.Cmd, *bufio.Scanner, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(stdout), stderr
}

func TestServeCommand(t *testing.T) {
	bin := buildCommand(t)
	scenario := filepath.Join(t.TempDir(), "scenario.json")
	os.WriteFile(scenario, []byte(`{"rules":[{"prompt":"weather","reply":"Sunny and warm."}]}`), 0o644)
	cmd, out, stderr := startServe(t, bin, "-addr", "127.0.0.1:0", "-credentials", "AKIDTEST:s3cr3t", "-scenario", scenario)
	if !out.Scan() {
		t.Fatalf("no first line; stderr: %s", stderr)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(out.Text())
	if url == "" {
		t.Fatalf("first line %q has no base URL", out.Text())
	}
	text, n, err := invokeStream(context.Background(), newClient(url), "What is the weather like?")
	if err != nil || text != "Sunny and warm." {
		t.Errorf("scenario reply %q, %v", text, err)
	}
	// One log line per request: method, operation, model, status, frames, duration.
	want := regexp.MustCompile(`POST InvokeModelWithResponseStream model=` + regexp.QuoteMeta(model) +
		` status=200 frames=` + strconv.Itoa(n) + ` duration=\S+ proto=HTTP/1.1`)
	waitFor(t, func() bool { return want.MatchString(stderr.String()) }, "log line", stderr)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGINT: %v; stderr: %s", err, stderr)
	}
}

func TestServeCommandTLS(t *testing.T) {
	bin := buildCommand(t)
	cmd, out, stderr := startServe(t, bin, "-addr", "127.0.0.1:0", "-tls", "-bearer", "tok-123")
	var lines []string
	for len(lines) < 2 && out.Scan() {
		lines = append(lines, out.Text())
	}
	if len(lines) < 2 {
		t.Fatalf("stdout %q; stderr: %s", lines, stderr)
	}
	url := regexp.MustCompile(`https://127\.0\.0\.1:\d+`).FindString(lines[0])
	caFile := regexp.MustCompile(`\S+\.pem`).FindString(lines[1])
	pemData, err := os.ReadFile(caFile)
	if url == "" || err != nil {
		t.Fatalf("stdout %q: %v", lines, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest("POST", url+"/model/"+model+"/converse", strings.NewReader(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok-123")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("status %d over %s", resp.StatusCode, resp.Proto)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if _, err := os.Stat(caFile); !os.IsNotExist(err) {
		t.Errorf("CA file left behind: %v", err)
	}
}

func TestServeDefaultAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:8085")
	if err != nil {
		t.Skipf("port 8085 is taken: %v", err)
	}
	ln.Close()
	cmd, out, stderr := startServe(t, buildCommand(t))
	if !out.Scan() || !strings.Contains(out.Text(), "http://127.0.0.1:8085") {
		t.Fatalf("first line %q; stderr: %s", out.Text(), stderr)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

func TestServeCommandFlags(t *testing.T) {
	bin := buildCommand(t)
	for _, args := range [][]string{{"-credentials", "nocolon"}, {"extra"}, {"-nosuchflag"}} {
		err := exec.Command(bin, append([]string{"serve"}, args...)...).Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("serve %v: %v, want exit status 2", args, err)
		}
	}
	err := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-scenario", "/nonexistent.json").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("missing scenario: %v, want exit status 1", err)
	}
}

func waitFor(t *testing.T, cond func() bool, what string, stderr *syncBuffer) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Errorf("no %s; stderr:\n%s", what, stderr)
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
