package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Cases whose workflow ended unexpectedly (decision 0022).
//
// A case's workflow can end without the case being closed in the store:
// Temporal terminates it (history size or count limit, an operator's
// terminate), it times out, or it fails without having written its row.
// flowlab notices such a case in two ways, with the same code (failEnded):
// the reconciler (ReconcileCases, run every ReconcileInterval by cmd)
// describes a bounded page of active cases per pass, and an API call that
// finds the workflow gone (complete, event, cancel) checks at once. Either
// marks the case failed with the reason, closes its open tasks and audits
// case.fail, in one store transaction. Owners and admins list failed
// cases (GET /api/v1/cases?status=failed, the UI's Failed filter) and
// restart (POST /cases/{id}/restart) or close (POST /cases/{id}/close)
// them.

// ReconcileInterval is the pause between two reconciler passes.
const ReconcileInterval = time.Minute

// ReconcileBatch is the most active cases one reconciler pass describes.
// With ReconcileInterval it bounds the load on Temporal (one
// DescribeWorkflowExecution per case, plus one history read per ended
// workflow) and sets how long a pass over all active cases takes:
// ceil(active cases / ReconcileBatch) minutes.
const ReconcileBatch = 200

// failEnded marks c failed when its workflow is no longer running while
// the store still has it open. It returns the case as stored afterwards
// and whether it is (now) failed.
func failEnded(ctx context.Context, st store.Store, eng engine.Engine, c store.Case, now time.Time) (store.Case, bool, error) {
	if c.Status != store.CaseActive {
		return c, c.Status == store.CaseFailed, nil
	}
	run, err := eng.Describe(ctx, c.WorkflowID)
	if err != nil {
		return c, false, fmt.Errorf("describe workflow of case %s: %w", c.ID, err)
	}
	if run.Running {
		return c, false, nil
	}
	reason := run.FailureReason()
	details, _ := json.Marshal(map[string]string{"workflow_status": run.Status, "reason": reason, "run_id": run.RunID}) // cannot fail
	failed, _, err := st.FailCase(ctx, store.FailCaseParams{ID: c.ID, Reason: reason, At: now, Audit: store.AuditEntry{
		At: now, Action: "case.fail", Object: "case:" + c.ID, CaseID: c.ID, Details: details,
		Key: "case.fail:" + c.ID + ":" + run.RunID,
	}})
	if err != nil {
		return c, false, fmt.Errorf("mark case %s failed: %w", c.ID, err)
	}
	return failed, failed.Status == store.CaseFailed, nil
}

// noticeEnded is failEnded for a handler whose engine call found the
// workflow gone: it reports the failed case, or false (logged) when the
// case is not failed.
func (s *API) noticeEnded(ctx context.Context, c store.Case) (store.Case, bool) {
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	failed, ok, err := failEnded(ectx, s.store, s.eng, c, s.now().UTC())
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "could not check a case whose workflow is not running",
			slog.String("case", c.ID), slog.String("error", err.Error()))
		return c, false
	}
	if ok {
		s.log.LogAttrs(ctx, slog.LevelWarn, "case failed: its workflow ended unexpectedly",
			slog.String("case", c.ID), slog.String("reason", failed.Failure))
	}
	return failed, ok
}

// ReconcileCases is one reconciler pass: it describes the workflows of up
// to limit active cases after cursor (nil: the newest) and marks failed
// those whose workflow ended. It returns where the next pass starts (nil
// after the oldest case: start over) and the cases it marked failed.
func ReconcileCases(ctx context.Context, st store.Store, eng engine.Engine, cursor *store.CaseCursor, limit int) (*store.CaseCursor, []store.Case, error) {
	cs, err := st.ListCases(ctx, store.ListCasesParams{Status: store.CaseActive, After: cursor, Limit: limit})
	if err != nil {
		return cursor, nil, fmt.Errorf("server: reconcile: list active cases: %w", err)
	}
	var (
		failed []store.Case
		errs   []error
	)
	for _, c := range cs {
		if ctx.Err() != nil {
			return cursor, failed, ctx.Err()
		}
		f, ok, err := failEnded(ctx, st, eng, c, time.Now().UTC())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			failed = append(failed, f)
		}
	}
	var next *store.CaseCursor
	if len(cs) == limit {
		last := cs[len(cs)-1]
		next = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if len(errs) > 0 {
		return next, failed, fmt.Errorf("server: reconcile: %w", errors.Join(errs...))
	}
	return next, failed, nil
}

