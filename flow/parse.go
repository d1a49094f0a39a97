package flow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that keep Parse fast and safe on hostile input.
const (
	// MaxSourceSize is the largest YAML document Parse accepts.
	MaxSourceSize = 1 << 20
	// maxDepth bounds the nesting of any value (params included).
	maxDepth = 32
)

// Parse reads a flow definition from YAML. It reports every syntax, type
// and unknown-field problem it finds (not just the first), each with the
// line and column of the offending node. Semantic checks are left to
// Validate. The returned definition is nil only when the document could not
// be read at all; otherwise it holds everything that could be decoded and
// remembers source positions for Validate.
func Parse(src []byte) (*Definition, Diagnostics) {
	d, diags := parse(src)
	return d, diags.limit()
}

// parse is Parse without the MaxDiagnostics limit.
func parse(src []byte) (*Definition, Diagnostics) {
	p := &parser{src: src, pos: &positions{val: map[string]position{}, key: map[string]position{}, bad: map[string]bool{}}}
	if len(src) > MaxSourceSize {
		p.errorf(position{1, 1}, "", "too-large", "the flow definition is %d bytes; the limit is %d bytes", len(src), MaxSourceSize)
		return nil, p.diags
	}
	root, ok := p.document(src)
	if !ok {
		// One alias or too-deep value is reported per occurrence: a
		// document of them is bounded like any other.
		return nil, p.diags
	}
	d := &Definition{pos: p.pos}
	p.definition(root, d)
	d.Departments = nonNil(d.Departments)
	d.Steps = nonNil(d.Steps)
	return d, p.diags
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type parser struct {
	src     []byte
	pos     *positions
	diags   Diagnostics
	tooDeep bool // a too-deep diagnostic was reported
	lines   int  // the number of lines of the source, as YAML counts them
}

// sourceLines counts lines the way YAML breaks them: at \n, \r\n, a lone
// \r, NEL, LS and PS.
func sourceLines(src []byte) int {
	n := 1 + bytes.Count(src, []byte("\n"))
	n += bytes.Count(src, []byte("\r")) - bytes.Count(src, []byte("\r\n"))
	for _, r := range []string{"\u0085", "\u2028", "\u2029"} {
		n += bytes.Count(src, []byte(r))
	}
	return n
}

func (p *parser) errorf(at position, path, code, format string, args ...any) {
	if path != "" && (code == "bad-type" || code == "bad-duration") {
		p.pos.bad[path] = true // its value is unknown: see followsFromParse
	}
	p.diags = append(p.diags, Diagnostic{
		Line: at.line, Column: at.col, Severity: SeverityError,
		Code: code, Message: fmt.Sprintf(format, args...), Path: path,
	})
}

// posOf is where n was written. yaml.v3 places an empty document or value
// at the very end of a source without a final line break on a line of its
// own; such positions move to the start of the last line.
func (p *parser) posOf(n *yaml.Node) position {
	if n.Line > p.lines {
		return position{p.lines, 1}
	}
	return position{n.Line, n.Column}
}

var yamlLineRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// document decodes the single YAML document in src and returns its root
// node, which must be a mapping.
func (p *parser) document(src []byte) (root *yaml.Node, ok bool) {
	p.lines = sourceLines(src)
	defer func() {
		// yaml.v3 is not supposed to panic; if it does on some input,
		// report it as unreadable instead of taking the caller down.
		if r := recover(); r != nil {
			p.errorf(position{1, 1}, "", "syntax", "the YAML could not be read: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(position{1, 1}, "", "empty", "the flow definition is empty")
			return nil, false
		}
		p.syntaxError(err)
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		p.errorf(p.posOf(&next), "", "syntax", "only one YAML document is allowed; remove the \"---\" separator")
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		p.errorf(position{1, 1}, "", "empty", "the flow definition is empty")
		return nil, false
	}
	if !p.checkTree(doc.Content[0], 0) {
		return nil, false
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			p.errorf(p.posOf(root), "", "empty", "the flow definition is empty")
			return nil, false
		}
		p.errorf(p.posOf(root), "", "bad-type", "a flow definition must be a mapping of fields (key, version, departments, steps), found %s", describe(root))
		return nil, false
	}
	return root, true
}

func (p *parser) syntaxError(err error) {
	msg := err.Error()
	at := position{1, 0}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			at.line, _ = strconv.Atoi(m[1])
			if yamlParserProblems[m[2]] {
				// yaml.v3 reports the 0-based line of parser (as opposed
				// to scanner) errors.
				at.line++
			}
		}
		msg = m[2]
	}
	if at.line > p.lines {
		// yaml.v3 puts the end of a document without a final line
		// break on a line of its own; it belongs to the last line.
		at.line = p.lines
	}
	// yaml.v3 reports a tab in an indentation without a column, and (for
	// "violates indentation") on the line before it, where the value it
	// interrupts began: find the tab.
	switch {
	case strings.Contains(msg, "tab character"):
		if tab, ok := indentTab(p.src, at.line, at.line+1); ok {
			at = tab
			msg += "; indent with spaces"
		}
	case strings.Contains(msg, "cannot start any token"):
		if tab, ok := indentTab(p.src, at.line, at.line); ok {
			at = tab
			msg += " (a tab; indent with spaces)"
		}
	}
	p.errorf(at, "", "syntax", "invalid YAML: %s", msg)
}

