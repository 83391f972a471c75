package bedrocktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// MaxBodyBytes is the largest request body the service accepts. A larger body is refused
// with a ValidationException after reading at most MaxBodyBytes+1 bytes of it, and without
// reading any of it when Content-Length announces the size.
const MaxBodyBytes = bedrock.MaxBodyLen

// operations maps the last path segment to the operation.
var operations = map[string]bedrock.Operation{
	"invoke":                      bedrock.OpInvoke,
	"invoke-with-response-stream": bedrock.OpInvokeWithResponseStream,
	"converse":                    bedrock.OpConverse,
	"converse-stream":             bedrock.OpConverseStream,
}

// NewHandler returns the server's handler, for mounting in a server of one's own. It serves
// POST /model/{modelId}/invoke, /invoke-with-response-stream, /converse,
// /converse-stream and /invoke-with-bidirectional-stream; any other path gets 404
// UnknownOperationException. To be reachable by the AWS SDK for JavaScript in Node, and for
// voice sessions at all, the server must also speak HTTP/2 (h2c on plain HTTP), as the
// servers of [NewServer] and [Start] do.
//
// The handler also serves [JournalPath], the journal of the requests it answered.
func NewHandler(cfg Config) http.Handler {
	return newHandler(cfg)
}

func newHandler(cfg Config) *handler {
	h := &handler{cfg: cfg, now: time.Now, journal: newJournal(cfg.JournalSize)}
	h.verifier = sigv4.RequestVerifier{
		Service:     "bedrock",
		Credentials: sigv4.StaticCredentials(cfg.Credentials...),
		Now:         func() time.Time { return h.now() },
	}
	return h
}

type handler struct {
	cfg      Config
	now      func() time.Time
	verifier sigv4.RequestVerifier
	journal  *journal
	attempts attempts // of clients without Amz-Sdk-Request
	inflight atomic.Int64
	bigSeen  atomic.Bool // a body of bigBody bytes or more since memory was last freed
}

// bigBody is the size from which a request body's copies are collected as soon as they are
// garbage, and memory is given back to the system once the server is idle.
const bigBody = 4 << 20

// exchange is the state of one request.
type exchange struct {
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	log   LogEntry
	fw    *frameWriter
	body  []byte // the request body, once read, until the reply is planned
	// journalBody is the journal's copy of the body (at most MaxJournalBody bytes), kept
	// once the body is dropped; bodySize the body's length.
	journalBody   *string
	bodyTruncated bool
	bodySize      int
	seq           uint64 // the exchange's journal entry, once recorded
	ended         bool   // the response is over, or about to be written whole
	sent          bool   // every frame of the stream was written (or the exception is being written)
	// faults are the faults the reply was planned with: an exception directive tells the
	// journal how a complete stream ended.
	faults Faults
	rc     *http.ResponseController
	wt     time.Duration // write timeout
}

// writeDeadline gives the next write the write timeout to make progress.
func (x *exchange) writeDeadline() {
	x.rc.SetWriteDeadline(time.Now().Add(x.wt)) // unsupported by a foreign ResponseWriter: no deadline
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == JournalPath {
		h.journal.serveHTTP(w, r)
		return
	}
	// The process gives back the memory of large requests once none is in flight: users
	// watch its resident size.
	h.inflight.Add(1)
	defer func() {
		if h.inflight.Add(-1) == 0 && h.bigSeen.Swap(false) {
			go debug.FreeOSMemory()
		}
	}()
	x := &exchange{w: w, r: r, start: time.Now(), faults: noFaults(),
		rc: http.NewResponseController(w), wt: orDefault(h.cfg.WriteTimeout, DefaultWriteTimeout)}
	// The write deadline is armed before each write, not here: on HTTP/2 a deadline that
	// passes while a large request is still being read and planned resets the stream.
	x.log = LogEntry{Time: x.start, Method: r.Method, Proto: r.Proto, RequestID: newRequestID()}
	w.Header().Set("X-Amzn-Requestid", x.log.RequestID)
	defer func() {
		p := recover()
		if x.fw != nil {
			x.log.Frames = x.fw.frames
		}
		x.log.Duration = time.Since(x.start)
		x.log.Aborted = p == http.ErrAbortHandler
		x.ended = true
		h.record(x)
		if h.cfg.Log != nil {
			h.cfg.Log(x.log)
		}
		if p != nil {
			panic(p)
		}
	}()
	h.serve(x)
}

