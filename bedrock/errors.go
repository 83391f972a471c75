package bedrock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Exception member names, as they appear in the ":exception-type" header of an exception
// frame: the camelCase names of the error members of the ResponseStream and
// ConverseStreamOutput unions.
const (
	InternalServerException     = "internalServerException"
	ModelStreamErrorException   = "modelStreamErrorException"
	ModelTimeoutException       = "modelTimeoutException"
	ServiceUnavailableException = "serviceUnavailableException"
	ThrottlingException         = "throttlingException"
	ValidationException         = "validationException"
)

// StreamExceptions returns the exception members that the response stream of op can carry,
// in the order of the service model (botocore's bedrock-runtime 2023-09-30): the error
// members of ResponseStream for InvokeModelWithResponseStream, of ConverseStreamOutput for
// ConverseStream, of InvokeModelWithBidirectionalStreamOutput for
// InvokeModelWithBidirectionalStream; nil for an operation without a response stream. The
// slice is the caller's.
func StreamExceptions(op Operation) []string {
	switch op {
	case OpInvokeWithResponseStream, OpInvokeWithBidirectionalStream:
		return []string{InternalServerException, ModelStreamErrorException, ValidationException,
			ThrottlingException, ModelTimeoutException, ServiceUnavailableException}
	case OpConverseStream:
		return []string{InternalServerException, ModelStreamErrorException, ValidationException,
			ThrottlingException, ServiceUnavailableException}
	}
	return nil
}

// An Exception is an exception frame (":message-type" exception) of a response stream. The
// service ends the stream after it. [Reader.Next] returns it as an error; test its kind with
// errors.As and the Type field:
//
//	var ex *bedrock.Exception
//	if errors.As(err, &ex) && ex.Type == bedrock.ThrottlingException { ... }
type Exception struct {
	Type               string // the ":exception-type" as sent, for example "throttlingException"
	Message            string // the payload's "message"
	OriginalStatusCode int    // modelStreamErrorException only: the model's HTTP status (0 otherwise)
	OriginalMessage    string // modelStreamErrorException only: the model's own message
}

func (e *Exception) Error() string {
	s := "bedrock: " + e.Type
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.OriginalStatusCode != 0 || e.OriginalMessage != "" {
		s += " (original status " + strconv.Itoa(e.OriginalStatusCode)
		if e.OriginalMessage != "" {
			s += ": " + e.OriginalMessage
		}
		s += ")"
	}
	return s
}

// A StreamError is an error frame (":message-type" error) of a response stream, carrying its
// ":error-code" and ":error-message" headers. Services send it for failures that are not
// modelled exceptions. [Reader.Next] returns it as an error.
type StreamError struct {
	Code    string
	Message string
}

func (e *StreamError) Error() string {
	return "bedrock: stream error " + e.Code + ": " + e.Message
}

// A FormatError reports a frame that is a well-formed event stream frame but not a valid
// Bedrock event: a missing or mistyped ":message-type", ":event-type" or ":exception-type"
// header, a chunk whose "bytes" is not base64, a payload that is not the expected JSON.
type FormatError struct {
	Offset int64  // stream offset of the frame
	Detail string // what is wrong
	Err    error  // the underlying error, if any (for example a base64.CorruptInputError)
}

func (e *FormatError) Error() string {
	s := "bedrock: frame at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// An APIError is an error the service returns before any stream starts: an ordinary HTTP
// response with a JSON body {"message":"..."} and the error's name in the x-amzn-ErrorType
// header.
type APIError struct {
	Name       string // for example "ValidationException", "ThrottlingException"
	Message    string
	StatusCode int
}

func (e *APIError) Error() string {
	return "bedrock: " + e.Name + " (" + strconv.Itoa(e.StatusCode) + "): " + e.Message
}

// Names of the errors the service returns before a stream starts, with their HTTP status.
const (
	ErrValidation           = "ValidationException"           // 400
	ErrServiceQuotaExceeded = "ServiceQuotaExceededException" // 400
	ErrAccessDenied         = "AccessDeniedException"         // 403
	ErrResourceNotFound     = "ResourceNotFoundException"     // 404
	ErrModelTimeout         = "ModelTimeoutException"         // 408
	ErrModelError           = "ModelErrorException"           // 424
	ErrModelStreamError     = "ModelStreamErrorException"     // 424
	ErrThrottling           = "ThrottlingException"           // 429
	ErrModelNotReady        = "ModelNotReadyException"        // 429
	ErrInternalServer       = "InternalServerException"       // 500
	ErrServiceUnavailable   = "ServiceUnavailableException"   // 503
)

var apiStatus = map[string]int{
	ErrValidation:           http.StatusBadRequest,
	ErrServiceQuotaExceeded: http.StatusBadRequest,
	ErrAccessDenied:         http.StatusForbidden,
	ErrResourceNotFound:     http.StatusNotFound,
	ErrModelTimeout:         http.StatusRequestTimeout,
	ErrModelError:           http.StatusFailedDependency,
	ErrModelStreamError:     http.StatusFailedDependency,
	ErrThrottling:           http.StatusTooManyRequests,
	ErrModelNotReady:        http.StatusTooManyRequests,
	ErrInternalServer:       http.StatusInternalServerError,
	ErrServiceUnavailable:   http.StatusServiceUnavailable,
}

// NewAPIError returns the error name with the HTTP status the service uses for it
// (ValidationException and ServiceQuotaExceededException 400, AccessDeniedException 403,
// ResourceNotFoundException 404, ModelTimeoutException 408, ModelErrorException and
// ModelStreamErrorException 424, ThrottlingException and ModelNotReadyException 429,
// InternalServerException 500, ServiceUnavailableException 503). Unknown names get 400.
func NewAPIError(name, message string) *APIError {
	status, ok := apiStatus[name]
	if !ok {
		status = http.StatusBadRequest
	}
	return &APIError{Name: name, Message: message, StatusCode: status}
}

// errorTypeSuffix follows the error name in the x-amzn-ErrorType header.
const errorTypeSuffix = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

// WriteAPIError writes e as the service does: e.StatusCode (400 if zero), Content-Type
// application/json, x-amzn-ErrorType "<Name>:http://internal.amazon.com/coral/com.amazon.bedrock/"
// and the body {"message":"..."}. It must be called before anything else is written to w.
func WriteAPIError(w http.ResponseWriter, e *APIError) {
	status := e.StatusCode
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", e.Name+errorTypeSuffix)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// parseAPIError builds an APIError from a non-2xx response's status, x-amzn-ErrorType
// header and JSON body, the way the AWS SDKs do: the header's name wins, then the body's
// "__type" or "code"; everything after a ':' or '#' is namespace, not name.
func parseAPIError(status int, h http.Header, body []byte) *APIError {
	var doc struct {
		Message string `json:"message"`
		Type    string `json:"__type"`
		Code    string `json:"code"`
	}
	_ = json.Unmarshal(body, &doc) // a body that is not JSON leaves the message empty
	name := h.Get("X-Amzn-Errortype")
	if name == "" {
		name = doc.Type
	}
	if name == "" {
		name = doc.Code
	}
	name = sanitizeErrorName(name)
	if name == "" {
		name = fmt.Sprintf("HTTP%d", status)
	}
	msg := doc.Message
	if msg == "" && !json.Valid(body) {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 512 {
			msg = msg[:512]
		}
	}
	return &APIError{Name: name, Message: msg, StatusCode: status}
}

func sanitizeErrorName(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}
