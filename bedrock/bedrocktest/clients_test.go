package bedrocktest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// TestRetriesWithoutSDKHeader checks fail-attempts with a client that sends no
// Amz-Sdk-Request header: the server counts the attempts of the same request.
func TestRetriesWithoutSDKHeader(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	send := func(prompt string, hdr ...string) int {
		t.Helper()
		resp := post(t, c, srv.URL, claude, "invoke", claudeBody(prompt), hdr...)
		resp.Body.Close()
		return resp.StatusCode
	}
	const flaky = "flaky [[mock status=503 fail-attempts=2]]"
	for i, want := range []int{503, 503, 200, 503} { // the count starts over after a success
		if got := send(flaky); got != want {
			t.Errorf("attempt %d: %d, want %d", i+1, got, want)
		}
	}
	if got := send("another body " + flaky); got != 503 {
		t.Errorf("another body: %d, want 503 (its first attempt)", got)
	}
	if got := send(flaky, "Amz-Sdk-Request", "attempt=3; max=3"); got != 200 {
		t.Errorf("attempt told by the SDK header: %d, want 200", got)
	}
	resp := post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeBody("third"+flaky))
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("same body, other operation: %d, want 503", resp.StatusCode)
	}
}

func TestAttemptTable(t *testing.T) {
	var a attempts
	t0 := time.Now()
	k := attemptKeyOf("InvokeModel", "m", []byte("body"))
	for i, at := range []time.Duration{0, 59 * time.Second, 118 * time.Second} {
		if n := a.next(k, t0.Add(at)); n != i+1 {
			t.Errorf("attempt at %v: %d, want %d", at, n, i+1)
		}
	}
	if n := a.next(k, t0.Add(118*time.Second+attemptWindow+time.Second)); n != 1 {
		t.Errorf("after the window: attempt %d, want 1", n)
	}
	if attemptKeyOf("InvokeModel", "m", []byte("body")) == attemptKeyOf("Converse", "m", []byte("body")) {
		t.Error("operations share a key")
	}
	// The table stays bounded, however many distinct requests come.
	for i := range maxAttemptEntries + 50 {
		a.next(attemptKeyOf("InvokeModel", "m", []byte{byte(i), byte(i >> 8), byte(i >> 16)}), t0)
	}
	if n := a.len(); n > maxAttemptEntries {
		t.Errorf("%d entries, want at most %d", n, maxAttemptEntries)
	}
}

// TestInvokeWithoutContentType checks that a body without Content-Type is read as JSON on
// the InvokeModel operations, as botocore sends it when contentType is left out.
func TestInvokeWithoutContentType(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, op := range []string{"invoke", "invoke-with-response-stream"} {
		for _, ct := range []string{"", "text/plain"} {
			req, _ := http.NewRequest("POST", srv.URL+"/model/"+claude+"/"+op, strings.NewReader(claudeBody("no type")))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if want := map[string]int{"": 200, "text/plain": 400}[ct]; resp.StatusCode != want {
				t.Errorf("%s with Content-Type %q: %d, want %d", op, ct, resp.StatusCode, want)
			}
		}
	}
}

// TestExceptionDirectiveByOperation checks that exception= names only what the operation
// can send.
func TestExceptionDirectiveByOperation(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	for _, tc := range []struct {
		op, body, exception string
		want                string // the allowed list in the ValidationException, or "" for accepted
	}{
		{"converse-stream", "", "modelTimeoutException", "ConverseStream can send internalServerException, modelStreamErrorException, validationException, throttlingException, serviceUnavailableException"},
		{"converse-stream", "", "nope", "ConverseStream can send internalServerException, modelStreamErrorException, validationException, throttlingException, serviceUnavailableException"},
		{"invoke-with-response-stream", "", "nope", "InvokeModelWithResponseStream can send internalServerException, modelStreamErrorException, validationException, throttlingException, modelTimeoutException, serviceUnavailableException"},
		{"invoke", "", "modelStreamErrorException", "InvokeModel can send internalServerException, validationException, throttlingException, modelTimeoutException, serviceUnavailableException"},
		{"converse", "", "ThrottlingException", "Converse can send internalServerException, validationException, throttlingException, modelTimeoutException, serviceUnavailableException"},
		{"invoke-with-response-stream", "", "modelTimeoutException", ""},
		{"converse-stream", "", "modelStreamErrorException", ""},
	} {
		body := claudeBody("x [[mock exception=" + tc.exception + "]]")
		if strings.HasPrefix(tc.op, "converse") {
			body = converseBody("x [[mock exception=" + tc.exception + "]]")
		}
		resp := post(t, c, srv.URL, claude, tc.op, body)
		if tc.want == "" {
			_, _, err := readStream(t, resp)
			var ex *bedrock.Exception
			if resp.StatusCode != 200 || !errors.As(err, &ex) || ex.Type != tc.exception {
				t.Errorf("%s exception=%s: %d, %v", tc.op, tc.exception, resp.StatusCode, err)
			}
			continue
		}
		name, status, msg := apiError(t, resp)
		if status != 400 || name != "ValidationException" || !strings.HasSuffix(msg, tc.want) || !strings.Contains(msg, "exception="+tc.exception) {
			t.Errorf("%s exception=%s: %d %s %q", tc.op, tc.exception, status, name, msg)
		}
	}
}
