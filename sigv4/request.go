package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Payload hashes that stand for a body rather than hash it.
const (
	// UnsignedPayload leaves the body out of a request's signature. Amazon S3 accepts it;
	// [RequestVerifier] does not, as services other than S3 hash the body they receive.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingEventsPayload is the payload hash of a request whose body is a signed event
	// stream: each frame of the body is signed on its own, chained from the request's
	// signature.
	StreamingEventsPayload = "STREAMING-AWS4-HMAC-SHA256-EVENTS"
)

// MaxRequestSkew is how far the signing time of a request may be from the verifier's clock
// unless [RequestVerifier.MaxSkew] says otherwise: 5 minutes, as AWS allows.
const MaxRequestSkew = 5 * time.Minute

const (
	requestAlgorithm = "AWS4-HMAC-SHA256"
	scopeTerminator  = "aws4_request"
)

// PayloadHash returns the payload hash of a request body: its SHA-256 in lowercase hex.
func PayloadHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// SignRequest signs r with SigV4 for service and region at time t (UTC, to the second)
// with credentials c, as the AWS SDK for Go v2's v4.Signer.SignHTTP does, and returns the
// signature's 32 bytes: the seed of an event stream the request opens (see [NewSigner]).
// payloadHash is the body's [PayloadHash], or [StreamingEventsPayload] for an event-stream
// body.
//
// SignRequest modifies r as the SDK's signer does: it sets X-Amz-Date, X-Amz-Security-Token
// (when c has a session token) and Authorization; it drops a default port (80 for http, 443
// for https) from the host; and it rewrites r.URL.RawQuery in canonical form (parameters
// sorted, escaped as SigV4 escapes them). The signature covers the host, Content-Length
// when r.ContentLength > 0, and every header of r except Authorization, User-Agent,
// X-Amzn-Trace-Id, Expect and Transfer-Encoding; set headers such as Content-Type and
// X-Amz-Content-Sha256 before signing.
func SignRequest(r *http.Request, c Credentials, region, service, payloadHash string, t time.Time) ([]byte, error) {
	switch {
	case r == nil || r.URL == nil:
		return nil, errors.New("sigv4: no request to sign")
	case payloadHash == "":
		return nil, errors.New("sigv4: empty payload hash (the hash of an empty body is PayloadHash(nil))")
	case c.AccessKeyID == "" || c.SecretAccessKey == "":
		return nil, errors.New("sigv4: credentials without an access key ID or a secret access key")
	}
	t = t.UTC()
	amzDate := t.Format(timeFormat)
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header["X-Amz-Date"] = []string{amzDate}
	if c.SessionToken != "" {
		r.Header["X-Amz-Security-Token"] = []string{c.SessionToken}
	}

	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if h, port, ok := splitPort(host); ok && isDefaultPort(r.URL.Scheme, port) {
		host = h
		r.Host = h
	}

	// The signed headers: host, Content-Length, then every header but the few that
	// proxies and HTTP clients add or change on the way.
	values := map[string][]string{"host": nil}
	names := []string{"host"}
	if r.ContentLength > 0 {
		values["content-length"] = []string{strconv.FormatInt(r.ContentLength, 10)}
		names = append(names, "content-length")
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys) // keys that differ only in case join in a fixed order
	for _, k := range keys {
		if ignoredHeaders[k] || strings.EqualFold(k, "Content-Length") {
			continue
		}
		lk := strings.ToLower(k)
		if _, ok := values[lk]; !ok {
			names = append(names, lk)
		}
		values[lk] = append(values[lk], r.Header[k]...)
	}
	sort.Strings(names)

	r.URL.RawQuery = canonicalQuery(r.URL.RawQuery)
	cr := canonicalRequest{
		method:      r.Method,
		path:        requestPath(r.URL),
		query:       r.URL.RawQuery,
		names:       names,
		payloadHash: payloadHash,
	}
	creq := cr.build(func(name string) []string {
		if name == "host" {
			return []string{host}
		}
		return values[name]
	})
	day := amzDate[:8]
	scope := day + "/" + region + "/" + service + "/" + scopeTerminator
	sig := requestSignature(c.SecretAccessKey, day, region, service, amzDate, scope, creq)
	r.Header["Authorization"] = []string{requestAlgorithm + " Credential=" + c.AccessKeyID + "/" + scope +
		", SignedHeaders=" + strings.Join(names, ";") + ", Signature=" + hex.EncodeToString(sig)}
	return sig, nil
}

