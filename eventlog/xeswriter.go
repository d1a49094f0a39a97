package eventlog

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XESWriter writes an event log as IEEE 1849 XES, as a stream: the log's
// header and extensions, then each trace and its events as they are given,
// so a log of any size takes the memory of one event. Attribute types are
// Attr.Type ("string" when empty; "date" values must be RFC 3339; "int",
// "float", "boolean" and "id" are written as given).
type XESWriter struct {
	w       *bufio.Writer
	inTrace bool
	closed  bool
	err     error
}

// xesHeader declares the standard extensions the attributes use and the
// classifiers PM4Py and Disco pick the activity by.
const xesHeader = `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>
`

// NewXESWriter starts a log on w with the log-level attributes attrs.
func NewXESWriter(w io.Writer, attrs []Attr) (*XESWriter, error) {
	x := &XESWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.write(xesHeader)
	x.attrs("  ", attrs)
	return x, x.err
}

func (x *XESWriter) write(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *XESWriter) attrs(indent string, attrs []Attr) {
	for _, a := range attrs {
		typ := a.Type
		if typ == "" {
			typ = "string"
		}
		if !xesTypes[typ] {
			if x.err == nil {
				x.err = fmt.Errorf("eventlog: XES attribute %q: unknown type %q", a.Name, a.Type)
			}
			return
		}
		x.write(indent + "<" + typ + ` key="` + escapeXML(a.Name) + `" value="` + escapeXML(a.Value) + "\"/>\n")
	}
}

func escapeXML(s string) string {
	var b strings.Builder
	// EscapeText escapes what an attribute value needs (quotes too) and
	// writes invalid characters as U+FFFD.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// errWriterClosed is a write after Close.
var errWriterClosed = errors.New("eventlog: XES writer closed")

// Trace starts a trace (ending the one before) with its attributes.
func (x *XESWriter) Trace(attrs []Attr) error {
	if x.closed {
		return errWriterClosed
	}
	if x.inTrace {
		x.write("  </trace>\n")
	}
	x.write("  <trace>\n")
	x.attrs("    ", attrs)
	x.inTrace = true
	return x.err
}

// Event writes an event of the current trace.
func (x *XESWriter) Event(attrs []Attr) error {
	if x.closed {
		return errWriterClosed
	}
	if !x.inTrace {
		return errors.New("eventlog: XES event outside a trace")
	}
	x.write("    <event>\n")
	x.attrs("      ", attrs)
	x.write("    </event>\n")
	return x.err
}

// Flush writes what is buffered.
func (x *XESWriter) Flush() error {
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}

// Close ends the last trace and the log and flushes; the underlying
// writer stays open.
func (x *XESWriter) Close() error {
	if x.closed {
		return x.err
	}
	if x.inTrace {
		x.write("  </trace>\n")
	}
	x.write("</log>\n")
	x.closed = true
	return x.Flush()
}
