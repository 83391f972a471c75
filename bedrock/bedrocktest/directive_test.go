package bedrocktest

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/bedrock"
)

func TestParseDirectives(t *testing.T) {
	tests := []struct {
		in, text string
		check    func(f Faults) bool
	}{
		{"no directive  ", "no directive  ", func(f Faults) bool { return f == noFaults() }},
		{"Hi [[mock exception=throttlingException after=3]] there", "Hi  there",
			func(f Faults) bool { return f.Exception == "throttlingException" && f.ExceptionAfter == 3 }},
		{"[[mock status=429 error=ThrottlingException fail-attempts=2]] x", "x",
			func(f Faults) bool { return f.Status == 429 && f.Error == "ThrottlingException" && f.FailAttempts == 2 }},
		{"x [[mock corrupt after=2]][[mock truncate after=5]]", "x",
			func(f Faults) bool { return f.CorruptAfter == 2 && f.TruncateAfter == 5 }},
		{"[[mock corrupt]]", "", func(f Faults) bool { return f.CorruptAfter == 0 && f.TruncateAfter == -1 }},
		{"a [[mock delay=1.5s chunk-delay=20ms]]", "a",
			func(f Faults) bool { return f.Delay == 1500*time.Millisecond && f.ChunkDelay == 20*time.Millisecond }},
		{`[[mock exception=modelStreamErrorException original-status=503 message="model down" original-message="upstream 503"]]`, "",
			func(f Faults) bool {
				return f.OriginalStatus == 503 && f.Message == "model down" && f.OriginalMessage == "upstream 503"
			}},
		{"[[mock delay=1s]] [[mock delay=2s]]", "", func(f Faults) bool { return f.Delay == 2*time.Second }},
		{"[[mockery]] stays", "[[mockery]] stays", func(f Faults) bool { return f == noFaults() }},
	}
	for _, tt := range tests {
		text, f, err := ParseDirectives(tt.in)
		if err != nil || text != tt.text || !tt.check(f) {
			t.Errorf("ParseDirectives(%q) = %q, %+v, %v", tt.in, text, f, err)
		}
	}
	for _, bad := range []string{
		"[[mock frobnicate=1]]", "[[mock after=2]]", "[[mock status=200]]", "[[mock delay=soon]]",
		"[[mock corrupt=1]]", "[[mock exception=]]", `[[mock message="open]]`, "[[mock after=-1 corrupt]]",
		"[[mock status]]", "[[mock original-status=42]]", "[[mock fail-attempts=x]]",
	} {
		if _, _, err := ParseDirectives(bad); err == nil || !strings.HasPrefix(err.Error(), "bedrocktest: ") {
			t.Errorf("ParseDirectives(%q): err %v", bad, err)
		}
	}
}

func TestAttemptHeader(t *testing.T) {
	for h, want := range map[string]int{"": 1, "attempt=1; max=3": 1, "attempt=3; max=3": 3, "max=3;attempt=2": 2, "attempt=x": 1} {
		if got, told := sdkAttempt(h); got != want || told != (h != "" && h != "attempt=x") {
			t.Errorf("sdkAttempt(%q) = %d, %v; want %d", h, got, told, want)
		}
	}
}

func TestExceptionDirective(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	const words = "one two three four five six seven eight nine ten eleven twelve thirteen"
	for _, after := range []int{0, 2, 4, 100} {
		resp := post(t, srv.Client(), srv.URL, claude, "invoke-with-response-stream",
			claudeBody(words+" [[mock exception=throttlingException after="+strconv.Itoa(after)+"]]"))
		evs, _, err := readStream(t, resp)
		var ex *bedrock.Exception
		if !errors.As(err, &ex) || ex.Type != bedrock.ThrottlingException || ex.Message == "" {
			t.Fatalf("after=%d: err %v", after, err)
		}
		all := (&bedrock.Reply{Blocks: []bedrock.Block{{Text: words}}}).ChunkCount(bedrock.FamilyClaude)
		if want := min(after, all); len(evs) != want {
			t.Errorf("after=%d: %d events before the exception, want %d", after, len(evs), want)
		}
	}
	resp := post(t, srv.Client(), srv.URL, claude, "converse-stream",
		converseBody(`x [[mock exception=modelStreamErrorException after=1 original-status=503 original-message="model fell over"]]`))
	evs, _, err := readStream(t, resp)
	var ex *bedrock.Exception
	if !errors.As(err, &ex) || ex.Type != bedrock.ModelStreamErrorException || ex.OriginalStatusCode != 503 ||
		ex.OriginalMessage != "model fell over" || len(evs) != 1 {
		t.Errorf("modelStreamErrorException: %v (%+v), %d events", err, ex, len(evs))
	}
	// Without original-status the exception still carries one, as the service's always does.
	resp = post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody("[[mock exception=modelStreamErrorException]]"))
	if _, _, err = readStream(t, resp); !errors.As(err, &ex) || ex.OriginalStatusCode != 500 {
		t.Errorf("default original status: %v", err)
	}
	// On a non-streaming operation the exception becomes the matching error response.
	resp = post(t, srv.Client(), srv.URL, claude, "invoke", claudeBody("[[mock exception=throttlingException]]"))
	if name, status, _ := apiError(t, resp); name != "ThrottlingException" || status != 429 {
		t.Errorf("invoke with exception directive: %s %d", name, status)
	}
}

