package flow

import (
	"bytes"
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse feeds arbitrary documents to Load. It must never panic or
// hang; a definition that loads cleanly must survive a JSON round trip (the
// workflow input) and a YAML round trip (what an editor would save) and
// still validate without errors.
func FuzzParse(f *testing.F) {
	f.Add([]byte("key: demo\nversion: 1\nsteps:\n  - {id: done, kind: end}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, diags := Load(src, ValidateOptions{})
		for _, dg := range diags {
			if dg.Code == "" || dg.Message == "" || (dg.Severity != SeverityError && dg.Severity != SeverityWarning) {
				t.Fatalf("malformed diagnostic %#v", dg)
			}
		}
		if diags.HasErrors() {
			if d != nil {
				t.Fatalf("Load returned a definition along with errors:\n%s", diags.Error())
			}
			return
		}
		if d == nil {
			t.Fatal("Load returned neither a definition nor errors")
		}

		js, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal JSON: %v", err)
		}
		var fromJSON Definition
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			t.Fatalf("unmarshal JSON %s: %v", js, err)
		}
		if ds := Validate(&fromJSON, ValidateOptions{}); ds.HasErrors() {
			t.Fatalf("definition no longer validates after a JSON round trip:\n%s\n%s", ds.Error(), js)
		}

		ys, err := yaml.Marshal(d)
		if err != nil {
			t.Fatalf("marshal YAML: %v", err)
		}
		again, ds := Load(ys, ValidateOptions{})
		if ds.HasErrors() {
			t.Fatalf("definition no longer loads after a YAML round trip:\n%s\n%s", ds.Error(), ys)
		}
		js2, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshal JSON: %v", err)
		}
		if !bytes.Equal(js, js2) {
			t.Fatalf("YAML round trip changed the definition:\n%s\n%s", js, js2)
		}
	})
}
