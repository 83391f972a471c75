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
