package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testEventLogs: an import is invisible until finished, all or nothing;
// chunks come back in order and byte for byte; a finished log lists,
// renames and deletes (with its chunks); a stale import is swept.
func testEventLogs(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	l, err := s.CreateEventLog(ctx, store.CreateEventLogParams{ID: "log-1", Name: "Helpdesk 2013", Source: "helpdesk.csv",
		Format: "csv", Mapping: json.RawMessage(`{"case":"Case ID"}`), Actor: "olga", At: t0})
	require.NoError(t, err)
	require.Equal(t, store.EventLogImporting, l.Status)
	require.Equal(t, "helpdesk.csv", l.Source)
	require.JSONEq(t, `{"case":"Case ID"}`, string(l.Mapping))
	require.Nil(t, l.First)
	require.True(t, t0.Equal(l.CreatedAt))
	_, err = s.CreateEventLog(ctx, store.CreateEventLogParams{ID: "log-1", Name: "again", Actor: "olga", At: t0})
	require.ErrorIs(t, err, store.ErrConflict)

	// Chunks, written out of order, come back in seq order, byte for byte
	// (zero bytes and high bytes included).
	chunks := [][]byte{{0, 1, 2, 255}, []byte("second"), make([]byte, 300_000)}
	chunks[2][299_999] = 7
	require.NoError(t, s.PutEventLogChunk(ctx, "log-1", 2, chunks[2], t0.Add(time.Second)))
	require.NoError(t, s.PutEventLogChunk(ctx, "log-1", 0, chunks[0], t0.Add(2*time.Second)))
	require.NoError(t, s.PutEventLogChunk(ctx, "log-1", 1, chunks[1], t0.Add(3*time.Second)))
	require.ErrorIs(t, s.PutEventLogChunk(ctx, "log-1", 1, []byte("dup"), t0), store.ErrConflict)
	require.ErrorIs(t, s.PutEventLogChunk(ctx, "nope", 0, []byte("x"), t0), store.ErrNotFound)

	// Importing: not listed.
	list, err := s.ListEventLogs(ctx, store.ListEventLogsParams{})
	require.NoError(t, err)
	require.Empty(t, list)

	first, last := t0.Add(-48*time.Hour), t0.Add(-time.Hour)
	l, err = s.FinishEventLog(ctx, store.FinishEventLogParams{ID: "log-1", Cases: 3, Events: 12, First: first, Last: last,
		Summary: json.RawMessage(`{"skipped":0}`), At: t0.Add(4 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, store.EventLogReady, l.Status)
	require.Equal(t, []int{3, 12}, []int{l.Cases, l.Events})
	require.True(t, first.Equal(*l.First) && last.Equal(*l.Last))
	require.JSONEq(t, `{"skipped":0}`, string(l.Summary))
	_, err = s.FinishEventLog(ctx, store.FinishEventLogParams{ID: "log-1", At: t0})
	require.ErrorIs(t, err, store.ErrConflict, "finished once")
	_, err = s.FinishEventLog(ctx, store.FinishEventLogParams{ID: "nope", At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.PutEventLogChunk(ctx, "log-1", 3, []byte("late"), t0), store.ErrConflict, "a ready log takes no chunk")

	var got [][]byte
	var seqs []int
	require.NoError(t, s.EventLogChunks(ctx, "log-1", func(seq int, data []byte) error {
		seqs = append(seqs, seq)
		got = append(got, append([]byte(nil), data...))
		return nil
	}))
	require.Equal(t, []int{0, 1, 2}, seqs)
	require.Equal(t, chunks, got)
	stop := errors.New("enough")
	calls := 0
	err = s.EventLogChunks(ctx, "log-1", func(int, []byte) error { calls++; return stop })
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, calls)

	// Newest first, paged.
	for i := 2; i <= 4; i++ {
		id := fmt.Sprintf("log-%d", i)
		_, err := s.CreateEventLog(ctx, store.CreateEventLogParams{ID: id, Name: id, Actor: "olga", At: t0.Add(time.Duration(i) * time.Minute)})
		require.NoError(t, err)
		_, err = s.FinishEventLog(ctx, store.FinishEventLogParams{ID: id, First: first, Last: last, At: t0.Add(time.Duration(i) * time.Minute)})
		require.NoError(t, err)
	}
	page, err := s.ListEventLogs(ctx, store.ListEventLogsParams{Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"log-4", "log-3", "log-2"}, logIDs(page))
	page, err = s.ListEventLogs(ctx, store.ListEventLogsParams{Limit: 3,
		Cursor: &store.EventLogCursor{CreatedAt: page[2].CreatedAt, ID: page[2].ID}})
	require.NoError(t, err)
	require.Equal(t, []string{"log-1"}, logIDs(page))

	renamed, err := s.RenameEventLog(ctx, "log-1", "Helpdesk, all years", t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, "Helpdesk, all years", renamed.Name)
	_, err = s.RenameEventLog(ctx, "nope", "x", t0)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.DeleteEventLog(ctx, "log-1"))
	_, err = s.GetEventLog(ctx, "log-1")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteEventLog(ctx, "log-1"), store.ErrNotFound)
	n := 0
	require.NoError(t, s.EventLogChunks(ctx, "log-1", func(int, []byte) error { n++; return nil }))
	require.Zero(t, n, "the chunks went with the log")

	// A crash mid-import: the stale import (last written before the
	// cut-off) goes, a live one stays, ready logs stay.
	_, err = s.CreateEventLog(ctx, store.CreateEventLogParams{ID: "stale", Name: "stale", Actor: "olga", At: t0})
	require.NoError(t, err)
	require.NoError(t, s.PutEventLogChunk(ctx, "stale", 0, []byte("x"), t0.Add(time.Minute)))
	_, err = s.CreateEventLog(ctx, store.CreateEventLogParams{ID: "live", Name: "live", Actor: "olga", At: t0})
	require.NoError(t, err)
	require.NoError(t, s.PutEventLogChunk(ctx, "live", 0, []byte("x"), t0.Add(2*time.Hour)))
	swept, err := s.DeleteStaleEventLogs(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, swept)
	_, err = s.GetEventLog(ctx, "stale")
	require.ErrorIs(t, err, store.ErrNotFound)
	live, err := s.GetEventLog(ctx, "live")
	require.NoError(t, err)
	require.Equal(t, store.EventLogImporting, live.Status)
	require.True(t, t0.Add(2*time.Hour).Equal(live.UpdatedAt), "a chunk marks the import alive")
	page, err = s.ListEventLogs(ctx, store.ListEventLogsParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"log-4", "log-3", "log-2"}, logIDs(page))
}

func logIDs(ls []store.EventLog) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}
