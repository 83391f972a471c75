// Command eventstream reads, writes and checks AWS event stream data
// (application/vnd.amazon.eventstream).
//
// Usage:
//
//	eventstream dump [FILE...]     print each frame as one line of JSON
//	eventstream encode [FILE...]   turn such JSON lines back into frames
//	eventstream verify [FILE...]   check a stream, print a one-line summary
//
// Each reads standard input when no FILE (or "-") is given. The JSON form is described in
// package internal/dump; `eventstream dump | eventstream encode` reproduces its input byte for
// byte. Bad input gives a message on standard error and exit status 1; a usage error gives 2.
package main

import (
	"bufio"
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
  serve    serve the Amazon Bedrock Runtime API locally for tests (eventstream serve -h)

dump, encode and verify take FILE arguments and read standard input when none (or "-")
is given.
Exit status: 0 success, 1 bad input or I/O error, 2 usage error.

Examples:
  eventstream dump testdata/corpus/bedrock-chunks.bin
  eventstream dump capture.bin | eventstream encode > copy.bin
  eventstream verify capture.bin
`

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

// parseFlags parses a subcommand's flags (it has none but -h yet) and returns its files, or
// an exit status when there is nothing more to do.
func parseFlags(cmd string, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	fs := flag.NewFlagSet("eventstream "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: eventstream %s [FILE...]\n\n%s", cmd, usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, 0, false
		}
		return nil, 2, false
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
	files, code, ok := parseFlags(cmd, args, stdout, stderr)
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
		if ferr := out.Flush(); err == nil && ferr != nil {
			err = ferr
		}
		if err != nil {
			fmt.Fprintf(stderr, "eventstream %s: %s: %s\n", cmd, display(name), message(err))
			return 1
		}
	}
	return 0
}

// runVerify checks every file, printing one line for each, and fails if any is bad.
func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	files, code, ok := parseFlags("verify", args, stdout, stderr)
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
		if err != nil {
			fmt.Fprintf(stderr, "eventstream verify: %s: %s (after %s, %d bytes)\n",
				display(name), message(err), frames(s.Frames, "good "), s.Bytes)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok, %s, %d bytes\n", display(name), frames(s.Frames, ""), s.Bytes)
	}
	return status
}

func frames(n int, adj string) string {
	if n == 1 {
		return "1 " + adj + "frame"
	}
	return fmt.Sprintf("%d %sframes", n, adj)
}

func withFile(name string, stdin io.Reader, fn func(io.Reader) error) error {
	if name == "-" {
		return fn(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
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
