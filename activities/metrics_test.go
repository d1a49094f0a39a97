package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/workflows"
)

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

func TestMetricsCountTasksEscalationsAndBreaches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := obs.New()
	a := &activities.Activities{Store: newStore(t), Logger: quiet(), Metrics: m}

	require.NoError(t, a.OpenTask(ctx, openInput(1)))
	require.NoError(t, a.OpenTask(ctx, openInput(2)))
	require.Equal(t, 2.0, value(t, m.TasksOpened.WithLabelValues("complaint", "record", "cs")))

	require.NoError(t, a.Escalate(ctx, workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1, At: t0.Add(time.Hour)}))
	require.Equal(t, 1.0, value(t, m.Escalations.WithLabelValues("complaint", "record", "1")))

	// Task 1 is completed after its SLA: closed and breached.
	require.NoError(t, a.CloseTask(ctx, closeInput(1, "upd-1")))
	require.Equal(t, 1.0, value(t, m.TasksClosed.WithLabelValues("complaint", "record", "cs", "recorded")))
	require.Equal(t, 1.0, value(t, m.SLABreaches.WithLabelValues("complaint", "record")))

	// Task 2 is cancelled in time: closed as cancelled, no breach.
	cancel := closeInput(2, "")
	cancel.Status = workflows.StatusCancelled
	cancel.Span.Outcome = "cancelled"
	cancel.Span.Breached = false
	require.NoError(t, a.CloseTask(ctx, cancel))
	require.Equal(t, 1.0, value(t, m.TasksClosed.WithLabelValues("complaint", "record", "cs", "cancelled")))
	require.Equal(t, 1.0, value(t, m.SLABreaches.WithLabelValues("complaint", "record")))

	// A conflicting completion changes nothing; nor does escalating a
	// closed task.
	require.Error(t, a.CloseTask(ctx, closeInput(1, "upd-2")))
	require.NoError(t, a.Escalate(ctx, workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 2, At: t0.Add(3 * time.Hour)}))
	require.Equal(t, 1.0, value(t, m.TasksClosed.WithLabelValues("complaint", "record", "cs", "recorded")))
	require.Equal(t, 0.0, value(t, m.Escalations.WithLabelValues("complaint", "record", "2")))

	// The end step's span carries the case SLA: a breach there is the
	// case's (step ""); a non-task step in time is no breach.
	due := t0.Add(time.Hour)
	require.NoError(t, a.RecordSpan(ctx, workflows.SpanInput{CaseID: caseID, Seq: 3, Flow: "complaint", Version: 1, Step: "notify", Kind: "auto",
		EnteredAt: t0, CompletedAt: t0.Add(time.Minute), Outcome: "ok"}))
	require.NoError(t, a.RecordSpan(ctx, workflows.SpanInput{CaseID: caseID, Seq: 4, Flow: "complaint", Version: 1, Step: "done", Kind: "end",
		EnteredAt: t0.Add(4 * time.Hour), CompletedAt: t0.Add(4 * time.Hour), Outcome: "end", SLADue: &due, Breached: true}))
	require.Equal(t, 1.0, value(t, m.SLABreaches.WithLabelValues("complaint", "")))
	require.Equal(t, 0.0, value(t, m.SLABreaches.WithLabelValues("complaint", "notify")))
	require.Equal(t, 0.0, value(t, m.SLABreaches.WithLabelValues("complaint", "done")))
}

func TestMetricsOptional(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := &activities.Activities{Store: newStore(t), Logger: quiet()}
	require.NoError(t, a.OpenTask(ctx, openInput(1)))
	require.NoError(t, a.Escalate(ctx, workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1, At: t0}))
	require.NoError(t, a.CloseTask(ctx, closeInput(1, "u")))
}
