package main

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// TestAlertCommands: alert create, list, show, set, silence, history and
// delete against the real API; the condition flags and refusals.
func TestAlertCommands(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	var r apiv1.AlertRule
	require.NoError(t, json.Unmarshal([]byte(ok("alert", "create", "--name", "Investigation breaches", "--metric", "sla_breach_rate",
		"--flow", "complaint", "--step", "investigate", "--above", "20%", "--window", "1h", "--min-sample", "10", "-o", "json")), &r))
	require.Equal(t, []any{"sla_breach_rate", "above", 0.2, "ok", "technical"}, []any{r.Metric, r.Condition.Op, r.Condition.Value, r.State, r.Department})

	res := cli("alert", "create", "--name", "x", "--metric", "csat", "--above", "1", "--below", "2", "--window", "1h")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "give one of --above, --below, --rise and --fall")
	res = cli("alert", "create", "--name", "x", "--metric", "csat", "--channel", "phone", "--step", "record", "--below", "90%", "--window", "1h")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "scope.step")

	list := ok("alert", "list")
	require.Contains(t, list, "Investigation breaches")
	require.Contains(t, list, "SLA breach rate above 20.0 % over 1h")
	require.Contains(t, ok("alert", "metrics"), "waiting_p90")
	require.Contains(t, ok("alert", "show", r.ID), "alert-"+r.ID)

	var up apiv1.AlertRule
	require.NoError(t, json.Unmarshal([]byte(ok("alert", "set", r.ID, "--rise", "25%", "--window", "2h", "-o", "json")), &up))
	require.Equal(t, []any{"rise", 0.25, 4, "2h", 2}, []any{up.Condition.Op, up.Condition.Value, up.Condition.BaselineWeeks, up.Window, up.Revision})
	require.Equal(t, exitUsage, cli("alert", "set", r.ID).code)

	require.Contains(t, ok("alert", "silence", r.ID, "--for", "2h"), "SILENCED_UNTIL")
	require.Equal(t, exitUsage, cli("alert", "silence", r.ID).code)
	res = cli("alert", "ack", r.ID)
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "not firing")
	require.Equal(t, "(none)\n", ok("alert", "history", r.ID), "no state change yet")
	require.Contains(t, ok("alert", "evaluate", r.ID), "evaluation of "+r.ID+" (Investigation breaches) started by schedule alert-"+r.ID)
	require.Contains(t, ok("alert", "delete", r.ID), "deleted alert rule "+r.ID)
	require.Equal(t, exitAPIClient, cli("alert", "show", r.ID).code)
}

// TestWatchCommands: watch add, list and remove against the real API.
func TestWatchCommands(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	require.Equal(t, "(none)\n", ok("watch", "list"))
	var w apiv1.Watch
	require.NoError(t, json.Unmarshal([]byte(ok("watch", "add", "--flow", "complaint", "--step", "investigate", "--note", "the longest wait", "-o", "json")), &w))
	require.Equal(t, []any{"complaint", "investigate", "waiting", 8}, []any{w.Flow, w.Step, w.Measure, len(w.Trend)})
	res := cli("watch", "add", "--flow", "complaint", "--step", "investigate")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "on the watchlist already")
	require.Equal(t, exitUsage, cli("watch", "add").code)
	list := ok("watch", "list")
	require.Contains(t, list, w.ID)
	require.Contains(t, list, "no data in 8 weeks")
	require.Equal(t, "no longer watching step investigate of flow complaint\n", ok("watch", "remove", w.ID))
}
