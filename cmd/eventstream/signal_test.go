package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeStopsOnSignal sends SIGINT and SIGTERM to a serve process while it listens, and
// while it waits in a read of a scenario file and of a credentials file that are FIFOs whose
// writer sends nothing:
// serve exits each time, without being killed.
func TestServeStopsOnSignal(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"listening", nil, 0},
		{"reading -scenario", []string{"-scenario", fifo}, 1},
		{"reading -credentials-file", []string{"-credentials-file", fifo}, 1},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(tt.name+"/"+sig.String(), func(t *testing.T) {
				cmd := exec.Command(exe, append([]string{"serve", "-addr", "127.0.0.1:0"}, tt.args...)...)
				cmd.Env = []string{"EVENTSTREAM_TEST_AS_COMMAND=1"}
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "EVENTSTREAM_") {
						cmd.Env = append(cmd.Env, kv)
					}
				}
				var errOut bytes.Buffer
				cmd.Stderr = &errOut
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if tt.args == nil {
					// Wait for the first line: the server is up.
					if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
						t.Fatal(err)
					}
				} else {
					// Once serve has the FIFO open for reading, a writer can open it
					// too; the writer then stays silent, and serve waits in its read.
					deadline := time.Now().Add(10 * time.Second)
					for {
						w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
						if err == nil {
							defer w.Close()
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("serve did not open the FIFO: %v", err)
						}
						time.Sleep(10 * time.Millisecond)
					}
				}
				cmd.Process.Signal(sig)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					code := 0
					if ee, ok := err.(*exec.ExitError); ok {
						code = ee.ExitCode()
					} else if err != nil {
						t.Fatal(err)
					}
					if code != tt.code {
						t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut.String())
					}
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Fatalf("serve still running 10 s after %v; stderr %q", sig, errOut.String())
				}
			})
		}
	}
}
