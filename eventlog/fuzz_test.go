package eventlog

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzRead reads arbitrary bytes as a log with small limits: the reader
// must end (io.EOF or an error) without panicking, stay within its
// limits, and give only events with a case, an activity and a UTC time.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		badRows,
		xesSmall,
		"\xEF\xBB\xBFCase ID;Activity;Complete Timestamp\r\nc1;\"A\r\nB\";09-10-2012 14:50\r\n",
		"case,activity,timestamp,Variant,Variant\nc1,A,1349794217250,x,y\n",
		"case\tactivity\ttimestamp\nc1\tA\t2021-03-28T01:30:00+01:00\n",
		"<log><trace><string key=\"concept:name\" value=\"T\"/><event></trace></log>",
		`<log><trace><string key="concept:name" value="T"/><event><string key="concept:name" value="A"/><date key="time:timestamp" value="2021-01-04T09:00:00Z"/><list key="l"><values/></list></event></trace></log>`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		opts := Options{SkipBadRows: skip, Limits: Limits{MaxLineBytes: 512, MaxColumns: 32, MaxAttrs: 16, MaxDepth: 16, MaxInputBytes: 1 << 16}}
		rd, err := Open(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more events (%d) than bytes (%d)", i, len(data))
			}
			ev, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var re *RowError
				if skip && errors.As(err, &re) {
					t.Fatalf("a bad row came out with SkipBadRows: %v", err)
				}
				break
			}
			if ev.Case == "" || ev.Activity == "" || ev.Time.IsZero() || ev.Time.Location() != time.UTC {
				t.Fatalf("incomplete event %+v", ev)
			}
			if len(ev.Attrs) > 16 || len(ev.CaseAttrs) > 16 {
				t.Fatalf("%d attributes past the limit", len(ev.Attrs))
			}
			if rd.Format() == XES && !utf8.ValidString(ev.Activity) {
				t.Fatalf("invalid UTF-8 from XML: %q", ev.Activity)
			}
		}
		if len(rd.Problems()) > 10 || len(rd.Problems()) > rd.Skipped() {
			t.Fatalf("%d problems kept for %d skipped", len(rd.Problems()), rd.Skipped())
		}
	})
}
