// Package flows holds flowlab's built-in flow definitions, embedded as YAML:
//
//   - complaint v1 (default): the current 5-step complaint process across
//     customer service, technical and (for advanced severity) the crisis team.
//   - complaint v2: the one-stop 3-step complaint process (submit, handle,
//     feedback), the treatment arm of the canonical pilot against v1.
//   - returns-exchange v1 (default): one-stop after-sales application with a
//     customer service approval threshold and supervisor approval above it.
//   - appointment v1 (default): book, confirm, reminder, service, follow-up.
//   - pdca v1 (default): the improvement team's Plan-Do-Check-Act cycle,
//     whose Do step pilots a candidate version of a flow.
//
// Files are named <key>.v<version>.yaml; the default version of each key is
// listed in defaults.
package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/flowlab/flowlab/flow"
)

//go:embed *.yaml
var files embed.FS

// defaults names the default version of each built-in flow key.
var defaults = map[string]int{
	"complaint":        1,
	"returns-exchange": 1,
	"appointment":      1,
	"pdca":             1,
}

// Builtin is one embedded flow definition version.
type Builtin struct {
	Key     string
	Version int
	// Default marks the version new cases of Key use unless a pilot or a
	// promotion says otherwise.
	Default bool
	// Source is the YAML text.
	Source []byte
}

var fileRe = regexp.MustCompile(`^([a-z][a-z0-9_-]*)\.v([1-9][0-9]*)\.yaml$`)

// All returns every built-in flow, ordered by key then version.
func All() []Builtin {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(fmt.Sprintf("flows: read embedded files: %v", err)) // embedded at build time
	}
	var out []Builtin
	for _, e := range entries {
		m := fileRe.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[2])
		src, err := files.ReadFile(e.Name())
		if err != nil {
			panic(fmt.Sprintf("flows: read %s: %v", e.Name(), err))
		}
		out = append(out, Builtin{Key: m[1], Version: v, Default: defaults[m[1]] == v, Source: src})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// Definition returns the parsed and validated built-in flow key at version.
func Definition(key string, version int) (*flow.Definition, error) {
	for _, b := range All() {
		if b.Key != key || b.Version != version {
			continue
		}
		d, diags := flow.Load(b.Source, flow.ValidateOptions{})
		if diags.HasErrors() {
			return nil, fmt.Errorf("flows: built-in %s v%d: %w", key, version, diags.Errors())
		}
		return d, nil
	}
	return nil, fmt.Errorf("flows: no built-in flow %q version %d", key, version)
}
