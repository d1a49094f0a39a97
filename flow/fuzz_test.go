package flow

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// fuzzSeedFiles are the documents FuzzLoad starts from besides its
// committed corpus: the invalid corpus and the built-in flows.
func fuzzSeedFiles(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for prefix, glob := range map[string]string{
		"invalid-": filepath.Join("testdata", "invalid", "*.yaml"),
		"builtin-": filepath.Join("..", "flows", "*.yaml"),
	} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			out[prefix+strings.TrimSuffix(filepath.Base(p), ".yaml")] = src
		}
	}
	if len(out) < 30 {
		tb.Fatalf("only %d seed files", len(out))
	}
	return out
}

// FuzzLoad checks the diagnostics contract on arbitrary documents:
//
//   - Load returns a definition and no errors, or no definition and at
//     least one error;
//   - every diagnostic has a code, a message and a severity;
//   - diagnostics of a document point into it: line >= 1 and no further
//     than its last line, column >= 1 except for YAML syntax errors, whose
//     column yaml.v3 does not report (0);
//   - Validate never panics on what Parse returns, errors or not, and
//     on the same definition without positions (a JSON round trip), where
//     line and column are 0 and the path locates the problem instead;
//   - Diff of a parsed definition with itself is empty.
func FuzzLoad(f *testing.F) {
	for _, src := range fuzzSeedFiles(f) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := 1 + bytes.Count(src, []byte("\n"))
		// yaml.v3 also breaks lines at a lone \r and at NEL, LS and PS.
		lines += bytes.Count(src, []byte("\r")) - bytes.Count(src, []byte("\r\n"))
		for _, r := range []string{"\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(src, []byte(r))
		}
		checkPositioned := func(stage string, ds Diagnostics) {
			t.Helper()
			for _, dg := range ds {
				checkDiagnostic(t, stage, dg)
				if dg.Line < 1 || dg.Line > lines {
					t.Fatalf("%s: line %d outside the document's %d lines: %s", stage, dg.Line, lines, dg)
				}
				if dg.Column < 1 && !(dg.Column == 0 && dg.Code == "syntax") {
					t.Fatalf("%s: column %d: %s", stage, dg.Column, dg)
				}
			}
		}

		d, diags := Load(src, ValidateOptions{})
		checkPositioned("Load", diags)
		if diags.HasErrors() == (d != nil) {
			t.Fatalf("Load returned definition %v with diagnostics:\n%s", d != nil, diags.Error())
		}

		pd, pdiags := Parse(src)
		checkPositioned("Parse", pdiags)
		if pd == nil {
			if !pdiags.HasErrors() {
				t.Fatal("Parse returned neither a definition nor errors")
			}
			return
		}
		// Validate whatever Parse could read, errors or not.
		checkPositioned("Validate", Validate(pd, ValidateOptions{}))

		js, err := json.Marshal(pd)
		if err != nil {
			// Parse keeps params JSON-compatible even on bad input.
			t.Fatalf("marshal parsed definition: %v", err)
		}
		var bare Definition
		if err := json.Unmarshal(js, &bare); err != nil {
			return // e.g. a zero duration Parse reported, which JSON cannot carry back
		}
		for _, dg := range Validate(&bare, ValidateOptions{}) {
			checkDiagnostic(t, "Validate without positions", dg)
			if dg.Line != 0 || dg.Column != 0 || dg.Path == "" {
				t.Fatalf("a diagnostic without positions must have a path and no line: %#v", dg)
			}
		}

		if diff := Diff(pd, pd); !diff.Empty() {
			t.Fatalf("a definition differs from itself:\n%s", diff.Text())
		}
		_ = Diff(nil, pd).Text()
	})
}

func checkDiagnostic(t *testing.T, stage string, dg Diagnostic) {
	t.Helper()
	if dg.Code == "" || strings.TrimSpace(dg.Message) == "" || (dg.Severity != SeverityError && dg.Severity != SeverityWarning) {
		t.Fatalf("%s: malformed diagnostic %#v", stage, dg)
	}
}

// TestFuzzLoadCorpusHasTheSeeds keeps the committed FuzzLoad corpus in
// step with the invalid corpus and the built-in flows.
func TestFuzzLoadCorpusHasTheSeeds(t *testing.T) {
	t.Parallel()
	for name, src := range fuzzSeedFiles(t) {
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(src)) + ")\n"
		got, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", name))
		if err != nil || string(got) != want {
			t.Errorf("testdata/fuzz/FuzzLoad/%s is missing or stale; write it as:\n%s", name, want)
		}
	}
}
