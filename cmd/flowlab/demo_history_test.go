package main

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// demo --history starts the dev's history fill, follows it to the end
// and says what it holds; it refuses bad spans and live-case flags.
func TestDemoHistory(t *testing.T) {
	old := historyPoll
	historyPoll = 10 * time.Millisecond
	t.Cleanup(func() { historyPoll = old })
	api := &fakeAPI{t: t}
	var polls atomic.Int32
	var started atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/healthz":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok","mode":"dev"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/dev/history":
			b, _ := io.ReadAll(r.Body)
			started.Store(string(b))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"status":"running","days":90,"seed":1,"cases":0,"done":0,"created":0,"existing":0,"foreign":0,"tasks":0,"feedback":0,"proposals":0}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/dev/history":
			w.Header().Set("Content-Type", "application/json")
			if polls.Add(1) < 3 {
				_, _ = io.WriteString(w, `{"status":"running","days":90,"seed":1,"cases":3516,"done":1200,"created":0,"existing":0,"foreign":0,"tasks":0,"feedback":0,"proposals":0}`)
				return
			}
			_, _ = io.WriteString(w, `{"status":"done","days":90,"seed":1,"from":"2026-09-07T00:00:00Z","to":"2026-12-06T14:03:00Z",
				"cases":3516,"done":3516,"created":3516,"existing":0,"foreign":0,"tasks":13414,"feedback":1268,"proposals":6,
				"pilot_id":"5d0c7a4e-8f7b-5a1e-9c3d-2b4a6e8f0a1c","flows":[{"flow":"complaint","version":1,"cases":1266}]}`)
		default:
			api.ServeHTTP(w, r)
		}
	})
	res := runWith(t, validating(t, h), "demo", "--history", "90d")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.JSONEq(t, `{"days":90,"seed":1}`, started.Load().(string))
	require.Contains(t, res.stdout, "simulated history from 2026-09-07 to 2026-12-06 14:03 UTC: 3516 cases (3516 new, 0 from an earlier fill), 13414 tasks, 1268 with customer feedback, 6 proposals\n")
	require.Contains(t, res.stdout, "  complaint          v1  1266 cases\n")
	require.Contains(t, res.stdout, "pilot 5d0c7a4e-8f7b-5a1e-9c3d-2b4a6e8f0a1c: complaint v1 against v2, completed")
	require.Contains(t, res.stderr, "demo: simulating 90 days of operation of the built-in flows (seed 1)")
	require.Contains(t, res.stderr, "/ui/kpis")
	require.Empty(t, sent(api, "POST /api/v1/cases"), "no live cases")

	for _, args := range [][]string{{"--history", "0d"}, {"--history", "367d"}, {"--history", "3w"}, {"--history", "90d", "--cases", "5"}} {
		res := runWith(t, validating(t, h), append([]string{"demo"}, args...)...)
		require.Equal(t, exitUsage, res.code, "%v: %s", args, res.stderr)
	}
}

func TestParseHistoryDays(t *testing.T) {
	for in, want := range map[string]int{"90d": 90, "1d": 1, "366d": 366, "2160h": 90} {
		got, err := parseHistoryDays(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
}
