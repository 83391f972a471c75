package bedrocktest

import (
	"errors"
	"testing"

	"github.com/framewire/eventstream/bedrock"
)

// TestSessionRetriesWithoutSDKHeader checks fail-attempts on voice sessions opened by a
// client that sends no Amz-Sdk-Request header (package bedrock's Session): the server counts
// the attempts, a session whose first turn says the same as the last one's is the next
// attempt, and once one gets through the count starts over.
func TestSessionRetriesWithoutSDKHeader(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	try := func(text string) error {
		t.Helper()
		c := openSonic(t, srv.URL, nil)
		c.lenient = true
		c.start()
		c.text("USER", true, text)
		_, err := c.recv(completionEnd)
		c.s.Close()
		return err
	}
	const retried = "book it [[mock status=503 fail-attempts=2]]"
	for i, wantFail := range []bool{true, true, false, true} {
		err := try(retried)
		var ae *bedrock.APIError
		if failed := errors.As(err, &ae) && ae.StatusCode == 503 && ae.Name == bedrock.ErrServiceUnavailable; failed != wantFail || !failed && err != nil {
			t.Errorf("attempt %d: %v; want it to fail: %v", i+1, err, wantFail)
		}
	}
	// Another first turn is another request: its own count.
	var ae *bedrock.APIError
	if err := try("other [[mock status=503 fail-attempts=2]]"); !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Errorf("another request's first attempt: %v", err)
	}
}

// TestSessionStatusOnLaterTurn checks that status= on a turn after the first, when the
// stream has begun, ends the session with a validationException saying so.
func TestSessionStatusOnLaterTurn(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.lenient = true
	c.start()
	c.text("USER", true, "first")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	c.text("USER", true, "second [[mock status=503]]")
	_, err := c.recv(completionEnd)
	var exc *bedrock.Exception
	if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || exc.Message != "The status= and error= directives apply before the stream, on the session's first turn." {
		t.Errorf("status= on the second turn: %v", err)
	}
}