// indentTab finds the first tab in the indentation of the lines from..to
// (1-based) and returns its line and column.
func indentTab(src []byte, from, to int) (position, bool) {
	line := 1
	for len(src) > 0 && line <= to {
		end := bytes.IndexByte(src, '\n')
		if end < 0 {
			end = len(src)
		}
		if line >= from {
			for col, c := range src[:end] {
				if c == '\t' {
					return position{line, col + 1}, true
				}
				if c != ' ' {
					break
				}
			}
		}
		if end == len(src) {
			break
		}
		src = src[end+1:]
		line++
	}
	return position{}, false
}

// yamlParserProblems are the messages of yaml.v3's parser errors, whose
// line numbers it reports 0-based; its scanner errors are 1-based.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// checkTree rejects aliases (which could expand exponentially) and nesting
// deeper than maxDepth before anything else looks at the tree.
func (p *parser) checkTree(n *yaml.Node, depth int) bool {
	if depth > maxDepth {
		if !p.tooDeep { // once per document: one deep value makes a whole subtree too deep
			p.tooDeep = true
			p.errorf(p.posOf(n), "", "too-deep", "values are nested more than %d levels deep", maxDepth)
		}
		return false
	}
	if n.Kind == yaml.AliasNode {
		p.errorf(p.posOf(n), "", "alias", "YAML aliases (*%s) are not supported; write the value out", n.Value)
		return false
	}
	ok := true
	for _, c := range n.Content {
		if !p.checkTree(c, depth+1) {
			ok = false
		}
	}
	return ok
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names what a node is, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		default:
			v := n.Value
			if len(v) > 40 {
				v = v[:40] + "..."
			}
			return strconv.Quote(v)
		}
	}
	return "an unsupported value"
}

// object walks a mapping node, recording positions, rejecting duplicate
// and unknown keys, and calling field for every known key. what names the
// object in messages ("step", "outcome").
func (p *parser) object(n *yaml.Node, path, what string, fields []string, field func(key string, v *yaml.Node, path string)) {
	p.pos.val[path] = p.posOf(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(p.posOf(n), path, "bad-type", "%s must be a mapping of fields, found %s", capitalize(what), describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			wasBad := p.pos.bad[path]
			p.errorf(p.posOf(k), path, "bad-type", "field names in %s must be plain words, found %s", what, describe(k))
			p.pos.bad[path] = wasBad // only this field is unreadable, not the whole object
			continue
		}
		key := k.Value
		if seen[key] {
			p.errorf(p.posOf(k), join(path, key), "duplicate-key", "field %q is written twice in %s", key, what)
			continue
		}
		seen[key] = true
		if !contains(fields, key) {
			p.errorf(p.posOf(k), join(path, key), "unknown-field", "unknown field %q in %s%s", key, what, didYouMean(key, fields))
			if m := suggest(key, fields); m != "" && !seen[m] && mappingValue(n, m) == "" && !hasKey(n, m) {
				// Most likely a misspelling of m: that m is missing
				// follows from this error.
				p.pos.bad[join(path, m)] = true
			}
			continue
		}
		fp := join(path, key)
		p.pos.key[fp] = p.posOf(k)
		p.pos.val[fp] = p.posOf(v)
		if isNull(v) {
			continue // an empty value is the same as leaving the field out
		}
		field(key, v, fp)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// str reads a scalar as text. Numbers and booleans are accepted as their
// literal text so that e.g. enum options [1, 2, 3] work.
func (p *parser) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(p.posOf(n), path, "bad-type", "%s must be text, found %s", fieldName(path), describe(n))
		return ""
	}
	return n.Value
}

