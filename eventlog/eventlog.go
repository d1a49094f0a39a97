// Package eventlog reads event-log exports (CSV and XES, either gzipped)
// as a stream of events: one case, activity, UTC timestamp and the rest of
// the row per event, in file order. It is pure: it imports nothing of
// flowlab's and does no I/O beyond the io.Reader it is given. The rules it
// follows (formats, column detection, timestamps, limits, ordering) are in
// docs/decisions/0028-event-log-reading.md.
//
// Events come out in file order. Events of one case with equal timestamps
// keep that order only if a caller that sorts them sorts stably
// (sort.SliceStable, slices.SortStableFunc); exact duplicate rows are
// yielded as they are, each one an event.
package eventlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format is the format of a log as sniffed from its bytes.
type Format string

// The formats Open recognises.
const (
	CSV Format = "csv"
	XES Format = "xes"
)

// Event is one event of a log.
type Event struct {
	Case     string `json:"case"`
	Activity string `json:"activity"`
	// Time is the event's (completion) timestamp, in UTC.
	Time time.Time `json:"time"`
	// Start is the start timestamp in UTC when the log has a start column
	// (or attribute) and the event a value in it; Pair sets it from a
	// matching start event.
	Start *time.Time `json:"start,omitempty"`
	// Scheduled is when the instance became ready for work (XES lifecycle
	// "schedule"), set by Pair from a matching schedule event.
	Scheduled *time.Time `json:"scheduled,omitempty"`
	Resource  string     `json:"resource,omitempty"`
	Group     string     `json:"group,omitempty"`
	Lifecycle string     `json:"lifecycle,omitempty"`
	// Attrs are the event's other attributes: for CSV the columns that no
	// field of the mapping took, in column order (empty cells left out);
	// for XES the event's other attributes in file order.
	Attrs []Attr `json:"attrs,omitempty"`
	// CaseAttrs are attributes of the case: for XES the trace's
	// attributes other than its id, for CSV the columns named "case:..."
	// other than the case id. Events of one case may share this slice:
	// treat it as read-only.
	CaseAttrs []Attr `json:"case_attrs,omitempty"`
	// Pos is where the event is in the file.
	Pos Position `json:"pos"`
}

// Attr is an attribute: its name, its value as text, and its XES type
// ("string", "date", "int", "float", "boolean", "id"; CSV values are
// "string"). Date values are given as RFC 3339 in UTC when they parse.
type Attr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

// Position locates an event or a problem in the file: the line where the
// CSV row or the XES event starts and, for XES, the element: the trace's
// number in the log and the event's in its trace, from 1.
type Position struct {
	Line  int `json:"line"`
	Trace int `json:"trace,omitempty"`
	Event int `json:"event,omitempty"`
}

func (p Position) String() string {
	if p.Trace > 0 {
		return fmt.Sprintf("trace %d, event %d (line %d)", p.Trace, p.Event, p.Line)
	}
	return fmt.Sprintf("line %d", p.Line)
}

// Mapping says which column (CSV) or attribute key (XES) holds each field
// of an event. Empty fields are detected from the usual names (see
// DetectMapping); Activity may name two columns whose values are joined
// (concept:name and lifecycle:transition, say).
type Mapping struct {
	Case      string   `json:"case"`
	Activity  []string `json:"activity"`
	Time      string   `json:"time"`
	Start     string   `json:"start,omitempty"`
	Resource  string   `json:"resource,omitempty"`
	Group     string   `json:"group,omitempty"`
	Lifecycle string   `json:"lifecycle,omitempty"`
}

// Limits bound what one log may make the reader hold or do. Zero fields
// take the defaults of DefaultLimits.
type Limits struct {
	// MaxLineBytes bounds one CSV record (all its physical lines) or one
	// XML token (an attribute's value, say).
	MaxLineBytes int
	// MaxColumns bounds the CSV header and every record.
	MaxColumns int
	// MaxAttrs bounds the attributes of one event and of one trace.
	MaxAttrs int
	// MaxDepth bounds the nesting of XES elements.
	MaxDepth int
	// MaxInputBytes bounds the bytes read after decompression.
	MaxInputBytes int64
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{
	MaxLineBytes:  1 << 20,
	MaxColumns:    1000,
	MaxAttrs:      1000,
	MaxDepth:      64,
	MaxInputBytes: 16 << 30,
}

func (l Limits) withDefaults() Limits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultLimits.MaxLineBytes
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultLimits.MaxColumns
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultLimits.MaxAttrs
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = DefaultLimits.MaxInputBytes
	}
	return l
}

