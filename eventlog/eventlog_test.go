package eventlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll reads every event of input with opts.
func readAll(t *testing.T, input string, opts Options) ([]Event, *Reader, error) {
	t.Helper()
	rd, err := Open(strings.NewReader(input), opts)
	if err != nil {
		return nil, nil, err
	}
	var evs []Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return evs, rd, nil
		}
		if err != nil {
			return evs, rd, err
		}
		evs = append(evs, ev)
	}
}

func mustReadAll(t *testing.T, input string, opts Options) ([]Event, *Reader) {
	t.Helper()
	evs, rd, err := readAll(t, input, opts)
	require.NoError(t, err)
	return evs, rd
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

func TestCSVDetectsTheUsualColumnsAndKeepsTheOthers(t *testing.T) {
	in := "Case ID,Activity,Resource,Complete Timestamp,Variant,Variant index,Variant,org:group,lifecycle:transition,case:channel,note\n" +
		"Case 1,Assign,Ann,2012/10/9 14:50:17,V12,12,V12b,Desk,complete,phone,\n"
	evs, rd := mustReadAll(t, in, Options{})
	require.Len(t, evs, 1)
	assert.Equal(t, CSV, rd.Format())
	assert.False(t, rd.Gzipped())
	assert.Equal(t, Mapping{Case: "Case ID", Activity: []string{"Activity"}, Time: "Complete Timestamp",
		Resource: "Resource", Group: "org:group", Lifecycle: "lifecycle:transition"}, rd.Mapping())
	assert.Equal(t, []string{"Case ID", "Activity", "Resource", "Complete Timestamp", "Variant", "Variant index",
		"Variant_2", "org:group", "lifecycle:transition", "case:channel", "note"}, rd.Columns())
	assert.Equal(t, "yyyy/M/d HH:mm:ss", rd.Layout())
	ev := evs[0]
	assert.Equal(t, "Case 1", ev.Case)
	assert.Equal(t, "Assign", ev.Activity)
	assert.Equal(t, utc("2012-10-09T14:50:17Z"), ev.Time)
	assert.Equal(t, time.UTC, ev.Time.Location())
	assert.Nil(t, ev.Start)
	assert.Equal(t, "Ann", ev.Resource)
	assert.Equal(t, "Desk", ev.Group)
	assert.Equal(t, "complete", ev.Lifecycle)
	// The empty note is absent, as a missing XES attribute would be.
	assert.Equal(t, []Attr{{"Variant", "V12", "string"}, {"Variant index", "12", "string"}, {"Variant_2", "V12b", "string"}}, ev.Attrs)
	assert.Equal(t, []Attr{{"channel", "phone", "string"}}, ev.CaseAttrs)
	assert.Equal(t, Position{Line: 2}, ev.Pos)
}

func TestDetectMappingNamesAreCaseInsensitive(t *testing.T) {
	m := DetectMapping([]string{"CASE:CONCEPT:NAME", "Concept:Name", "TIME:TIMESTAMP", "start_timestamp", "ORG:RESOURCE", "org:group", "Lifecycle:Transition"})
	assert.Equal(t, Mapping{Case: "CASE:CONCEPT:NAME", Activity: []string{"Concept:Name"}, Time: "TIME:TIMESTAMP",
		Start: "start_timestamp", Resource: "ORG:RESOURCE", Group: "org:group", Lifecycle: "Lifecycle:Transition"}, m)
	assert.Equal(t, Mapping{}, DetectMapping([]string{"a", "b"}))
}

func TestCSVExplicitMappingAndJoinedActivity(t *testing.T) {
	in := "ticket;step;state;when;who\nT1;Review;start;2021-01-04 09:00;ann\nT1;Review;complete;2021-01-04 10:30;ann\n"
	evs, rd := mustReadAll(t, in, Options{Mapping: Mapping{Case: "ticket", Activity: []string{"step", "state"}, Time: "when", Resource: "who", Lifecycle: "state"}})
	require.Len(t, evs, 2)
	assert.Equal(t, "Review+start", evs[0].Activity)
	assert.Equal(t, "Review+complete", evs[1].Activity)
	assert.Equal(t, "complete", evs[1].Lifecycle)
	assert.Equal(t, "ann", evs[1].Resource)
	assert.Equal(t, utc("2021-01-04T10:30:00Z"), evs[1].Time)
	assert.Empty(t, evs[1].Attrs)
	assert.Equal(t, LayoutISO8601, rd.Layout())

	_, err := Open(strings.NewReader(in), Options{Mapping: Mapping{Case: "nope", Activity: []string{"step"}, Time: "when"}})
	require.ErrorIs(t, err, ErrMapping)
	assert.Contains(t, err.Error(), `"nope"`)
	_, err = Open(strings.NewReader("a,b\n1,2\n"), Options{})
	require.ErrorIs(t, err, ErrMapping)
	assert.Contains(t, err.Error(), "case id, activity, timestamp")
	var me *MappingError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, []string{"a", "b"}, me.Columns)
}

