package eventlog

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// xmlBuffer is the size of encoding/xml's own read buffer (bufio's
// default).
const xmlBuffer = 4096

// xesTypes are the XES attribute elements read as values.
var xesTypes = map[string]bool{"string": true, "date": true, "int": true, "float": true, "boolean": true, "id": true}

type xesEvents struct {
	rd      *Reader
	g       *guard
	d       *xml.Decoder
	m       Mapping
	caseKey string
	parser  timeParser

	depth    int
	skipFrom int // depth of the element being skipped (0: none)
	started  bool

	inTrace    bool
	traceN     int
	caseID     string
	caseAttrs  []Attr
	traceProb  string
	inEvent    bool
	eventN     int
	eventPos   Position
	eventAttrs []Attr
	eventProb  string

	keys    []string
	keySeen map[string]bool
}

func newXES(g *guard, rd *Reader) (*xesEvents, error) {
	x := &xesEvents{rd: rd, g: g, d: xml.NewDecoder(g), keySeen: map[string]bool{}}
	x.d.Strict = true
	m := rd.opts.Mapping
	if m.Case == "" {
		m.Case = "concept:name"
	}
	if len(m.Activity) == 0 {
		m.Activity = []string{"concept:name"}
	}
	if m.Time == "" {
		m.Time = "time:timestamp"
	}
	if m.Resource == "" {
		m.Resource = "org:resource"
	}
	if m.Group == "" {
		m.Group = "org:group"
	}
	if m.Lifecycle == "" {
		m.Lifecycle = "lifecycle:transition"
	}
	x.m = m
	// A case attribute named as in a flattened log (case:concept:name) is
	// the trace's attribute without the prefix.
	x.caseKey = strings.TrimPrefix(m.Case, "case:")
	x.parser = parserFor(LayoutISO8601)
	if rd.opts.TimeLayout != "" {
		x.parser = parserFor(rd.opts.TimeLayout)
	}
	return x, nil
}

func (x *xesEvents) mapping() Mapping  { return x.m }
func (x *xesEvents) columns() []string { return append([]string(nil), x.keys...) }
func (x *xesEvents) layout() string    { return x.parser.name }

func (x *xesEvents) pos(element string) Position {
	line, _ := x.d.InputPos()
	return Position{Line: line, Element: element}
}

func (x *xesEvents) fail(format string, args ...any) error {
	line, _ := x.d.InputPos()
	return fmt.Errorf("eventlog: XES line %d: "+format, append([]any{line}, args...)...)
}

// attr reads an attribute element's key and value.
func (x *xesEvents) attr(se xml.StartElement) Attr {
	a := Attr{Type: se.Name.Local}
	for _, at := range se.Attr {
		switch at.Name.Local {
		case "key":
			a.Name = at.Value
		case "value":
			a.Value = at.Value
		}
	}
	return a
}

func (x *xesEvents) next() (Event, error) {
	for {
		x.g.allow = x.d.InputOffset() + int64(x.rd.limits.MaxLineBytes) + xmlBuffer
		x.g.reason = fmt.Sprintf("an XML token is longer than %d bytes", x.rd.limits.MaxLineBytes)
		tok, err := x.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !x.started {
					return Event{}, fmt.Errorf("eventlog: %w: no <log> element", ErrFormat)
				}
				return Event{}, io.EOF
			}
			return Event{}, x.fail("%w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			x.depth++
			if x.depth > x.rd.limits.MaxDepth {
				return Event{}, x.fail("%w: elements nest deeper than %d", ErrLimit, x.rd.limits.MaxDepth)
			}
			if x.skipFrom > 0 {
				continue
			}
			if err := x.start(t); err != nil {
				return Event{}, err
			}
		case xml.EndElement:
			d := x.depth
			x.depth--
			if x.skipFrom > 0 {
				if d == x.skipFrom {
					x.skipFrom = 0
				}
				continue
			}
			switch {
			case x.inEvent && d == 3:
				x.inEvent = false
				return x.event()
			case x.inTrace && d == 2:
				x.inTrace = false
			}
		}
	}
}

