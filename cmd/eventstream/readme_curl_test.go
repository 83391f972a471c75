package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReadmeJournalCurl sends the requests of README.md's curl example of the request journal
// to a running serve, as curl would send them (method, URL, headers and body taken from the
// command lines), and checks what each answers: the Converse reply, the journal holding that
// request and its system prompt, then an empty journal after the DELETE.
func TestReadmeJournalCurl(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	var cmds [][]word
	for block := range strings.SplitSeq(readme, "```sh\n") {
		block, _, _ = strings.Cut(block, "```")
		if !strings.HasPrefix(block, "curl ") {
			continue
		}
		for line := range strings.SplitSeq(strings.ReplaceAll(block, "\\\n", " "), "\n") {
			if words, _ := shellWords(line); len(words) > 0 {
				cmds = append(cmds, words)
			}
		}
	}
	if len(cmds) != 3 {
		t.Fatalf("found %d curl commands in README.md, want the journal example's 3", len(cmds))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := serve(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(first, "eventstream serve: listening on "))
	defer func() {
		cancel()
		<-done
	}()

	answers := make([]string, len(cmds))
	for i, words := range cmds {
		method, target, body := "GET", "", ""
		hdr := http.Header{}
		for j := 1; j < len(words); j++ {
			switch w := words[j].text; w {
			case "-s":
			case "-X":
				j++
				method = words[j].text
			case "-H":
				j++
				k, v, _ := strings.Cut(words[j].text, ":")
				hdr.Add(k, strings.TrimSpace(v))
			case "-d":
				j++
				method, body = "POST", words[j].text
			default:
				if !strings.HasPrefix(w, "http://127.0.0.1:8085/") || target != "" {
					t.Fatalf("curl command %d: unexpected word %q", i+1, w)
				}
				target = base + strings.TrimPrefix(w, "http://127.0.0.1:8085")
			}
		}
		if method == "POST" && hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
		}
		req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("curl command %d: %s %s", i+1, resp.Status, b)
		}
		answers[i] = string(b)
	}
	if !strings.Contains(answers[0], `"text":"Hello"`) {
		t.Errorf("Converse answered %s", answers[0])
	}
	var journal []struct {
		Operation, Model, Body string
	}
	if err := json.Unmarshal([]byte(answers[1]), &journal); err != nil || len(journal) != 1 ||
		journal[0].Operation != "Converse" || !strings.Contains(journal[0].Body, "Be brief.") {
		t.Errorf("the journal: %v, %s", err, answers[1])
	}
	resp, err := http.Get(base + "/_mock/requests")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("after the DELETE, the journal holds %s", b)
	}
}
