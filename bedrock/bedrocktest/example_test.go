package bedrocktest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

func ExampleNewServer() {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()

	body := `{"messages":[{"role":"user","content":[{"text":"Hello from a test [[mock exception=throttlingException after=3]]"}]}]}`
	resp, err := http.Post(srv.URL+"/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
		"application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r, err := bedrock.ReadResponse(resp)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		text, _ := bedrock.TextDelta(bedrock.FamilyConverse, ev.Payload)
		fmt.Printf("%s %q\n", ev.Type, text)
	}
	// Output:
	// messageStart ""
	// contentBlockDelta "Hello from a "
	// contentBlockDelta "test"
	// error: bedrock: throttlingException: bedrocktest: injected throttlingException
}

func ExampleParseDirectives() {
	text, f, err := bedrocktest.ParseDirectives("Summarise this. [[mock exception=modelStreamErrorException after=2 original-status=503]]")
	fmt.Println(text, f.Exception, f.ExceptionAfter, f.OriginalStatus, err)
	// Output: Summarise this. modelStreamErrorException 2 503 <nil>
}

func ExampleExampleInput() {
	input, err := bedrocktest.ExampleInput([]byte(`{
		"type": "object",
		"properties": {
			"city":  {"type": "string", "examples": ["Paris"]},
			"days":  {"type": "integer", "minimum": 1, "maximum": 7},
			"unit":  {"enum": ["celsius", "fahrenheit"]},
			"from":  {"type": "string", "format": "date"},
			"notes": {"type": "string"}
		},
		"required": ["city", "days", "unit", "from"]
	}`))
	fmt.Println(string(input), err)
	// Output: {"city":"Paris","days":1,"from":"2024-01-15","unit":"celsius"} <nil>
}

func ExampleServer_Requests() {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()

	body := `{"system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`
	req, _ := http.NewRequest("POST", srv.URL+"/model/anthropic.claude-3-haiku-20240307-v1:0/converse", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/...")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	for _, r := range srv.Requests() {
		fmt.Println(r.Operation, r.Model, r.Status, r.End)
		fmt.Println(r.Header.Get("Authorization"), strings.Contains(r.Body, `"Be brief."`))
	}
	// Output:
	// Converse anthropic.claude-3-haiku-20240307-v1:0 200 complete
	// REDACTED true
}
