package flow

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic blocks a definition from being used.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in a flow definition. Line and Column are
// 1-based positions in the YAML source (0 when unknown, e.g. for a
// definition that was not produced by Parse). Path locates the offending
// value inside the definition, e.g. "steps[2].outcomes[0].next". Code is a
// stable identifier for the kind of problem ("unknown-target", ...).
type Diagnostic struct {
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Path     string   `json:"path,omitempty"`
}

// String renders the diagnostic like a compiler does:
//
//	12:5: error: unknown step "x" in next (unknown-target)
//
// Without a line it falls back to the path, then to nothing.
func (d Diagnostic) String() string {
	var b strings.Builder
	switch {
	case d.Line > 0 && d.Column > 0:
		fmt.Fprintf(&b, "%d:%d: ", d.Line, d.Column)
	case d.Line > 0:
		fmt.Fprintf(&b, "%d: ", d.Line)
	case d.Path != "":
		fmt.Fprintf(&b, "%s: ", d.Path)
	}
	fmt.Fprintf(&b, "%s: %s (%s)", d.Severity, d.Message, d.Code)
	return b.String()
}

// Diagnostics is a list of problems. As an error it renders one diagnostic
// per line.
type Diagnostics []Diagnostic

// Error joins all diagnostics, one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic has severity error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns the diagnostics with severity error.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Warnings returns the diagnostics with severity warning.
func (ds Diagnostics) Warnings() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityWarning {
			out = append(out, d)
		}
	}
	return out
}

// sortByPosition orders diagnostics by line and column, keeping the
// order of equal positions.
func (ds Diagnostics) sortByPosition() {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Column < ds[j].Column
	})
}

// position is a 1-based line and column in the YAML source.
type position struct{ line, col int }

// positions maps definition paths to where they were written: val is the
// position of the value, key the position of the mapping key naming it.
type positions struct {
	val map[string]position
	key map[string]position
	// bad holds the paths whose value Parse could not read (reported
	// there): what Validate would say about them, or anything inside
	// them, follows from that error and is not reported again.
	bad map[string]bool
}

// followsFromParse reports whether path is, or lies inside, a value Parse
// could not read.
func (p *positions) followsFromParse(path string) bool {
	if p == nil || len(p.bad) == 0 {
		return false
	}
	for {
		if p.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// lookup returns the position of path's value (or its key when key is
// true), falling back to the closest enclosing path that was recorded.
func (p *positions) lookup(path string, key bool) (position, bool) {
	if p == nil {
		return position{}, false
	}
	for {
		if key {
			if ps, ok := p.key[path]; ok {
				return ps, true
			}
		}
		if ps, ok := p.val[path]; ok {
			return ps, true
		}
		if path == "" {
			return position{}, false
		}
		path = parentPath(path)
		key = false
	}
}

// parentPath strips the last ".field" or "[n]" segment of a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// suggest returns the candidate closest to s by edit distance when it is
// close enough to be a likely typo, or "".
func suggest(s string, candidates []string) string {
	if len(candidates) > maxSuggestCandidates {
		return "" // keep huge hostile documents linear
	}
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	if best == "" || bestDist > limit || bestDist == 0 && best == s {
		return ""
	}
	return best
}

// maxSuggestCandidates bounds the work suggest does per call.
const maxSuggestCandidates = 200

// didYouMean formats a suggestion suffix for messages.
func didYouMean(s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" {
		return fmt.Sprintf("; did you mean %q?", m)
	}
	return ""
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// MaxDiagnostics bounds how many problems Parse and Validate report; a
// document with more gets a final "too-many" diagnostic instead.
const MaxDiagnostics = 1000

// limit truncates ds to MaxDiagnostics entries.
func (ds Diagnostics) limit() Diagnostics {
	if len(ds) <= MaxDiagnostics {
		return ds
	}
	rest := len(ds) - MaxDiagnostics
	last := ds[MaxDiagnostics-1]
	out := append(Diagnostics(nil), ds[:MaxDiagnostics]...)
	return append(out, Diagnostic{
		Line: last.Line, Column: last.Column, Severity: SeverityError, Code: "too-many",
		Message: fmt.Sprintf("%d more problems not shown; fix the ones above first", rest),
	})
}
