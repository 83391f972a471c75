package bedrocktest

import (
	"io"
	"strings"
	"testing"
)

// TestStopSequencesEachFamily checks README's table of stop sequences row by row: each
// request that names them gets its answer cut before the first one found, in the whole body
// and in the stream, with that family's stop reason.
func TestStopSequencesEachFamily(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	const prompt = "one two three four five six seven eight nine ten"
	converse := `{"messages":[` + userText(prompt) + `],"inferenceConfig":{"stopSequences":["seven","five"]}}`
	for _, tc := range []struct {
		model, op, body string
		want            []string
	}{
		{claude, "converse", converse, []string{`"text":"one two three four "`, `"stopReason":"stop_sequence"`}},
		{claude, "converse-stream", converse, []string{`"text":"four "`, `messageStop {"stopReason":"stop_sequence"}`}},
		{"mistral.mistral-7b-instruct-v0:2", "invoke", `{"prompt":"` + prompt + `","stop":["five"]}`,
			[]string{`"text":"one two three four "`, `"stop_reason":"stop"`}},
		{"mistral.mistral-7b-instruct-v0:2", "invoke-with-response-stream", `{"prompt":"` + prompt + `","stop":["five"]}`,
			[]string{`"stop_reason":"stop"`}},
		{"mistral.mistral-large-2402-v1:0", "invoke", `{"messages":[{"role":"user","content":"` + prompt + `"}],"stop":["five"]}`,
			[]string{`"content":"one two three four "`, `"finish_reason":"stop"`}},
		{"cohere.command-text-v14", "invoke", `{"prompt":"` + prompt + `","stop_sequences":["five"]}`,
			[]string{`"text":"one two three four "`, `"finish_reason":"COMPLETE"`}},
		{"cohere.command-text-v14", "invoke-with-response-stream", `{"prompt":"` + prompt + `","stop_sequences":["five"]}`,
			[]string{`"finish_reason":"COMPLETE"`}},
		{"amazon.nova-lite-v1:0", "invoke", `{"messages":[{"role":"user","content":[{"text":"` + prompt + `"}]}],"inferenceConfig":{"stopSequences":["five"]}}`,
			[]string{`"text":"one two three four "`, `"stopReason":"stop_sequence"`}},
		{"amazon.nova-lite-v1:0", "invoke-with-response-stream", `{"messages":[{"role":"user","content":[{"text":"` + prompt + `"}]}],"inferenceConfig":{"stopSequences":["five"]}}`,
			[]string{`"stopReason":"stop_sequence"`}},
	} {
		resp := post(t, c, srv.URL, tc.model, tc.op, tc.body)
		var all string
		if strings.HasSuffix(tc.op, "stream") {
			all = strings.Join(events(t, resp), "\n")
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %s %s", tc.model, tc.op, resp.Status, b)
				continue
			}
			all = strings.Replace(string(b), `"prompt":"`+prompt+`"`, "", 1) // Cohere repeats the prompt
		}
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s %s: no %s in\n%s", tc.model, tc.op, w, all)
			}
		}
		if strings.Contains(all, "five") || strings.Contains(all, "seven") {
			t.Errorf("%s %s: not cut before the stop sequence:\n%s", tc.model, tc.op, all)
		}
	}
}
