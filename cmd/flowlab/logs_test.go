package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// The real Helpdesk log (../shared/data/eventlogs/README.md), beside the
// repository; the test skips without it.
const helpdeskDir = "../../../shared/data/eventlogs"

// percentileCont is PostgreSQL's percentile_cont over sorted xs, written
// here again so that the check does not share the product's code.
func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := math.Floor(pos)
	hi := math.Ceil(pos)
	return sorted[int(lo)] + (sorted[int(hi)]-sorted[int(lo)])*(pos-lo)
}

// helpdeskTruth is what the raw CSV says, computed without the product's
// reader or discovery code: rows grouped by case, each case ordered by
// time (ties in file order).
type helpdeskTruth struct {
	cases, events, activities, resources int
	first, last                          time.Time
	variants                             map[string]int
	edges                                map[string]int
	waitP50, waitP90, waitP95            map[string]float64
}

func helpdeskFromCSV(t *testing.T, path string) helpdeskTruth {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	type ev struct {
		act string
		at  time.Time
	}
	byCase := map[string][]ev{}
	acts, res := map[string]bool{}, map[string]bool{}
	h := helpdeskTruth{variants: map[string]int{}, edges: map[string]int{}, waitP50: map[string]float64{},
		waitP90: map[string]float64{}, waitP95: map[string]float64{}}
	for _, r := range rows[1:] {
		at, err := time.Parse("2006/1/2 15:04:05", r[3])
		require.NoError(t, err, r[3])
		byCase[r[0]] = append(byCase[r[0]], ev{r[1], at})
		acts[r[1]], res[r[2]] = true, true
		if h.first.IsZero() || at.Before(h.first) {
			h.first = at
		}
		if at.After(h.last) {
			h.last = at
		}
		h.events++
	}
	h.cases, h.activities, h.resources = len(byCase), len(acts), len(res)
	waits := map[string][]float64{}
	for _, evs := range byCase {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
		names := []string{}
		prev := "▶ start"
		for i, e := range evs {
			names = append(names, e.act)
			h.edges[prev+"|"+e.act]++
			prev = e.act
			if i > 0 {
				waits[e.act] = append(waits[e.act], e.at.Sub(evs[i-1].at).Seconds())
			}
		}
		h.edges[prev+"|■ end"]++
		h.variants[strings.Join(names, " → ")]++
	}
	for a, ws := range waits {
		slices.Sort(ws)
		h.waitP50[a], h.waitP90[a], h.waitP95[a] = percentileCont(ws, 0.5), percentileCont(ws, 0.9), percentileCont(ws, 0.95)
	}
	return h
}

// On the Helpdesk CSV and XES, flowlab log import then show, variants, map
// and activities -o json give the same figures from both files, and they
// are what the raw CSV says.
func TestLogCommandsOnTheHelpdeskLog(t *testing.T) {
	csvPath, xesPath := filepath.Join(helpdeskDir, "helpdesk.csv"), filepath.Join(helpdeskDir, "helpdesk.xes.gz")
	if _, err := os.Stat(csvPath); errors.Is(err, os.ErrNotExist) {
		t.Skip("the shared event logs are beside the repository in CI")
	}
	truth := helpdeskFromCSV(t, csvPath)
	require.Equal(t, []int{4580, 21348, 14, 22}, []int{truth.cases, truth.events, truth.activities, truth.resources})

	_, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	type summary struct {
		Cases, Events, Activities, Resources, Variants int
		First, Last                                    time.Time
	}
	type variant struct {
		Activities []string `json:"activities"`
		Cases      int      `json:"cases"`
	}
	type edge struct {
		From, To string
		Count    int
	}
	type activity struct {
		Activity string
		Wait     struct {
			N   int     `json:"n"`
			P50 float64 `json:"p50_s"`
			P90 float64 `json:"p90_s"`
			P95 float64 `json:"p95_s"`
		}
	}
	type figures struct {
		summary    summary
		variants   map[string]int
		edges      map[string]int
		activities map[string][3]float64
	}
	read := func(path string) figures {
		var imported struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(ok("log", "import", path, "-o", "json")), &imported))
		var f figures
		require.NoError(t, json.Unmarshal([]byte(ok("log", "show", imported.ID, "-o", "json")), &f.summary))
		var vs struct{ Variants []variant }
		require.NoError(t, json.Unmarshal([]byte(ok("log", "variants", imported.ID, "--all", "--limit", "500", "-o", "json")), &vs))
		f.variants = map[string]int{}
		for _, v := range vs.Variants {
			f.variants[strings.Join(v.Activities, " → ")] = v.Cases
		}
		var m struct{ Edges []edge }
		require.NoError(t, json.Unmarshal([]byte(ok("log", "map", imported.ID, "-o", "json")), &m))
		f.edges = map[string]int{}
		for _, e := range m.Edges {
			f.edges[e.From+"|"+e.To] = e.Count
		}
		var as struct{ Activities []activity }
		require.NoError(t, json.Unmarshal([]byte(ok("log", "activities", imported.ID, "-o", "json")), &as))
		f.activities = map[string][3]float64{}
		for _, a := range as.Activities {
			if a.Wait.N > 0 {
				f.activities[a.Activity] = [3]float64{a.Wait.P50, a.Wait.P90, a.Wait.P95}
			}
		}
		return f
	}
	fromCSV, fromXES := read(csvPath), read(xesPath)
	require.Equal(t, fromCSV, fromXES, "the CSV and the XES give the same figures")

	s := fromCSV.summary
	require.Equal(t, []int{truth.cases, truth.events, truth.activities, truth.resources, len(truth.variants)},
		[]int{s.Cases, s.Events, s.Activities, s.Resources, s.Variants})
	require.True(t, truth.first.Equal(s.First) && truth.last.Equal(s.Last), "first %s last %s", s.First, s.Last)
	require.Equal(t, truth.variants, fromCSV.variants)
	require.Equal(t, truth.edges, fromCSV.edges)
	require.Len(t, fromCSV.activities, len(truth.waitP50))
	for a, q := range fromCSV.activities {
		require.InDelta(t, truth.waitP50[a], q[0], 1e-6, a)
		require.InDelta(t, truth.waitP90[a], q[1], 1e-6, a)
		require.InDelta(t, truth.waitP95[a], q[2], 1e-6, a)
	}
}

// Off a terminal, an import's progress is a plain line now and then: bytes
// of the file with the share, the rate, the time left, the events the
// server has read, and the phase once every byte is sent.
func TestImportProgressLines(t *testing.T) {
	oldEvery, oldPoll := progressEvery, progressPoll
	progressEvery, progressPoll = 30*time.Millisecond, 10*time.Millisecond
	t.Cleanup(func() { progressEvery, progressPoll = oldEvery, oldPoll })
	var errb bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&errb)
	cmd.SetContext(context.Background())
	const size = 4 << 20
	var sent atomic.Int64
	err := withProgress(cmd, size, &sent, func(context.Context) (int, bool) { return 12345, true }, func(context.Context) error {
		sent.Store(size / 4)
		time.Sleep(200 * time.Millisecond)
		sent.Store(size)
		time.Sleep(200 * time.Millisecond)
		return nil
	})
	require.NoError(t, err)
	out := errb.String()
	require.Contains(t, out, "sending, 12345 events read: 1.0 MiB of 4.0 MiB (25 %), ")
	require.Contains(t, out, "left")
	require.Contains(t, out, "writing the log, 12345 events read: 4.0 MiB of 4.0 MiB (100 %)")
	require.NotContains(t, out, "\r", "no bar off a terminal")
}
