package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// simEngine runs simulations in the background by the workflow's
// activities, on the test's store (which it seeds with two weeks of
// complaint cases).
type simEngine struct {
	idleEngine
	st store.Store
}

func (e *simEngine) useStore(st store.Store) {
	e.st = st
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range 40 {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if _, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: "C-1", Channel: "phone",
			Attributes: json.RawMessage(`{}`), Status: store.CaseCompleted, WorkflowID: "complaint-" + id,
			At: now.Add(-time.Duration(i+1) * 8 * time.Hour)}); err != nil {
			panic(err)
		}
	}
}

func (e *simEngine) StartSimulation(_ context.Context, id string) error {
	go func() {
		ctx := context.Background()
		a := &activities.Activities{Store: e.st}
		if err := a.RunSimulation(ctx, workflows.SimulationInput{SimulationID: id}); err != nil {
			reason := err.Error()
			var app *temporal.ApplicationError
			if errors.As(err, &app) {
				reason = app.Message()
			}
			_ = a.FailSimulation(ctx, workflows.FailSimulationInput{SimulationID: id, Error: reason})
		}
	}()
	return nil
}

// TestSimulateCommands: simulate waits for the comparison and prints it
// with units and intervals; a window without history fails in words; the
// staffing change's syntax is checked before anything is sent; list and
// show read it back.
func TestSimulateCommands(t *testing.T) {
	simPoll = 20 * time.Millisecond
	cli, ok := realAPI(t, &simEngine{idleEngine: idleEngine{waitingFor: &sync.Map{}}})
	out := ok("simulate", "--flow", "complaint", "--version", "2", "--staff", "technical+1@9-17", "--days", "7", "--replications", "3")
	for _, want := range []string{"current: complaint v1, staffing as observed", "proposed: complaint v2, +1 in technical 09–17",
		"cycle time p50", "SLA breach rate", "utilisation technical", "person-h/week", "3 replications", "calibrated from",
		"assumed where the history said nothing:"} {
		require.Contains(t, out, want)
	}
	var x apiv1.Simulation
	require.NoError(t, json.Unmarshal([]byte(ok("simulate", "--flow", "complaint", "--days", "7", "--replications", "2", "-o", "json")), &x))
	require.Equal(t, "succeeded", x.Status)
	require.Equal(t, 7, x.Result.Days)

	res := cli("simulate", "--flow", "complaint", "--from", "2020-01-01", "--to", "2020-02-01", "--days", "7", "--replications", "2")
	require.NotEqual(t, exitOK, res.code)
	require.Contains(t, res.stderr, "created no case from 2020-01-01T00:00:00Z to 2020-02-01T00:00:00Z")
	res = cli("simulate", "--flow", "complaint", "--staff", "technical@9")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "DEPARTMENT+N@FROM-TO")
	require.Equal(t, exitUsage, cli("simulate").code)
	res = cli("simulate", "--flow", "complaint", "--days", "3")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "days")

	require.Contains(t, ok("simulate", "show", x.ID), "cycle time p90")
	list := ok("simulate", "list", "--flow", "complaint")
	require.Contains(t, list, x.ID)
	require.Contains(t, list, "failed")
	require.Contains(t, ok("simulate", "--flow", "complaint", "--no-wait", "--days", "7", "--replications", "2"), "flowlab simulate show ")

	bt := ok("simulate", "backtest", "--flow", "complaint", "--holdout", "7", "--replications", "2")
	for _, want := range []string{"backtest ", "predicted 7 days", "cycle time median", "observed", "error", "cases closed"} {
		require.Contains(t, bt, want)
	}
	require.Equal(t, exitUsage, cli("simulate", "backtest").code)
	res = cli("simulate", "backtest", "--flow", "complaint", "--holdout", "3")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "holdout_days")
}

func TestParseStaffChange(t *testing.T) {
	ch, err := parseStaffChange("customer_service-2@8-12:sat,sun")
	require.NoError(t, err)
	require.Equal(t, apiv1.StaffChange{Department: "customer_service", Delta: -2, FromHour: 8, ToHour: 12, Days: []string{"sat", "sun"}}, ch)
	for _, bad := range []string{"", "technical+1", "technical+x@9-17", "+1@9-17", "technical+1@9"} {
		_, err := parseStaffChange(bad)
		require.Error(t, err, bad)
	}
}