func TestCSVStartColumn(t *testing.T) {
	in := "case,activity,start timestamp,complete timestamp\nc1,A,2021-01-04 09:00:00,2021-01-04 10:30:00\nc1,B,,2021-01-04 11:00:00\n"
	evs, _ := mustReadAll(t, in, Options{})
	require.Len(t, evs, 2)
	require.NotNil(t, evs[0].Start)
	assert.Equal(t, 90*time.Minute, evs[0].Time.Sub(*evs[0].Start))
	assert.Nil(t, evs[1].Start)
}

func TestCSVBOMCRLFAndQuotedNewlines(t *testing.T) {
	in := "\xEF\xBB\xBFCase ID,Activity,Complete Timestamp,Comment\r\n" +
		"c1,\"Call\r\ncustomer\",2021-01-04T09:00:00Z,\"said \"\"hi\"\"\nand left\"\r\n" +
		"c1,Close,2021-01-04T10:00:00Z,done" // no final newline
	evs, rd := mustReadAll(t, in, Options{})
	require.Len(t, evs, 2)
	assert.Equal(t, "Case ID", rd.Columns()[0], "the BOM is not part of the first name")
	assert.Equal(t, "Call\ncustomer", evs[0].Activity, "encoding/csv turns a quoted CRLF into LF")
	assert.Equal(t, []Attr{{"Comment", "said \"hi\"\nand left", "string"}}, evs[0].Attrs)
	assert.Equal(t, 2, evs[0].Pos.Line)
	assert.Equal(t, 5, evs[1].Pos.Line, "the line where the row starts, counting the quoted newlines")
	assert.Equal(t, "done", evs[1].Attrs[0].Value)
}

func TestCSVDelimiters(t *testing.T) {
	for _, d := range []string{",", ";", "\t", "|"} {
		in := strings.ReplaceAll("case,activity,timestamp,note\nc1,A,2021-01-04T09:00:00Z,\"x,y;z|w\"\n", ",", d)
		in = strings.Replace(in, "x"+d+"y", "x,y", 1)
		evs, _ := mustReadAll(t, in, Options{})
		require.Len(t, evs, 1, "delimiter %q", d)
		assert.Equal(t, "A", evs[0].Activity)
	}
	// An explicit delimiter wins over the detected one.
	evs, _ := mustReadAll(t, "case;activity,x,y,z;timestamp\nc1;A,B;2021-01-04T09:00:00Z\n", Options{Delimiter: ';', Mapping: Mapping{Activity: []string{"activity,x,y,z"}}})
	require.Len(t, evs, 1)
	assert.Equal(t, "A,B", evs[0].Activity)
}

func TestGzipIsSniffedFromTheBytes(t *testing.T) {
	csvIn := "case,activity,timestamp\nc1,A,2021-01-04T09:00:00Z\n"
	evs, rd := mustReadAll(t, gz(t, csvIn), Options{})
	require.Len(t, evs, 1)
	assert.True(t, rd.Gzipped())
	assert.Equal(t, CSV, rd.Format())

	evs, rd = mustReadAll(t, gz(t, xesSmall), Options{})
	require.Len(t, evs, 3)
	assert.True(t, rd.Gzipped())
	assert.Equal(t, XES, rd.Format())

	_, err := Open(strings.NewReader("\x1f\x8bnot gzip at all"), Options{})
	require.Error(t, err)
}

