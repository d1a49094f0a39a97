package eventlog

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvBuffer is the size of encoding/csv's own read buffer (bufio's
// default): what it may hold beyond the record it is reading.
const csvBuffer = 4096

// sampleBytes bounds the rows held for detecting the layout.
const sampleBytes = 16 << 20

type csvRecord struct {
	fields []string
	line   int
	err    error
}

type csvEvents struct {
	rd     *Reader
	g      *guard
	cr     *csv.Reader
	header []string
	m      Mapping
	// column indexes of the mapping's fields (-1: none)
	iCase, iTime, iStart, iRes, iGroup, iLife int
	iAct                                      []int
	attrCols                                  []int // other columns, in order
	caseCols                                  []int // "case:..." columns
	parser                                    *timeParser
	pending                                   []csvRecord // the sample, not yet yielded
	acts                                      []string
}

func newCSV(g *guard, br *bufio.Reader, rd *Reader) (*csvEvents, error) {
	delim := rd.opts.Delimiter
	if delim == 0 {
		head, _ := br.Peek(64 << 10)
		delim = detectDelimiter(head)
	}
	cr := csv.NewReader(g)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	c := &csvEvents{rd: rd, g: g, cr: cr}
	g.reason = fmt.Sprintf("a record is longer than %d bytes", rd.limits.MaxLineBytes)
	c.setAllowance()
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("eventlog: %w: the file has no header", ErrFormat)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("eventlog: %w: the CSV header (line %d) cannot be read: %v", ErrFormat, pe.Line, pe.Err)
		}
		return nil, fmt.Errorf("eventlog: CSV header: %w", err)
	}
	if len(header) > rd.limits.MaxColumns {
		return nil, fmt.Errorf("eventlog: %w: the header has %d columns, more than %d", ErrLimit, len(header), rd.limits.MaxColumns)
	}
	for _, h := range header {
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("eventlog: %w: the header is not UTF-8 text; save the file as UTF-8", ErrFormat)
		}
	}
	c.header = uniqueNames(header)
	c.parser = rd.explicit
	if err := c.resolve(rd.opts.Mapping); err != nil {
		return nil, err
	}
	return c, nil
}

// setAllowance lets the guard pass one more record's worth of bytes.
func (c *csvEvents) setAllowance() {
	c.g.allow = c.cr.InputOffset() + int64(c.rd.limits.MaxLineBytes) + csvBuffer
}

// detectDelimiter counts , ; tab and | outside quotes in the first line
// and takes the most frequent (a comma on a tie or when none occurs).
func detectDelimiter(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ',', ';', '\t', '|':
			counts[b]++
		}
	}
	best := byte(',')
	for _, b := range []byte{';', '\t', '|'} {
		if counts[b] > counts[best] {
			best = b
		}
	}
	return rune(best)
}

