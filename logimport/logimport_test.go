package logimport

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/eventlog"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(context.Background()))
	return st
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// A log with interleaved cases, start and complete events, equal times and
// a case attribute column.
const lifecycleCSV = `case,activity,time,lifecycle,resource,case:channel
c2,record,2026-03-02T09:00:00Z,complete,ann,chat
c1,record,2026-03-02T08:00:00Z,start,ann,phone
c1,record,2026-03-02T08:10:00Z,complete,ann,phone
c1,review,2026-03-02T08:30:00Z,start,bob,phone
c2,close,2026-03-02T09:00:00Z,complete,bob,chat
c1,review,2026-03-02T09:00:00Z,complete,bob,phone
`

func TestImportGroupsOrdersAndPairs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var progress []int
	l, rep, err := Import(ctx, st, strings.NewReader(lifecycleCSV), Params{ID: "log-1", Name: "two cases", Source: "x.csv",
		Actor: "olga", At: t0, ChunkCases: 1, Progress: func(n int) { progress = append(progress, n) }})
	require.NoError(t, err)
	require.Equal(t, store.EventLogReady, l.Status)
	require.Equal(t, []int{2, 4}, []int{l.Cases, l.Events}, "two starts paired with their completions: four activity instances")
	require.Equal(t, []int{2, 4, 6}, []int{rep.Cases, rep.Events, rep.Read})
	require.Equal(t, []int{6}, progress)
	require.True(t, time.Date(2026, 3, 2, 8, 10, 0, 0, time.UTC).Equal(*l.First), "first completion")
	require.True(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Equal(*l.Last))
	require.Equal(t, "csv", rep.Format)

	got, err := Load(ctx, st, "log-1")
	require.NoError(t, err)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	ptr := func(t time.Time) *time.Time { return &t }
	require.Equal(t, []discovery.Case{
		// c2 first: its first event comes first in the file; equal times
		// keep the file's order (record before close).
		{ID: "c2", Attrs: []discovery.Attr{{Name: "channel", Value: "chat"}}, Events: []discovery.Event{
			{Activity: "record", Time: at(9, 0), Resource: "ann"},
			{Activity: "close", Time: at(9, 0), Resource: "bob"},
		}},
		// c1's starts are paired with their completions and dropped.
		{ID: "c1", Attrs: []discovery.Attr{{Name: "channel", Value: "phone"}}, Events: []discovery.Event{
			{Activity: "record", Time: at(8, 10), Start: ptr(at(8, 0)), Resource: "ann"},
			{Activity: "review", Time: at(9, 0), Start: ptr(at(8, 30)), Resource: "bob"},
		}},
	}, got.Cases)
	// Two chunks of one case each.
	chunks := 0
	require.NoError(t, st.EventLogChunks(ctx, "log-1", func(int, []byte) error { chunks++; return nil }))
	require.Equal(t, 2, chunks)
	// Working time is known where starts were paired.
	var review discovery.ActivityStats
	for _, a := range discovery.Activities(got) {
		if a.Activity == "review" {
			review = a
		}
	}
	require.InDelta(t, 30*60, review.Work.P50, 1e-9)
	require.InDelta(t, 20*60, review.Wait.P50, 1e-9, "from record's completion at 8:10 to review's start at 8:30")
}

