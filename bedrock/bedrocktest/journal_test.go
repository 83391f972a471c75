package bedrocktest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/framewire/eventstream/sigv4"
)

func TestJournalRecordsRequests(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()

	resp := post(t, c, srv.URL, claude, "converse", converseBody("hello journal"),
		"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSECRETISH/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=abc",
		"X-Amz-Security-Token", "session-token", "X-Custom", "kept")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp = post(t, c, srv.URL, "meta.llama3-8b-instruct-v1:0", "invoke-with-response-stream", `{"prompt":"one two three four five six seven"}`)
	evs, _, err := readStream(t, resp)
	if err != nil {
		t.Fatal(err)
	}
	resp = post(t, c, srv.URL, claude, "converse-stream", converseBody("boom [[mock exception=throttlingException after=2]]"))
	readStream(t, resp)
	resp = post(t, c, srv.URL, "bad model!", "converse", converseBody("x"))
	resp.Body.Close()

	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests recorded, want 4: %+v", len(reqs), reqs)
	}
	r := reqs[0]
	if r.Operation != "Converse" || r.Model != claude || r.Method != "POST" || r.Status != 200 || r.End != EndComplete {
		t.Errorf("converse entry: %+v", r)
	}
	if r.Body != converseBody("hello journal") || r.BodyTruncated || r.BodySize != len(r.Body) {
		t.Errorf("body %q truncated=%v size=%d", r.Body, r.BodyTruncated, r.BodySize)
	}
	if got := r.Header.Get("Authorization"); got != "REDACTED" {
		t.Errorf("Authorization recorded as %q", got)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != "REDACTED" {
		t.Errorf("X-Amz-Security-Token recorded as %q", got)
	}
	if got := r.Header.Get("X-Custom"); got != "kept" {
		t.Errorf("X-Custom recorded as %q", got)
	}
	if r.RequestID == "" || r.Time.IsZero() || r.Duration <= 0 || r.Path != "/model/"+claude+"/converse" {
		t.Errorf("entry %+v", r)
	}
	if r := reqs[1]; r.Operation != "InvokeModelWithResponseStream" || r.Frames != len(evs) || r.End != EndComplete || r.Status != 200 {
		t.Errorf("stream entry: %+v (%d events read)", r, len(evs))
	}
	if r := reqs[2]; r.End != EndException || r.Frames != 3 {
		t.Errorf("exception entry: end %q frames %d, want exception after 3 frames", r.End, r.Frames)
	}
	if r := reqs[3]; r.End != EndError || r.Status != 400 || r.Model != "bad model!" {
		t.Errorf("error entry: %+v", r)
	}

	// The entries are copies.
	reqs[0].Header.Set("X-Custom", "changed")
	if got := srv.Requests()[0].Header.Get("X-Custom"); got != "kept" {
		t.Errorf("changing a returned entry changed the journal: %q", got)
	}
	srv.ClearRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after ClearRequests", n)
	}
}

func TestJournalEnds(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	resp := post(t, c, srv.URL, claude, "converse-stream", converseBody("cut [[mock truncate after=1]]"))
	readStream(t, resp)
	resp = post(t, c, srv.URL, claude, "converse", converseBody("cut [[mock truncate]]"))
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp = post(t, c, srv.URL, claude, "converse", converseBody("[[mock status=503]]"))
	resp.Body.Close()
	want := []struct {
		end    string
		status int
	}{{EndAborted, 200}, {EndAborted, 200}, {EndError, 503}}
	reqs := srv.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d entries", len(reqs))
	}
	for i, w := range want {
		if reqs[i].End != w.end || reqs[i].Status != w.status {
			t.Errorf("entry %d: end %q status %d, want %q %d", i, reqs[i].End, reqs[i].Status, w.end, w.status)
		}
	}
}

func TestJournalBounds(t *testing.T) {
	srv := NewServer(Config{JournalSize: 3})
	defer srv.Close()
	for i := range 5 {
		resp := post(t, srv.Client(), srv.URL, claude, "converse", converseBody(fmt.Sprint("n", i)))
		resp.Body.Close()
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d entries, want 3", len(reqs))
	}
	for i, r := range reqs {
		if want := converseBody(fmt.Sprint("n", i+2)); r.Body != want {
			t.Errorf("entry %d body %s, want %s", i, r.Body, want)
		}
	}

	// A body over MaxJournalBody is kept cut, and marked.
	big := converseBody(strings.Repeat("x", MaxJournalBody))
	resp := post(t, srv.Client(), srv.URL, claude, "converse", big)
	resp.Body.Close()
	reqs = srv.Requests()
	last := reqs[len(reqs)-1]
	if !last.BodyTruncated || len(last.Body) != MaxJournalBody || last.BodySize != len(big) || last.Body != big[:MaxJournalBody] {
		t.Errorf("big body: truncated=%v len=%d size=%d", last.BodyTruncated, len(last.Body), last.BodySize)
	}

	off := NewServer(Config{JournalSize: -1})
	defer off.Close()
	resp = post(t, off.Client(), off.URL, claude, "converse", converseBody("x"))
	resp.Body.Close()
	if n := len(off.Requests()); n != 0 {
		t.Errorf("journal off kept %d entries", n)
	}
}

