package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/framewire/eventstream/sigv4"
)

// credentialsEnv names the environment variable serve reads credentials from when neither
// -credentials nor -credentials-file is given.
const credentialsEnv = "EVENTSTREAM_CREDENTIALS"

// maxCredentialsFile bounds a -credentials-file: an access key, a secret and a session
// token of a few kilobytes at most.
const maxCredentialsFile = 64 << 10

// credentialSource is where serve's credentials come from.
type credentialSource struct {
	value, file       string // -credentials, -credentials-file
	valueSet, fileSet bool   // whether each flag was given, even empty
}

// A usageError is a mistake on the command line or in a value given there (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// load returns the credentials to require, none when no source gives any. Nothing is
// trimmed: -credentials and the environment variable must hold exactly
// ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]; a file may add one "\n" after it, as
// editors and `echo` write it, and nothing else. Reading the file stops when ctx is done,
// so that a FIFO nobody writes to cannot hold the command.
func (s credentialSource) load(ctx context.Context) ([]sigv4.Credentials, error) {
	var (
		v    string
		from string
	)
	switch {
	case s.valueSet && s.fileSet:
		return nil, usageError("-credentials and -credentials-file are exclusive")
	case s.valueSet:
		v, from = s.value, "-credentials"
	case s.fileSet:
		if s.file == "" {
			return nil, usageError("-credentials-file is empty")
		}
		b, err := readFileCtx(ctx, s.file, maxCredentialsFile)
		if err != nil {
			return nil, err
		}
		v, from = string(b), "-credentials-file "+s.file
		if s, ok := strings.CutSuffix(v, "\n"); ok && !strings.HasSuffix(s, "\r") {
			v = s // one final newline ends the line; "\r\n" is refused below
		}
	default:
		env, ok := os.LookupEnv(credentialsEnv)
		if !ok {
			return nil, nil
		}
		v, from = env, credentialsEnv
	}
	c, err := sigv4.ParseCredentials(v)
	if err != nil {
		return nil, usageError(from + ": " + strings.TrimPrefix(err.Error(), "sigv4: "))
	}
	return []sigv4.Credentials{c}, nil
}

// readFileCtx reads the file at path, refusing one over max bytes, and gives up when ctx
// is done.
func readFileCtx(ctx context.Context, path string, max int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, max+1))
		if err == nil && int64(len(b)) > max {
			err = fmt.Errorf("%s: larger than %d bytes", path, max)
		}
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", path, ctx.Err())
	}
}
