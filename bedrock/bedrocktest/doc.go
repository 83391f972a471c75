// Package bedrocktest is a local Amazon Bedrock Runtime server for tests, which the AWS SDKs
// accept unmodified. It is shaped like net/http/httptest: [NewServer] starts one on a
// loopback port (URL, Close), [NewTLSServer] an HTTPS one, [Start] one on any address, and
// [NewHandler] returns the handler to mount in a server of one's own.
//
// # Operations
//
// POST /model/{modelId}/invoke-with-response-stream, /converse-stream, /invoke, /converse
// and /invoke-with-bidirectional-stream (see Voice sessions). Routing uses the escaped path
// and the model ID label is percent-decoded, so model IDs and ARNs with ':' and '/' work. Requests are checked with [bedrock.ValidateRequest];
// errors are written with [bedrock.WriteAPIError], as the service writes them. Every response
// carries an x-amzn-RequestId. Bodies over [MaxBodyBytes] are refused without being read to
// the end.
//
// # Protocol
//
// The servers of this package speak HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on the
// same plain-text port: the AWS SDK for JavaScript in Node uses HTTP/2 by default, the AWS
// SDK for Go HTTP/1.1. In TLS mode they speak HTTP/2 (ALPN) and HTTP/1.1 with a self-signed
// certificate written to [Server.CAFile], over TLS 1.3, or TLS 1.2 with the cipher suites
// HTTP/2 permits (ECDHE with AES-GCM or ChaCha20-Poly1305). A stream is answered with 200, Content-Type
// application/vnd.amazon.eventstream, X-Amzn-Bedrock-Content-Type application/json (on
// InvokeModelWithResponseStream), headers flushed at once and each frame flushed as it is
// written; it is never compressed and has no initial-response event.
//
// # Content
//
// By default the reply is the text of the last user message of the request, with its
// directives removed (see [ParseDirectives]), streamed a few words per event in the model
// family's chunk format ([bedrock.FamilyOf], [bedrock.Reply.Chunks]; ConverseStream events
// from [bedrock.Reply.ConverseEvents]), each event generated as it is sent, with token usage
// estimated at four characters a token (the input over every string of the request body)
// and invocation metrics. InvokeModel returns the family's whole response body, Converse the
// Converse response. A [Scenario] scripts other replies and faults by model ID and prompt.
//
// # Agents
//
// Requests with tools, extended thinking, output limits, stop sequences and guardrail
// configurations are read in each operation's own format. The tool=, reasoning= and
// guardrail= directives (and a [Rule]'s fields, or a tool choice that forces a call) make the
// reply a tool call with an input made from the tool's schema ([ExampleInput]), start it
// with a reasoning block, or make it a guardrail's blocked message; a request that sends tool
// results back is answered with their text; replies are cut at the request's token limit
// and before its first stop sequence, with the family's stop reason. On InvokeModel, tools
// are modelled for Claude's messages API, Nova, Mistral's chat completions and Cohere
// Command R's chat (a body with "message": tools with parameter_definitions, tool_results,
// tool_calls in the body and in a tool-calls-generation event; a body with "message" streams
// Command R's chat events, [bedrock.FamilyCohereChat]); other families get a
// ValidationException. The README section "Testing an agent" gives the wire shapes and what
// is approximated.
//
// # Voice sessions
//
// POST /model/{modelId}/invoke-with-bidirectional-stream (InvokeModelWithBidirectionalStream)
// holds an Amazon Nova Sonic session over HTTP/2 (h2c or TLS; HTTP/1.1 is refused with a
// ValidationException) for amazon.nova-sonic-v1:0 and amazon.nova-2-sonic-v1:0. The input
// events are read frame by frame as they arrive; with credentials, the request's signature
// (payload hash STREAMING-AWS4-HMAC-SHA256-EVENTS) seeds the chain that every frame's
// :chunk-signature must follow, within the request clock window. Each user turn (an
// interactive USER textInput, or the end of a USER audio block) is answered as Nova Sonic
// answers: completionStart, the user's transcript, the assistant's speculative text, audio
// (the turn's own audio sent back unchanged, or a tone for a text turn), the final text, a
// usageEvent and completionEnd. The tool= directive makes a turn call a tool of the
// session's configuration and speak its result; interrupt after=N is a barge-in; the other
// directives apply per turn. Events out of order, a bad signature, a stream that ends before
// sessionEnd without the end frame, an idle session ([Config.SessionIdleTimeout]) and one past
// [Config.SessionTimeout] end with the exception the service sends. The README section "Voice
// sessions (Nova Sonic)" gives the details and the choices made where the service's
// behaviour is not documented.
//
// # Journal
//
// The server records every request it answers: time, operation, model ID, headers (with
// Authorization and X-Amz-Security-Token redacted), body (up to [MaxJournalBody]), status,
// request ID, frames sent and how the response ended, the last [Config.JournalSize] of them.
// A Go test reads them with [Server.Requests]; a test in any language with GET
// [JournalPath] ("/_mock/requests", filtered by the query parameters operation and model),
// which DELETE empties.
//
// # Limits
//
// A server holds up under slow, stalled and hostile clients (see [Config] for each limit and
// [DefaultReadTimeout] and the other defaults): a request's headers and whole body must
// arrive within ReadTimeout of its first byte; a response write that makes no progress for
// WriteTimeout ends the stream; a connection idle for IdleTimeout closes (HTTP/1.1 and
// HTTP/2 alike; a stream in progress is not idle); at most MaxConns connections are open,
// the others wait in the listen queue. Memory follows what is in flight: a reply is
// generated one event at a time as it is sent and a non-streaming body written piece by
// piece, the request body is dropped once the reply is planned, and after large bodies the
// memory goes back to the operating system as soon as no request is in flight. The
// requests that net/http refuses before any handler runs (a malformed path or header, a bad
// Content-Length, headers too large) are answered with the service's JSON errors on
// HTTP/1.1, in plain text and over TLS alike, and so is a plain-text request to a TLS port.
// An HTTP/2 request whose :path net/http cannot parse, whose stream net/http would reset,
// gets the same 400 ValidationException on its stream (h2c and TLS alike; not when the
// connection sent a header block over 64 KiB, or the stream's window cannot take it).
// Over TLS, the handshake must end within ReadTimeout too.
// An exception= directive must name a member the operation can send
// ([bedrock.StreamExceptions]); fail-attempts counts the attempts of a client that sends no
// Amz-Sdk-Request header by operation, model and body within 60 seconds.
//
// # Authentication
//
// See [Config]: by default every request is accepted; with credentials, a SigV4 signature is
// checked as the service checks it, by package sigv4's RequestVerifier, and refusals carry
// the service's error names and messages; a bearer token may be accepted too.
package bedrocktest