func (p *parser) integer(n *yaml.Node, path string) int {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		v, err := strconv.ParseInt(n.Value, 0, 32)
		if err == nil {
			return int(v)
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		p.errorf(p.posOf(n), path, "bad-type", "%s is too large: %s", fieldName(path), n.Value)
		return 0
	}
	p.errorf(p.posOf(n), path, "bad-type", "%s must be a whole number, found %s", fieldName(path), describe(n))
	return 0
}

func (p *parser) boolean(n *yaml.Node, path string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	}
	p.errorf(p.posOf(n), path, "bad-type", "%s must be true or false, found %s", fieldName(path), describe(n))
	return false
}

func (p *parser) duration(n *yaml.Node, path string) Duration {
	if n.Kind != yaml.ScalarNode {
		p.errorf(p.posOf(n), path, "bad-duration", "%s must be a duration like 30m, 4h or 2d, found %s", fieldName(path), describe(n))
		return 0
	}
	d, err := ParseDuration(n.Value)
	if err != nil {
		p.errorf(p.posOf(n), path, "bad-duration", "%s: %v", fieldName(path), err)
		return 0
	}
	if d == 0 {
		p.errorf(p.posOf(n), path, "bad-duration", "%s must be longer than zero", fieldName(path))
	}
	return d
}

// list walks a sequence node and calls item for every element.
func (p *parser) list(n *yaml.Node, path string, item func(i int, v *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(p.posOf(n), path, "bad-type", "%s must be a list, found %s", fieldName(path), describe(n))
		return
	}
	for i, v := range n.Content {
		ip := index(path, i)
		p.pos.val[ip] = p.posOf(v)
		item(i, v, ip)
	}
}

func (p *parser) strList(n *yaml.Node, path string) []string {
	out := []string{}
	p.list(n, path, func(_ int, v *yaml.Node, ip string) {
		out = append(out, p.str(v, ip))
	})
	return out
}

// fieldName is the last field name of a path, for messages.
func fieldName(path string) string {
	for strings.HasSuffix(path, "]") {
		path = path[:strings.LastIndexByte(path, '[')]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	return fmt.Sprintf("%q", path)
}

var (
	definitionFields = []string{"key", "version", "name", "description", "departments", "start", "sla", "steps", "calendars", "calendar", "follow_up"}
	followUpFields   = []string{"share", "after", "department", "sla", "assign"}
	stepFields       = []string{"id", "kind", "name", "department", "roles", "sla", "escalation", "outcomes", "form", "assign",
		"activity", "params", "rules", "default", "event", "duration", "timeout", "on_timeout", "pause_sla", "next", "calendar"}
	calendarFields   = []string{"id", "timezone", "hours", "holidays"}
	escalationFields = []string{"after", "department", "notify", "assign"}
	assignFields     = []string{"rule", "skills", "sticky", "fallback", "accept_within"}
	outcomeFields    = []string{"name", "next"}
	fieldFields      = []string{"name", "type", "required", "options", "label"}
	ruleFields       = []string{"when", "next"}
)

func (p *parser) definition(n *yaml.Node, d *Definition) {
	p.object(n, "", "the flow definition", definitionFields, func(key string, v *yaml.Node, path string) {
		switch key {
		case "key":
			d.Key = p.str(v, path)
		case "version":
			d.Version = p.integer(v, path)
		case "name":
			d.Name = p.str(v, path)
		case "description":
			d.Description = p.str(v, path)
		case "departments":
			d.Departments = p.strList(v, path)
		case "start":
			d.Start = p.str(v, path)
		case "sla":
			d.SLA = p.duration(v, path)
		case "steps":
			d.Steps = []Step{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				d.Steps = append(d.Steps, p.step(v, path))
			})
		case "calendars":
			d.Calendars = []Calendar{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				d.Calendars = append(d.Calendars, p.calendar(v, path))
			})
		case "calendar":
			d.Calendar = p.str(v, path)
		case "follow_up":
			f := &FollowUp{}
			p.object(v, path, "the follow-up", followUpFields, func(key string, v *yaml.Node, path string) {
				switch key {
				case "share":
					f.Share = p.share(v, path)
				case "after":
					f.After = p.duration(v, path)
				case "department":
					f.Department = p.str(v, path)
				case "sla":
					f.SLA = p.duration(v, path)
				case "assign":
					f.Assign = p.assign(v, path)
				}
			})
			d.FollowUp = f
		}
	})
}

