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
