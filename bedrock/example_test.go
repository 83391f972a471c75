package bedrock_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/framewire/eventstream/bedrock"
)

// A handler that streams a Claude reply the way InvokeModelWithResponseStream does.
func claudeHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", bedrock.ContentType)
	w.Header().Set("X-Amzn-Bedrock-Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bedrock.NewWriter(w) // flushes each frame: w is an http.Flusher
	reply := &bedrock.Reply{
		Blocks: []bedrock.Block{{Text: "Hello from a test double."}},
		Usage:  bedrock.Usage{InputTokens: 12, OutputTokens: 6},
	}
	for chunk := range reply.Chunks(bedrock.FamilyClaude) {
		if err := bw.WriteChunk(chunk); err != nil {
			return // the client went away
		}
	}
}

// Reading a stream from an http.Response.
func ExampleReadResponse() {
	srv := httptest.NewServer(http.HandlerFunc(claudeHandler))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/model/anthropic.claude-3-haiku-20240307-v1:0/invoke-with-response-stream", "application/json", strings.NewReader(`{}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	r, err := bedrock.ReadResponse(resp) // an *APIError for a non-2xx status
	if err != nil {
		panic(err)
	}
	var text strings.Builder
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err) // an *Exception, *StreamError, *FormatError or a transport error
		}
		delta, err := bedrock.TextDelta(bedrock.FamilyOf("anthropic.claude-3-haiku-20240307-v1:0"), ev.Payload)
		if err != nil {
			panic(err)
		}
		text.WriteString(delta)
	}
	m, _ := r.InvocationMetrics()
	fmt.Println(text.String())
	fmt.Println("complete:", r.Complete(), "output tokens:", m.OutputTokenCount)
	// Output:
	// Hello from a test double.
	// complete: true output tokens: 6
}

// Writing a ConverseStream response from an http.HandlerFunc, and an exception in the middle
// of a stream.
func ExampleWriter() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", bedrock.ContentType)
		bw := bedrock.NewWriter(w)
		reply := &bedrock.Reply{Blocks: []bedrock.Block{{Text: "Half an answer"}}}
		n := 0
		for typ, ev := range reply.ConverseEvents() {
			if n == 2 {
				break
			}
			bw.WriteEvent(typ, ev)
			n++
		}
		bw.WriteException(&bedrock.Exception{Type: bedrock.ThrottlingException, Message: "Too many tokens, please wait before trying again."})
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/model/amazon.nova-lite-v1:0/converse-stream", "application/json", strings.NewReader(`{}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	r, err := bedrock.ReadResponse(resp)
	if err != nil {
		panic(err)
	}
	for {
		ev, err := r.Next()
		var ex *bedrock.Exception
		if errors.As(err, &ex) {
			fmt.Println("exception:", ex.Type, "-", ex.Message)
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s\n", ev.Type, ev.Payload)
	}
	fmt.Println("complete:", r.Complete())
	// Output:
	// messageStart {"role":"assistant"}
	// contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"Half an answer"}}
	// exception: throttlingException - Too many tokens, please wait before trying again.
	// complete: false
}

// A server validates requests before streaming, and answers errors as the service does.
func ExampleValidateRequest() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, bedrock.MaxBodyLen+1))
		if err := bedrock.ValidateRequest(bedrock.OpInvokeWithResponseStream, r.PathValue("model"), r.Header, body); err != nil {
			bedrock.WriteAPIError(w, err)
			return
		}
		claudeHandler(w, r)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /model/{model}/invoke-with-response-stream", handler)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/model/anthropic.claude-v2/invoke-with-response-stream", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-Bedrock-Trace", "ON")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_, err = bedrock.ReadResponse(resp)
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	fmt.Println(err)
	// Output:
	// 400 ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/
	// bedrock: ValidationException (400): 1 validation error detected: Value 'ON' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]
}
