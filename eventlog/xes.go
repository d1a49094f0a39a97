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

// xesEvents reads XES with encoding/xml's RawToken (no namespace
// translation: elements are known by their local names) and checks
// itself that every element closes with its own name.
type xesEvents struct {
	rd      *Reader
	g       *guard
	d       *xml.Decoder
	m       Mapping
	caseKey string
	parser  timeParser

	open     []string // names of the open elements, at most MaxDepth
	skipFrom int      // depth of the element being skipped (0: none)
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
	acts       []string
	other      []bool // per event attribute: not taken by the mapping

	keys    []string
	keySeen map[string]bool
}

func newXES(g *guard, rd *Reader) (*xesEvents, error) {
	x := &xesEvents{rd: rd, g: g, d: xml.NewDecoder(g), keySeen: map[string]bool{}}
	g.reason = fmt.Sprintf("an XML token is longer than %d bytes", rd.limits.MaxLineBytes)
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
	x.parser = timeParser{name: LayoutISO8601, parse: parseISO}
	if rd.explicit != nil {
		x.parser = *rd.explicit
	}
	x.acts = make([]string, len(m.Activity))
	return x, nil
}

func (x *xesEvents) mapping() Mapping  { return x.m }
func (x *xesEvents) columns() []string { return append([]string(nil), x.keys...) }
func (x *xesEvents) layout() string    { return x.parser.name }

func (x *xesEvents) fail(format string, args ...any) error {
	line, _ := x.d.InputPos()
	return fmt.Errorf("eventlog: XES line %d: "+format, append([]any{line}, args...)...)
}

// attr reads an attribute element's key and value.
func attr(se xml.StartElement) Attr {
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
		tok, err := x.d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !x.started {
					return Event{}, fmt.Errorf("eventlog: %w: no <log> element", ErrFormat)
				}
				if len(x.open) > 0 {
					return Event{}, x.fail("the file ends inside <%s>: %w", x.open[len(x.open)-1], io.ErrUnexpectedEOF)
				}
				return Event{}, io.EOF
			}
			return Event{}, x.fail("%w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(x.open) >= x.rd.limits.MaxDepth {
				return Event{}, x.fail("%w: elements nest deeper than %d", ErrLimit, x.rd.limits.MaxDepth)
			}
			if x.started && len(x.open) == 0 {
				return Event{}, x.fail("a second root element <%s>", t.Name.Local)
			}
			x.open = append(x.open, t.Name.Local)
			if x.skipFrom > 0 {
				continue
			}
			if err := x.start(t); err != nil {
				return Event{}, err
			}
		case xml.EndElement:
			d := len(x.open)
			if d == 0 || x.open[d-1] != t.Name.Local {
				want := "nothing"
				if d > 0 {
					want = "</" + x.open[d-1] + ">"
				}
				return Event{}, x.fail("</%s> closes %s", t.Name.Local, want)
			}
			x.open = x.open[:d-1]
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

// start handles an element outside skipped parts; its depth is
// len(x.open).
func (x *xesEvents) start(se xml.StartElement) error {
	name, depth := se.Name.Local, len(x.open)
	switch {
	case depth == 1:
		if name != "log" {
			return fmt.Errorf("eventlog: %w: the root element is <%s>, not <log>", ErrFormat, name)
		}
		x.started = true
		return nil
	case depth == 2 && name == "trace":
		x.inTrace = true
		x.traceN++
		x.eventN = 0
		x.caseID, x.caseAttrs, x.traceProb = "", nil, ""
		return nil
	case x.inTrace && depth == 3 && name == "event":
		x.inEvent = true
		x.eventN++
		line, _ := x.d.InputPos()
		x.eventPos = Position{Line: line, Trace: x.traceN, Event: x.eventN}
		x.eventAttrs, x.eventProb = x.eventAttrs[:0], ""
		return nil
	case x.inTrace && !x.inEvent && depth == 3 && xesTypes[name]:
		a := attr(se)
		if a.Name == x.caseKey && x.caseID == "" {
			x.caseID = strings.TrimSpace(a.Value)
		} else if len(x.caseAttrs) < x.rd.limits.MaxAttrs {
			x.caseAttrs = append(x.caseAttrs, x.normalized(a))
		} else {
			x.traceProb = fmt.Sprintf("the trace has more than %d attributes", x.rd.limits.MaxAttrs)
		}
	case x.inEvent && depth == 4 && xesTypes[name]:
		// MaxAttrs bounds the attributes left after the mapping took its
		// (at most 8) keys; event() counts them.
		if len(x.eventAttrs) < x.rd.limits.MaxAttrs+8 {
			x.eventAttrs = append(x.eventAttrs, attr(se))
		} else {
			x.eventProb = fmt.Sprintf("the event has more than %d attributes", x.rd.limits.MaxAttrs)
		}
	}
	// Everything else (extensions, globals, classifiers, log attributes,
	// lists, containers, the children of nested attributes) is skipped.
	x.skipFrom = depth
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
	for k := range x.acts {
		x.acts[k] = ""
	}
	var ts, start string
	var gotAct [2]bool
	var gotTime, gotStart, gotRes, gotGroup, gotLife bool
	x.other = x.other[:0]
	other := 0
	for _, a := range x.eventAttrs {
		if !x.keySeen[a.Name] && len(x.keys) < x.rd.limits.MaxColumns {
			x.keySeen[a.Name] = true
			x.keys = append(x.keys, a.Name)
		}
		// The first attribute of a key fills its field; a key may be
		// part of the activity and a field (the lifecycle) at once.
		used := false
		for k, key := range x.m.Activity {
			if a.Name == key && !gotAct[k] {
				x.acts[k], gotAct[k], used = strings.TrimSpace(a.Value), true, true
			}
		}
		switch {
		case a.Name == x.m.Time && !gotTime:
			ts, gotTime = a.Value, true
		case x.m.Start != "" && a.Name == x.m.Start && !gotStart:
			start, gotStart = a.Value, true
		case a.Name == x.m.Resource && !gotRes:
			ev.Resource, gotRes = strings.TrimSpace(a.Value), true
		case a.Name == x.m.Group && !gotGroup:
			ev.Group, gotGroup = strings.TrimSpace(a.Value), true
		case a.Name == x.m.Lifecycle && !gotLife:
			ev.Lifecycle, gotLife = strings.TrimSpace(a.Value), true
		case !used:
			x.other = append(x.other, true)
			other++
			continue
		}
		x.other = append(x.other, false)
	}
	if other > x.rd.limits.MaxAttrs {
		return Event{}, badRow(pos, "", "the event has more than %d attributes", x.rd.limits.MaxAttrs)
	}
	if ev.Activity = joinActivity(x.acts, x.rd.opts.ActivityJoin); ev.Activity == "" {
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
	if other > 0 {
		ev.Attrs = make([]Attr, 0, other)
		for i, a := range x.eventAttrs {
			if x.other[i] {
				ev.Attrs = append(ev.Attrs, x.normalized(a))
			}
		}
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
