package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExportCSVNeutralisesFormulas: a customer reference a spreadsheet
// would run as a formula is written with a leading quote (OWASP, CSV
// injection); every other cell is unchanged.
func TestExportCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostile := []string{`=HYPERLINK("http://evil.test","x")`, "+1+2", "-2+3", "@SUM(A1:A9)"}
	for _, c := range append(slices.Clone(hostile), "C-42") {
		e.FinishCase(e.CreateCase(c).ID)
	}
	res := e.Do("admin", http.MethodGet, "/api/v1/spans?format=csv&flow=complaint", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	recs, err := csv.NewReader(bytes.NewReader(res.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	cust := slices.Index(recs[0], "customer")
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		seen[r[cust]] = true
		for _, cell := range r {
			if cell != "" {
				require.NotContains(t, "=+-@\t\r", string(cell[0]), "a cell a spreadsheet runs: %q in %v", cell, r)
			}
		}
	}
	for _, h := range hostile {
		require.True(t, seen["'"+h], "customer %q is written as text ('%s): %v", h, h, seen)
	}
	require.True(t, seen["C-42"], "a plain cell is unchanged")

	// Tabs and carriage returns reach cells through flows (steps,
	// outcomes); the same function guards every cell.
	for in, want := range map[string]string{"\tcmd": "'\tcmd", "\rcmd": "'\rcmd", "=1": "'=1", "a=1": "a=1", "": "", "12.5": "12.5"} {
		require.Equal(t, want, csvCell(in), "%q", in)
	}
}

// TestExportWaitWorkColumns: each exported span carries its waiting and
// working seconds, defined as the bottleneck report defines them (a task
// waits from entered to claimed, or to completed when never claimed, and
// is worked on from claimed to completed).
func TestExportWaitWorkColumns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.CreateCase("C-1")
	task := e.OpenTask(c.ID)
	res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	e.FinishCase(c.ID)

	res = e.Do("admin", http.MethodGet, "/api/v1/spans?format=csv&flow=complaint", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	recs, err := csv.NewReader(bytes.NewReader(res.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	col := func(name string) int {
		i := slices.Index(recs[0], name)
		require.GreaterOrEqual(t, i, 0, "no column %s in %v", name, recs[0])
		return i
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, "a number of seconds: %q", s)
		return v
	}
	var claimed, unclaimed int
	for _, r := range recs[1:] {
		if r[col("kind")] != "task" {
			continue
		}
		entered, completed := ts(r[col("entered_at")]), ts(r[col("completed_at")])
		wait, work := num(r[col("wait_seconds")]), num(r[col("work_seconds")])
		if r[col("claimed_at")] == "" {
			unclaimed++
			require.InDelta(t, completed.Sub(entered).Seconds(), wait, 1e-6)
			require.Zero(t, work)
			continue
		}
		claimed++
		at := ts(r[col("claimed_at")])
		require.InDelta(t, at.Sub(entered).Seconds(), wait, 1e-6)
		require.InDelta(t, completed.Sub(at).Seconds(), work, 1e-6)
	}
	require.Positive(t, claimed+unclaimed)
}
