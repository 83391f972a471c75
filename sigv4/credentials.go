package sigv4

import (
	"errors"
	"fmt"
	"strings"
)

// ParseCredentials parses "ACCESS_KEY_ID:SECRET_ACCESS_KEY" or
// "ACCESS_KEY_ID:SECRET_ACCESS_KEY:SESSION_TOKEN". It trims nothing: a value that is empty,
// has no ':', has an empty part, or holds a space, a newline, another control character
// or a non-ASCII byte anywhere is refused with an error that says what is wrong and where,
// without quoting the secret.
func ParseCredentials(s string) (Credentials, error) {
	const form = "want ACCESS_KEY_ID:SECRET_ACCESS_KEY or ACCESS_KEY_ID:SECRET_ACCESS_KEY:SESSION_TOKEN"
	if s == "" {
		return Credentials{}, errors.New("sigv4: credentials are empty; " + form)
	}
	for i := 0; i < len(s); i++ {
		if what := badByte(s[i]); what != "" {
			where := fmt.Sprintf("at byte %d of %d", i+1, len(s))
			if i == len(s)-1 {
				where = "at the end"
			}
			return Credentials{}, fmt.Errorf("sigv4: credentials contain %s %s; %s", what, where, form)
		}
	}
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 1:
		return Credentials{}, errors.New("sigv4: credentials have no ':' between the access key ID and the secret access key; " + form)
	case len(parts) > 3:
		return Credentials{}, fmt.Errorf("sigv4: credentials have %d ':' (access key IDs, secret access keys and session tokens hold none); %s", len(parts)-1, form)
	case parts[0] == "":
		return Credentials{}, errors.New("sigv4: credentials have an empty access key ID; " + form)
	case parts[1] == "":
		return Credentials{}, errors.New("sigv4: credentials have an empty secret access key; " + form)
	case len(parts) == 3 && parts[2] == "":
		return Credentials{}, errors.New("sigv4: credentials have an empty session token after the second ':'; " + form)
	}
	c := Credentials{AccessKeyID: parts[0], SecretAccessKey: parts[1]}
	if len(parts) == 3 {
		c.SessionToken = parts[2]
	}
	return c, nil
}

// badByte names what b is when it cannot be part of credentials, or returns "".
func badByte(b byte) string {
	switch {
	case b == ' ':
		return "a space"
	case b == '\t':
		return "a tab"
	case b == '\n':
		return "a newline"
	case b == '\r':
		return "a carriage return"
	case b < 0x20 || b == 0x7f:
		return fmt.Sprintf("the control character %#02x", b)
	case b >= 0x80:
		return "a non-ASCII byte"
	}
	return ""
}