func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	bad := lifecycleCSV + "c3,record,not a time,complete,ann,chat\n"
	_, _, err := Import(ctx, st, strings.NewReader(bad), Params{ID: "bad", Name: "bad", Actor: "olga", At: t0})
	require.ErrorIs(t, err, eventlog.ErrBadRow)
	_, err = st.GetEventLog(ctx, "bad")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing left behind")

	// Skipping bad rows imports the rest and says what it skipped.
	l, rep, err := Import(ctx, st, strings.NewReader(bad), Params{ID: "skip", Name: "skip", Actor: "olga", At: t0,
		Options: eventlog.Options{SkipBadRows: true}})
	require.NoError(t, err)
	require.Equal(t, 4, l.Events)
	require.Equal(t, 6, rep.Read)
	require.Equal(t, 1, rep.Skipped)
	require.Len(t, rep.Problems, 1)

	// Too many events, and a cancelled import: no log either.
	_, _, err = Import(ctx, st, strings.NewReader(lifecycleCSV), Params{ID: "big", Name: "big", Actor: "olga", At: t0, MaxEvents: 5})
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = st.GetEventLog(ctx, "big")
	require.ErrorIs(t, err, store.ErrNotFound)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = Import(cctx, st, strings.NewReader(lifecycleCSV), Params{ID: "cancelled", Name: "c", Actor: "olga", At: t0})
	require.Error(t, err)
	_, err = st.GetEventLog(ctx, "cancelled")
	require.ErrorIs(t, err, store.ErrNotFound)

	// An empty log is refused; a second import under an id is a conflict.
	_, _, err = Import(ctx, st, strings.NewReader("case,activity,time\n"), Params{ID: "empty", Name: "e", Actor: "olga", At: t0})
	require.Error(t, err)
	_, _, err = Import(ctx, st, strings.NewReader(lifecycleCSV), Params{ID: "skip", Name: "again", Actor: "olga", At: t0})
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = Load(ctx, st, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// The real Helpdesk log (../shared/data/eventlogs/README.md), beside the
// repository; the tests skip without it.
const helpdeskDir = "../../shared/data/eventlogs"

func helpdesk(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(helpdeskDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not here: the shared event logs are beside the repository in CI", name)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// Both files of the Helpdesk log import to the same log, whose summary is
// what the raw CSV rows say, counted here without the reader.
func TestHelpdeskCSVAndXESImportAlike(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	csvLog, _, err := Import(ctx, st, helpdesk(t, "helpdesk.csv"), Params{ID: "csv", Name: "csv", Actor: "olga", At: t0})
	require.NoError(t, err)
	xesLog, _, err := Import(ctx, st, helpdesk(t, "helpdesk.xes.gz"), Params{ID: "xes", Name: "xes", Actor: "olga", At: t0})
	require.NoError(t, err)

	// Independent counts from the raw CSV rows.
	rows, err := csv.NewReader(helpdesk(t, "helpdesk.csv")).ReadAll()
	require.NoError(t, err)
	cases, activities, resources := map[string]int{}, map[string]bool{}, map[string]bool{}
	for _, r := range rows[1:] {
		cases[r[0]]++
		activities[r[1]] = true
		resources[r[2]] = true
	}
	for _, l := range []store.EventLog{csvLog, xesLog} {
		require.Equal(t, []int{len(cases), len(rows) - 1}, []int{l.Cases, l.Events}, l.ID)
	}
	a, err := Load(ctx, st, "csv")
	require.NoError(t, err)
	b, err := Load(ctx, st, "xes")
	require.NoError(t, err)
	sa, sb := discovery.Summarize(a), discovery.Summarize(b)
	require.Equal(t, sa, sb)
	require.Equal(t, []int{4580, 21348, 14, 22}, []int{sa.Cases, sa.Events, sa.Activities, sa.Resources})
	require.Equal(t, []int{len(cases), len(activities), len(resources)}, []int{sa.Cases, sa.Activities, sa.Resources})
	// The same variants and directly-follows counts from both files.
	require.Equal(t, keysAndCounts(discovery.Variants(a)), keysAndCounts(discovery.Variants(b)))
	require.Equal(t, discovery.DirectlyFollows(a).Edges, discovery.DirectlyFollows(b).Edges)
	// Every case's events in the CSV's own order (by time, ties in file
	// order) and count.
	for _, c := range a.Cases {
		require.Len(t, c.Events, cases[c.ID], c.ID)
	}
}

func keysAndCounts(vs []discovery.Variant) map[string]int {
	out := map[string]int{}
	for _, v := range vs {
		out[v.Key] = v.Cases
	}
	return out
}

// A log that begins at the Unix epoch keeps it as its first time.
func TestImportFirstAndLastAtTheEpoch(t *testing.T) {
	st := openStore(t)
	l, _, err := Import(context.Background(), st, strings.NewReader("case,activity,time\nc,a,1970-01-01T00:00:00Z\nc,b,1970-01-01T01:00:00Z\n"),
		Params{ID: "epoch", Name: "epoch", Actor: "olga", At: t0})
	require.NoError(t, err)
	require.True(t, time.Unix(0, 0).Equal(*l.First), "%v", l.First)
	require.True(t, time.Unix(3600, 0).Equal(*l.Last), "%v", l.Last)
}