func TestJournalByteBudget(t *testing.T) {
	j := newJournal(10)
	j.maxBytes = 25
	for i := range 6 {
		j.add(Request{Body: strings.Repeat(fmt.Sprint(i), 10)})
	}
	got := j.list(nil)
	if len(got) != 2 || got[0].Body[0] != '4' || got[1].Body[0] != '5' || j.bytes != 20 {
		t.Errorf("kept %d entries (%d bytes), want the last 2", len(got), j.bytes)
	}
	// An update of an entry dropped meanwhile changes nothing.
	j.update(1, Request{Body: "stale"})
	if got := j.list(nil); len(got) != 2 || got[0].Body[0] != '4' {
		t.Errorf("update of a dropped entry: %+v", got)
	}
	j.update(6, Request{Body: "new"})
	if got := j.list(nil); got[1].Body != "new" || j.bytes != 13 {
		t.Errorf("update: %+v, %d bytes", got, j.bytes)
	}
}

func TestJournalHTTP(t *testing.T) {
	srv := NewServer(Config{Credentials: []sigv4.Credentials{{AccessKeyID: "AKID", SecretAccessKey: "SECRET"}}})
	defer srv.Close()
	c := srv.Client()
	// Unsigned requests are refused, and recorded.
	for _, m := range []string{claude, "amazon.titan-text-express-v1"} {
		resp := post(t, c, srv.URL, m, "converse", converseBody("hi"))
		resp.Body.Close()
	}
	get := func(query string) []Request {
		t.Helper()
		resp, err := c.Get(srv.URL + JournalPath + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET: %s %s", resp.Status, resp.Header.Get("Content-Type"))
		}
		var out []Request
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := get("")
	if len(all) != 2 || all[0].Status != 403 || all[0].Model != claude {
		t.Fatalf("GET: %+v", all)
	}
	if got := get("?model=amazon.titan-text-express-v1"); len(got) != 1 || got[0].Model != "amazon.titan-text-express-v1" {
		t.Errorf("model filter: %+v", got)
	}
	if got := get("?operation=Converse&model=" + claude); len(got) != 1 || got[0].Model != claude {
		t.Errorf("operation and model filter: %+v", got)
	}
	if got := get("?operation=ConverseStream"); len(got) != 0 {
		t.Errorf("operation filter: %+v", got)
	}
	// The journal's own requests are not recorded, and other methods are refused.
	req, _ := http.NewRequest("PUT", srv.URL+JournalPath, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD, DELETE" {
		t.Errorf("PUT: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	req, _ = http.NewRequest("DELETE", srv.URL+JournalPath, nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %s", resp.Status)
	}
	if got := get(""); len(got) != 0 {
		t.Errorf("after DELETE: %+v", got)
	}
}

// TestJournalConcurrent reads the journal while requests run (go test -race checks it).
func TestJournalConcurrent(t *testing.T) {
	srv := NewServer(Config{JournalSize: 8})
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				resp := post(t, srv.Client(), srv.URL, claude, "converse-stream", converseBody(fmt.Sprint("req ", i)))
				readStream(t, resp)
			}
		}()
	}
	for range 20 {
		for _, r := range srv.Requests() {
			_ = r.Header.Get("Content-Type") + r.Body
		}
	}
	wg.Wait()
	if reqs := srv.Requests(); len(reqs) != 8 {
		t.Errorf("%d entries, want 8", len(reqs))
	}
	for _, r := range srv.Requests() {
		if r.End != EndComplete {
			t.Errorf("entry ended %q", r.End)
		}
	}
}

// TestJournalRingModel checks the ring, which grows as requests come, against a plain
// slice: random body sizes make the byte budget drop entries before the ring is full.
func TestJournalRingModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{1, 2, 5, 16} {
		j := newJournal(size)
		j.maxBytes = 40
		var model []Request
		for i := range 300 {
			r := Request{RequestID: fmt.Sprint(i), Body: strings.Repeat("x", rng.IntN(25))}
			seq := j.add(r)
			model = append(model, r)
			bytes := 0
			for _, m := range model {
				bytes += len(m.Body)
			}
			for len(model) > 1 && (len(model) > size || bytes > j.maxBytes) {
				bytes -= len(model[0].Body)
				model = model[1:]
			}
			if rng.IntN(4) == 0 {
				r.End = EndComplete
				j.update(seq, r)
				model[len(model)-1] = r
			}
			got := j.list(nil)
			if len(got) != len(model) || len(j.buf) > size {
				t.Fatalf("size %d, step %d: %d entries (ring %d), want %d", size, i, len(got), len(j.buf), len(model))
			}
			for k := range got {
				if got[k].RequestID != model[k].RequestID || got[k].End != model[k].End {
					t.Fatalf("size %d, step %d: entry %d is %s, want %s", size, i, k, got[k].RequestID, model[k].RequestID)
				}
			}
		}
	}
}
