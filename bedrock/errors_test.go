package bedrock

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// apiErrors is SPEC section 7's table of errors before the stream.
var apiErrors = []struct {
	name   string
	status int
}{
	{"ValidationException", 400},
	{"ServiceQuotaExceededException", 400},
	{"AccessDeniedException", 403},
	{"ResourceNotFoundException", 404},
	{"ModelTimeoutException", 408},
	{"ModelErrorException", 424},
	{"ModelStreamErrorException", 424},
	{"ThrottlingException", 429},
	{"ModelNotReadyException", 429},
	{"InternalServerException", 500},
	{"ServiceUnavailableException", 503},
}

func TestNewAPIError(t *testing.T) {
	for _, tc := range apiErrors {
		e := NewAPIError(tc.name, "m")
		if e.Name != tc.name || e.StatusCode != tc.status || e.Message != "m" {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
	if e := NewAPIError("SomethingNewException", "m"); e.StatusCode != 400 {
		t.Errorf("unknown name: %d", e.StatusCode)
	}
	if got, want := NewAPIError(ErrThrottling, "slow").Error(), "bedrock: ThrottlingException (429): slow"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWriteAPIError(t *testing.T) {
	for _, tc := range apiErrors {
		rec := httptest.NewRecorder()
		WriteAPIError(rec, NewAPIError(tc.name, `Bad "thing" <here>`))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d", tc.name, res.StatusCode)
		}
		if got, want := res.Header.Get("x-amzn-ErrorType"), tc.name+":http://internal.amazon.com/coral/com.amazon.bedrock/"; got != want {
			t.Errorf("%s: x-amzn-ErrorType %q", tc.name, got)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		if got, want := string(body), `{"message":"Bad \"thing\" \u003chere\u003e"}`; got != want {
			t.Errorf("%s: body %s, want %s", tc.name, got, want)
		}
		// And back: ReadResponse rebuilds the same error.
		_, err := ReadResponse(&http.Response{StatusCode: res.StatusCode, Header: res.Header, Body: io.NopCloser(strings.NewReader(string(body)))})
		var ae *APIError
		if !errors.As(err, &ae) || *ae != (APIError{Name: tc.name, Message: `Bad "thing" <here>`, StatusCode: tc.status}) {
			t.Errorf("%s: ReadResponse gave %#v", tc.name, err)
		}
	}
	rec := httptest.NewRecorder()
	WriteAPIError(rec, &APIError{Name: "X", Message: "m"})
	if rec.Code != 400 {
		t.Errorf("zero status written as %d", rec.Code)
	}
}

func TestReadResponseErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   APIError
	}{
		{"header wins", 429, http.Header{"X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}, `{"message":"slow","__type":"Other"}`,
			APIError{"ThrottlingException", "slow", 429}},
		{"body __type with namespace", 403, http.Header{}, `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"no"}`,
			APIError{"AccessDeniedException", "no", 403}},
		{"body code", 404, http.Header{}, `{"code":"ResourceNotFoundException","message":"gone"}`, APIError{"ResourceNotFoundException", "gone", 404}},
		{"nothing but a status", 502, http.Header{}, `<html>Bad Gateway</html>`, APIError{"HTTP502", "<html>Bad Gateway</html>", 502}},
		{"empty body", 500, http.Header{"X-Amzn-Errortype": {"InternalServerException"}}, ``, APIError{"InternalServerException", "", 500}},
	} {
		_, err := ReadResponse(&http.Response{StatusCode: tc.status, Header: tc.header, Body: io.NopCloser(strings.NewReader(tc.body))})
		var ae *APIError
		if !errors.As(err, &ae) || *ae != tc.want {
			t.Errorf("%s: got %#v, want %#v", tc.name, err, tc.want)
		}
	}
}

func TestReadResponseContentType(t *testing.T) {
	for _, tc := range []struct {
		ct string
		ok bool
	}{
		{"application/vnd.amazon.eventstream", true},
		{"application/vnd.amazon.eventstream; charset=binary", true},
		{"application/json", false},
		{"", false},
		{"text/html; x", false},
	} {
		r, err := ReadResponse(&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {tc.ct}}, Body: io.NopCloser(strings.NewReader(""))})
		if tc.ok != (err == nil) || tc.ok != (r != nil) {
			t.Errorf("%q: %v", tc.ct, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "bedrock: response content type") {
			t.Errorf("%q: message %q", tc.ct, err)
		}
	}
	// A 2xx body with no frames is a clean end that is not complete.
	r, _ := ReadResponse(&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ContentType}}, Body: io.NopCloser(strings.NewReader(""))})
	if _, err := r.Next(); err != io.EOF || r.Complete() {
		t.Errorf("empty body: %v, Complete %v", err, r.Complete())
	}
	// A body that fails while an error is read.
	_, err := ReadResponse(&http.Response{StatusCode: 500, Header: http.Header{}, Body: io.NopCloser(&errReader{errors.New("reset")})})
	if err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("failing error body: %v", err)
	}
}

// TestStreamExceptions checks the exception members of each operation against the
// service model's unions, copied here from botocore's bedrock-runtime 2023-09-30.
func TestStreamExceptions(t *testing.T) {
	for op, want := range map[Operation]string{
		OpInvokeWithResponseStream:      "internalServerException modelStreamErrorException validationException throttlingException modelTimeoutException serviceUnavailableException",
		OpConverseStream:                "internalServerException modelStreamErrorException validationException throttlingException serviceUnavailableException",
		OpInvokeWithBidirectionalStream: "internalServerException modelStreamErrorException validationException throttlingException modelTimeoutException serviceUnavailableException",
		OpInvoke:                        "",
		OpConverse:                      "",
	} {
		if got := strings.Join(StreamExceptions(op), " "); got != want {
			t.Errorf("%s: %s, want %s", op, got, want)
		}
	}
}
