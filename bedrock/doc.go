// Package bedrock reads and writes the response streams of Amazon Bedrock Runtime
// (InvokeModelWithResponseStream and ConverseStream) and validates its requests, on top of
// package eventstream. It serves gateways, proxies, alternative clients and test doubles.
//
// # Reading
//
// [NewReader] or [ReadResponse] gives a [Reader]; [Reader.Next] returns one [Event] at a
// time: for a chunk, the model's own JSON; for a ConverseStream event, the event's JSON.
// Exceptions come back as [*Exception], error frames as [*StreamError], malformed events as
// [*FormatError]. Next returns [io.EOF] only at a clean end, but the service's streams have
// no end frame, so a clean end is not a whole answer: [Reader.Complete] tells whether the
// terminal event arrived. [TextDelta] extracts the text of a chunk for each model family.
//
// # Writing
//
// [NewWriter] gives a [Writer] that writes chunks (base64 "bytes" with "p" padding),
// ConverseStream events, exceptions and error frames as the service does, flushing each frame
// when writing to an [net/http.ResponseWriter]. A [Reply] renders as a realistic event
// sequence, produced one event at a time ([Reply.Chunks], [Reply.ConverseEvents]);
// [WriteAPIError] answers with an error before any stream.
//
// # Voice sessions
//
// [OpenSession] holds an InvokeModelWithBidirectionalStream session (Amazon Nova Sonic) over
// any [net/http.Client] that speaks HTTP/2: the request and every input event are signed
// with package sigv4 ([Session.Send], [Session.CloseSend] for the end frame), and
// [Session.Recv] reads the output events with a [Reader].
//
// # Validating
//
// [ValidateRequest] checks a request as the service does and returns the ValidationException
// it would send.
package bedrock
