package bedrocktest

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Bounds on what a schema can ask of a generated value.
const (
	maxSchemaDepth = 32   // nesting of objects, arrays and references
	maxSchemaItems = 64   // items of one generated array
	maxSchemaChars = 4096 // characters of one generated string
	maxSchemaNodes = 4096 // values generated in all
)

// ExampleInput returns a JSON value valid for the JSON Schema schema, made from the schema
// alone, as the tool input of a generated tool call:
//   - "const", then "default", then the first of "examples", then the first of "enum" is
//     taken as it is;
//   - "type" (the first that is not "null" when it is a list; inferred from "properties" or
//     "items" when absent) decides the rest: an object gets its "required" properties (and
//     no others), each generated from its own schema; an array gets "minItems" items (one
//     when it sets none, at most "maxItems") from "items"; an integer is 1 and a number 1.5,
//     moved into "minimum"/"maximum" (and their exclusive forms); a boolean is true;
//   - a string is made for "format" date, date-time, time, email, uri/url, uuid, ipv4 and
//     hostname, else "example", padded or cut to "minLength"/"maxLength";
//   - "anyOf" and "oneOf" take their first schema, "allOf" merges its schemas' properties
//     and required lists, and "$ref" follows "#/$defs/..." and "#/definitions/..." in the
//     same document.
//
// What this cannot satisfy: "pattern", "multipleOf", "uniqueItems" with a single item
// schema, "not", "if"/"then"/"else", "dependentRequired", "propertyNames",
// "patternProperties", and references to other documents. For such a schema give the input
// in a scenario rule ([Rule.ToolInput]). Nesting deeper than 32 levels (a cyclic reference
// that needs it, too) or more than 4096 values in all is an error; arrays have at most 64
// items and strings at most 4096 characters.
func ExampleInput(schema []byte) ([]byte, error) {
	var root any
	if len(schema) == 0 {
		return []byte("{}"), nil
	}
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, fmt.Errorf("bedrocktest: tool input schema: %w", err)
	}
	g := &schemaGen{root: root}
	v, err := g.value(root, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

type schemaGen struct {
	root  any
	nodes int
}

func (g *schemaGen) value(s any, depth int) (any, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("bedrocktest: tool input schema nests deeper than %d levels", maxSchemaDepth)
	}
	if g.nodes++; g.nodes > maxSchemaNodes {
		return nil, fmt.Errorf("bedrocktest: tool input schema asks for more than %d values", maxSchemaNodes)
	}
	m, ok := s.(map[string]any)
	if !ok {
		return map[string]any{}, nil // true, or a schema that is not an object: anything goes
	}
	if ref, ok := m["$ref"].(string); ok {
		t, err := g.resolve(ref)
		if err != nil {
			return nil, err
		}
		return g.value(t, depth+1)
	}
	if v, ok := m["const"]; ok {
		return v, nil
	}
	if v, ok := m["default"]; ok {
		return v, nil
	}
	if ex, ok := m["examples"].([]any); ok && len(ex) > 0 {
		return ex[0], nil
	}
	if en, ok := m["enum"].([]any); ok && len(en) > 0 {
		return en[0], nil
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := m[k].([]any); ok && len(alts) > 0 {
			return g.value(alts[0], depth+1)
		}
	}
	if all, ok := m["allOf"].([]any); ok && len(all) > 0 {
		merged, err := g.mergeAll(m, all, depth)
		if err != nil {
			return nil, err
		}
		return g.value(merged, depth+1)
	}
	switch schemaType(m) {
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		req, _ := m["required"].([]any)
		for _, r := range req {
			name, ok := r.(string)
			if !ok {
				continue
			}
			v, err := g.value(props[name], depth+1)
			if err != nil {
				return nil, err
			}
			out[name] = v
		}
		return out, nil
	case "array":
		n := 1
		if v, ok := number(m["minItems"]); ok {
			n = int(max(0, min(v, maxSchemaItems)))
		}
		if v, ok := number(m["maxItems"]); ok && float64(n) > v {
			n = int(max(0, v))
		}
		out := make([]any, 0, n)
		items := m["items"]
		if prefix, ok := m["prefixItems"].([]any); ok {
			for i := 0; i < n && i < len(prefix); i++ {
				v, err := g.value(prefix[i], depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
		}
		for len(out) < n {
			v, err := g.value(items, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "integer":
		return rangeValue(m, 1, true), nil
	case "number":
		return rangeValue(m, 1.5, false), nil
	case "boolean":
		return true, nil
	case "null":
		return nil, nil
	case "string":
		return stringValue(m), nil
	}
	return map[string]any{}, nil
}

// schemaType is the schema's type: the first non-null one of a list, or the one its other
// keywords imply.
func schemaType(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
		if len(t) > 0 {
			return "null"
		}
	}
	switch {
	case m["properties"] != nil || m["required"] != nil:
		return "object"
	case m["items"] != nil || m["prefixItems"] != nil:
		return "array"
	case m["format"] != nil || m["minLength"] != nil || m["maxLength"] != nil || m["pattern"] != nil:
		return "string"
	case m["minimum"] != nil || m["maximum"] != nil:
		return "number"
	}
	return "object"
}

func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// rangeValue moves def into the schema's bounds.
func rangeValue(m map[string]any, def float64, integer bool) any {
	v := def
	if lo, ok := number(m["minimum"]); ok && v < lo {
		v = lo
	}
	if lo, ok := number(m["exclusiveMinimum"]); ok && v <= lo {
		v = lo + 1
		if !integer {
			v = lo + 0.5
		}
	}
	if hi, ok := number(m["maximum"]); ok && v > hi {
		v = hi
	}
	if hi, ok := number(m["exclusiveMaximum"]); ok && v >= hi {
		v = hi - 1
		if !integer {
			v = hi - 0.5
		}
	}
	if integer {
		v = math.Ceil(v)
		if hi, ok := number(m["maximum"]); ok && v > hi {
			v = math.Floor(hi)
		}
		return int64(v)
	}
	return v
}

// stringValue is a string of the schema's format and length.
func stringValue(m map[string]any) string {
	var s string
	switch m["format"] {
	case "date":
		s = "2024-01-15"
	case "date-time":
		s = "2024-01-15T09:30:00Z"
	case "time":
		s = "09:30:00Z"
	case "email":
		s = "user@example.com"
	case "uri", "url", "iri":
		s = "https://example.com/"
	case "uuid":
		s = "123e4567-e89b-42d3-a456-426614174000"
	case "ipv4":
		s = "192.0.2.1"
	case "hostname":
		s = "example.com"
	default:
		s = "example"
	}
	if n, ok := number(m["minLength"]); ok && float64(len(s)) < n {
		s += strings.Repeat("x", int(min(n, maxSchemaChars))-len(s))
	}
	if n, ok := number(m["maxLength"]); ok && float64(len(s)) > n {
		s = s[:int(max(n, 0))]
	}
	return s
}

// resolve follows a local reference: "#", "#/$defs/name", "#/definitions/name" or any
// JSON pointer into the document.
func (g *schemaGen) resolve(ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("bedrocktest: tool input schema: reference %q is not in the same document", ref)
	}
	cur := g.root
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("bedrocktest: tool input schema: reference %q not found", ref)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("bedrocktest: tool input schema: reference %q not found", ref)
		}
	}
	return cur, nil
}

// mergeAll merges the schemas of allOf into one: properties and required lists joined,
// other keywords from the first schema that has them.
func (g *schemaGen) mergeAll(m map[string]any, all []any, depth int) (map[string]any, error) {
	out := map[string]any{}
	props := map[string]any{}
	var req []any
	parts := append([]any{m}, all...)
	for _, p := range parts {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if ref, ok := pm["$ref"].(string); ok && depth < maxSchemaDepth {
			t, err := g.resolve(ref)
			if err != nil {
				return nil, err
			}
			if tm, ok := t.(map[string]any); ok {
				pm = tm
			}
		}
		for k, v := range pm {
			switch k {
			case "allOf", "$ref":
			case "properties":
				if pp, ok := v.(map[string]any); ok {
					for name, ps := range pp {
						if _, seen := props[name]; !seen {
							props[name] = ps
						}
					}
				}
			case "required":
				if r, ok := v.([]any); ok {
					req = append(req, r...)
				}
			default:
				if _, seen := out[k]; !seen {
					out[k] = v
				}
			}
		}
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	if len(req) > 0 {
		out["required"] = req
	}
	return out, nil
}
