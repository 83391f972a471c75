package bedrocktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

const claude = "anthropic.claude-3-haiku-20240307-v1:0"

// claudeBody is an Anthropic messages request asking prompt.
func claudeBody(prompt string) string {
	b, _ := json.Marshal(map[string]any{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        256,
		"messages": []any{
			map[string]any{"role": "user", "content": "an earlier turn"},
			map[string]any{"role": "assistant", "content": "ok"},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": prompt}}},
		},
	})
	return string(b)
}

func converseBody(prompt string) string {
	b, _ := json.Marshal(map[string]any{
		"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"text": prompt}}}},
	})
	return string(b)
}

// post sends a request to the server at base for model and operation (the last path
// segment), the model ID escaped as the SDKs escape path labels.
func post(t testing.TB, c *http.Client, base, model, op, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/model/"+url.PathEscape(model)+"/"+op, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readStream reads a streamed response to its end and returns the events and the error
// that ended it (nil for a clean end).
func readStream(t testing.TB, resp *http.Response) ([]bedrock.Event, bool, error) {
	t.Helper()
	r, err := bedrock.ReadResponse(resp)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	var evs []bedrock.Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return evs, r.Complete(), nil
		}
		if err != nil {
			return evs, r.Complete(), err
		}
		ev.Payload = bytes.Clone(ev.Payload)
		evs = append(evs, ev)
	}
}

func joinText(t testing.TB, f bedrock.Family, evs []bedrock.Event) string {
	t.Helper()
	var b strings.Builder
	for _, ev := range evs {
		s, err := bedrock.TextDelta(f, ev.Payload)
		if err != nil {
			t.Fatalf("TextDelta(%s): %v", ev.Payload, err)
		}
		b.WriteString(s)
	}
	return b.String()
}