// share reads a share: a percentage ("15%") or a number (0.15).
func (p *parser) share(n *yaml.Node, path string) Share {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float" || n.Tag == "!!str") {
		if n.Tag != "!!str" || strings.HasSuffix(strings.TrimSpace(n.Value), "%") {
			if s, err := ParseShare(n.Value); err == nil {
				return s
			}
		}
	}
	p.errorf(p.posOf(n), path, "bad-type", "%s must be a percentage like 15%% or a fraction like 0.15, found %s", fieldName(path), describe(n))
	return 0
}

// assign reads a task's (or the follow-up call's) assignment.
func (p *parser) assign(v *yaml.Node, path string) *Assign {
	a := &Assign{}
	p.object(v, path, "an assignment", assignFields, func(key string, v *yaml.Node, path string) {
		switch key {
		case "rule":
			a.Rule = p.str(v, path)
		case "skills":
			a.Skills = p.strList(v, path)
		case "sticky":
			a.Sticky = p.strList(v, path)
		case "fallback":
			a.Fallback = p.strList(v, path)
		case "accept_within":
			a.AcceptWithin = p.duration(v, path)
		}
	})
	return a
}

func (p *parser) calendar(n *yaml.Node, path string) Calendar {
	var c Calendar
	what := "a calendar"
	if id := mappingValue(n, "id"); id != "" {
		what = "calendar " + strconv.Quote(id)
	}
	p.object(n, path, what, calendarFields, func(key string, v *yaml.Node, path string) {
		switch key {
		case "id":
			c.ID = p.str(v, path)
		case "timezone":
			c.TimeZone = p.str(v, path)
		case "hours":
			p.object(v, path, "the hours of "+what, weekdayNames, func(key string, v *yaml.Node, path string) {
				h := p.str(v, path)
				switch key {
				case "mon":
					c.Hours.Mon = h
				case "tue":
					c.Hours.Tue = h
				case "wed":
					c.Hours.Wed = h
				case "thu":
					c.Hours.Thu = h
				case "fri":
					c.Hours.Fri = h
				case "sat":
					c.Hours.Sat = h
				case "sun":
					c.Hours.Sun = h
				}
			})
		case "holidays":
			c.Holidays = p.strList(v, path)
		}
	})
	return c
}

