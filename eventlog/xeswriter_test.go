package eventlog

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// What the writer writes, the reader reads back: traces with their
// attributes, events with lifecycle, resource and group, names with
// characters XML must escape.
func TestXESWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewXESWriter(&buf, []Attr{{Name: "concept:name", Value: "spans"}})
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 123456789, time.UTC)
	require.NoError(t, w.Trace([]Attr{{Name: "concept:name", Value: `c<1>&"x"`}, {Name: "flowlab:version", Value: "2", Type: "int"},
		{Name: "flowlab:customer", Value: "C-1", Type: "id"}}))
	for i, lc := range []string{"schedule", "start", "complete"} {
		require.NoError(t, w.Event([]Attr{{Name: "concept:name", Value: "Fix & check"}, {Name: "lifecycle:transition", Value: lc},
			{Name: "time:timestamp", Value: t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339Nano), Type: "date"},
			{Name: "org:resource", Value: "ann"}, {Name: "org:group", Value: "service"}}))
	}
	require.NoError(t, w.Trace([]Attr{{Name: "concept:name", Value: "c2"}}))
	require.NoError(t, w.Event([]Attr{{Name: "concept:name", Value: "Close"}, {Name: "time:timestamp", Value: t0.Format(time.RFC3339Nano), Type: "date"}}))
	require.NoError(t, w.Close())
	require.ErrorIs(t, w.Event(nil), errWriterClosed)

	rd, err := Open(&buf, Options{})
	require.NoError(t, err)
	var got []Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		got = append(got, ev)
	}
	require.Len(t, got, 4)
	require.Equal(t, `c<1>&"x"`, got[0].Case)
	require.Equal(t, "Fix & check", got[0].Activity)
	require.Equal(t, []string{"schedule", "start", "complete"}, []string{got[0].Lifecycle, got[1].Lifecycle, got[2].Lifecycle})
	require.True(t, t0.Add(2*time.Minute).Equal(got[2].Time), "nanoseconds kept")
	require.Equal(t, []string{"ann", "service"}, []string{got[2].Resource, got[2].Group})
	require.Contains(t, got[0].CaseAttrs, Attr{Name: "flowlab:version", Value: "2", Type: "int"})
	require.Equal(t, "c2", got[3].Case)
	paired := Pair(got)
	require.Len(t, paired, 2)
	require.Equal(t, time.Minute, paired[0].Time.Sub(*paired[0].Start))
	require.Equal(t, time.Minute, paired[0].Start.Sub(*paired[0].Scheduled))
}

func TestXESWriterRefusesUnknownTypes(t *testing.T) {
	w, err := NewXESWriter(io.Discard, nil)
	require.NoError(t, err)
	require.NoError(t, w.Trace(nil))
	require.Error(t, w.Event([]Attr{{Name: "x", Value: "1", Type: "list"}}))
}
