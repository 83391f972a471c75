package bedrocktest

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEveryErrorIsServiceShaped checks the answers that neither an operation nor net/http's
// malformed-request path gives: "OPTIONS *", which net/http would answer itself with an empty
// 200, and the journal's own errors. Each is JSON with x-amzn-ErrorType and a request ID.
func TestEveryErrorIsServiceShaped(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, tt := range []struct {
		raw    string
		status int
		name   string
		msg    string
	}{
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, "UnknownOperationException", "no operation at OPTIONS *"},
		{"PUT " + JournalPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "UnknownOperationException", "takes GET or DELETE"},
		{"POST " + JournalPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "UnknownOperationException", "takes GET or DELETE"},
		{"GET " + JournalPath + "?model=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "ValidationException", "malformed query"},
		{"GET " + JournalPath + "?models=x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "ValidationException", `unknown query parameter "models"`},
	} {
		c := dial(t, srv)
		io.WriteString(c, tt.raw)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", tt.raw, err)
		}
		name, status, msg := apiError(t, resp)
		if status != tt.status || name != tt.name || !strings.Contains(msg, tt.msg) ||
			resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("%q: %d %q %q %v; want %d %s with %q", tt.raw, status, name, msg, resp.Header, tt.status, tt.name, tt.msg)
		}
		if status == 405 && resp.Header.Get("Allow") != "GET, HEAD, DELETE" {
			t.Errorf("%q: Allow %q", tt.raw, resp.Header.Get("Allow"))
		}
	}
}