func (p *parser) step(n *yaml.Node, path string) Step {
	var s Step
	what := "a step"
	if id := mappingValue(n, "id"); id != "" {
		what = "step " + strconv.Quote(id)
	}
	p.object(n, path, what, stepFields, func(key string, v *yaml.Node, path string) {
		switch key {
		case "id":
			s.ID = p.str(v, path)
		case "kind":
			s.Kind = Kind(p.str(v, path))
		case "name":
			s.Name = p.str(v, path)
		case "department":
			s.Department = p.str(v, path)
		case "roles":
			s.Roles = p.strList(v, path)
		case "sla":
			s.SLA = p.duration(v, path)
		case "assign":
			s.Assign = p.assign(v, path)
		case "escalation":
			s.Escalation = []EscalationLevel{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				var e EscalationLevel
				p.object(v, path, "an escalation level", escalationFields, func(key string, v *yaml.Node, path string) {
					switch key {
					case "after":
						e.After = p.duration(v, path)
					case "department":
						e.Department = p.str(v, path)
					case "notify":
						e.Notify = p.str(v, path)
					case "assign":
						e.Assign = p.str(v, path)
					}
				})
				s.Escalation = append(s.Escalation, e)
			})
		case "outcomes":
			s.Outcomes = []Outcome{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				var o Outcome
				p.object(v, path, "an outcome", outcomeFields, func(key string, v *yaml.Node, path string) {
					switch key {
					case "name":
						o.Name = p.str(v, path)
					case "next":
						o.Next = p.str(v, path)
					}
				})
				s.Outcomes = append(s.Outcomes, o)
			})
		case "form":
			s.Form = []Field{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				var f Field
				p.object(v, path, "a form field", fieldFields, func(key string, v *yaml.Node, path string) {
					switch key {
					case "name":
						f.Name = p.str(v, path)
					case "type":
						f.Type = p.str(v, path)
					case "required":
						f.Required = p.boolean(v, path)
					case "options":
						f.Options = p.strList(v, path)
					case "label":
						f.Label = p.str(v, path)
					}
				})
				s.Form = append(s.Form, f)
			})
		case "activity":
			s.Activity = p.str(v, path)
		case "params":
			if v.Kind != yaml.MappingNode {
				p.errorf(p.posOf(v), path, "bad-type", "\"params\" must be a mapping of names to values, found %s", describe(v))
				return
			}
			if m, ok := p.value(v, path).(map[string]any); ok {
				s.Params = m
			}
		case "rules":
			s.Rules = []Rule{}
			p.list(v, path, func(_ int, v *yaml.Node, path string) {
				var r Rule
				p.object(v, path, "a rule", ruleFields, func(key string, v *yaml.Node, path string) {
					switch key {
					case "when":
						r.When = p.str(v, path)
					case "next":
						r.Next = p.str(v, path)
					}
				})
				s.Rules = append(s.Rules, r)
			})
		case "default":
			s.Default = p.str(v, path)
		case "event":
			s.Event = p.str(v, path)
		case "duration":
			s.Duration = p.duration(v, path)
		case "timeout":
			s.Timeout = p.duration(v, path)
		case "on_timeout":
			s.OnTimeout = p.str(v, path)
		case "pause_sla":
			s.PauseSLA = p.boolean(v, path)
		case "next":
			s.Next = p.str(v, path)
		case "calendar":
			s.Calendar = p.str(v, path)
		}
	})
	return s
}

// value converts free-form YAML (auto step params) into JSON-compatible Go
// values: map[string]any, []any, string, int64/float64, bool, nil.
func (p *parser) value(n *yaml.Node, path string) any {
	p.pos.val[path] = p.posOf(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				p.errorf(p.posOf(k), path, "bad-type", "parameter names must be plain words, found %s", describe(k))
				continue
			}
			if _, dup := m[k.Value]; dup {
				p.errorf(p.posOf(k), join(path, k.Value), "duplicate-key", "parameter %q is written twice", k.Value)
				continue
			}
			m[k.Value] = p.value(v, join(path, k.Value))
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, v := range n.Content {
			out = append(out, p.value(v, index(path, i)))
		}
		return out
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b
			}
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return i
			}
			return n.Value // too large for int64: keep the text
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil && !isNaNOrInf(f) {
				return f
			}
			return n.Value
		}
		return n.Value
	}
	p.errorf(p.posOf(n), path, "bad-type", "unsupported value in parameters")
	return nil
}

func isNaNOrInf(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// hasKey reports whether a mapping node has key.
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// mappingValue returns the scalar value of key in a mapping node, or "".
func mappingValue(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == key && v.Kind == yaml.ScalarNode && len(v.Value) <= 64 {
			return v.Value
		}
	}
	return ""
}