// start handles an element that opens at x.depth outside skipped parts.
func (x *xesEvents) start(se xml.StartElement) error {
	name := se.Name.Local
	switch {
	case x.depth == 1:
		if name != "log" {
			return fmt.Errorf("eventlog: %w: the root element is <%s>, not <log>", ErrFormat, name)
		}
		x.started = true
		return nil
	case x.depth == 2 && name == "trace":
		x.inTrace = true
		x.traceN++
		x.eventN = 0
		x.caseID, x.caseAttrs, x.traceProb = "", nil, ""
		return nil
	case x.inTrace && x.depth == 3 && name == "event":
		x.inEvent = true
		x.eventN++
		x.eventPos = x.pos(fmt.Sprintf("trace %d, event %d", x.traceN, x.eventN))
		x.eventAttrs, x.eventProb = x.eventAttrs[:0], ""
		return nil
	case x.inTrace && !x.inEvent && x.depth == 3 && xesTypes[name]:
		a := x.attr(se)
		if a.Name == x.caseKey && x.caseID == "" {
			x.caseID = strings.TrimSpace(a.Value)
		} else if len(x.caseAttrs) < x.rd.limits.MaxAttrs {
			x.caseAttrs = append(x.caseAttrs, x.normalized(a))
		} else {
			x.traceProb = fmt.Sprintf("the trace has more than %d attributes", x.rd.limits.MaxAttrs)
		}
	case x.inEvent && x.depth == 4 && xesTypes[name]:
		if len(x.eventAttrs) < x.rd.limits.MaxAttrs+8 {
			x.eventAttrs = append(x.eventAttrs, x.attr(se))
		} else {
			x.eventProb = fmt.Sprintf("the event has more than %d attributes", x.rd.limits.MaxAttrs)
		}
	}
	// Everything else (extensions, globals, classifiers, log attributes,
	// lists, containers, the children of nested attributes) is skipped.
	x.skipFrom = x.depth
	return nil
}

// event builds the event that just ended.
func (x *xesEvents) event() (Event, error) {
	pos := x.eventPos
	if x.traceProb != "" {
		return Event{}, badRow(pos, "", "%s", x.traceProb)
	}
	if x.eventProb != "" {
		return Event{}, badRow(pos, "", "%s", x.eventProb)
	}
	ev := Event{Pos: pos, Case: x.caseID, CaseAttrs: x.caseAttrs}
	if ev.Case == "" {
		return Event{}, badRow(pos, x.m.Case, "the trace has no case id (%s) before this event", x.caseKey)
	}
	acts := make([]string, len(x.m.Activity))
	var ts, start string
	taken := map[string]bool{}
	take := func(key string, a Attr) bool {
		if a.Name != key || key == "" || taken[key] {
			return false
		}
		taken[key] = true
		return true
	}
	for _, a := range x.eventAttrs {
		if !x.keySeen[a.Name] && len(x.keys) < x.rd.limits.MaxColumns {
			x.keySeen[a.Name] = true
			x.keys = append(x.keys, a.Name)
		}
		used := false
		for k, key := range x.m.Activity {
			if take(key, a) {
				acts[k] = strings.TrimSpace(a.Value)
				used = true
			}
		}
		// A key may serve the activity and a field (lifecycle) at once.
		actAttr := used
		switch {
		case take(x.m.Time, a):
			ts = a.Value
		case take(x.m.Start, a):
			start = a.Value
		case take(x.m.Resource, a):
			ev.Resource = strings.TrimSpace(a.Value)
		case take(x.m.Group, a):
			ev.Group = strings.TrimSpace(a.Value)
		case x.m.Lifecycle != "" && a.Name == x.m.Lifecycle && ev.Lifecycle == "":
			ev.Lifecycle = strings.TrimSpace(a.Value)
		default:
			if !actAttr {
				ev.Attrs = append(ev.Attrs, x.normalized(a))
			}
		}
	}
	if len(ev.Attrs) > x.rd.limits.MaxAttrs {
		return Event{}, badRow(pos, "", "the event has more than %d attributes", x.rd.limits.MaxAttrs)
	}
	if ev.Activity = joinActivity(acts, x.rd.opts.ActivityJoin); ev.Activity == "" {
		return Event{}, badRow(pos, x.m.Activity[0], "no activity")
	}
	if strings.TrimSpace(ts) == "" {
		return Event{}, badRow(pos, x.m.Time, "no timestamp")
	}
	t, err := x.parser.parse(ts, x.rd.loc)
	if err != nil {
		return Event{}, badRow(pos, x.m.Time, "timestamp %q does not fit the layout %q", ts, x.parser.name)
	}
	ev.Time = t
	if strings.TrimSpace(start) != "" {
		st, err := x.parser.parse(start, x.rd.loc)
		if err != nil {
			return Event{}, badRow(pos, x.m.Start, "start timestamp %q does not fit the layout %q", start, x.parser.name)
		}
		ev.Start = &st
	}
	return ev, nil
}

// normalized gives a date attribute's value in UTC (RFC 3339) when it
// parses as ISO 8601.
func (x *xesEvents) normalized(a Attr) Attr {
	if a.Type == "date" {
		if t, err := parseISO(a.Value, x.rd.loc); err == nil {
			a.Value = t.Format(time.RFC3339Nano)
		}
	}
	return a
}