// Options say how to read a log. The zero value reads a log whose columns
// have the usual names, with naive timestamps in UTC.
type Options struct {
	// Mapping names the columns or keys; empty fields are detected.
	Mapping Mapping
	// ActivityJoin separates the values when Mapping.Activity names two
	// columns; "+" when empty.
	ActivityJoin string
	// Delimiter is the CSV delimiter; 0 detects it among , ; tab and |.
	Delimiter rune
	// TimeZone is the IANA zone naive timestamps are read in; UTC when
	// empty. Timestamps with an offset are converted to UTC exactly.
	TimeZone string
	// TimeLayout is the timestamp layout: "iso8601", "epoch-s",
	// "epoch-ms", a pattern ("dd/MM/yyyy HH:mm:ss", letters as in
	// spreadsheets and Java) or a Go layout ("02/01/2006 15:04:05"). When
	// empty it is detected from the first rows (see SampleRows).
	TimeLayout string
	// SkipBadRows skips an event without case, activity or a parseable
	// timestamp (and a row the CSV reader cannot parse), counting it and
	// keeping the first problems, instead of failing.
	SkipBadRows bool
	// KeepProblems is how many problems the reader keeps; 10 when zero,
	// at most MaxPreviewProblems.
	KeepProblems int
	// SampleRows is how many CSV rows the layout is detected from; 1,000
	// when zero.
	SampleRows int
	Limits     Limits
}

// Problem is a bad row: where, which column (or attribute key), and what.
type Problem struct {
	Pos     Position `json:"pos"`
	Column  string   `json:"column,omitempty"`
	Message string   `json:"message"`
}

