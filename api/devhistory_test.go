package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func historyJob(t *testing.T, e *testEnv) apiv1.DemoHistoryJob {
	t.Helper()
	res := e.Do("admin", http.MethodGet, "/api/v1/dev/history", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var j apiv1.DemoHistoryJob
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &j))
	return j
}

// The history routes exist on a flowlab dev only.
func TestDemoHistoryOnlyOnDev(t *testing.T) {
	t.Parallel()
	e := newEnvSeeded(t, nil, true)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/dev/history", map[string]any{"days": 3}, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/dev/history", nil, nil), http.StatusNotFound)
}

// One fill at a time, days bounded; the server answers while it runs.
func TestDemoHistoryJob(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	e := newEnvSeeded(t, nil, true, func(c *Config) {
		c.Dev = true
		c.historyFill = func(ctx context.Context, st store.Store, o demohistory.Options, p func(demohistory.Progress)) (demohistory.Summary, error) {
			p(demohistory.Progress{Cases: 10, Done: 4})
			select {
			case <-release:
			case <-ctx.Done():
				return demohistory.Summary{}, ctx.Err()
			}
			return demohistory.Summary{Cases: 10, Created: 10, From: o.Now.AddDate(0, 0, -o.Days), To: o.Now}, nil
		}
	})
	require.Equal(t, apiv1.HistoryIdle, historyJob(t, e).Status)
	for _, days := range []int{0, 367} {
		p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/dev/history", map[string]any{"days": days}, nil), http.StatusUnprocessableEntity)
		require.Equal(t, "days", p.Errors[0].Field)
	}
	res := e.Do("admin", http.MethodPost, "/api/v1/dev/history", map[string]any{"days": 90}, nil)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/dev/history", map[string]any{"days": 5}, nil), http.StatusConflict)
	require.Eventually(t, func() bool { return historyJob(t, e).Done == 4 }, 5*time.Second, 10*time.Millisecond)
	j := historyJob(t, e)
	require.Equal(t, apiv1.HistoryRunning, j.Status)
	require.Equal(t, int64(1), j.Seed, "the default seed")
	require.Equal(t, http.StatusOK, e.Do("", http.MethodGet, "/healthz", nil, nil).Code)
	close(release)
	require.Eventually(t, func() bool { return historyJob(t, e).Status == apiv1.HistoryDone }, 5*time.Second, 10*time.Millisecond)
	j = historyJob(t, e)
	require.Equal(t, 10, j.Created)
	require.Equal(t, 10, j.Done)
	require.NotNil(t, j.From)
}

// A real fill of a few days through the route: cases closed and marked
// simulated.
func TestDemoHistoryFills(t *testing.T) {
	t.Parallel()
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Dev = true })
	res := e.Do("admin", http.MethodPost, "/api/v1/dev/history", map[string]any{"days": 3, "seed": 5}, nil)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.Eventually(t, func() bool { return historyJob(t, e).Status != apiv1.HistoryRunning }, time.Minute, 50*time.Millisecond)
	j := historyJob(t, e)
	require.Equal(t, apiv1.HistoryDone, j.Status, j.Error)
	require.Positive(t, j.Created)
	require.Empty(t, j.PilotID, "no pilot in 3 days")
	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{Flow: "complaint", Limit: 5})
	require.NoError(t, err)
	require.NotEmpty(t, cs)
	for _, c := range cs {
		require.Equal(t, store.CaseCompleted, c.Status)
		require.Contains(t, string(c.Attributes), `"simulated":true`)
	}
}