// uniqueNames trims the header's names and makes them distinct: the
// second "Variant" becomes "Variant_2", an empty name "column_N".
func uniqueNames(header []string) []string {
	out := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			h = "column_" + strconv.Itoa(i+1)
		}
		name := h
		for n := 2; seen[strings.ToLower(name)]; n++ {
			name = h + "_" + strconv.Itoa(n)
		}
		seen[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

// resolve fills the mapping's empty fields from the header and finds
// every field's column.
func (c *csvEvents) resolve(opt Mapping) error {
	m := DetectMapping(c.header)
	if opt.Case != "" {
		m.Case = opt.Case
	}
	if len(opt.Activity) > 0 {
		m.Activity = opt.Activity
	}
	if opt.Time != "" {
		m.Time = opt.Time
	}
	if opt.Start != "" {
		m.Start = opt.Start
	}
	if opt.Resource != "" {
		m.Resource = opt.Resource
	}
	if opt.Group != "" {
		m.Group = opt.Group
	}
	if opt.Lifecycle != "" {
		m.Lifecycle = opt.Lifecycle
	}
	var missing []string
	if m.Case == "" {
		missing = append(missing, "case id")
	}
	if len(m.Activity) == 0 {
		missing = append(missing, "activity")
	}
	if m.Time == "" {
		missing = append(missing, "timestamp")
	}
	if len(missing) > 0 {
		return &MappingError{Columns: c.header, Detected: m,
			Message: fmt.Sprintf("no column found for %s among %q; name it", strings.Join(missing, ", "), c.header)}
	}
	c.m = m
	used := map[int]bool{}
	find := func(field, name string) (int, error) {
		if name = strings.TrimSpace(name); name == "" {
			return -1, nil
		}
		for i, h := range c.header {
			if strings.EqualFold(h, name) {
				used[i] = true
				return i, nil
			}
		}
		return -1, &MappingError{Columns: c.header, Detected: m,
			Message: fmt.Sprintf("the %s column %q is not in the header %q", field, name, c.header)}
	}
	var err error
	if c.iCase, err = find("case id", m.Case); err != nil {
		return err
	}
	c.iAct = nil
	for _, a := range m.Activity {
		i, err := find("activity", a)
		if err != nil {
			return err
		}
		c.iAct = append(c.iAct, i)
	}
	for _, f := range []struct {
		field, name string
		idx         *int
	}{
		{"timestamp", m.Time, &c.iTime}, {"start timestamp", m.Start, &c.iStart},
		{"resource", m.Resource, &c.iRes}, {"group", m.Group, &c.iGroup}, {"lifecycle", m.Lifecycle, &c.iLife},
	} {
		if *f.idx, err = find(f.field, f.name); err != nil {
			return err
		}
	}
	for i, h := range c.header {
		switch {
		case used[i]:
		case len(h) > 5 && strings.EqualFold(h[:5], "case:"):
			c.caseCols = append(c.caseCols, i)
		default:
			c.attrCols = append(c.attrCols, i)
		}
	}
	c.acts = make([]string, len(c.iAct))
	return nil
}

func (c *csvEvents) mapping() Mapping  { return c.m }
func (c *csvEvents) columns() []string { return append([]string(nil), c.header...) }
func (c *csvEvents) layout() string {
	if c.parser == nil {
		return ""
	}
	return c.parser.name
}

// read reads one record; a record the csv package cannot parse is a bad
// row, the limits are errors that end the reading.
func (c *csvEvents) read() csvRecord {
	c.setAllowance()
	rec, err := c.cr.Read()
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return csvRecord{err: fmt.Errorf("eventlog: line %d: %w", c.line(), err)}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return csvRecord{err: badRow(Position{Line: pe.StartLine}, "", "%v", pe.Err)}
		}
		if errors.Is(err, io.EOF) {
			return csvRecord{err: io.EOF}
		}
		return csvRecord{err: fmt.Errorf("eventlog: read: %w", err)}
	}
	line, _ := c.cr.FieldPos(0)
	if len(rec) > c.rd.limits.MaxColumns {
		return csvRecord{line: line, err: fmt.Errorf("eventlog: line %d: %w: %d fields, more than %d", line, ErrLimit, len(rec), c.rd.limits.MaxColumns)}
	}
	return csvRecord{fields: rec, line: line}
}

func (c *csvEvents) line() int {
	l, _ := c.cr.FieldPos(0)
	return l
}

func (c *csvEvents) next() (Event, error) {
	if c.parser == nil {
		if err := c.sample(); err != nil {
			return Event{}, err
		}
	}
	var r csvRecord
	if len(c.pending) > 0 {
		r = c.pending[0]
		c.pending[0] = csvRecord{}
		c.pending = c.pending[1:]
	} else {
		r = c.read()
	}
	if r.err != nil {
		return Event{}, r.err
	}
	return c.event(r)
}

// sample reads up to SampleRows rows (and sampleBytes), detects the
// timestamp layout from their timestamps and keeps them to be yielded.
func (c *csvEvents) sample() error {
	var vals []sampleValue
	size := 0
	for len(c.pending) < c.rd.opts.SampleRows && size < sampleBytes {
		r := c.read()
		if r.err != nil {
			if errors.Is(r.err, io.EOF) {
				break
			}
			c.pending = append(c.pending, r)
			var re *RowError
			if !errors.As(r.err, &re) {
				break // the rows before the error are yielded, then the error
			}
			continue
		}
		r.fields = append([]string(nil), r.fields...) // ReuseRecord
		for _, f := range r.fields {
			size += len(f) + 16
		}
		c.pending = append(c.pending, r)
		for _, i := range []int{c.iTime, c.iStart} {
			if i >= 0 && i < len(r.fields) && strings.TrimSpace(r.fields[i]) != "" {
				vals = append(vals, sampleValue{value: r.fields[i], pos: Position{Line: r.line}})
			}
		}
	}
	p, err := detectLayout(vals, c.rd.loc)
	if err != nil {
		return err
	}
	c.parser = &p
	return nil
}