// record adds the exchange to the journal or updates its entry: once the body has been
// read (so that a client that has seen any of the response finds its request there), before
// a whole response is written (so that it is there when the client has it), and when the
// response has ended.
func (h *handler) record(x *exchange) {
	if h.journal.size == 0 {
		return
	}
	if x.body != nil { // else the copy made before the body was dropped
		b, cut := journalBody(x.body)
		x.journalBody, x.bodyTruncated, x.bodySize = &b, cut, len(x.body)
	}
	var body string
	if x.journalBody != nil {
		body = *x.journalBody
	}
	e := Request{
		Time:          x.log.Time,
		Method:        x.log.Method,
		Path:          x.r.URL.EscapedPath(),
		Operation:     x.log.Operation,
		Model:         x.log.Model,
		Header:        journalHeader(x.r.Header),
		Body:          body,
		BodyTruncated: x.bodyTruncated,
		BodySize:      x.bodySize,
		Status:        x.log.Status,
		RequestID:     x.log.RequestID,
		Frames:        x.log.Frames,
		Duration:      x.log.Duration,
	}
	switch {
	case !x.ended:
		e.End = EndInFlight
	case x.log.Aborted:
		e.End = EndAborted
	case x.log.Status >= 400:
		e.End = EndError
	case x.sent && x.faults.Exception != "":
		e.End = EndException
	case x.sent:
		e.End = EndComplete
	case x.r.Context().Err() != nil || x.log.Status == 0:
		e.End = EndCanceled
	default:
		e.End = EndComplete
	}
	if x.seq == 0 {
		x.seq = h.journal.add(e)
	} else {
		h.journal.update(x.seq, e)
	}
}

func (x *exchange) fail(e *bedrock.APIError) {
	if e.StatusCode == 0 {
		e.StatusCode = http.StatusBadRequest
	}
	x.log.Status = e.StatusCode
	x.writeDeadline()
	bedrock.WriteAPIError(x.w, e)
}

