package bedrocktest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExampleInput(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{``, `{}`},
		{`{"type":"object"}`, `{}`},
		{`{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}`,
			`{"city":"example","unit":"celsius"}`},
		// Optional properties are left out.
		{`{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["b"]}`, `{"b":1}`},
		{`{"properties":{"n":{"type":"integer","minimum":5},"x":{"type":"number","maximum":0},"e":{"type":"integer","exclusiveMinimum":10},"f":{"type":"number","exclusiveMaximum":1}},"required":["n","x","e","f"]}`,
			`{"e":11,"f":0.5,"n":5,"x":0}`},
		{`{"type":"object","properties":{"c":{"const":"fixed"},"d":{"type":"integer","default":42},"x":{"type":"string","examples":["ex1","ex2"]}},"required":["c","d","x"]}`,
			`{"c":"fixed","d":42,"x":"ex1"}`},
		{`{"type":"object","properties":{"when":{"type":"string","format":"date"},"at":{"type":"string","format":"date-time"},"to":{"type":"string","format":"email"},"url":{"type":"string","format":"uri"}},"required":["when","at","to","url"]}`,
			`{"at":"2024-01-15T09:30:00Z","to":"user@example.com","url":"https://example.com/","when":"2024-01-15"}`},
		{`{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","minLength":10},"minItems":2},"none":{"type":"array","maxItems":0}},"required":["tags","none"]}`,
			`{"none":[],"tags":["examplexxx","examplexxx"]}`},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"deep":{"type":["null","boolean"]}},"required":["deep"]}},"required":["o"]}`,
			`{"o":{"deep":true}}`},
		{`{"type":"object","properties":{"p":{"$ref":"#/$defs/point"}},"required":["p"],"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}}}`,
			`{"p":{"x":1.5}}`},
		{`{"anyOf":[{"type":"string","maxLength":3},{"type":"integer"}]}`, `"exa"`},
		{`{"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"boolean"}},"required":["b"]}]}`, `{"a":1,"b":true}`},
	} {
		got, err := ExampleInput([]byte(tc.schema))
		if err != nil || string(got) != tc.want {
			t.Errorf("ExampleInput(%s) = %s, %v; want %s", tc.schema, got, err, tc.want)
		}
	}
}

func TestExampleInputErrors(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object","properties":{"self":{"$ref":"#"}},"required":["self"]}`, // endless
		`{"$ref":"other.json#/x"}`,
		`{"$ref":"#/$defs/missing"}`,
		`{not json`,
		strings.Repeat(`{"type":"array","minItems":1,"items":`, 40) + `{}` + strings.Repeat(`}`, 40),
		strings.Repeat(`{"type":"array","minItems":64,"items":`, 5) + `{}` + strings.Repeat(`}`, 5), // 64^5 values
	} {
		if got, err := ExampleInput([]byte(schema)); err == nil {
			t.Errorf("ExampleInput(%.60s) = %s, want an error", schema, got)
		}
	}
	// Large sizes are bounded.
	got, err := ExampleInput([]byte(`{"type":"array","minItems":1e9,"items":{"type":"string","minLength":1e9}}`))
	if err != nil || len(got) > maxSchemaItems*(maxSchemaChars+3)+2 {
		t.Errorf("bounded: %d bytes, %v", len(got), err)
	}
}

func FuzzExampleInput(f *testing.F) {
	f.Add([]byte(weatherSchema))
	f.Add([]byte(`{"$ref":"#/$defs/a","$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}}}`))
	f.Add([]byte(`{"type":["null","array"],"items":{"anyOf":[{"const":1}]},"minItems":3}`))
	f.Fuzz(func(t *testing.T, schema []byte) {
		out, err := ExampleInput(schema)
		if err == nil && !json.Valid(out) {
			t.Fatalf("ExampleInput(%s) = %s, not JSON", schema, out)
		}
	})
}
