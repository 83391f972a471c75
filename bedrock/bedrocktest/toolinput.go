package bedrocktest

import (
	"encoding/json"
	"fmt"
)

// toolInput returns a JSON value valid for a tool's input schema (a JSON Schema document, as
// a tool configuration carries it): an object with every property the schema lists, each
// filled by its own schema. An empty schema gives {}.
func toolInput(schema string) ([]byte, error) {
	if schema == "" {
		return []byte("{}"), nil
	}
	var s any
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	v := schemaValue(s, 0)
	return json.Marshal(v)
}

// schemaValue returns a value that the JSON Schema s accepts, for the keywords tools use:
// type, properties, items, enum, const, minimum, minLength, minItems, anyOf and oneOf.
// Past a depth of 16 it gives null, so that recursive schemas end.
func schemaValue(s any, depth int) any {
	m, ok := s.(map[string]any)
	if !ok || depth > 16 {
		return nil
	}
	if c, ok := m["const"]; ok {
		return c
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := m[k].([]any); ok && len(alts) > 0 {
			return schemaValue(alts[0], depth+1)
		}
	}
	typ, _ := m["type"].(string)
	if ts, ok := m["type"].([]any); ok && len(ts) > 0 {
		typ, _ = ts[0].(string)
	}
	if typ == "" {
		if _, ok := m["properties"]; ok {
			typ = "object"
		}
	}
	num := func(def float64) float64 {
		if v, ok := m["minimum"].(float64); ok {
			return v
		}
		if v, ok := m["exclusiveMinimum"].(float64); ok {
			return v + 1
		}
		return def
	}
	switch typ {
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for name, ps := range props {
			out[name] = schemaValue(ps, depth+1)
		}
		return out
	case "array":
		n := 1
		if v, ok := m["minItems"].(float64); ok && v > 1 {
			n = int(min(v, 16))
		}
		items := make([]any, n)
		for i := range items {
			items[i] = schemaValue(m["items"], depth+1)
		}
		return items
	case "string":
		s := "bedrocktest"
		if v, ok := m["minLength"].(float64); ok {
			for len(s) < int(min(v, 1024)) {
				s += "-"
			}
		}
		if v, ok := m["maxLength"].(float64); ok && int(v) < len(s) {
			s = s[:max(int(v), 0)]
		}
		return s
	case "integer":
		return int64(num(1))
	case "number":
		return num(1.5)
	case "boolean":
		return true
	case "null":
		return nil
	}
	return map[string]any{}
}