func (h *handler) serve(x *exchange) {
	r := x.r
	// net/http refuses a bad Content-Length on HTTP/1.1 before any handler runs (see
	// serverConn), but its HTTP/2 server passes it on.
	if cl := r.Header.Values("Content-Length"); len(cl) > 0 {
		for _, v := range cl {
			if n, err := strconv.ParseUint(v, 10, 63); err != nil || v != cl[0] || (r.ContentLength >= 0 && int64(n) != r.ContentLength) {
				x.fail(bedrock.NewAPIError(bedrock.ErrValidation, "bedrocktest: malformed request: invalid Content-Length "+strconv.Quote(v)))
				return
			}
		}
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/model/")
	i := strings.LastIndexByte(rest, '/')
	if ok && i > 0 && rest[i+1:] == bidiSegment && r.Method == http.MethodPost {
		if model, err := url.PathUnescape(rest[:i]); err == nil {
			h.serveSession(x, model)
			return
		}
	}
	op, known := operations[rest[i+1:]]
	if !ok || i <= 0 || !known || r.Method != http.MethodPost {
		x.fail(&bedrock.APIError{Name: "UnknownOperationException", StatusCode: http.StatusNotFound,
			Message: "bedrocktest: no operation at " + r.Method + " " + r.URL.EscapedPath()})
		return
	}
	x.log.Operation = string(op)
	model, err := url.PathUnescape(rest[:i])
	if err != nil {
		x.fail(bedrock.NewAPIError(bedrock.ErrValidation, "1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must be a valid percent-encoded identifier"))
		return
	}
	x.log.Model = model

	body, apiErr := h.readBody(x)
	if apiErr != nil {
		x.fail(apiErr)
		return
	}
	x.body = body
	// The buffers the body grew through, and the copies that the steps below make of parts
	// of a large body, are collected as soon as they are garbage, so that the peak is the
	// body and one copy of its text.
	big := len(body) >= bigBody
	collect := func() {
		if big {
			runtime.GC()
		}
	}
	collect()
	h.record(x)
	if _, e := h.authenticate(r, func() string { return sigv4.PayloadHash(body) }); e != nil {
		x.fail(e)
		return
	}
	if e := bedrock.ValidateRequest(op, model, r.Header, body); e != nil {
		x.fail(e)
		return
	}

	family := bedrock.FamilyOf(model)
	agent, apiErr := parseAgent(op, family, r.Header, body)
	if apiErr != nil {
		x.fail(apiErr)
		return
	}
	collect()
	prompt := lastUserText(body)
	if agent.afterTools {
		prompt = ""
	}
	collect()
	text, faults, err := ParseDirectives(prompt)
	if err != nil {
		x.fail(bedrock.NewAPIError(bedrock.ErrValidation, err.Error()))
		return
	}
	rule, ruleFaults, err := h.cfg.Scenario.match(model, text, agent.results)
	if err != nil {
		x.fail(bedrock.NewAPIError(bedrock.ErrValidation, err.Error()))
		return
	}
	faults = ruleFaults.merge(faults)
	x.faults = faults
	if e := checkException(op, faults.Exception); e != nil {
		x.fail(e)
		return
	}

	if faults.Status != 0 || faults.Error != "" {
		n, counted := sdkAttempt(r.Header.Get("Amz-Sdk-Request"))
		var key attemptKey
		if !counted && faults.FailAttempts > 0 {
			key = attemptKeyOf(string(op), model, body)
			n = h.attempts.next(key, h.now())
			if n > faults.FailAttempts {
				h.attempts.done(key)
			}
		}
		if faults.FailAttempts == 0 || n <= faults.FailAttempts {
			if !sleep(r.Context(), faults.Delay) {
				return
			}
			x.fail(injectedError(faults))
			return
		}
	}

	reply, apiErr := buildReply(agent, rule, faults, text)
	if apiErr != nil {
		x.fail(apiErr)
		return
	}
	members, inTokens := topMembersOf(body), inputTokens(body)
	// The reply is planned: the body goes (the journal has its copy), and a large one's
	// memory goes back to the system, so that a client that stops reading holds its reply
	// text and a frame, not its body too.
	x.body, body = nil, nil
	if big {
		h.bigSeen.Store(true)
		debug.FreeOSMemory()
	}
	p := plan{
		family:      family,
		model:       model,
		prompt:      text,
		reply:       reply,
		members:     members,
		inputTokens: inTokens,
		faults:      faults,
	}
	switch op {
	case bedrock.OpInvokeWithResponseStream, bedrock.OpConverseStream:
		h.stream(x, op, &p)
	default:
		h.respond(x, op, &p)
	}
}

// readBody reads the whole body, refusing one over MaxBodyBytes without reading all of it.
// The headers and the body must have arrived within the read timeout of the request's first
// byte: past it, the connection (HTTP/1.1) or the stream (HTTP/2) is cut without an answer.
func (h *handler) readBody(x *exchange) ([]byte, *bedrock.APIError) {
	r := x.r
	tooLarge := bedrock.NewAPIError(bedrock.ErrValidation,
		"1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to "+strconv.Itoa(MaxBodyBytes))
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge
	}
	rt := orDefault(h.cfg.ReadTimeout, DefaultReadTimeout)
	deadline := x.start.Add(rt)
	if c, _ := r.Context().Value(connKey{}).(*serverConn); c != nil && r.ProtoMajor == 1 {
		if t := c.requestStart(); !t.IsZero() && t.Before(x.start) {
			deadline = t.Add(rt)
		}
	}
	x.rc.SetReadDeadline(deadline)
	body, err := readAtMost(r.Body, r.ContentLength, MaxBodyBytes)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		panic(http.ErrAbortHandler)
	}
	// A deadline left on an HTTP/1.1 connection would end the response when it passes.
	x.rc.SetReadDeadline(time.Time{})
	if errors.Is(err, errTooLarge) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, bedrock.NewAPIError(bedrock.ErrValidation, "bedrocktest: reading the request body: "+err.Error())
	}
	return body, nil
}

var errTooLarge = errors.New("bedrocktest: body too large")