// ignoredHeaders are the headers a signature leaves out, spelled as in http.Header.
var ignoredHeaders = map[string]bool{
	"Authorization":     true,
	"User-Agent":        true,
	"X-Amzn-Trace-Id":   true,
	"Expect":            true,
	"Transfer-Encoding": true,
}

// splitPort splits "host:port" ("[v6]:port"); ok is false when there is no port.
func splitPort(hostport string) (host, port string, ok bool) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.IndexByte(hostport[i:], ']') >= 0 {
		return hostport, "", false
	}
	host = hostport[:i]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.IndexByte(host, ':') >= 0 {
		return hostport, "", false // an IPv6 address without brackets
	}
	return host, hostport[i+1:], true
}

func isDefaultPort(scheme, port string) bool {
	switch strings.ToLower(scheme) {
	case "http":
		return port == "80" || port == ""
	case "https":
		return port == "443" || port == ""
	}
	return port == ""
}

// requestPath is the escaped path of u, "/" when empty.
func requestPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.Opaque != "" {
		// "//host/path?query" or "/path": the path starts at the first slash after the host.
		o, _, _ := strings.Cut(u.Opaque, "?")
		o = strings.TrimPrefix(o, "//")
		p = ""
		if i := strings.IndexByte(o, '/'); i >= 0 {
			p = o[i:]
		}
	}
	if p == "" {
		p = "/"
	}
	return p
}