func TestNotALog(t *testing.T) {
	_, err := Open(strings.NewReader(""), Options{})
	require.ErrorIs(t, err, ErrFormat)
	_, err = Open(strings.NewReader("\xFF\xFEc\x00a\x00"), Options{})
	require.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "UTF-16")
	_, _, err = readAll(t, "<html><body/></html>", Options{})
	require.ErrorIs(t, err, ErrFormat)
	_, _, err = readAll(t, "<log><trace>", Options{})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Contains(t, err.Error(), "inside <trace>")
	_, _, err = readAll(t, "<log><trace></log>", Options{})
	require.ErrorContains(t, err, "</log> closes </trace>")
	_, _, err = readAll(t, "<log></log><log/>", Options{})
	require.ErrorContains(t, err, "a second root element <log>")
	_, _, err = readAll(t, "<log><trace a=1/></log>", Options{})
	require.ErrorContains(t, err, "XES line 1")
	_, err = Open(strings.NewReader("case,activity,timestamp\n"), Options{TimeZone: "Local"})
	require.Error(t, err)
	_, err = Open(strings.NewReader("case,activity,timestamp\n"), Options{TimeZone: "Mars/Olympus"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Mars/Olympus")
}

func TestOffsetsAcrossADaylightSavingChange(t *testing.T) {
	// Europe/Rome moves from +01:00 to +02:00 at 2021-03-28 02:00 local.
	in := "case,activity,timestamp\n" +
		"c1,Open,2021-03-28T01:30:00+01:00\n" +
		"c1,Answer,2021-03-28T03:30:00+02:00\n" +
		"c1,Close,2021-10-31T02:30:00+02:00\n" +
		"c1,Archive,2021-10-31T02:30:00+01:00\n"
	evs, _ := mustReadAll(t, in, Options{})
	require.Len(t, evs, 4)
	assert.Equal(t, utc("2021-03-28T00:30:00Z"), evs[0].Time)
	assert.Equal(t, utc("2021-03-28T01:30:00Z"), evs[1].Time)
	assert.Equal(t, time.Hour, evs[1].Time.Sub(evs[0].Time), "one hour passed, not two")
	assert.Equal(t, time.Hour, evs[3].Time.Sub(evs[2].Time), "the same wall clock twice, one hour apart")

	// Naive timestamps in the declared zone give the same instants.
	naive := "case,activity,timestamp\nc1,Open,2021-03-28 01:30:00\nc1,Answer,2021-03-28 03:30:00\n"
	evs, _ = mustReadAll(t, naive, Options{TimeZone: "Europe/Rome"})
	require.Len(t, evs, 2)
	assert.Equal(t, utc("2021-03-28T00:30:00Z"), evs[0].Time)
	assert.Equal(t, time.Hour, evs[1].Time.Sub(evs[0].Time))
	// and in UTC by default.
	evs, _ = mustReadAll(t, naive, Options{})
	assert.Equal(t, utc("2021-03-28T01:30:00Z"), evs[0].Time)
	assert.Equal(t, 2*time.Hour, evs[1].Time.Sub(evs[0].Time))
}

func TestLayoutsAreDetectedFromTheData(t *testing.T) {
	cases := []struct {
		values []string
		layout string
		want   []string
	}{
		{[]string{"2012/10/9 14:50:17", "2012/10/12 15:02:56"}, "yyyy/M/d HH:mm:ss", []string{"2012-10-09T14:50:17Z", "2012-10-12T15:02:56Z"}},
		{[]string{"09-10-2012 14:50", "13-10-2012 08:05"}, "d-M-yyyy HH:mm", []string{"2012-10-09T14:50:00Z", "2012-10-13T08:05:00Z"}},
		{[]string{"10/09/2012 14:50", "10/13/2012 08:05"}, "M/d/yyyy HH:mm", []string{"2012-10-09T14:50:00Z", "2012-10-13T08:05:00Z"}},
		{[]string{"2012/10/9 14:50:17.250", "2012/10/9 14:50:18"}, "yyyy/M/d HH:mm:ss", []string{"2012-10-09T14:50:17.25Z", "2012-10-09T14:50:18Z"}},
		{[]string{"13.10.2012 14:50:17,5", "14.10.2012 14:50:17"}, "d.M.yyyy HH:mm:ss", []string{"2012-10-13T14:50:17.5Z", "2012-10-14T14:50:17Z"}},
		{[]string{"1349794217", "1349794218.5"}, LayoutEpochS, []string{"2012-10-09T14:50:17Z", "2012-10-09T14:50:18.5Z"}},
		{[]string{"1349794217250", "1349794217251"}, LayoutEpochMS, []string{"2012-10-09T14:50:17.25Z", "2012-10-09T14:50:17.251Z"}},
		{[]string{"2012-10-09T14:50:17.123456Z", "2012-10-09 16:50:17+02:00"}, LayoutISO8601, []string{"2012-10-09T14:50:17.123456Z", "2012-10-09T14:50:17Z"}},
		{[]string{"20121009145017", "20121013080500"}, "yyyyMMddHHmmss", []string{"2012-10-09T14:50:17Z", "2012-10-13T08:05:00Z"}},
		{[]string{"2012-10-09 16:50:17 +0200", "2012-10-09 14:50:17 Z"}, LayoutISO8601, []string{"2012-10-09T14:50:17Z", "2012-10-09T14:50:17Z"}},
		{[]string{"13/10/2012 2:50 PM", "14/10/2012 9:05 AM"}, "d/M/yyyy h:mm a", []string{"2012-10-13T14:50:00Z", "2012-10-14T09:05:00Z"}},
	}
	for _, c := range cases {
		in := "case,activity,timestamp\n"
		for _, v := range c.values {
			in += "c1,A,\"" + v + "\"\n"
		}
		evs, rd := mustReadAll(t, in, Options{})
		assert.Equal(t, c.layout, rd.Layout(), "%v", c.values)
		require.Len(t, evs, len(c.want))
		for i, w := range c.want {
			assert.Equal(t, utc(w), evs[i].Time, "%v", c.values)
		}
		// The detected layout's name, given back as the layout, reads
		// the same times.
		again, _ := mustReadAll(t, in, Options{TimeLayout: rd.Layout()})
		assert.Equal(t, evs, again, "%v", c.values)
	}
}

func TestAmbiguousDayMonthAsksForTheLayout(t *testing.T) {
	in := "case,activity,timestamp\nc1,A,09-10-2012 14:50\nc1,B,10-11-2012 08:00\n"
	_, _, err := readAll(t, in, Options{})
	require.ErrorIs(t, err, ErrAmbiguousLayout)
	assert.Contains(t, err.Error(), `"d-M-yyyy HH:mm"`)
	assert.Contains(t, err.Error(), `"M-d-yyyy HH:mm"`)
	assert.Contains(t, err.Error(), "set the timestamp layout")

	evs, rd := mustReadAll(t, in, Options{TimeLayout: "02-01-2006 15:04"})
	assert.Equal(t, "02-01-2006 15:04", rd.Layout())
	assert.Equal(t, utc("2012-10-09T14:50:00Z"), evs[0].Time)
	evs, _ = mustReadAll(t, in, Options{TimeLayout: "01-02-2006 15:04"})
	assert.Equal(t, utc("2012-09-10T14:50:00Z"), evs[0].Time)

	_, _, err = readAll(t, "case,activity,timestamp\nc1,A,yesterday\n", Options{})
	require.ErrorIs(t, err, ErrUnknownLayout)
	assert.Contains(t, err.Error(), "line 2")
}

func TestAValueContradictingTheSampledLayoutIsABadRow(t *testing.T) {
	in := "case,activity,timestamp\nc1,A,13-10-2012 14:50\nc1,B,14-10-2012 14:50\nc1,C,10-25-2012 14:50\n"
	evs, _, err := readAll(t, in, Options{SampleRows: 2})
	require.Len(t, evs, 2)
	var re *RowError
	require.ErrorAs(t, err, &re)
	require.ErrorIs(t, err, ErrBadRow)
	assert.Equal(t, 4, re.Pos.Line)
	assert.Equal(t, "timestamp", re.Column)
	assert.Contains(t, err.Error(), `line 4, column "timestamp"`)
	assert.Contains(t, err.Error(), `"d-M-yyyy HH:mm"`)
	// The error is sticky: the reading ended.
	rd, err := Open(strings.NewReader(in), Options{SampleRows: 2})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err = rd.Next()
		require.NoError(t, err)
	}
	for i := 0; i < 2; i++ {
		_, err = rd.Next()
		require.ErrorIs(t, err, ErrBadRow)
	}
}