// readAtMost reads r to its end into a buffer that grows with what arrives (so that a
// Content-Length announcing more than is sent holds no memory) and ends at the announced
// size, contentLength, when it is known (>= 0). More than limit bytes is errTooLarge.
func readAtMost(r io.Reader, contentLength int64, limit int) ([]byte, error) {
	want := limit + 1 // one byte past the limit tells a body too large
	if contentLength >= 0 {
		want = int(min(contentLength+1, int64(want))) // +1: room to see the end
	}
	buf := make([]byte, 0, min(want, 64<<10))
	for {
		if len(buf) == cap(buf) {
			grow := len(buf) // doubling, up to the announced size
			if len(buf) < want {
				grow = min(grow, want-len(buf))
			}
			buf = slices.Grow(buf, max(1, min(grow, limit+1-len(buf))))
		}
		end := min(cap(buf), limit+1)
		if len(buf) < want {
			end = min(end, want)
		}
		n, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// plan is what to answer.
type plan struct {
	family        bedrock.Family
	model, prompt string
	reply         *bedrock.Reply // blocks and stop reason; the usage is filled in when sent
	members       topMembers
	inputTokens   int // estimated from the request body
	faults        Faults
}

// usage estimates token counts (about four characters a token, as tokenizers average for
// English) and latencies: a first token after 150 ms, 10 ms between frames, plus the delays
// the faults ask for.
func (p *plan) usage(start time.Time, frames int) bedrock.Usage {
	first := time.Since(start) + p.faults.Delay + 150*time.Millisecond
	total := first + time.Duration(max(frames-1, 0))*(p.faults.ChunkDelay+10*time.Millisecond)
	return bedrock.Usage{
		InputTokens:       p.inputTokens,
		OutputTokens:      outputTokens(p.reply.Blocks),
		FirstByteLatency:  first.Round(time.Millisecond),
		InvocationLatency: total.Round(time.Millisecond),
	}
}

func tokens(s string) int {
	return max(1, (utf8.RuneCountInString(s)+3)/4)
}

// injectedError is the error a status= / error= directive asks for.
func injectedError(f Faults) *bedrock.APIError {
	name := f.Error
	if name == "" {
		name = errorForStatus(f.Status)
	}
	e := bedrock.NewAPIError(name, f.Message)
	if f.Status != 0 {
		e.StatusCode = f.Status
	}
	if e.Message == "" {
		e.Message = "bedrocktest: injected " + name
	}
	return e
}

func errorForStatus(status int) string {
	switch status {
	case 403:
		return bedrock.ErrAccessDenied
	case 404:
		return bedrock.ErrResourceNotFound
	case 408:
		return bedrock.ErrModelTimeout
	case 424:
		return bedrock.ErrModelError
	case 429:
		return bedrock.ErrThrottling
	case 503:
		return bedrock.ErrServiceUnavailable
	}
	if status >= 500 {
		return bedrock.ErrInternalServer
	}
	return bedrock.ErrValidation
}

// stream answers a streaming operation.
func (h *handler) stream(x *exchange, op bedrock.Operation, p *plan) {
	ctx := x.r.Context()
	hdr := x.w.Header()
	hdr.Set("Content-Type", "application/vnd.amazon.eventstream")
	if op == bedrock.OpInvokeWithResponseStream {
		hdr.Set("X-Amzn-Bedrock-Content-Type", "application/json")
	}
	x.log.Status = http.StatusOK
	x.w.WriteHeader(http.StatusOK)
	rc := x.rc
	// Clients wait for the headers before they hand the stream to the caller.
	x.writeDeadline()
	rc.Flush()

	f := p.faults
	reply := p.reply
	fam := p.family
	switch {
	case fam == bedrock.FamilyMistral && bool(p.members.Messages):
		fam = bedrock.FamilyMistralChat
	case fam == bedrock.FamilyCohere && bool(p.members.Message):
		fam = bedrock.FamilyCohereChat
	}
	var n int
	if op == bedrock.OpInvokeWithResponseStream {
		n = reply.ChunkCount(fam)
	} else {
		n = reply.ConverseEventCount()
	}
	// The usage's latencies depend on the number of frames, known before any is made.
	reply.Usage = p.usage(x.start, n)
	limit, total := n, n
	if f.Exception != "" {
		limit = min(f.ExceptionAfter, n)
		total = limit + 1
	}
	x.fw = &frameWriter{
		x:          x,
		w:          x.w,
		rc:         rc,
		ctx:        ctx,
		chunkDelay: f.ChunkDelay,
		corruptAt:  clampFault(f.CorruptAfter, total),
		truncateAt: clampFault(f.TruncateAfter, total),
	}
	bw := bedrock.NewWriter(x.fw)
	if !sleep(ctx, f.Delay) {
		return
	}
	var err error
	i := 0
	if op == bedrock.OpInvokeWithResponseStream {
		for c := range reply.Chunks(fam) {
			if i == limit {
				break
			}
			if err = bw.WriteChunk(c); err != nil {
				break
			}
			i++
		}
	} else {
		for typ, ev := range reply.ConverseEvents() {
			if i == limit {
				break
			}
			if err = bw.WriteEvent(typ, ev); err != nil {
				break
			}
			i++
		}
	}
	if err == nil && f.Exception != "" {
		// A client stops reading at the exception: the journal has the request's end first.
		x.ended, x.sent, x.log.Status, x.log.Frames = true, true, http.StatusOK, x.fw.frames+1
		h.record(x)
		err = bw.WriteException(exceptionFor(f))
	}
	// A client that has its last frame may hang up before the handler returns.
	x.sent = err == nil
	if errors.Is(err, errTruncated) {
		// Ends the HTTP/2 stream with RST_STREAM, or closes the HTTP/1.1 connection
		// without the terminating chunk: the client sees the body cut off.
		panic(http.ErrAbortHandler)
	}
}

// clampFault turns an "after=N" count into the index of the frame to damage, or -1.
func clampFault(after, total int) int {
	if after < 0 || total == 0 {
		return -1
	}
	return min(after, total-1)
}

func exceptionFor(f Faults) *bedrock.Exception {
	e := &bedrock.Exception{Type: f.Exception, Message: f.Message}
	if e.Message == "" {
		e.Message = "bedrocktest: injected " + f.Exception
	}
	if f.Exception == bedrock.ModelStreamErrorException {
		e.OriginalStatusCode = f.OriginalStatus
		if e.OriginalStatusCode == 0 {
			e.OriginalStatusCode = http.StatusInternalServerError
		}
		e.OriginalMessage = f.OriginalMessage
		if e.OriginalMessage == "" {
			e.OriginalMessage = "bedrocktest: injected model failure"
		}
	}
	return e
}

// errTruncated reports that the frame writer cut a frame short on purpose.
var errTruncated = errors.New("bedrocktest: truncated")

// frameWriter sits under a bedrock.Writer, which writes each frame with one Write call. It
// counts frames, waits between them, damages or cuts the frame the faults name, and flushes
// each frame to the client.
type frameWriter struct {
	x          *exchange
	w          http.ResponseWriter
	rc         *http.ResponseController
	ctx        context.Context
	chunkDelay time.Duration
	corruptAt  int
	truncateAt int
	frames     int
	scratch    []byte
}

func (fw *frameWriter) Write(p []byte) (int, error) {
	if fw.frames > 0 && !sleep(fw.ctx, fw.chunkDelay) {
		return 0, fw.ctx.Err()
	}
	if err := fw.ctx.Err(); err != nil {
		return 0, err
	}
	i := fw.frames
	fw.frames++
	if fw.x != nil { // nil in voice sessions, which keep their own deadlines
		fw.x.writeDeadline()
	}
	switch i {
	case fw.truncateAt:
		if _, err := fw.w.Write(p[:len(p)/2]); err != nil {
			return 0, err
		}
		fw.rc.Flush()
		return len(p) / 2, errTruncated
	case fw.corruptAt:
		fw.scratch = append(fw.scratch[:0], p...)
		fw.scratch[len(fw.scratch)-1] ^= 0xff // the last byte of the message CRC
		p = fw.scratch
	}
	n, err := fw.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, fw.rc.Flush()
}

// sleep waits for d or until ctx is done, and reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