func TestInvokeStreamEchoEachFamily(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	const prompt = "Tell me, in a few words, why the sky is blue on a clear day?"
	tests := []struct {
		model string
		body  string
	}{
		{claude, claudeBody(prompt)},
		{"us.anthropic.claude-3-5-sonnet-20240620-v1:0", claudeBody(prompt)},
		{"amazon.titan-text-express-v1", `{"inputText":` + quote(prompt) + `}`},
		{"meta.llama3-8b-instruct-v1:0", `{"prompt":` + quote("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"+prompt+"<|eot_id|><|start_header_id|>assistant<|end_header_id|>") + `}`},
		{"mistral.mistral-7b-instruct-v0:2", `{"prompt":` + quote("<s>[INST] "+prompt+" [/INST]") + `}`},
		{"mistral.mistral-large-2407-v1:0", `{"messages":[{"role":"user","content":` + quote(prompt) + `}]}`},
		{"cohere.command-text-v14", `{"prompt":` + quote(prompt) + `}`},
		{"amazon.nova-lite-v1:0", `{"messages":[{"role":"user","content":[{"text":` + quote(prompt) + `}]}]}`},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0", `{"prompt":` + quote(prompt) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			resp := post(t, srv.Client(), srv.URL, tt.model, "invoke-with-response-stream", tt.body, "Accept-Encoding", "gzip")
			if got := resp.Header.Get("X-Amzn-Bedrock-Content-Type"); got != "application/json" {
				t.Errorf("X-Amzn-Bedrock-Content-Type = %q", got)
			}
			if got := resp.Header.Get("Content-Encoding"); got != "" {
				t.Errorf("Content-Encoding = %q, want none", got)
			}
			if len(resp.Header.Get("X-Amzn-Requestid")) != 36 {
				t.Errorf("x-amzn-RequestId = %q", resp.Header.Get("X-Amzn-Requestid"))
			}
			evs, complete, err := readStream(t, resp)
			if err != nil || !complete {
				t.Fatalf("stream: err %v, complete %v", err, complete)
			}
			for _, ev := range evs {
				if ev.Type != "chunk" {
					t.Errorf("event type %q, want chunk", ev.Type)
				}
			}
			fam := bedrock.FamilyOf(tt.model)
			if strings.Contains(tt.body, `"messages"`) && fam == bedrock.FamilyMistral {
				fam = bedrock.FamilyMistralChat
			}
			if got := joinText(t, fam, evs); got != prompt {
				t.Errorf("echo = %q, want %q", got, prompt)
			}
			m, ok := bedrock.ChunkMetrics(evs[len(evs)-1].Payload)
			if !ok || m.InputTokenCount != inputTokens([]byte(tt.body)) || m.InputTokenCount < tokens(prompt) || m.OutputTokenCount != tokens(prompt) || m.FirstByteLatency <= 0 {
				t.Errorf("invocation metrics = %+v, %v", m, ok)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestConverseStreamEcho(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	const prompt = "What is the capital of France? Answer briefly, please."
	resp := post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody("  "+prompt+" [[mock chunk-delay=1ms]]"))
	if got := resp.Header.Get("X-Amzn-Bedrock-Content-Type"); got != "" {
		t.Errorf("X-Amzn-Bedrock-Content-Type = %q on ConverseStream", got)
	}
	evs, complete, err := readStream(t, resp)
	if err != nil || !complete {
		t.Fatalf("stream: err %v, complete %v", err, complete)
	}
	var types []string
	for _, ev := range evs {
		if len(types) == 0 || types[len(types)-1] != ev.Type {
			types = append(types, ev.Type)
		}
	}
	want := "messageStart contentBlockDelta contentBlockStop messageStop metadata"
	if strings.Join(types, " ") != want {
		t.Errorf("events %v, want %s", types, want)
	}
	if got := joinText(t, bedrock.FamilyConverse, evs[1:len(evs)-3]); got != prompt {
		t.Errorf("echo = %q, want %q", got, prompt)
	}
	var meta struct {
		Usage struct{ InputTokens, OutputTokens, TotalTokens int }
	}
	if err := json.Unmarshal(evs[len(evs)-1].Payload, &meta); err != nil || meta.Usage.OutputTokens != tokens(prompt) ||
		meta.Usage.TotalTokens != meta.Usage.InputTokens+meta.Usage.OutputTokens {
		t.Errorf("metadata %s: %v", evs[len(evs)-1].Payload, err)
	}
}

func TestNonStreaming(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	const prompt = "Hello there, model"
	tests := []struct {
		model, op, body string
		text            func(m map[string]any) any
	}{
		{claude, "invoke", claudeBody(prompt), func(m map[string]any) any { return dig(m, "content", 0, "text") }},
		{"anthropic.claude-v2", "invoke", `{"prompt":"\n\nHuman: ` + prompt + `\n\nAssistant:"}`, func(m map[string]any) any { return m["completion"] }},
		{"amazon.titan-text-lite-v1", "invoke", `{"inputText":"` + prompt + `"}`, func(m map[string]any) any { return dig(m, "results", 0, "outputText") }},
		{"meta.llama3-70b-instruct-v1:0", "invoke", `{"prompt":"` + prompt + `"}`, func(m map[string]any) any { return m["generation"] }},
		{"mistral.mistral-7b-instruct-v0:2", "invoke", `{"prompt":"[INST] ` + prompt + ` [/INST]"}`, func(m map[string]any) any { return dig(m, "outputs", 0, "text") }},
		{"mistral.mistral-large-2402-v1:0", "invoke", `{"messages":[{"role":"user","content":"` + prompt + `"}]}`, func(m map[string]any) any { return dig(m, "choices", 0, "message", "content") }},
		{"cohere.command-r-v1:0", "invoke", `{"message":"` + prompt + `"}`, func(m map[string]any) any { return m["text"] }},
		{"cohere.command-light-text-v14", "invoke", `{"prompt":"` + prompt + `"}`, func(m map[string]any) any { return dig(m, "generations", 0, "text") }},
		{"amazon.nova-micro-v1:0", "invoke", `{"messages":[{"role":"user","content":[{"text":"` + prompt + `"}]}]}`, func(m map[string]any) any { return dig(m, "output", "message", "content", 0, "text") }},
		{claude, "converse", converseBody(prompt), func(m map[string]any) any { return dig(m, "output", "message", "content", 0, "text") }},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.op, func(t *testing.T) {
			resp := post(t, srv.Client(), srv.URL, tt.model, tt.op, tt.body)
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatal(err)
			}
			if got := tt.text(m); got != prompt {
				t.Errorf("reply text %v, want %q in %v", got, prompt, m)
			}
			if tt.op == "invoke" && resp.Header.Get("X-Amzn-Bedrock-Output-Token-Count") != "5" {
				t.Errorf("X-Amzn-Bedrock-Output-Token-Count = %q", resp.Header.Get("X-Amzn-Bedrock-Output-Token-Count"))
			}
		})
	}
}