const badRows = "Case ID,Activity,Complete Timestamp\n" +
	"c1,A,2021-01-04T09:00:00Z\n" +
	",B,2021-01-04T09:00:00Z\n" +
	"c1,,2021-01-04T09:00:00Z\n" +
	"c1,C,\n" +
	"c1,D,not a time\n" +
	"c1,E,2021-01-04T09:00:00Z,extra\n" +
	"c1,\"F\"x,2021-01-04T09:00:00Z\n" +
	"c1,G,2021-01-04T10:00:00Z\n"

func TestBadRowsFailNamingLineAndColumn(t *testing.T) {
	evs, _, err := readAll(t, badRows, Options{})
	require.Len(t, evs, 1)
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, Problem{Pos: Position{Line: 3}, Column: "Case ID", Message: "no case id"}, re.Problem)
}

func TestSkipBadRowsCountsThemAndKeepsTheFirstTen(t *testing.T) {
	evs, rd := mustReadAll(t, badRows, Options{SkipBadRows: true})
	require.Len(t, evs, 2)
	assert.Equal(t, "A", evs[0].Activity)
	assert.Equal(t, "G", evs[1].Activity)
	assert.Equal(t, 6, rd.Skipped())
	assert.Equal(t, 2, rd.Events())
	ps := rd.Problems()
	require.Len(t, ps, 6)
	assert.Equal(t, Problem{Pos: Position{Line: 3}, Column: "Case ID", Message: "no case id"}, ps[0])
	assert.Equal(t, Problem{Pos: Position{Line: 4}, Column: "Activity", Message: "no activity"}, ps[1])
	assert.Equal(t, Problem{Pos: Position{Line: 5}, Column: "Complete Timestamp", Message: "no timestamp"}, ps[2])
	assert.Equal(t, 6, ps[3].Pos.Line)
	assert.Equal(t, "Complete Timestamp", ps[3].Column)
	assert.Contains(t, ps[3].Message, `"not a time"`)
	assert.Equal(t, Problem{Pos: Position{Line: 7}, Message: "the row has 4 fields, the header 3"}, ps[4])
	assert.Equal(t, 8, ps[5].Pos.Line)
	assert.Contains(t, ps[5].Message, "quote")

	var b strings.Builder
	b.WriteString("case,activity,timestamp\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, "c%d,,2021-01-04T09:00:00Z\nc%d,A,2021-01-04T09:00:00Z\n", i, i)
	}
	evs, rd = mustReadAll(t, b.String(), Options{SkipBadRows: true})
	assert.Len(t, evs, 25)
	assert.Equal(t, 25, rd.Skipped())
	require.Len(t, rd.Problems(), 10)
	assert.Equal(t, 2, rd.Problems()[0].Pos.Line)
	assert.Equal(t, 20, rd.Problems()[9].Pos.Line)
}

