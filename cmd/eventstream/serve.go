package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

const serveUsage = `Usage: eventstream serve [-addr HOST:PORT] [-tls] [-credentials AKID:SECRET[:TOKEN] | -credentials-file FILE]
       [-bearer TOKEN] [-scenario FILE] [-journal-size N]
       [-read-timeout D] [-write-timeout D] [-idle-timeout D] [-max-conns N]
       [-session-timeout D] [-session-idle-timeout D] [-session-max-frame BYTES]

Serve the Amazon Bedrock Runtime API locally for tests (package bedrock/bedrocktest):
POST /model/{modelId}/invoke, /invoke-with-response-stream, /converse, /converse-stream,
and voice sessions (Amazon Nova Sonic) on /invoke-with-bidirectional-stream over HTTP/2.
Replies echo the last user message; [[mock ...]] directives in the prompt inject faults.
GET /_mock/requests returns the last requests (-journal-size) as JSON (filter with
?operation= and ?model=), credentials redacted; DELETE /_mock/requests clears them.
The first line on standard output is "eventstream serve: listening on URL" (with -tls,
the second names the CA file); one line per request goes to standard error. SIGINT or
SIGTERM stops the server.

Credentials (ACCESS_KEY_ID:SECRET_ACCESS_KEY, or with :SESSION_TOKEN added) come from
-credentials, from -credentials-file (the file may end in one newline) or, when neither
flag is given, from the EVENTSTREAM_CREDENTIALS environment variable; nothing else is
trimmed, and a malformed value is an error.

Flags:
`

// runServe is the serve command: it runs until SIGINT or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr)
}

// serve runs the server until ctx is done.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eventstream serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8085", "listen address; port 0 picks a free port")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a generated self-signed certificate (its CA file is printed)")
	var creds credentialSource
	fs.StringVar(&creds.value, "credentials", "", "require SigV4 signatures made with `AKID:SECRET[:TOKEN]`")
	fs.StringVar(&creds.file, "credentials-file", "", "read -credentials from `FILE`")
	bearer := fs.String("bearer", "", "accept `TOKEN` as a bearer token")
	scenario := fs.String("scenario", "", "JSON `FILE` scripting replies and faults (at most 1 MiB)")
	readTimeout := fs.Duration("read-timeout", bedrocktest.DefaultReadTimeout, "time a request's headers and whole body have to arrive")
	writeTimeout := fs.Duration("write-timeout", bedrocktest.DefaultWriteTimeout, "time a response write may make no progress before the stream ends")
	idleTimeout := fs.Duration("idle-timeout", bedrocktest.DefaultIdleTimeout, "time an idle connection stays open")
	maxConns := fs.Int("max-conns", bedrocktest.DefaultMaxConns, "connections open at once; more wait until one closes")
	sessionTimeout := fs.Duration("session-timeout", bedrocktest.DefaultSessionTimeout, "longest voice session")
	sessionIdle := fs.Duration("session-idle-timeout", bedrocktest.DefaultSessionIdleTimeout, "how long a voice session waits for input")
	maxInputFrame := fs.Int("session-max-frame", bedrocktest.DefaultMaxInputFrame, "largest input frame of a voice session, in `bytes`")
	journalSize := fs.Int("journal-size", bedrocktest.DefaultJournalSize, "requests GET /_mock/requests keeps, the oldest dropped first; 0 keeps none")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eventstream serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *addr == "" {
		fmt.Fprintln(stderr, "eventstream serve: -addr is empty; give HOST:PORT (127.0.0.1:0 picks a free port)")
		return 2
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-timeout", *readTimeout}, {"write-timeout", *writeTimeout}, {"idle-timeout", *idleTimeout}} {
		if d.v <= 0 {
			fmt.Fprintf(stderr, "eventstream serve: -%s %v: want a positive duration\n", d.name, d.v)
			return 2
		}
	}
	if *journalSize < 0 {
		fmt.Fprintf(stderr, "eventstream serve: -journal-size %d: want a count, 0 for none\n", *journalSize)
		return 2
	}
	if *maxConns <= 0 {
		fmt.Fprintf(stderr, "eventstream serve: -max-conns %d: want a positive count\n", *maxConns)
		return 2
	}
	var mu sync.Mutex // log lines from concurrent requests stay whole
	if *sessionTimeout <= 0 || *sessionIdle <= 0 || *maxInputFrame <= 0 {
		fmt.Fprintln(stderr, "eventstream serve: -session-timeout, -session-idle-timeout and -session-max-frame must be positive")
		return 2
	}
	cfg := bedrocktest.Config{
		BearerToken:        *bearer,
		SessionTimeout:     *sessionTimeout,
		SessionIdleTimeout: *sessionIdle,
		MaxInputFrame:      *maxInputFrame,
		ReadTimeout:        *readTimeout,
		WriteTimeout:       *writeTimeout,
		IdleTimeout:        *idleTimeout,
		MaxConns:           *maxConns,
		JournalSize:        *journalSize,
		Log: func(e bedrocktest.LogEntry) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "%s %s\n", e.Time.Format("2006-01-02T15:04:05.000Z07:00"), e)
		},
	}
	fs.Visit(func(f *flag.Flag) {
		creds.valueSet = creds.valueSet || f.Name == "credentials"
		creds.fileSet = creds.fileSet || f.Name == "credentials-file"
	})
	c, err := creds.load(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eventstream serve: %s\n", message(err))
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	cfg.Credentials = c
	if *journalSize == 0 {
		cfg.JournalSize = -1 // Config's zero value is the default size
	}
	if *scenario != "" {
		// Opening or reading a FIFO or a slow device may block: a signal still stops serve.
		type loaded struct {
			sc  *bedrocktest.Scenario
			err error
		}
		ch := make(chan loaded, 1)
		go func() {
			sc, err := bedrocktest.LoadScenario(*scenario)
			ch <- loaded{sc, err}
		}()
		select {
		case l := <-ch:
			if l.err != nil {
				fmt.Fprintf(stderr, "eventstream serve: %s\n", message(l.err))
				return 1
			}
			cfg.Scenario = l.sc
		case <-ctx.Done():
			fmt.Fprintf(stderr, "eventstream serve: stopped while reading %s\n", *scenario)
			return 1
		}
	}
	srv, err := bedrocktest.Start(*addr, *useTLS, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "eventstream serve: %s\n", message(err))
		return 1
	}
	fmt.Fprintf(stdout, "eventstream serve: listening on %s\n", srv.URL)
	if srv.CAFile != "" {
		fmt.Fprintf(stdout, "eventstream serve: CA certificate in %s\n", srv.CAFile)
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(stderr, "eventstream serve: stopped")
	return 0
}