// dig walks maps by key and slices by index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func apiError(t testing.TB, resp *http.Response) (string, int, string) {
	t.Helper()
	defer resp.Body.Close()
	var body struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&body)
	name, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return name, resp.StatusCode, body.Message
}

func TestRouting(t *testing.T) {
	var mu sync.Mutex
	var logs []LogEntry
	srv := NewServer(Config{Log: func(e LogEntry) { mu.Lock(); logs = append(logs, e); mu.Unlock() }})
	defer srv.Close()
	c := srv.Client()

	// An ARN carries ':' and '/', escaped in the path label.
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"
	resp := post(t, c, srv.URL, arn, "invoke", claudeBody("hi"))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("ARN model: status %d", resp.StatusCode)
	}
	for _, path := range []string{"/model/x/unknown", "/model/invoke", "/", "/models/x/invoke"} {
		resp, err := c.Post(srv.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if name, status, _ := apiError(t, resp); status != 404 || name != "UnknownOperationException" {
			t.Errorf("POST %s: %d %s", path, status, name)
		}
	}
	resp, err := c.Get(srv.URL + "/model/" + claude + "/invoke")
	if err != nil {
		t.Fatal(err)
	}
	if _, status, _ := apiError(t, resp); status != 404 {
		t.Errorf("GET: status %d", status)
	}
	// Validation comes from the bedrock package: a bad trace header, a non-JSON body.
	resp = post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeBody("x"), "X-Amzn-Bedrock-Trace", "LOUD")
	if name, status, _ := apiError(t, resp); status != 400 || name != "ValidationException" {
		t.Errorf("bad trace: %d %s", status, name)
	}
	resp = post(t, c, srv.URL, claude, "converse-stream", "not json")
	if name, status, _ := apiError(t, resp); status != 400 || name != "ValidationException" {
		t.Errorf("bad body: %d %s", status, name)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Error("error response without x-amzn-RequestId")
	}

	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 8 {
		t.Fatalf("%d log entries, want 8", len(logs))
	}
	if e := logs[0]; e.Model != arn || e.Operation != "InvokeModel" || e.Status != 200 || e.Method != "POST" {
		t.Errorf("log entry %+v", e)
	}
	if s := logs[0].String(); !strings.HasPrefix(s, "POST InvokeModel model="+arn+" status=200 frames=0 duration=") {
		t.Errorf("log line %q", s)
	}
}

func TestLogCountsFrames(t *testing.T) {
	entries := make(chan LogEntry, 1)
	srv := NewServer(Config{Log: func(e LogEntry) { entries <- e }})
	defer srv.Close()
	resp := post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody("one two three four five six seven"))
	evs, _, err := readStream(t, resp)
	if err != nil {
		t.Fatal(err)
	}
	e := <-entries
	if e.Frames != len(evs) || e.Status != 200 || e.Operation != "ConverseStream" || e.Model != claude || e.Proto != "HTTP/1.1" {
		t.Errorf("log entry %+v, frames read %d", e, len(evs))
	}
}

// h2cClient speaks HTTP/2 with prior knowledge over plain TCP, as Node's http2 module does.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

