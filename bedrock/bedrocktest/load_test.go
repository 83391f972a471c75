package bedrocktest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// peakSampler records the largest heap in use and goroutine count while it runs.
type peakSampler struct {
	heap, goroutines atomic.Uint64
	stop             chan struct{}
	done             sync.WaitGroup
}

func startSampler() *peakSampler {
	s := &peakSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > s.heap.Load() {
				s.heap.Store(ms.HeapInuse)
			}
			if g := uint64(runtime.NumGoroutine()); g > s.goroutines.Load() {
				s.goroutines.Store(g)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *peakSampler) finish() (heapMiB float64, goroutines uint64) {
	close(s.stop)
	s.done.Wait()
	return float64(s.heap.Load()) / (1 << 20), s.goroutines.Load()
}

// runStreams opens n InvokeModelWithResponseStream streams at once, each held open for a
// few milliseconds between frames, and checks every echo.
func runStreams(tb testing.TB, srv *Server, c *http.Client, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			prompt := fmt.Sprintf("stream %d says hello with a handful of words to split into chunks", i)
			req, _ := http.NewRequest("POST", srv.URL+"/model/"+claude+"/invoke-with-response-stream",
				strings.NewReader(claudeBody(prompt+" [[mock chunk-delay=2ms]]")))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			r, err := bedrock.ReadResponse(resp)
			if err != nil {
				errs <- err
				return
			}
			var text strings.Builder
			for {
				ev, err := r.Next()
				if err != nil {
					if err != io.EOF || !r.Complete() {
						errs <- fmt.Errorf("stream %d: %v", i, err)
						return
					}
					break
				}
				s, _ := bedrock.TextDelta(bedrock.FamilyClaude, ev.Payload)
				text.WriteString(s)
			}
			if text.String() != prompt {
				errs <- fmt.Errorf("stream %d: echo %q", i, text.String())
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	return <-errs
}

// loadClient is a client for n streams at once. Each stream must end within a minute (they
// take a few seconds on a loaded machine), so that a server that stops sending fails the
// test instead of hanging it.
func loadClient(n int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = n
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// holdStalled opens n connections to srv that stall, as slow or broken clients do, and
// keeps them open until the test ends: a third send half their headers, a third a body
// shorter than their Content-Length, a third ask for a long stream and never read it (with
// a small receive buffer, so that the server's writes block).
func holdStalled(t *testing.T, srv *Server, n int) {
	t.Helper()
	head := "POST /model/" + claude + "/invoke-with-response-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	long := claudeBody(strings.Repeat("a long reply that nobody reads ", 2000))
	for i := range n {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		switch i % 3 {
		case 0:
			io.WriteString(c, head)
		case 1:
			io.WriteString(c, head+"Content-Length: 1000\r\n\r\n{\"messages\":")
		case 2:
			c.(*net.TCPConn).SetReadBuffer(4096)
			io.WriteString(c, head+"Content-Length: "+strconv.Itoa(len(long))+"\r\n\r\n"+long)
		}
	}
}

// TestThousandConcurrentStreams opens 1,000 streams at once on loopback (client and server in
// this process) while 200 stalled connections are held open, and checks that the streams all
// complete and that the heap stays bounded.
func TestThousandConcurrentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 streams: skipped in -short mode")
	}
	const n, stalled = 1000, 200
	srv := NewServer(Config{})
	defer srv.Close()
	c := loadClient(n)
	defer c.CloseIdleConnections()
	runtime.GC()
	s := startSampler()
	holdStalled(t, srv, stalled)
	start := time.Now()
	err := runStreams(t, srv, c, n)
	elapsed := time.Since(start)
	heap, goroutines := s.finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d concurrent streams with %d stalled connections held in %v: %.0f streams/s, peak heap in use %.1f MiB, peak goroutines %d",
		n, stalled, elapsed.Round(time.Millisecond), n/elapsed.Seconds(), heap, goroutines)
	if open := srv.openConns(); open < stalled {
		t.Errorf("%d connections open after the streams, want the %d stalled ones still held", open, stalled)
	}
	// Both ends of 1,000 connections live in this process; measured here, about 70 KiB a
	// stream. The bound catches anything that grows with the stream's length or leaks.
	if heap > 192 {
		t.Errorf("peak heap in use %.1f MiB for %d streams, want at most 192 MiB", heap, n)
	}
}

// BenchmarkConcurrentStreams runs batches of 1,000 concurrent streams; it reports
// streams/s and the peak heap in use.
func BenchmarkConcurrentStreams(b *testing.B) {
	const n = 1000
	srv := NewServer(Config{})
	defer srv.Close()
	c := loadClient(n)
	defer c.CloseIdleConnections()
	b.ReportAllocs()
	s := startSampler()
	streams := 0
	start := time.Now()
	for b.Loop() {
		if err := runStreams(b, srv, c, n); err != nil {
			b.Fatal(err)
		}
		streams += n
	}
	elapsed := time.Since(start)
	heap, _ := s.finish()
	b.ReportMetric(float64(streams)/elapsed.Seconds(), "streams/s")
	b.ReportMetric(heap, "peak-heap-MiB")
}

// TestDisconnectFreesGoroutines checks that a client leaving mid-stream leaves no goroutine
// behind on the server: the count returns to what it was before the connection.
func TestDisconnectFreesGoroutines(t *testing.T) {
	done := make(chan struct{}, 10)
	srv := NewServer(Config{Log: func(LogEntry) { done <- struct{}{} }})
	defer srv.Close()
	c := loadClient(10)
	time.Sleep(10 * time.Millisecond)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	for range 5 {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/model/"+claude+"/invoke-with-response-stream",
			strings.NewReader(claudeBody("never finishes a b c d e f g h [[mock chunk-delay=1h]]")))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bedrock.NewReader(resp.Body).Next(); err != nil {
			t.Fatal(err)
		}
	}
	if g := runtime.NumGoroutine(); g < before+5 {
		t.Fatalf("%d goroutines with 5 streams open, %d before", g, before)
	}
	cancel()
	for range 5 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a handler is still running after its client left")
		}
	}
	c.CloseIdleConnections()
	var g int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if g = runtime.NumGoroutine(); g <= before {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines after the clients left, %d before:\n%s", g, before, buf[:runtime.Stack(buf, true)])
}
