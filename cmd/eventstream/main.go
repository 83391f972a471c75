// Command eventstream reads, writes and checks AWS event stream data
// (application/vnd.amazon.eventstream), and serves a local Amazon Bedrock Runtime for tests.
//
// Usage:
//
//	eventstream dump [FILE...]     print each frame as one line of JSON
//	eventstream encode [FILE...]   turn such JSON lines back into frames
//	eventstream verify [FILE...]   check a stream, print a one-line summary
//	eventstream serve [FLAGS]      serve the Bedrock Runtime API locally (package bedrock/bedrocktest)
//
// dump, encode and verify read standard input when no FILE (or "-") is given. The JSON form is
// described in package internal/dump; `eventstream dump | eventstream encode` reproduces its
// input byte for byte, and encode refuses, naming the line, what it could not read exactly as
// written. Bad input or a failed write gives a message on standard error and exit status 1; a
// usage error gives its message and the usage on standard error and exit status 2. -h (or
// -help, --help) after a command prints that command's usage on standard output, exit status 0.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/framewire/eventstream/internal/dump"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Usage: eventstream COMMAND [ARG...]

Commands:
  dump     decode event stream frames and print each as one line of JSON:
           {"offset","headers":[{"name","type","value"}],"payload"(base64),"text"}
  encode   read such JSON lines and write the frames they describe
  verify   check that a stream is well formed; print frames and bytes
  serve    serve the Amazon Bedrock Runtime API locally for tests

dump, encode and verify take FILE arguments and read standard input when none (or "-")
is given. "eventstream COMMAND -h" describes a command.
Exit status: 0 success, 1 bad input or I/O error, 2 usage error.

Examples, from the repository root:
  eventstream dump testdata/corpus/bedrock-chunks.bin
  eventstream dump testdata/corpus/bedrock-chunks.bin | eventstream encode > copy.bin
  eventstream verify copy.bin
`

// commandUsage describes dump, encode and verify, for their -h.
var commandUsage = map[string]string{
	"dump": `Usage: eventstream dump [FILE...]

Decode the event stream in each FILE (standard input when none, or "-") and print each frame
as one line of JSON, fields in this order: offset, headers as {"name","type","value"},
payload (standard base64) and text (the payload, when it is UTF-8). Types: bool, byte, int16,
int32, int64, bytes (base64), string, timestamp (RFC 3339, UTC, milliseconds), uuid. A string
value that is not UTF-8 also gets "base64" with its exact bytes.
A bad frame stops the run after the frames before it, with its offset and what is wrong
on standard error: exit status 1.
`,
	"encode": `Usage: eventstream encode [FILE...]

Read lines of the JSON form that dump prints from each FILE (standard input when none, or
"-") and write the frames they describe; blank lines are skipped and offset is ignored.
"headers" and "payload" are required, and each header's "name", "type" and "value". A line
that cannot be read exactly as written (not UTF-8, a key twice, an unknown or miscased key,
null, non-canonical base64...) or that the encoder refuses (a value over 32,767 bytes, a
frame over the limits) stops the run after the frames before it, with the line number and
what is wrong on standard error: exit status 1.
`,
	"verify": `Usage: eventstream verify [FILE...]

Decode every frame of each FILE (standard input when none, or "-") and print
"NAME: ok, N frames, M bytes" for each good one. A bad file is reported on standard error
with the offset of the bad frame, what is wrong, and the good frames before it; the others
are still checked. Exit status 1 if any file is bad or cannot be read.
`,
}

// run is the whole command, with its environment passed in so that tests can drive it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "dump":
		return runStream(cmd, args, stdin, stdout, stderr, dump.Dump)
	case "encode":
		return runStream(cmd, args, stdin, stdout, stderr, dump.Encode)
	case "verify":
		return runVerify(args, stdin, stdout, stderr)
	case "serve":
		return runServe(args, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "eventstream: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// parseFlags parses a command's flags. -h, -help and --help print the command's usage once,
// on stdout, and give status 0; a bad flag prints its message and the usage on stderr and
// gives status 2. ok is true when the command should run.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	// The flag package prints the usage itself, on its output, before returning ErrHelp:
	// collect what it prints and send it where it belongs.
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(stderr)
		return 0, false
	case err != nil:
		stderr.Write(msg.Bytes())
		return 2, false
	}
	return 0, true
}

// fileArgs parses the arguments of dump, encode or verify (files, and no flag but -h) and
// returns the files to read, or the exit status when there is nothing to read.
func fileArgs(cmd string, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	fs := flag.NewFlagSet("eventstream "+cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), commandUsage[cmd]) }
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return nil, code, false
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	return files, 0, true
}

// runStream runs dump or encode over each file in turn, writing to stdout, and stops at the
// first failure.
func runStream(cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer,
	fn func(io.Writer, io.Reader) (dump.Summary, error)) int {
	files, code, ok := fileArgs(cmd, args, stdout, stderr)
	if !ok {
		return code
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	for _, name := range files {
		err := withFile(name, stdin, func(r io.Reader) error {
			_, err := fn(out, r)
			return err
		})
		// Frames decoded before a failure are flushed before the message, so that the
		// output shows how far the stream was good.
		// A failed write is reported as such, not as a fault of the input: the writer
		// keeps the error, and what fn met writing was that same error.
		if ferr := out.Flush(); ferr != nil {
			fmt.Fprintf(stderr, "eventstream %s: writing the output: %v\n", cmd, ferr)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "eventstream %s: %s\n", cmd, fileMessage(name, err))
			return 1
		}
	}
	return 0
}

// runVerify checks every file, printing one line for each, and fails if any is bad or a
// line cannot be written.
func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	files, code, ok := fileArgs("verify", args, stdout, stderr)
	if !ok {
		return code
	}
	status := 0
	for _, name := range files {
		var s dump.Summary
		err := withFile(name, stdin, func(r io.Reader) (err error) {
			s, err = dump.Verify(r)
			return err
		})
		var oerr *openError
		switch {
		case errors.As(err, &oerr):
			fmt.Fprintf(stderr, "eventstream verify: %s\n", fileMessage(name, err))
			status = 1
		case err != nil:
			fmt.Fprintf(stderr, "eventstream verify: %s (after %s, %d bytes)\n",
				fileMessage(name, err), frames(s.Frames, "good "), s.Bytes)
			status = 1
		default:
			if _, err := fmt.Fprintf(stdout, "%s: ok, %s, %d bytes\n", display(name), frames(s.Frames, ""), s.Bytes); err != nil {
				fmt.Fprintf(stderr, "eventstream verify: writing the output: %v\n", err)
				return 1
			}
		}
	}
	return status
}

func frames(n int, adj string) string {
	if n == 1 {
		return "1 " + adj + "frame"
	}
	return fmt.Sprintf("%d %sframes", n, adj)
}

// withFile calls fn with the named file open, or with stdin for "-". A file that cannot be
// opened gives an *openError.
func withFile(name string, stdin io.Reader, fn func(io.Reader) error) error {
	if name == "-" {
		return fn(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return &openError{err}
	}
	defer f.Close()
	return fn(f)
}

// An openError is a file that could not be opened: nothing of it was read.
type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// fileMessage is the message for err met on the named file: the file's name, then what went
// wrong. An open error already names the file, as in "open x.bin: no such file or directory".
func fileMessage(name string, err error) string {
	var oerr *openError
	if errors.As(err, &oerr) {
		return message(err)
	}
	return display(name) + ": " + message(err)
}

func display(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// message drops the package prefix of library errors: the command names itself already.
func message(err error) string {
	s := err.Error()
	for _, p := range []string{"dump: ", "eventstream: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
