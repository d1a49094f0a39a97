package flow

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of the YAML flow
// format, for editors and API clients. It covers structure (fields, kinds,
// durations, ids); Validate adds the checks a schema cannot express
// (targets, reachability, departments, rule expressions).
func JSONSchema() []byte {
	out := make([]byte, len(schemaJSON))
	copy(out, schemaJSON)
	return out
}