func TestH2CAndHTTP1OnOnePort(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, c := range []struct {
		name   string
		client *http.Client
		major  int
	}{{"http1", srv.Client(), 1}, {"h2c", h2cClient(), 2}} {
		t.Run(c.name, func(t *testing.T) {
			resp := post(t, c.client, srv.URL, claude, "invoke-with-response-stream", claudeBody("over the wire"))
			if resp.ProtoMajor != c.major {
				t.Errorf("protocol %s", resp.Proto)
			}
			evs, complete, err := readStream(t, resp)
			if err != nil || !complete || joinText(t, bedrock.FamilyClaude, evs) != "over the wire" {
				t.Errorf("err %v complete %v", err, complete)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := NewTLSServer(Config{})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL)
	}
	pemData, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("CA file holds no certificate")
	}
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	for _, c := range []struct {
		name   string
		client *http.Client
		major  int
	}{{"http1", h1, 1}, {"h2-alpn", h2, 2}, {"Client", srv.Client(), 2}} {
		t.Run(c.name, func(t *testing.T) {
			resp := post(t, c.client, srv.URL, claude, "converse-stream", converseBody("secure"))
			if resp.ProtoMajor != c.major {
				t.Errorf("protocol %s", resp.Proto)
			}
			if _, complete, err := readStream(t, resp); err != nil || !complete {
				t.Errorf("err %v complete %v", err, complete)
			}
		})
	}
	// TLS 1.2 only with the cipher suites HTTP/2 permits, whatever the protocol.
	for _, c := range []struct {
		name string
		cfg  *tls.Config
		ok   bool
	}{
		{"TLS 1.2 with AES-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, true},
		{"TLS 1.2 with CBC", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, false},
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.RootCAs = pool
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: c.cfg, ForceAttemptHTTP2: true}}
			req, _ := http.NewRequest("POST", srv.URL+"/model/"+claude+"/converse", strings.NewReader(converseBody("hi")))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if !c.ok {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("served %s", resp.Proto)
				}
				if !strings.Contains(err.Error(), "tls: ") {
					t.Errorf("refused, but not by TLS: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.TLS.Version != tls.VersionTLS12 {
				t.Errorf("status %d, %s, TLS version %x", resp.StatusCode, resp.Proto, resp.TLS.Version)
			}
		})
	}
	// localhost is in the certificate too.
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	resp := post(t, h2, u, claude, "converse", converseBody("by name"))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("localhost: status %d", resp.StatusCode)
	}
	ca := srv.CAFile
	srv.Close()
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Errorf("CA file left after Close: %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	h := NewHandler(Config{})
	for _, known := range []bool{true, false} {
		body := &countingReader{limit: 2 * MaxBodyBytes}
		req, _ := http.NewRequest("POST", "/model/"+claude+"/invoke", body)
		req.Header.Set("Content-Type", "application/json")
		if known {
			req.ContentLength = MaxBodyBytes + 1
		} else {
			req.ContentLength = -1
		}
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		name := rec.Header().Get("X-Amzn-Errortype")
		if rec.code != 400 || !strings.HasPrefix(name, "ValidationException:") {
			t.Errorf("known length %v: %d %s", known, rec.code, name)
		}
		if known && body.n != 0 {
			t.Errorf("read %d bytes of a body announced too large", body.n)
		}
		if !known && body.n > MaxBodyBytes+64<<10 {
			t.Errorf("read %d bytes of an unbounded body", body.n)
		}
	}
	// Exactly the limit is fine as far as size goes (it is not JSON, so it fails later).
	body := &countingReader{limit: MaxBodyBytes}
	req, _ := http.NewRequest("POST", "/model/"+claude+"/invoke", body)
	req.Header.Set("Content-Type", "application/json")
	rec := newRecorder()
	h.ServeHTTP(rec, req)
	if body.n != MaxBodyBytes {
		t.Errorf("read %d of a body at the limit", body.n)
	}
}

type countingReader struct{ n, limit int }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, io.EOF
	}
	p = p[:min(len(p), c.limit-c.n)]
	for i := range p {
		p[i] = ' '
	}
	c.n += len(p)
	return len(p), nil
}

// recorder is a minimal ResponseWriter for handler-level tests.
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func TestCloseEndsStreams(t *testing.T) {
	done := make(chan LogEntry, 1)
	srv := NewServer(Config{Log: func(e LogEntry) { done <- e }})
	resp := post(t, srv.Client(), srv.URL, claude, "invoke-with-response-stream", claudeBody("slow [[mock chunk-delay=1h]]"))
	defer resp.Body.Close()
	r := bedrock.NewReader(resp.Body)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	select {
	case e := <-done:
		if e.Frames != 1 {
			t.Errorf("frames %d, want 1", e.Frames)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still running after Close")
	}
}

func TestClientDisconnectFreesHandler(t *testing.T) {
	for _, proto := range []string{"http1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			done := make(chan LogEntry, 1)
			srv := NewServer(Config{Log: func(e LogEntry) { done <- e }})
			defer srv.Close()
			c := srv.Client()
			if proto == "h2c" {
				c = h2cClient()
			}
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/model/"+claude+"/converse-stream",
				strings.NewReader(converseBody("a b c d e f g h i j k l m n o p [[mock chunk-delay=1h]]")))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := bedrock.NewReader(resp.Body)
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
			cancel()
			select {
			case e := <-done:
				if e.Frames != 1 {
					t.Errorf("frames %d", e.Frames)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("handler still running 5s after the client went away")
			}
			c.CloseIdleConnections()
		})
	}
}