func TestEqualTimestampsKeepFileOrderAndDuplicatesAreKept(t *testing.T) {
	in := "case,activity,timestamp,resource\n" +
		"c1,B,2021-01-04T09:00:00Z,r1\n" +
		"c2,X,2021-01-04T08:00:00Z,r1\n" +
		"c1,A,2021-01-04T09:00:00Z,r1\n" +
		"c1,A,2021-01-04T09:00:00Z,r1\n" +
		"c1,C,2021-01-04T08:59:00Z,r1\n"
	evs, _ := mustReadAll(t, in, Options{})
	var acts []string
	for _, ev := range evs {
		acts = append(acts, ev.Case+ev.Activity)
	}
	assert.Equal(t, []string{"c1B", "c2X", "c1A", "c1A", "c1C"}, acts, "file order, duplicates included")
	assert.Equal(t, evs[2].Time, evs[3].Time)
	assert.Equal(t, evs[2].Activity, evs[3].Activity)
}

const xesSmall = `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>
  <global scope="event"><string key="concept:name" value="UNKNOWN"/><date key="time:timestamp" value="1970-01-01T00:00:00Z"/></global>
  <classifier name="Activity" keys="concept:name lifecycle:transition"/>
  <string key="origin" value="test"/>
  <list key="log-list"><values><string key="x" value="y"/></values></list>
  <trace>
    <string key="concept:name" value="T1"/>
    <date key="opened" value="2021-03-28T03:00:00+02:00"/>
    <int key="priority" value="2"/>
    <container key="customer"><string key="name" value="ACME"/></container>
    <event>
      <string key="concept:name" value="Review"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2021-03-28T01:30:00.000+01:00"/>
      <string key="org:resource" value="ann"/>
      <string key="org:group" value="Desk"/>
      <float key="cost" value="1.5"/>
      <boolean key="urgent" value="true"/>
      <id key="ref" value="5d3bdbbd-54c2-4a1b-93b4-1234567890ab"/>
      <string key="note" value="outer"><string key="inner" value="nested"><int key="deeper" value="1"/></string></string>
      <list key="tags"><values><string key="tag" value="a"/><string key="tag" value="b"/></values></list>
    </event>
    <event>
      <string key="concept:name" value="Review"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2021-03-28T03:30:00+02:00"/>
      <string key="org:resource" value="ann"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="T2"/>
    <event>
      <string key="concept:name" value="Close"/>
      <date key="time:timestamp" value="2021-03-29T10:00:00Z"/>
    </event>
  </trace>
</log>`

func TestXESAttributesTracesAndSkippedParts(t *testing.T) {
	evs, rd := mustReadAll(t, xesSmall, Options{})
	assert.Equal(t, XES, rd.Format())
	assert.Equal(t, LayoutISO8601, rd.Layout())
	require.Len(t, evs, 3)
	ev := evs[0]
	assert.Equal(t, "T1", ev.Case)
	assert.Equal(t, "Review", ev.Activity)
	assert.Equal(t, "start", ev.Lifecycle)
	assert.Equal(t, utc("2021-03-28T00:30:00Z"), ev.Time)
	assert.Equal(t, "ann", ev.Resource)
	assert.Equal(t, "Desk", ev.Group)
	assert.Equal(t, []Attr{
		{"cost", "1.5", "float"}, {"urgent", "true", "boolean"}, {"ref", "5d3bdbbd-54c2-4a1b-93b4-1234567890ab", "id"},
		{"note", "outer", "string"},
	}, ev.Attrs, "nested attributes and lists are skipped, their parent kept")
	assert.Equal(t, []Attr{{"opened", "2021-03-28T01:00:00Z", "date"}, {"priority", "2", "int"}}, ev.CaseAttrs,
		"trace attributes are case attributes; the container is skipped")
	assert.Equal(t, Position{Line: 15, Trace: 1, Event: 1}, ev.Pos)
	assert.Equal(t, time.Hour, evs[1].Time.Sub(evs[0].Time), "across the DST change")
	assert.Equal(t, evs[0].CaseAttrs, evs[1].CaseAttrs)
	assert.Equal(t, "T2", evs[2].Case)
	assert.Empty(t, evs[2].CaseAttrs)
	assert.Equal(t, Position{Line: 36, Trace: 2, Event: 1}, evs[2].Pos)

	// The classifier's two keys as the activity.
	evs, _ = mustReadAll(t, xesSmall, Options{Mapping: Mapping{Activity: []string{"concept:name", "lifecycle:transition"}}})
	assert.Equal(t, "Review+start", evs[0].Activity)
	assert.Equal(t, "start", evs[0].Lifecycle)
	assert.Equal(t, "Close", evs[2].Activity, "no lifecycle: the name alone")
	// A flattened log's name for the case id means the trace's.
	evs, _ = mustReadAll(t, xesSmall, Options{Mapping: Mapping{Case: "case:concept:name"}})
	assert.Equal(t, "T1", evs[0].Case)
}