// RunReconciler runs ReconcileCases every interval until ctx ends, a page
// of ReconcileBatch cases per pass, logging what it marks failed.
func RunReconciler(ctx context.Context, st store.Store, eng engine.Engine, logger *slog.Logger, interval time.Duration) {
	var cursor *store.CaseCursor
	runEvery(ctx, interval, func(pctx context.Context) {
		next, failed, err := ReconcileCases(pctx, st, eng, cursor, ReconcileBatch)
		started, serr := StartStalledCases(pctx, st, eng, time.Now().Add(-interval))
		swept, lerr := SweepStaleLogImports(pctx, st, time.Now())
		gone, serr2 := st.DeleteDeadSessions(pctx, time.Now().Add(-SessionRetention), 1000)
		if gone > 0 {
			logger.Info("deleted web sessions over their retention", "sessions", gone)
		}
		if serr2 != nil && ctx.Err() == nil {
			logger.Warn("case reconciler: dead sessions", "error", serr2)
		}
		if swept > 0 {
			logger.Info("deleted event log imports a stopped process left unfinished", "logs", swept)
		}
		if lerr != nil && ctx.Err() == nil {
			logger.Warn("case reconciler: stale log imports", "error", lerr)
		}
		if started > 0 {
			logger.Info("started the workflows of stalled cases", "cases", started)
		}
		if serr != nil && ctx.Err() == nil {
			logger.Warn("case reconciler: stalled cases", "error", serr)
		}
		cursor = next
		for _, c := range failed {
			logger.Warn("case failed: its workflow ended unexpectedly", "case", c.ID, "reason", c.Failure)
		}
		if err != nil && ctx.Err() == nil {
			logger.Warn("case reconciler", "error", err)
		}
	})
}

// SessionRetention is how long a web session is kept after it stopped
// signing anyone in (the admins' view of who was signed in, and how);
// the reconciler deletes older ones, 1,000 a pass.
const SessionRetention = 30 * 24 * time.Hour

// runEvery calls pass every interval until ctx ends, each call with a
// context that ends after interval (a pass never overlaps the next).
func runEvery(ctx context.Context, interval time.Duration, pass func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval)
		pass(pctx)
		cancel()
	}
}

// restartPoint is where a restarted case resumes: at the step it was at
// (its flow's start when that step is gone), with the attributes last
// stored, its original start time (the case SLA keeps counting from it),
// and the step sequence after every task and span it has, so that the
// new run's task ids do not collide with the old run's. Pending events,
// the last outcome and escalation levels of the old run are not carried.
func restartPoint(ctx context.Context, st store.Store, c store.Case, def *flow.Definition) (*workflows.Resume, error) {
	seq := 0
	tasks, err := st.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("tasks of case %s: %w", c.ID, err)
	}
	for _, t := range tasks {
		seq = max(seq, t.Seq)
	}
	spans, err := st.ListSpans(ctx, store.SpanFilter{CaseID: c.ID})
	if err != nil {
		return nil, fmt.Errorf("spans of case %s: %w", c.ID, err)
	}
	for _, sp := range spans {
		seq = max(seq, sp.Seq)
	}
	step := c.Step
	if _, ok := def.Step(step); !ok {
		step = def.StartStep()
	}
	attrs := map[string]any{}
	if len(c.Attributes) > 0 {
		if err := json.Unmarshal(c.Attributes, &attrs); err != nil {
			return nil, fmt.Errorf("attributes of case %s: %w", c.ID, err)
		}
	}
	return &workflows.Resume{Step: step, Seq: seq, Attributes: attrs, StartedAt: c.CreatedAt}, nil
}

// restartCase starts a new workflow run for a failed case (owners and
// admins): the row goes back to starting (audited case.restart), then the
// run starts at the case's restart point and the row becomes active. A
// crash in between leaves it starting, which StartPending resumes.
func (s *API) restartCase(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	ctx := r.Context()
	c, err := s.settleFailed(r, id, store.CaseStarting, "case.restart")
	if err != nil {
		return err
	}
	fv, err := s.store.GetFlowVersion(ctx, c.Flow, c.Version)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("flow version of case %s: %w", c.ID, err), "flow version")
	}
	c, err = s.startCase(ctx, c, fv)
	if err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) {
			return p
		}
		return httpx.Unavailable("the case was set to restart but its workflow could not be started; it starts when flowlab restarts, or retry", err)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toCaseJSON(c))
	return nil
}

// closeFailedCase closes a failed case without restarting it (owners and
// admins): it becomes cancelled, audited case.close.
func (s *API) closeFailedCase(w http.ResponseWriter, r *http.Request) error {
	c, err := s.settleFailed(r, chi.URLParam(r, "id"), store.CaseCancelled, "case.close")
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toCaseJSON(c))
	return nil
}

// settleFailed moves failed case id to status, audited as action.
func (s *API) settleFailed(r *http.Request, id, status, action string) (store.Case, error) {
	ctx := r.Context()
	now := s.now().UTC()
	c, err := s.store.SettleFailedCase(ctx, store.SettleFailedCaseParams{ID: id, Status: status, At: now, Audit: store.AuditEntry{
		At: now, Actor: httpx.ActorFrom(ctx).ID, Action: action, Object: "case:" + id, CaseID: id,
		RequestID: middleware.GetReqID(ctx),
	}})
	if errors.Is(err, store.ErrConflict) {
		cur, gerr := s.store.GetCase(ctx, id)
		if gerr == nil {
			return c, httpx.Conflict(fmt.Sprintf("case %q is %s; only a failed case can be restarted or closed", id, cur.Status))
		}
	}
	if err != nil {
		return c, httpx.StoreProblem(fmt.Errorf("settle failed case: %w", err), fmt.Sprintf("case %q", id))
	}
	return c, nil
}
