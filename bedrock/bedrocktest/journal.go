package bedrocktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// Journal limits.
const (
	// DefaultJournalSize is how many requests the journal keeps when Config.JournalSize is 0.
	DefaultJournalSize = 1000
	// MaxJournalBody is how much of each request body the journal keeps.
	MaxJournalBody = 1 << 20
	// MaxJournalBytes bounds the request bodies the journal holds in all: when a new entry
	// would take them past it, the oldest entries are dropped even if fewer than the
	// journal's size are kept.
	MaxJournalBytes = 64 << 20
)

// JournalPath is the path of the journal over HTTP: GET returns the recorded requests as a
// JSON array of [Request], oldest first (the query parameters "operation" and "model", when
// given, keep only the requests whose operation or model ID equals them); DELETE empties the
// journal and answers 204. Requests to it are not authenticated and not recorded. No Bedrock
// Runtime path starts with "/_mock/".
const JournalPath = "/_mock/requests"

// How a request ended, in [Request].End.
const (
	EndComplete  = "complete"  // the whole response was sent
	EndError     = "error"     // an error response (status 4xx or 5xx) was sent
	EndException = "exception" // the stream ended with an exception event
	EndAborted   = "aborted"   // the response was cut off: a truncate directive, or a request not whole within the read timeout
	EndCanceled  = "canceled"  // the client went away or the server closed first
	EndInFlight  = ""          // the response has not ended yet
)

// A Request is one request as the journal recorded it. Entries are values: changing one
// changes no other copy.
type Request struct {
	Time      time.Time `json:"time"`      // when the request arrived
	Method    string    `json:"method"`    // HTTP method
	Path      string    `json:"path"`      // escaped URL path
	Operation string    `json:"operation"` // "ConverseStream", ...; empty for an unknown path
	Model     string    `json:"model"`     // model ID, percent-decoded
	// Header holds the request headers, with the values of Authorization and
	// X-Amz-Security-Token replaced by "REDACTED".
	Header http.Header `json:"header"`
	// Body is the request body, its first MaxJournalBody bytes when BodyTruncated. For a
	// voice session (InvokeModelWithBidirectionalStream) it is the session's input events,
	// their JSON one a line, without the audioInput events, and BodySize its length.
	Body          string `json:"body"`
	BodyTruncated bool   `json:"bodyTruncated,omitempty"`
	BodySize      int    `json:"bodySize"` // bytes read of the body
	Status        int    `json:"status"`   // HTTP status sent
	RequestID     string `json:"requestId"`
	Frames        int    `json:"frames"` // event stream frames sent, whole or cut off
	// End says how the response ended: EndComplete, EndError, EndException, EndAborted or
	// EndCanceled; EndInFlight (with Status 0 on a stream) while it is still being sent.
	End      string        `json:"end"`
	Duration time.Duration `json:"durationNs"` // until the response ended
}

// redacted lists the headers whose values the journal does not keep.
var redacted = []string{"Authorization", "X-Amz-Security-Token"}

// journal is a bounded ring of requests.
type journal struct {
	mu    sync.Mutex
	size  int       // capacity; 0: recording is off
	buf   []Request // the ring, grown up to size as requests come
	seqs  []uint64  // seqs[i] numbers buf[i]
	start int       // index of the oldest entry
	n     int       // entries held
	bytes int       // body bytes held
	seq   uint64    // the number of the last entry added
	// maxBytes is MaxJournalBytes, smaller in tests.
	maxBytes int
}

func newJournal(size int) *journal {
	switch {
	case size == 0:
		size = DefaultJournalSize
	case size < 0:
		size = 0
	}
	return &journal{size: size, maxBytes: MaxJournalBytes}
}