func TestXESBadEvents(t *testing.T) {
	in := `<log><trace><string key="concept:name" value="T1"/>
<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2021-01-04T09:00:00Z"/></event>
<event><date key="time:timestamp" value="2021-01-04T09:00:00Z"/></event>
<event><string key="concept:name" value="C"/><date key="time:timestamp" value="soon"/></event>
<event><string key="concept:name" value="D"/></event>
</trace><trace><event><string key="concept:name" value="E"/><date key="time:timestamp" value="2021-01-04T09:00:00Z"/></event></trace></log>`
	evs, _, err := readAll(t, in, Options{})
	require.Len(t, evs, 1)
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, Position{Line: 3, Trace: 1, Event: 2}, re.Pos)
	assert.Equal(t, "concept:name", re.Column)
	assert.Contains(t, err.Error(), "trace 1, event 2 (line 3)")

	evs, rd := mustReadAll(t, in, Options{SkipBadRows: true})
	require.Len(t, evs, 1)
	require.Equal(t, 4, rd.Skipped())
	ps := rd.Problems()
	assert.Equal(t, "time:timestamp", ps[1].Column)
	assert.Contains(t, ps[1].Message, `"soon"`)
	assert.Equal(t, "no timestamp", ps[2].Message)
	assert.Equal(t, Position{Line: 6, Trace: 2, Event: 1}, ps[3].Pos)
	assert.Equal(t, "concept:name", ps[3].Column)
}

func TestPairMatchesStartAndCompleteAndLeavesStatuses(t *testing.T) {
	at := func(m int) time.Time { return utc("2021-01-04T09:00:00Z").Add(time.Duration(m) * time.Minute) }
	evs := []Event{
		{Activity: "Review", Lifecycle: "start", Time: at(0)},
		{Activity: "Call", Lifecycle: "In Progress", Time: at(1)},
		{Activity: "Review", Lifecycle: "START", Time: at(2)},
		{Activity: "Review", Lifecycle: "complete", Time: at(10)},
		{Activity: "Review", Lifecycle: "Complete", Time: at(30)},
		{Activity: "Call", Lifecycle: "complete", Time: at(31)},
		{Activity: "Note", Lifecycle: "", Time: at(32)},
		{Activity: "Fix", Lifecycle: "start", Time: at(40)},
		{Activity: "Fix", Lifecycle: "suspend", Time: at(41)},
		{Case: "other", Activity: "Fix", Lifecycle: "complete", Time: at(42)},
	}
	orig := append([]Event(nil), evs...)
	out := Pair(evs)
	assert.Equal(t, orig, evs, "the input is not changed")
	var got []string
	for _, ev := range out {
		w := "-"
		if ev.Start != nil {
			w = ev.Time.Sub(*ev.Start).String()
		}
		got = append(got, ev.Activity+"/"+ev.Lifecycle+"/"+w)
	}
	assert.Equal(t, []string{
		"Call/In Progress/-", "Review/complete/10m0s", "Review/Complete/28m0s",
		"Call/complete/-", "Note//-", "Fix/start/-", "Fix/suspend/-", "Fix/complete/-",
	}, got, "another case's start is not this one's")
}

func TestPreview(t *testing.T) {
	res, err := Preview(strings.NewReader(badRows), Options{}, 1)
	require.NoError(t, err)
	assert.Equal(t, CSV, res.Format)
	assert.Equal(t, "Complete Timestamp", res.Mapping.Time)
	assert.Equal(t, LayoutISO8601, res.Layout)
	assert.Equal(t, "UTC", res.TimeZone)
	require.Len(t, res.Events, 1)
	assert.False(t, res.Complete)
	assert.Equal(t, 1, res.Read)

	res, err = Preview(strings.NewReader(badRows), Options{}, 100)
	require.NoError(t, err)
	assert.True(t, res.Complete)
	assert.Len(t, res.Events, 2)
	assert.Equal(t, 6, res.Bad)
	assert.Len(t, res.Problems, 6)

	// An ambiguous layout: the mapping so far, and the error.
	res, err = Preview(strings.NewReader("case,activity,timestamp\nc1,A,09-10-2012 14:50\n"), Options{TimeZone: "Europe/Rome"}, 10)
	require.ErrorIs(t, err, ErrAmbiguousLayout)
	require.NotNil(t, res)
	assert.Equal(t, "timestamp", res.Mapping.Time)
	assert.Equal(t, []string{"case", "activity", "timestamp"}, res.Columns)
	assert.Equal(t, "Europe/Rome", res.TimeZone)
	assert.Empty(t, res.Layout)

	// A missing column: the header to map from, and the error.
	res, err = Preview(strings.NewReader("Case ID,what,when\nc1,A,2021-01-04\n"), Options{}, 10)
	require.ErrorIs(t, err, ErrMapping)
	require.NotNil(t, res)
	assert.Equal(t, []string{"Case ID", "what", "when"}, res.Columns)
	assert.Equal(t, "Case ID", res.Mapping.Case)
	assert.Equal(t, "UTC", res.TimeZone)

	res, err = Preview(strings.NewReader(xesSmall), Options{}, 10)
	require.NoError(t, err)
	assert.Equal(t, XES, res.Format)
	assert.Len(t, res.Events, 3)
	assert.Contains(t, res.Columns, "cost")
}