// canonicalQuery returns a query string in canonical form: each name and value unescaped,
// then escaped as SigV4 escapes them (every byte but A-Z a-z 0-9 - _ . ~), pairs sorted by
// name, then value. Pairs that do not parse (a bad escape, a ';') are dropped, as
// url.ParseQuery drops them.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, _ := url.ParseQuery(raw)
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range q {
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode escapes every byte except the unreserved characters of RFC 3986, and '/'
// unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalRequest holds the parts of a SigV4 canonical request but the header values.
type canonicalRequest struct {
	method      string
	path        string // escaped once, as sent
	query       string // canonical form
	names       []string
	payloadHash string
}

// build returns the canonical request, with the values of each signed header from value.
// The path is escaped once more, as every service but S3 expects.
func (cr *canonicalRequest) build(value func(name string) []string) string {
	var b strings.Builder
	b.WriteString(cr.method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(cr.path, false))
	b.WriteByte('\n')
	b.WriteString(cr.query)
	b.WriteByte('\n')
	for _, name := range cr.names {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range value(name) {
			if i > 0 {
				b.WriteByte(',')
			}
			if name == "host" || name == ":authority" {
				b.WriteString(stripExcessSpaces(v))
			} else {
				b.WriteString(strings.TrimSpace(stripExcessSpaces(v)))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(cr.names, ";"))
	b.WriteByte('\n')
	b.WriteString(cr.payloadHash)
	return b.String()
}

// stripExcessSpaces trims the spaces around s and turns each run of spaces inside it into
// one space. Only ' ' counts, as in the AWS SDKs.
func stripExcessSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// requestSignature returns the SigV4 signature of a canonical request.
func requestSignature(secret, day, region, service, amzDate, scope, creq string) []byte {
	sts := stringToSign(amzDate, scope, creq)
	return hmacSHA256(signingKey(secret, []byte(day), region, service), []byte(sts))
}

// stringToSign returns the SigV4 string to sign of a canonical request.
func stringToSign(amzDate, scope, creq string) string {
	h := sha256.Sum256([]byte(creq))
	return requestAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// Names of the errors a service returns for a refused request signature, all with HTTP
// status 403 Forbidden. They are the Code of a [*RequestError].
const (
	// MissingAuthenticationToken: the request has no Authorization header.
	MissingAuthenticationToken = "MissingAuthenticationTokenException"
	// IncompleteSignature: the Authorization header or the date cannot be parsed.
	IncompleteSignature = "IncompleteSignatureException"
	// InvalidSignature: the signature does not match, or breaks a rule of SigV4.
	InvalidSignature = "InvalidSignatureException"
	// UnrecognizedClient: the access key (or its session token) is unknown.
	UnrecognizedClient = "UnrecognizedClientException"
)

// A RequestError is a refused request signature: the name of the service's error and its
// message, word for word, for a server to answer with status 403.
type RequestError struct {
	Code    string // MissingAuthenticationTokenException, InvalidSignatureException, ...
	Message string
}

func (e *RequestError) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// The service's messages.
const (
	msgMissingToken   = "Missing Authentication Token"
	msgUnknownKey     = "The security token included in the request is invalid."
	msgBadSignature   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned  = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgDateMissing    = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
	amzDateHeaderName = "X-Amz-Date"
)

// A RequestVerifier checks the SigV4 signatures of HTTP requests as an AWS service does.
// Its fields are read by every call; set them before the first. A RequestVerifier is safe
// for concurrent use.
type RequestVerifier struct {
	// Service is the service the credential scope must name, as in "bedrock". Any region
	// is accepted.
	Service string
	// Credentials returns the credentials of an access key ID, and false for an unknown
	// one (see [StaticCredentials]). Credentials with a session token accept only requests
	// that carry that token in X-Amz-Security-Token; credentials without one accept any
	// token or none.
	Credentials func(accessKeyID string) (Credentials, bool)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far the signing time may be from Now; 0 means MaxRequestSkew.
	MaxSkew time.Duration
}

// StaticCredentials returns a lookup of the given credentials by access key ID, for
// [RequestVerifier.Credentials]. When two share an access key ID, the first wins.
func StaticCredentials(cs ...Credentials) func(accessKeyID string) (Credentials, bool) {
	m := make(map[string]Credentials, len(cs))
	for _, c := range cs {
		if _, ok := m[c.AccessKeyID]; !ok {
			m[c.AccessKeyID] = c
		}
	}
	return func(id string) (Credentials, bool) {
		c, ok := m[id]
		return c, ok
	}
}

// A RequestSignature describes a verified request signature.
type RequestSignature struct {
	Credentials   Credentials // the credentials that made it
	Region        string      // the credential scope's region
	Service       string      // the credential scope's service
	Time          time.Time   // the signing time, UTC
	SignedHeaders []string    // as listed in the Authorization header
	// Signature holds the signature's 32 bytes: the seed of the :chunk-signature chain
	// of an event stream the request opens.
	Signature []byte
}

// NewVerifier returns a [Verifier] for the event stream that the signed request opens.
func (s *RequestSignature) NewVerifier() *Verifier {
	return NewVerifier(s.Credentials, s.Region, s.Service, s.Signature)
}

// Verify checks the SigV4 signature in r's Authorization header and returns what it
// verified. payloadHash is what the service hashes: the [PayloadHash] of the body it
// received, or [StreamingEventsPayload] for an operation whose request body is an event
// stream. It is used whatever X-Amz-Content-Sha256 says, so that a signature made for
// another body, for [UnsignedPayload] or for an event stream where none is expected does
// not match.
//
// A refusal is a [*RequestError] whose Code and Message are the service's, in this order
// of checks:
//   - no Authorization header: MissingAuthenticationTokenException;
//   - another algorithm than AWS4-HMAC-SHA256, a malformed or missing Credential,
//     SignedHeaders or Signature, no X-Amz-Date or Date header, or a date not in ISO 8601
//     basic format: IncompleteSignatureException;
//   - SignedHeaders without host (or :authority, as HTTP/2 clients sign it), or without
//     the date header the request carries (x-amz-date, or date when there is no
//     X-Amz-Date); a credential scope whose service is not v.Service, whose terminator is
//     not aws4_request, whose region is empty, or whose date is not the date of the
//     request's; a signing time more than MaxSkew ahead of the clock ("Signature not yet
//     current") or behind it ("Signature expired"): InvalidSignatureException;
//   - an unknown access key or a session token other than the one of its credentials:
//     UnrecognizedClientException;
//   - a signature that does not match: InvalidSignatureException, whose message goes on
//     with the canonical request and the string to sign the client should have signed.
//
// The host may have been signed with or without the default port of the connection's
// scheme. Verify reads r's headers, host, method, URL and ContentLength; it does not read
// r.Body.
func (v *RequestVerifier) Verify(r *http.Request, payloadHash string) (*RequestSignature, error) {
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		return nil, &RequestError{MissingAuthenticationToken, msgMissingToken}
	}
	a, rerr := parseAuthorization(auth[0])
	if rerr != nil {
		return nil, rerr
	}
	signsHost := false
	signed := make(map[string]bool, len(a.signedHeaders))
	for _, h := range a.signedHeaders {
		signed[h] = true
		signsHost = signsHost || h == "host" || h == ":authority"
	}

	// The date: X-Amz-Date, or else Date.
	dateName, dateValue := "x-amz-date", r.Header.Get(amzDateHeaderName)
	if _, ok := r.Header[amzDateHeaderName]; !ok {
		dateName, dateValue = "date", r.Header.Get("Date")
		if _, ok := r.Header["Date"]; !ok {
			return nil, &RequestError{IncompleteSignature, msgDateMissing + " Authorization=" + auth[0]}
		}
	}
	if !signsHost {
		return nil, &RequestError{InvalidSignature, msgHostNotSigned}
	}
	t, err := time.Parse(timeFormat, dateValue)
	if err != nil && dateName == "date" {
		t, err = http.ParseTime(dateValue)
	}
	if err != nil {
		return nil, &RequestError{IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '" + truncName(dateValue) +
			"'. See http://en.wikipedia.org/wiki/ISO_8601"}
	}
	t = t.UTC()
	amzDate := t.Format(timeFormat)
	if !signed[dateName] {
		// AWS requires a date header that is sent to be signed, or anyone on the path
		// could replay the request later under a new date.
		return nil, &RequestError{InvalidSignature, "'" + map[string]string{"x-amz-date": "X-Amz-Date", "date": "Date"}[dateName] +
			"' must be a 'SignedHeader' in the AWS Authorization."}
	}

	var scopeErrs []string
	if a.region == "" {
		scopeErrs = append(scopeErrs, "Credential should be scoped to a valid region, not ''. ")
	}
	if a.service != v.Service {
		scopeErrs = append(scopeErrs, "Credential should be scoped to correct service: '"+v.Service+"'. ")
	}
	if a.terminator != scopeTerminator {
		scopeErrs = append(scopeErrs, "Credential should be scoped with a valid terminator: 'aws4_request', not '"+a.terminator+"'. ")
	}
	if a.day != amzDate[:8] {
		scopeErrs = append(scopeErrs, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			a.day+"' != '"+amzDate[:8]+"', from '"+amzDate+"'.")
	}
	if len(scopeErrs) > 0 {
		return nil, &RequestError{InvalidSignature, strings.TrimSuffix(strings.Join(scopeErrs, ""), " ")}
	}

	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = MaxRequestSkew
	}
	clock := now().UTC().Truncate(time.Second)
	if d := t.Sub(clock); d > skew {
		return nil, &RequestError{InvalidSignature, "Signature not yet current: " + amzDate + " is still later than " +
			clock.Add(skew).Format(timeFormat) + " (" + clock.Format(timeFormat) + " + " + fmtSkew(skew) + ")"}
	} else if d < -skew {
		return nil, &RequestError{InvalidSignature, "Signature expired: " + amzDate + " is now earlier than " +
			clock.Add(-skew).Format(timeFormat) + " (" + clock.Format(timeFormat) + " - " + fmtSkew(skew) + ")"}
	}

	var c Credentials
	ok := false
	if v.Credentials != nil {
		c, ok = v.Credentials(a.keyID)
	}
	if !ok || c.SessionToken != "" && !hmac.Equal([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(c.SessionToken)) {
		return nil, &RequestError{UnrecognizedClient, msgUnknownKey}
	}

	cr := canonicalRequest{
		method:      r.Method,
		path:        receivedPath(r),
		query:       canonicalQuery(r.URL.RawQuery),
		names:       a.signedHeaders,
		payloadHash: payloadHash,
	}
	scope := a.day + "/" + a.region + "/" + a.service + "/" + scopeTerminator
	want := []byte(a.signature)
	first := ""
	for _, host := range hostForms(r) {
		creq := cr.build(func(name string) []string { return headerValues(r, name, host) })
		if first == "" {
			first = creq
		}
		sig := requestSignature(c.SecretAccessKey, a.day, a.region, a.service, amzDate, scope, creq)
		var got [2 * sha256.Size]byte
		hex.Encode(got[:], sig)
		if hmac.Equal(got[:], want) {
			return &RequestSignature{
				Credentials:   c,
				Region:        a.region,
				Service:       a.service,
				Time:          t,
				SignedHeaders: a.signedHeaders,
				Signature:     sig,
			}, nil
		}
	}
	// As the service does, the message goes on with what the client should have signed (with
	// the host as received), for the client's author to compare with their own.
	return nil, &RequestError{InvalidSignature, msgBadSignature +
		"\n\nThe Canonical String for this request should have been\n'" + first +
		"'\n\nThe String-to-Sign should have been\n'" + stringToSign(amzDate, scope, first) + "'\n"}
}

func fmtSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return d.String()
}

// authorization is a parsed AWS4-HMAC-SHA256 Authorization header.
type authorization struct {
	keyID, day, region, service, terminator string
	signedHeaders                           []string
	signature                               string
}

func parseAuthorization(h string) (authorization, *RequestError) {
	var a authorization
	alg, rest, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	if alg != requestAlgorithm {
		return a, &RequestError{IncompleteSignature, "Unsupported AWS 'algorithm': '" + truncName(alg) + "' (only AWS4-HMAC-SHA256 for now). "}
	}
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return a, &RequestError{IncompleteSignature, "'" + truncName(part) +
				"' not a valid key=value pair (missing equal-sign) in Authorization header: '" + h + "'"}
		}
		switch k {
		case "Credential":
			f := strings.Split(val, "/")
			if len(f) != 5 {
				return a, &RequestError{IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, " +
					"e.g. keyid/date/region/service/term, got '" + val + "'"}
			}
			a.keyID, a.day, a.region, a.service, a.terminator = f[0], f[1], f[2], f[3], f[4]
			haveCred = true
		case "SignedHeaders":
			a.signedHeaders = strings.Split(val, ";")
			haveSigned = true
		case "Signature":
			a.signature = val
			haveSig = true
		}
	}
	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return a, &RequestError{IncompleteSignature, strings.Join(missing, " ") + " Authorization=" + h}
	}
	return a, nil
}

// receivedPath is the path as the client sent it, escapes kept.
func receivedPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		// A client-side request, or an absolute URI sent to a proxy.
		return requestPath(r.URL)
	}
	return p
}

// hostForms lists the values a client may have signed as its host: as received, and with
// the default port of the connection's scheme added or removed.
func hostForms(r *http.Request) []string {
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	forms := []string{host}
	defPort := "80"
	if r.TLS != nil || r.URL != nil && r.URL.Scheme == "https" {
		defPort = "443"
	}
	if h, port, ok := splitPort(host); ok {
		if port == defPort {
			if strings.IndexByte(h, ':') >= 0 {
				h = "[" + h + "]"
			}
			forms = append(forms, h)
		}
	} else if host != "" {
		forms = append(forms, net.JoinHostPort(strings.Trim(host, "[]"), defPort))
	}
	return forms
}

// headerValues returns the values a signed header had as received.
func headerValues(r *http.Request, name, host string) []string {
	switch name {
	case "host", ":authority":
		return []string{host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	}
	if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v
	}
	return r.Header[name]
}
