package bedrocktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxClockSkew is how far the X-Amz-Date of a signed request may be from the server's clock
// when credentials are configured, as the service allows.
const MaxClockSkew = 5 * time.Minute

// Names of the errors the service returns for refused credentials, with status 403.
const (
	UnrecognizedClientException = "UnrecognizedClientException"
	InvalidSignatureException   = "InvalidSignatureException"
	AccessDeniedException       = "AccessDeniedException"
)

// authError is a refusal: the error name and message, always with status 403.
type authError struct{ name, message string }

const msgBadSignature = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// checkAuth accepts the request if cfg asks for no authentication, if it carries the
// configured bearer token, or if it carries a SigV4 signature made with configured
// credentials. body is the whole request body.
func checkAuth(cfg *Config, r *http.Request, body []byte, now time.Time) *authError {
	if len(cfg.Credentials) == 0 && cfg.BearerToken == "" {
		return nil
	}
	auth := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && cfg.BearerToken != "" {
		if hmac.Equal([]byte(strings.TrimSpace(tok)), []byte(cfg.BearerToken)) {
			return nil
		}
		return &authError{UnrecognizedClientException, "The security token included in the request is invalid."}
	}
	if len(cfg.Credentials) == 0 {
		return &authError{AccessDeniedException, "Authentication failed: a bearer token is required."}
	}
	return verifySigV4(cfg.Credentials, r, body, now)
}

// sigV4Auth is a parsed Authorization header of the AWS4-HMAC-SHA256 scheme.
type sigV4Auth struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

func parseSigV4Auth(h string) (sigV4Auth, bool) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, false
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, false
			}
			a.keyID, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.keyID != "" && len(a.signedHeaders) > 0 && a.signature != ""
}

func verifySigV4(creds []Credentials, r *http.Request, body []byte, now time.Time) *authError {
	a, ok := parseSigV4Auth(r.Header.Get("Authorization"))
	if !ok {
		return &authError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	var secret string
	found := false
	for _, c := range creds {
		if c.AccessKeyID == a.keyID {
			secret, found = c.SecretAccessKey, true
			break
		}
	}
	if !found {
		return &authError{UnrecognizedClientException, "The security token included in the request is invalid."}
	}
	if a.service != "bedrock" {
		return &authError{InvalidSignatureException, "Credential should be scoped to correct service: 'bedrock'."}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, a.date) {
		return &authError{InvalidSignatureException, "Date must be in ISO-8601 'basic format'."}
	}
	if d := now.Sub(t); d > MaxClockSkew || d < -MaxClockSkew {
		return &authError{InvalidSignatureException, "Signature expired: " + amzDate + " is now earlier than " +
			now.UTC().Add(-MaxClockSkew).Format("20060102T150405Z") + " (" + now.UTC().Format("20060102T150405Z") +
			" - 5 min.)"}
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	switch {
	case payloadHash == "":
		payloadHash = actual
	case payloadHash == "UNSIGNED-PAYLOAD":
	case payloadHash != actual:
		return &authError{InvalidSignatureException, "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	key := signingKey(secret, a.date, a.region, a.service)
	scope := strings.Join([]string{a.date, a.region, a.service, "aws4_request"}, "/")
	want, err := hex.DecodeString(a.signature)
	if err != nil {
		return &authError{InvalidSignatureException, msgBadSignature}
	}
	// Clients sign the host they dialled; over HTTP/2 it travels as :authority, and some
	// clients drop or keep the default port. Any of these forms is the same request.
	for _, host := range hostForms(r) {
		creq := canonicalRequest(r, a.signedHeaders, host, payloadHash)
		h := sha256.Sum256([]byte(creq))
		sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
		if hmac.Equal(hmacSHA256(key, sts), want) {
			return nil
		}
	}
	return &authError{InvalidSignatureException, msgBadSignature}
}

// hostForms lists the values a client may have signed as its host header.
func hostForms(r *http.Request) []string {
	forms := []string{r.Host}
	if h := r.Header.Get("Host"); h != "" && h != r.Host {
		forms = append(forms, h)
	}
	defPort := "80"
	if r.TLS != nil {
		defPort = "443"
	}
	for _, f := range forms[:len(forms):len(forms)] {
		if host, port, err := net.SplitHostPort(f); err == nil {
			if port == defPort {
				forms = append(forms, host)
			}
		} else {
			forms = append(forms, net.JoinHostPort(strings.Trim(f, "[]"), defPort))
		}
	}
	return forms
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// canonicalRequest builds the SigV4 canonical request of r as a client would have signed it.
func canonicalRequest(r *http.Request, signed []string, host, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Services other than S3 sign the path escaped once more: the client escapes the label
	// for the URL, then escapes the whole path again for the signature.
	b.WriteString(uriEncode(rawPath(r), false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signed {
		var v string
		switch name {
		case "host", ":authority":
			v = host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" && r.ContentLength >= 0 {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			vals := r.Header.Values(name)
			for i, x := range vals {
				vals[i] = collapseSpaces(x)
			}
			v = strings.Join(vals, ",")
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// rawPath is the path as the client sent it, escapes kept.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		p = r.URL.EscapedPath()
	}
	if p == "" {
		p = "/"
	}
	return p
}

func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode escapes every byte except the unreserved characters of RFC 3986, and '/'
// unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
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

func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