func TestStatusDirective(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	tests := []struct {
		directive, attempt string
		name               string
		status             int
	}{
		{"status=429 error=ThrottlingException", "", "ThrottlingException", 429},
		{"status=503", "", "ServiceUnavailableException", 503},
		{"error=ModelNotReadyException", "", "ModelNotReadyException", 429},
		{`status=400 error=ValidationException message="bad input"`, "", "ValidationException", 400},
		{"status=500 error=InternalServerException fail-attempts=2", "attempt=1; max=3", "InternalServerException", 500},
		{"status=500 error=InternalServerException fail-attempts=2", "attempt=2; max=3", "InternalServerException", 500},
		{"status=500 error=InternalServerException fail-attempts=2", "attempt=3; max=3", "", 200},
	}
	for _, tt := range tests {
		resp := post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeBody("hi [[mock "+tt.directive+"]]"),
			"Amz-Sdk-Request", tt.attempt)
		if tt.status == 200 {
			evs, complete, err := readStream(t, resp)
			if err != nil || !complete || joinText(t, bedrock.FamilyClaude, evs) != "hi" {
				t.Errorf("%s %s: %v", tt.directive, tt.attempt, err)
			}
			continue
		}
		name, status, msg := apiError(t, resp)
		if name != tt.name || status != tt.status || msg == "" {
			t.Errorf("%s %s: %s %d %q", tt.directive, tt.attempt, name, status, msg)
		}
	}
	// A bad directive is the caller's mistake: a ValidationException that says why.
	resp := post(t, c, srv.URL, claude, "converse", converseBody("[[mock exception=x afterwards=2]]"))
	if name, status, msg := apiError(t, resp); name != "ValidationException" || status != 400 || !strings.Contains(msg, "afterwards") {
		t.Errorf("bad directive: %s %d %q", name, status, msg)
	}
}

func TestCorruptDirective(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, tc := range []struct {
		op     string
		after  int
		frames int
	}{{"invoke-with-response-stream", 2, 2}, {"converse-stream", 0, 0}, {"converse-stream", 50, 5}} {
		body := "alpha beta gamma delta epsilon zeta [[mock corrupt after=" + strconv.Itoa(tc.after) + "]]"
		if tc.op == "converse-stream" {
			body = converseBody(body)
		} else {
			body = claudeBody(body)
		}
		resp := post(t, srv.Client(), srv.URL, claude, tc.op, body)
		evs, _, err := readStream(t, resp)
		var fe *eventstream.Error
		if !errors.Is(err, eventstream.ErrChecksum) || !errors.As(err, &fe) || fe.Field != "message crc" {
			t.Errorf("%s after=%d: err %v", tc.op, tc.after, err)
		}
		// A count past the end damages the last frame.
		if len(evs) != tc.frames {
			t.Errorf("%s after=%d: %d good frames, want %d", tc.op, tc.after, len(evs), tc.frames)
		}
	}
}

func TestTruncateDirective(t *testing.T) {
	logs := make(chan LogEntry, 10)
	srv := NewServer(Config{Log: func(e LogEntry) { logs <- e }})
	defer srv.Close()
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"http1", srv.Client()}, {"h2c", h2cClient()}} {
		t.Run(c.name, func(t *testing.T) {
			const words = "one two three four five six seven"
			all := (&bedrock.Reply{Blocks: []bedrock.Block{{Text: words}}}).ChunkCount(bedrock.FamilyClaude)
			// A count past the end cuts the last frame.
			for _, after := range []int{3, 100} {
				resp := post(t, c.client, srv.URL, claude, "invoke-with-response-stream",
					claudeBody(words+" [[mock truncate after="+strconv.Itoa(after)+"]]"))
				r := bedrock.NewReader(resp.Body)
				n := 0
				var err error
				for ; err == nil; n++ {
					_, err = r.Next()
				}
				n--
				resp.Body.Close()
				want := min(after, all-1)
				if n != want || err == io.EOF || err == nil {
					t.Errorf("after=%d: %d frames then %v; want %d then a cut-off error", after, n, err, want)
				}
				if e := <-logs; !e.Aborted || e.Frames != want+1 || !strings.HasSuffix(e.String(), " aborted") {
					t.Errorf("after=%d: log entry %+v", after, e)
				}
			}
		})
	}
	// Non-streaming: half the JSON body, then the connection is cut.
	resp := post(t, srv.Client(), srv.URL, claude, "invoke", claudeBody("x [[mock truncate]]"))
	_, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Error("invoke with truncate: body read without error")
	}
}

func TestDelayDirectives(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	start := time.Now()
	resp := post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody("a b c d e f g [[mock delay=500ms]]"))
	// The headers come at once; the first frame after the delay.
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Errorf("headers after %v", d)
	}
	r := bedrock.NewReader(resp.Body)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("first frame after %v, want at least 500ms", d)
	}
	resp.Body.Close()

	start = time.Now()
	resp = post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody("a b c d e f g [[mock chunk-delay=30ms]]"))
	evs, _, err := readStream(t, resp)
	if err != nil {
		t.Fatal(err)
	}
	if d, want := time.Since(start), time.Duration(len(evs)-1)*30*time.Millisecond; d < want {
		t.Errorf("%d frames in %v, want at least %v", len(evs), d, want)
	}
}