func TestLimits(t *testing.T) {
	long := "case,activity,timestamp\nc1,A,2021-01-04T09:00:00Z\nc1," + strings.Repeat("x", 10000) + ",2021-01-04T09:00:00Z\n"
	evs, _, err := readAll(t, long, Options{Limits: Limits{MaxLineBytes: 1000}, SkipBadRows: true})
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "longer than 1000 bytes")
	require.Len(t, evs, 1, "the rows before the error come out first")
	assert.Equal(t, "A", evs[0].Activity)
	// Quoted newlines do not reset the count.
	quoted := "case,activity,timestamp\nc1,\"" + strings.Repeat("x\n", 5000) + "\",2021-01-04T09:00:00Z\n"
	_, _, err = readAll(t, quoted, Options{Limits: Limits{MaxLineBytes: 1000}})
	require.ErrorIs(t, err, ErrLimit)
	_, _, err = readAll(t, long, Options{})
	require.NoError(t, err, "the default allows it")

	_, err = Open(strings.NewReader("case,activity,timestamp,a,b,c\n"), Options{Limits: Limits{MaxColumns: 5}})
	require.ErrorIs(t, err, ErrLimit)
	_, _, err = readAll(t, "case,activity,timestamp\nc1,A,2021-01-04T09:00:00Z,1,2,3,4\n", Options{Limits: Limits{MaxColumns: 5}})
	require.ErrorIs(t, err, ErrLimit)
	_, _, err = readAll(t, "case,activity,timestamp,a,b,c\nc1,A,2021-01-04T09:00:00Z,1,2,3\n", Options{Limits: Limits{MaxAttrs: 2}})
	require.ErrorIs(t, err, ErrBadRow)

	_, _, err = readAll(t, long, Options{Limits: Limits{MaxInputBytes: 5000}})
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "larger than 5000 bytes")

	deep := "<log><trace><string key=\"concept:name\" value=\"T\"/><event>" + strings.Repeat("<string key=\"k\" value=\"v\">", 100) +
		strings.Repeat("</string>", 100) + "</event></trace></log>"
	_, _, err = readAll(t, deep, Options{})
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "deeper than 64")

	var many strings.Builder
	many.WriteString(`<log><trace><string key="concept:name" value="T"/><event><string key="concept:name" value="A"/><date key="time:timestamp" value="2021-01-04T09:00:00Z"/>`)
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&many, `<string key="k%d" value="v"/>`, i)
	}
	many.WriteString(`</event></trace></log>`)
	_, _, err = readAll(t, many.String(), Options{Limits: Limits{MaxAttrs: 10}})
	require.ErrorIs(t, err, ErrBadRow)
	assert.Contains(t, err.Error(), "more than 10 attributes")
	evs, _ = mustReadAll(t, many.String(), Options{})
	require.Len(t, evs, 1)
	assert.Len(t, evs[0].Attrs, 50)

	bigValue := `<log><trace><string key="concept:name" value="` + strings.Repeat("x", 20000) + `"/></trace></log>`
	_, _, err = readAll(t, bigValue, Options{Limits: Limits{MaxLineBytes: 1000}})
	require.ErrorIs(t, err, ErrLimit)
}

func TestXESStartKeyLayoutAndTraceLimit(t *testing.T) {
	in := `<log><trace><string key="concept:name" value="T1"/><string key="channel" value="mail"/><string key="vip" value="no"/>
<event><string key="concept:name" value="A"/><string key="begin" value="04.01.2021 09:00"/><string key="time:timestamp" value="04.01.2021 09:45"/></event>
</trace></log>`
	evs, rd := mustReadAll(t, in, Options{Mapping: Mapping{Start: "begin"}, TimeLayout: "02.01.2006 15:04", TimeZone: "Europe/Rome"})
	require.Len(t, evs, 1)
	assert.Equal(t, "02.01.2006 15:04", rd.Layout())
	assert.Equal(t, "begin", rd.Mapping().Start)
	assert.Equal(t, utc("2021-01-04T08:45:00Z"), evs[0].Time)
	require.NotNil(t, evs[0].Start)
	assert.Equal(t, utc("2021-01-04T08:00:00Z"), *evs[0].Start)
	assert.Empty(t, evs[0].Attrs)
	assert.Equal(t, []Attr{{"channel", "mail", "string"}, {"vip", "no", "string"}}, evs[0].CaseAttrs)

	_, _, err := readAll(t, in, Options{Mapping: Mapping{Start: "begin"}, TimeLayout: "02.01.2006 15:04", Limits: Limits{MaxAttrs: 1}})
	require.ErrorIs(t, err, ErrBadRow)
	assert.Contains(t, err.Error(), "the trace has more than 1 attributes")
}

func TestCSVShortRowsHaveEmptyCells(t *testing.T) {
	evs, _ := mustReadAll(t, "case,activity,timestamp,resource,note\nc1,A,2021-01-04T09:00:00Z\n", Options{})
	require.Len(t, evs, 1)
	assert.Empty(t, evs[0].Resource)
	assert.Empty(t, evs[0].Attrs)
}