func (c *csvEvents) field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (c *csvEvents) event(r csvRecord) (Event, error) {
	rec := r.fields
	pos := Position{Line: r.line}
	if len(rec) > len(c.header) {
		return Event{}, badRow(pos, "", "the row has %d fields, the header %d", len(rec), len(c.header))
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return Event{}, badRow(pos, c.header[i], "not UTF-8 text; save the file as UTF-8")
		}
	}
	ev := Event{Pos: pos}
	if ev.Case = c.field(rec, c.iCase); ev.Case == "" {
		return Event{}, badRow(pos, c.m.Case, "no case id")
	}
	for k, i := range c.iAct {
		c.acts[k] = c.field(rec, i)
	}
	if ev.Activity = joinActivity(c.acts, c.rd.opts.ActivityJoin); ev.Activity == "" {
		return Event{}, badRow(pos, c.m.Activity[0], "no activity")
	}
	ts := c.field(rec, c.iTime)
	if ts == "" {
		return Event{}, badRow(pos, c.m.Time, "no timestamp")
	}
	t, err := c.parser.parse(ts, c.rd.loc)
	if err != nil {
		return Event{}, badRow(pos, c.m.Time, "timestamp %q does not fit the layout %q", ts, c.parser.name)
	}
	ev.Time = t
	if s := c.field(rec, c.iStart); s != "" {
		st, err := c.parser.parse(s, c.rd.loc)
		if err != nil {
			return Event{}, badRow(pos, c.m.Start, "start timestamp %q does not fit the layout %q", s, c.parser.name)
		}
		ev.Start = &st
	}
	ev.Resource = c.field(rec, c.iRes)
	ev.Group = c.field(rec, c.iGroup)
	ev.Lifecycle = c.field(rec, c.iLife)
	if n := len(c.attrCols) + len(c.caseCols); n > c.rd.limits.MaxAttrs {
		return Event{}, badRow(pos, "", "%d attributes, more than %d", n, c.rd.limits.MaxAttrs)
	}
	for _, i := range c.attrCols {
		if i < len(rec) && rec[i] != "" {
			ev.Attrs = append(ev.Attrs, Attr{Name: c.header[i], Value: rec[i], Type: "string"})
		}
	}
	for _, i := range c.caseCols {
		if i < len(rec) && rec[i] != "" {
			ev.CaseAttrs = append(ev.CaseAttrs, Attr{Name: c.header[i][5:], Value: rec[i], Type: "string"})
		}
	}
	return ev, nil
}

// The usual names of each field, compared after lower-casing and turning
// '_' and '-' into spaces; the first name found wins.
var usualNames = struct {
	Case, Activity, Time, Start, Resource, Group, Lifecycle []string
}{
	Case:      []string{"case id", "case:concept:name", "caseid", "case", "case number", "ticket id", "trace id"},
	Activity:  []string{"activity", "concept:name", "activity name", "task", "event name"},
	Time:      []string{"complete timestamp", "time:timestamp", "end timestamp", "completion timestamp", "timestamp", "end time", "complete time", "time"},
	Start:     []string{"start timestamp", "start time", "start:timestamp"},
	Resource:  []string{"resource", "org:resource", "user", "agent", "performer"},
	Group:     []string{"org:group", "group", "department", "org:role"},
	Lifecycle: []string{"lifecycle:transition", "lifecycle", "transition", "event type"},
}

func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("_", " ", "-", " ").Replace(s)
}

// DetectMapping maps the fields to the columns with their usual names
// (case-insensitively; "Case ID", "case:concept:name", "Activity",
// "concept:name", "Complete Timestamp", "time:timestamp", "Start
// Timestamp", "Resource", "org:resource", "org:group",
// "lifecycle:transition", ...). A field with no such column stays empty.
func DetectMapping(columns []string) Mapping {
	idx := map[string]string{}
	for _, h := range columns {
		if _, ok := idx[normName(h)]; !ok {
			idx[normName(h)] = h
		}
	}
	taken := map[string]bool{}
	pick := func(names []string) string {
		for _, n := range names {
			if h, ok := idx[normName(n)]; ok && !taken[h] {
				taken[h] = true
				return h
			}
		}
		return ""
	}
	var m Mapping
	m.Case = pick(usualNames.Case)
	if a := pick(usualNames.Activity); a != "" {
		m.Activity = []string{a}
	}
	m.Start = pick(usualNames.Start)
	m.Time = pick(usualNames.Time)
	m.Resource = pick(usualNames.Resource)
	m.Group = pick(usualNames.Group)
	m.Lifecycle = pick(usualNames.Lifecycle)
	return m
}