// add records r, dropping the oldest entries past the size or the byte budget, and returns
// the entry's number for update (0 when the journal is off).
func (j *journal) add(r Request) uint64 {
	if j.size == 0 {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.n > 0 && (j.n == j.size || j.bytes+len(r.Body) > j.maxBytes) {
		j.bytes -= len(j.buf[j.start].Body)
		j.buf[j.start], j.seqs[j.start] = Request{}, 0
		j.start = (j.start + 1) % len(j.buf)
		j.n--
	}
	if j.n == len(j.buf) {
		// Full below size: grow, the entries put in order from index 0.
		j.buf = append(j.buf[j.start:], j.buf[:j.start]...)
		j.seqs = append(j.seqs[j.start:], j.seqs[:j.start]...)
		j.start = 0
		j.buf = append(j.buf, Request{})
		j.seqs = append(j.seqs, 0)
	}
	i := (j.start + j.n) % len(j.buf)
	j.seq++
	j.buf[i], j.seqs[i] = r, j.seq
	j.n++
	j.bytes += len(r.Body)
	return j.seq
}

// update replaces entry seq with r, unless it was dropped or cleared meanwhile.
func (j *journal) update(seq uint64, r Request) {
	if seq == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.n == 0 {
		return
	}
	oldest := j.seqs[j.start]
	if seq < oldest || seq-oldest >= uint64(j.n) {
		return
	}
	i := (j.start + int(seq-oldest)) % len(j.buf)
	j.bytes += len(r.Body) - len(j.buf[i].Body)
	j.buf[i] = r
}

// list returns copies of the entries, oldest first, that keep returns true for.
func (j *journal) list(keep func(*Request) bool) []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Request, 0, j.n)
	for i := 0; i < j.n; i++ {
		e := &j.buf[(j.start+i)%len(j.buf)]
		if keep == nil || keep(e) {
			r := *e
			r.Header = r.Header.Clone()
			out = append(out, r)
		}
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.buf)
	clear(j.seqs)
	j.start, j.n, j.bytes = 0, 0, 0
}

// serveHTTP answers JournalPath. Its errors are shaped as the service's: a query that
// cannot be parsed or names another parameter than operation and model (a filter misspelt
// would otherwise match everything) is a ValidationException, another method 405.
func (j *journal) serveHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(e *bedrock.APIError) {
		w.Header().Set("X-Amzn-Requestid", newRequestID())
		bedrock.WriteAPIError(w, e)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			fail(bedrock.NewAPIError(bedrock.ErrValidation, "bedrocktest: "+JournalPath+": malformed query: "+err.Error()))
			return
		}
		for k := range q {
			if k != "operation" && k != "model" {
				fail(bedrock.NewAPIError(bedrock.ErrValidation, "bedrocktest: "+JournalPath+": unknown query parameter "+
					strconv.Quote(k)+"; the filters are operation and model"))
				return
			}
		}
		op, model := q.Get("operation"), q.Get("model")
		list := j.list(func(e *Request) bool {
			return (op == "" || e.Operation == op) && (model == "" || e.Model == model)
		})
		b, err := json.Marshal(list)
		if err != nil {
			fail(&bedrock.APIError{Name: bedrock.ErrInternalServer, StatusCode: http.StatusInternalServerError, Message: err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(b, '\n'))
	case http.MethodDelete:
		j.clear()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		fail(&bedrock.APIError{Name: "UnknownOperationException", StatusCode: http.StatusMethodNotAllowed,
			Message: "bedrocktest: " + JournalPath + " takes GET or DELETE, not " + r.Method})
	}
}

// journalHeader copies h with the credentials redacted.
func journalHeader(h http.Header) http.Header {
	c := h.Clone()
	if c == nil {
		c = http.Header{}
	}
	for _, k := range redacted {
		if vs := c.Values(k); len(vs) > 0 {
			c[http.CanonicalHeaderKey(k)] = []string{"REDACTED"}
		}
	}
	return c
}

// journalBody returns the part of body the journal keeps and whether it was cut.
func journalBody(body []byte) (string, bool) {
	if len(body) > MaxJournalBody {
		return string(body[:MaxJournalBody]), true
	}
	return string(body), false
}