// endless is a log that never ends: a header (or the XES prologue), then
// the same row (or event) forever, and a count of the bytes given.
type endless struct {
	head, row string
	buf       []byte
	n         int
}

func (e *endless) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		if e.head != "" {
			e.buf, e.head = []byte(e.head), ""
		} else {
			e.buf = []byte(e.row)
		}
	}
	k := copy(p, e.buf)
	e.buf = e.buf[k:]
	e.n += k
	return k, nil
}

func TestTheReaderStreams(t *testing.T) {
	for _, src := range []*endless{
		{head: "case,activity,timestamp\n", row: "c1,A,2021-01-04T09:00:00Z\n"},
		{head: `<log><trace><string key="concept:name" value="T"/>`,
			row: `<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2021-01-04T09:00:00Z"/></event>`},
	} {
		rd, err := Open(src, Options{})
		require.NoError(t, err)
		for i := 0; i < 5000; i++ {
			_, err := rd.Next()
			require.NoError(t, err)
		}
		// What was read is the events given and the buffers, not the file.
		assert.Less(t, src.n, 5000*len(src.row)+300<<10, "%s", rd.Format())
	}
}

func TestCSVThatIsNotUTF8(t *testing.T) {
	// Latin-1 "é" (0xE9), as an old spreadsheet saves it.
	evs, rd := mustReadAll(t, "case,activity,timestamp,note\nc1,A,2021-01-04T09:00:00Z,caf\xE9\nc1,B,2021-01-04T10:00:00Z,ok\n", Options{SkipBadRows: true})
	require.Len(t, evs, 1)
	assert.Equal(t, "B", evs[0].Activity)
	assert.Equal(t, []Problem{{Pos: Position{Line: 2}, Column: "note", Message: "not UTF-8 text; save the file as UTF-8"}}, rd.Problems())
	_, err := Open(strings.NewReader("case,activit\xE9,timestamp\n"), Options{})
	require.ErrorIs(t, err, ErrFormat)
}

func TestLayoutPatterns(t *testing.T) {
	cases := []struct{ pattern, goLayout string }{
		{"dd/MM/yyyy HH:mm:ss", "02/01/2006 15:04:05"},
		{"d.M.yy h:mm a", "2.1.06 3:04 PM"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2006-01-02T15:04:05.000Z07:00"},
		{"dd MMM yyyy HH:mm Z", "02 Jan 2006 15:04 -0700"},
	}
	for _, c := range cases {
		got, err := patternToGo(c.pattern)
		require.NoError(t, err, c.pattern)
		assert.Equal(t, c.goLayout, got, c.pattern)
	}
	// Every detected layout's name is a pattern that reads as its Go layout.
	for _, c := range candidates {
		if c.goLayout == "" {
			continue
		}
		require.True(t, isPattern(c.name), c.name)
		got, err := patternToGo(c.name)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.goLayout, got, c.name)
	}
	for _, bad := range []string{"dd/MM/yyyy Q", "dd/MM/yyy", "yyyy-MM-dd 'T", "HH:mm:ss SSS"} {
		_, err := parserFor(bad)
		require.Error(t, err, bad)
	}
	evs, rd := mustReadAll(t, "case,activity,timestamp\nc1,A,09/10/2012 14:50\n", Options{TimeLayout: "dd/MM/yyyy HH:mm", TimeZone: "Europe/Rome"})
	assert.Equal(t, "dd/MM/yyyy HH:mm", rd.Layout())
	assert.Equal(t, utc("2012-10-09T12:50:00Z"), evs[0].Time)
	_, err := Open(strings.NewReader("case,activity,timestamp\n"), Options{TimeLayout: "dd/MM/yyyy QQ"})
	require.ErrorContains(t, err, `"QQ"`)
}

// A schedule event gives its instance a scheduled time: through the start
// it precedes, or straight to a completion without a start; one nothing
// takes stays an event.
func TestPairTakesSchedules(t *testing.T) {
	at := func(m int) time.Time { return utc("2021-01-04T09:00:00Z").Add(time.Duration(m) * time.Minute) }
	out := Pair([]Event{
		{Activity: "Fix", Lifecycle: "schedule", Time: at(0)},
		{Activity: "Fix", Lifecycle: "start", Time: at(5)},
		{Activity: "Fix", Lifecycle: "complete", Time: at(9)},
		{Activity: "Wait", Lifecycle: "schedule", Time: at(10)},
		{Activity: "Wait", Lifecycle: "complete", Time: at(30)},
		{Activity: "Call", Lifecycle: "schedule", Time: at(31)},
	})
	require.Len(t, out, 3)
	fix, wait, call := out[0], out[1], out[2]
	require.Equal(t, []time.Time{at(0), at(5), at(9)}, []time.Time{*fix.Scheduled, *fix.Start, fix.Time})
	require.Nil(t, wait.Start)
	require.Equal(t, at(10), *wait.Scheduled)
	require.Equal(t, "schedule", call.Lifecycle)
	require.Nil(t, call.Scheduled)
}
