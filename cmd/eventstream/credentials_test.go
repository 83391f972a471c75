package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/framewire/eventstream/sigv4"
)

func TestCredentialSources(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}
	for _, tc := range []struct {
		name string
		src  credentialSource
		env  *string
		want []sigv4.Credentials
		err  string // the start of the error; none when empty
	}{
		{name: "none", want: nil},
		{name: "flag", src: credentialSource{value: "AKIDTEST:s3cr3t", valueSet: true}, want: []sigv4.Credentials{want}},
		{name: "flag with session token", src: credentialSource{value: "ASIA:sec:tok", valueSet: true},
			want: []sigv4.Credentials{{AccessKeyID: "ASIA", SecretAccessKey: "sec", SessionToken: "tok"}}},
		{name: "file", src: credentialSource{file: file("plain", "AKIDTEST:s3cr3t"), fileSet: true}, want: []sigv4.Credentials{want}},
		{name: "file with one final newline", src: credentialSource{file: file("nl", "AKIDTEST:s3cr3t\n"), fileSet: true}, want: []sigv4.Credentials{want}},
		{name: "environment", env: ptr("AKIDTEST:s3cr3t"), want: []sigv4.Credentials{want}},
		{name: "flag over environment", src: credentialSource{value: "AKIDTEST:s3cr3t", valueSet: true}, env: ptr("OTHER:x"),
			want: []sigv4.Credentials{want}},

		{name: "empty flag", src: credentialSource{valueSet: true}, err: "-credentials: credentials are empty"},
		{name: "flag with a trailing newline", src: credentialSource{value: "AKIDTEST:s3cr3t\n", valueSet: true},
			err: "-credentials: credentials contain a newline at the end"},
		{name: "flag without a colon", src: credentialSource{value: "AKIDTEST", valueSet: true},
			err: "-credentials: credentials have no ':' between the access key ID and the secret access key"},
		{name: "flag with a space", src: credentialSource{value: "AKIDTEST: s3cr3t", valueSet: true},
			err: "-credentials: credentials contain a space at byte 10 of 16"},
		{name: "both flags", src: credentialSource{value: "a:b", valueSet: true, file: "f", fileSet: true},
			err: "-credentials and -credentials-file are exclusive"},
		{name: "empty file name", src: credentialSource{fileSet: true}, err: "-credentials-file is empty"},
		{name: "missing file", src: credentialSource{file: filepath.Join(dir, "nope"), fileSet: true}, err: "open "},
		{name: "empty file", src: credentialSource{file: file("empty", ""), fileSet: true}, err: "-credentials-file " + dir + "/empty: credentials are empty"},
		{name: "file of a newline", src: credentialSource{file: file("onlynl", "\n"), fileSet: true}, err: "-credentials-file " + dir + "/onlynl: credentials are empty"},
		{name: "file with two newlines", src: credentialSource{file: file("nl2", "AKIDTEST:s3cr3t\n\n"), fileSet: true},
			err: "-credentials-file " + dir + "/nl2: credentials contain a newline at the end"},
		{name: "file with CRLF", src: credentialSource{file: file("crlf", "AKIDTEST:s3cr3t\r\n"), fileSet: true},
			err: "-credentials-file " + dir + "/crlf: credentials contain a carriage return at byte 16 of 17"},
		{name: "file of two lines", src: credentialSource{file: file("two", "AKIDTEST:s3cr3t\nAKID2:x\n"), fileSet: true},
			err: "-credentials-file " + dir + "/two: credentials contain a newline at byte 16 of 23"},
		{name: "file too large", src: credentialSource{file: file("big", strings.Repeat("a", maxCredentialsFile+1)), fileSet: true},
			err: dir + "/big: larger than 65536 bytes"},
		{name: "empty environment variable", env: ptr(""), err: "EVENTSTREAM_CREDENTIALS: credentials are empty"},
		{name: "environment variable with a newline", env: ptr("AKIDTEST:s3cr3t\n"),
			err: "EVENTSTREAM_CREDENTIALS: credentials contain a newline at the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != nil {
				t.Setenv(credentialsEnv, *tc.env)
			} else {
				t.Setenv(credentialsEnv, "")
				os.Unsetenv(credentialsEnv)
			}
			got, err := tc.src.load(context.Background())
			if tc.err == "" {
				if err != nil || len(got) != len(tc.want) || len(got) == 1 && got[0] != tc.want[0] {
					t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("error %v, want one starting with %q", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestCredentialsFileFIFO checks that a credentials file nobody writes to does not hold
// the command once it is asked to stop.
func TestCredentialsFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := credentialSource{file: p, fileSet: true}.load(ctx)
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("error %v, want the context's", err)
	}
}

// syncBuffer is a bytes.Buffer for output written by one goroutine and read by another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeCredentials runs serve with credentials from each source and checks that it
// requires them, and that a malformed value stops it with status 2 and a message.
func TestServeCredentials(t *testing.T) {
	dir := t.TempDir()
	credFile := filepath.Join(dir, "creds")
	if err := os.WriteFile(credFile, []byte("AKIDTEST:s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"file", []string{"-credentials-file", credFile}, ""},
		{"environment", nil, "AKIDTEST:s3cr3t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(credentialsEnv, tc.env)
			if tc.env == "" {
				os.Unsetenv(credentialsEnv)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuffer
			done := make(chan int)
			go func() { done <- serve(ctx, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), &stdout, &stderr) }()
			var base string
			for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if _, rest, ok := strings.Cut(stdout.String(), "listening on "); ok {
					base, _, _ = strings.Cut(rest, "\n")
				}
			}
			if base == "" {
				cancel()
				t.Fatalf("serve did not start: %d %s", <-done, stderr.String())
			}
			post := func(sign bool) int {
				body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
				r, _ := http.NewRequest("POST", base+"/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				if sign {
					sigv4.SignRequest(r, sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"},
						"us-east-1", "bedrock", sigv4.PayloadHash([]byte(body)), time.Now())
				}
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if s, u := post(true), post(false); s != 200 || u != 403 {
				t.Errorf("signed: %d, unsigned: %d; want 200 and 403", s, u)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("exit %d: %s", code, stderr.String())
			}
		})
	}

	for _, args := range [][]string{
		{"-credentials", ""},
		{"-credentials", "AKIDTEST"},
		{"-credentials", "a:b", "-credentials-file", credFile},
	} {
		var stdout, stderr syncBuffer
		code := serve(context.Background(), args, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), "eventstream serve: -credentials") || stdout.String() != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, stderr.String(), stdout.String())
		}
	}
}