func (p Problem) String() string {
	if p.Column != "" {
		return fmt.Sprintf("%s, column %q: %s", p.Pos, p.Column, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Pos, p.Message)
}

// MappingError is the error Open returns when the mapping lacks a field
// or names a column the header does not have. It wraps ErrMapping and
// carries the header, so that a caller can offer the columns to map.
type MappingError struct {
	Columns  []string
	Detected Mapping // the mapping as far as it was found
	Message  string
}

func (e *MappingError) Error() string { return "eventlog: column mapping: " + e.Message }
func (e *MappingError) Unwrap() error { return ErrMapping }

// RowError is the error Next returns for a bad row when SkipBadRows is off.
type RowError struct {
	Problem
	Err error
}

func (e *RowError) Error() string { return "eventlog: " + e.Problem.String() }
func (e *RowError) Unwrap() error { return e.Err }

// Errors a caller may test for with errors.Is.
var (
	// ErrBadRow is wrapped by every RowError.
	ErrBadRow = errors.New("bad row")
	// ErrAmbiguousLayout: the timestamps fit more than one layout
	// (day/month); set Options.TimeLayout.
	ErrAmbiguousLayout = errors.New("ambiguous timestamp layout")
	// ErrUnknownLayout: no known layout fits the timestamps; set
	// Options.TimeLayout.
	ErrUnknownLayout = errors.New("unknown timestamp layout")
	// ErrLimit: the log exceeds one of the Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrFormat: the input is not a log this package reads.
	ErrFormat = errors.New("not a CSV or XES event log")
	// ErrMapping: a field of the mapping is missing or names no column.
	ErrMapping = errors.New("column mapping")
)

// Reader reads events from a log, one at a time, never holding the file:
// what it holds is bounded by Options.Limits (and, for CSV, the rows of
// the layout sample).
type Reader struct {
	opts   Options
	limits Limits
	loc    *time.Location
	// explicit is the parser of Options.TimeLayout (nil: detect).
	explicit *timeParser
	format   Format
	gzipped  bool
	src      events

	skipped  int
	problems []Problem
	events   int
	err      error // sticky
}

// events is what the CSV and XES readers implement.
type events interface {
	next() (Event, error)
	mapping() Mapping
	columns() []string
	layout() string
}

// Open sniffs the format of r (gzip, then XES or CSV, from the bytes) and
// returns a reader of its events. For CSV it reads the header and checks
// the mapping; the timestamp layout is detected at the first Next.
func Open(r io.Reader, opts Options) (*Reader, error) {
	rd := &Reader{opts: opts, limits: opts.Limits.withDefaults()}
	if rd.opts.KeepProblems <= 0 {
		rd.opts.KeepProblems = 10
	}
	if rd.opts.KeepProblems > MaxPreviewProblems {
		rd.opts.KeepProblems = MaxPreviewProblems
	}
	if rd.opts.SampleRows <= 0 {
		rd.opts.SampleRows = 1000
	}
	if rd.opts.ActivityJoin == "" {
		rd.opts.ActivityJoin = "+"
	}
	rd.loc = time.UTC
	if strings.EqualFold(opts.TimeZone, "Local") {
		return nil, fmt.Errorf("eventlog: time zone %q: name an IANA zone, not the machine's", opts.TimeZone)
	}
	if opts.TimeZone != "" {
		loc, err := time.LoadLocation(opts.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("eventlog: time zone %q: %w", opts.TimeZone, err)
		}
		rd.loc = loc
	}
	if opts.TimeLayout != "" {
		p, err := parserFor(opts.TimeLayout)
		if err != nil {
			return nil, err
		}
		rd.explicit = &p
	}
	if len(opts.Mapping.Activity) > 2 {
		return nil, fmt.Errorf("eventlog: %w: the activity joins at most two columns, not %d", ErrMapping, len(opts.Mapping.Activity))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("eventlog: read: %w", err)
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("eventlog: gzip: %w", err)
		}
		zr.Multistream(true)
		rd.gzipped = true
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, err = br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("eventlog: read: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		head = head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, fmt.Errorf("eventlog: %w: the file is UTF-16; save it as UTF-8", ErrFormat)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("eventlog: %w: the file is empty (nothing but blanks in its first %d bytes)", ErrFormat, len(head))
	}
	g := &guard{r: br, limit: rd.limits.MaxInputBytes}
	if trimmed[0] == '<' {
		rd.format = XES
		rd.src, err = newXES(g, rd)
	} else {
		rd.format = CSV
		rd.src, err = newCSV(g, br, rd)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Next returns the next event in file order, or io.EOF after the last. A
// bad row is a *RowError (wrapping ErrBadRow) unless Options.SkipBadRows;
// any other error ends the reading and is returned again by later calls.
func (rd *Reader) Next() (Event, error) {
	if rd.err != nil {
		return Event{}, rd.err
	}
	for {
		ev, err := rd.src.next()
		if err == nil {
			rd.events++
			return ev, nil
		}
		var re *RowError
		if errors.As(err, &re) && rd.opts.SkipBadRows {
			rd.skipped++
			if len(rd.problems) < rd.opts.KeepProblems {
				rd.problems = append(rd.problems, re.Problem)
			}
			continue
		}
		rd.err = err
		return Event{}, err
	}
}

// Format is the format sniffed from the bytes.
func (rd *Reader) Format() Format { return rd.format }

// Gzipped reports whether the input was gzip-compressed.
func (rd *Reader) Gzipped() bool { return rd.gzipped }

// Mapping is the mapping in use: the options' fields and the detected
// ones.
func (rd *Reader) Mapping() Mapping { return rd.src.mapping() }

// Columns are the CSV header's names (duplicates made distinct), or for
// XES the event attribute keys seen so far (at most Limits.MaxColumns).
func (rd *Reader) Columns() []string { return rd.src.columns() }

// Layout is the timestamp layout in use ("" until the first Next detects
// it).
func (rd *Reader) Layout() string { return rd.src.layout() }

// Events is how many events Next has returned.
func (rd *Reader) Events() int { return rd.events }

// Skipped is how many bad rows SkipBadRows skipped.
func (rd *Reader) Skipped() int { return rd.skipped }

// Problems are the first bad rows skipped (Options.KeepProblems of them).
func (rd *Reader) Problems() []Problem { return append([]Problem(nil), rd.problems...) }

// badRow makes the RowError of a bad row.
func badRow(pos Position, column, format string, args ...any) *RowError {
	return &RowError{Problem: Problem{Pos: pos, Column: column, Message: fmt.Sprintf(format, args...)}, Err: ErrBadRow}
}

// guard passes bytes through while the consumer has not read more than
// allow bytes (set by the consumer to its offset plus a record's limit
// plus its buffer), and no more than limit bytes in all: one record, one
// token, one file never grows past its bound in memory.
type guard struct {
	r      io.Reader
	n      int64 // bytes passed
	allow  int64 // n may not pass this (0: not yet set)
	limit  int64
	reason string // what allow bounds, for the error
}

var errTooLong = errors.New("too long")

func (g *guard) Read(p []byte) (int, error) {
	max := g.limit - g.n
	if g.allow > 0 && g.allow-g.n < max {
		max = g.allow - g.n
	}
	if max <= 0 {
		if g.n >= g.limit {
			return 0, fmt.Errorf("%w: the input is larger than %d bytes", ErrLimit, g.limit)
		}
		return 0, fmt.Errorf("%w: %s", ErrLimit, g.reason)
	}
	if int64(len(p)) > max {
		p = p[:max]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// joinActivity joins the values of the activity columns.
func joinActivity(parts []string, sep string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	if parts[1] == "" {
		return parts[0]
	}
	if parts[0] == "" {
		return ""
	}
	return strings.Join(parts, sep)
}
