package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Migrating running cases of a flow from one version to another (ADR 0006).
// Each active case of version from is asked for its state; a case the
// workflow would refuse (workflows.MigrationRefusal) is reported with the
// reason and left alone, the others get the migrate Update, which moves
// them at a safe point onto the mapped step of version to.

// Defaults of the migration route.
const (
	// DefaultMigrationMaxCases is the default of Config.MigrationMaxCases.
	DefaultMigrationMaxCases = 10000
	// migrationConcurrency is how many cases are queried or updated at once.
	migrationConcurrency = 4
)

// Statuses of a case in a migration report.
const (
	migrationMigrated     = "migrated"
	migrationRefused      = "refused"
	migrationWouldMigrate = "would_migrate"
	migrationFailed       = "failed"
)

// reasonNotRunning is the refusal of a case whose workflow has closed (or
// never started) although its row says active.
const reasonNotRunning = "case workflow is not running"

// migrationPlan is a checked migration request.
type migrationPlan struct {
	id      string
	key     string
	from    int
	to      flow.Definition
	mapping map[string]string
	dryRun  bool
	actor   string
	// pilot is the flow's running pilot (nil: none): its cases stay on
	// their arm's version (decision 0023).
	pilot *store.Pilot
}

func (p *migrationPlan) request() workflows.MigrateRequest {
	return workflows.MigrateRequest{MigrationID: p.id, From: p.from, To: p.to, Mapping: p.mapping, ActorID: p.actor}
}

// migrateFlow moves the active cases of one version of a flow onto
// another (or reports what it would do with dry_run).
func (s *API) migrateFlow(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowKeyParams](r)
	if err != nil {
		return err
	}
	var req apiv1.MigrateRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	plan, err := s.planMigration(r.Context(), q.Key, req)
	if err != nil {
		return err
	}
	plan.actor = httpx.ActorFrom(r.Context()).ID

	cases, truncated, err := s.casesToMigrate(r.Context(), plan)
	if err != nil {
		return err
	}
	out := apiv1.Migration{MigrationID: plan.id, Flow: plan.key, From: plan.from, To: plan.to.Version,
		DryRun: plan.dryRun, Truncated: truncated, Cases: make([]apiv1.MigrationCase, len(cases))}
	runErr := s.migrateCases(r, plan, cases, out.Cases)
	for _, c := range out.Cases {
		switch c.Status {
		case migrationMigrated:
			out.Migrated++
		case migrationRefused:
			out.Refused++
		case migrationWouldMigrate:
			out.WouldMigrate++
		case migrationFailed:
			out.Failed++
		}
	}
	if !plan.dryRun {
		details := map[string]any{"migration_id": plan.id, "from": plan.from, "to": plan.to.Version,
			"mapping": plan.mapping, "cases": len(cases), "migrated": out.Migrated, "refused": out.Refused,
			"failed": out.Failed, "truncated": truncated}
		if runErr != nil {
			details["aborted"] = true
		}
		s.audit(r, store.AuditEntry{Action: "flow.migrate", Object: "flow:" + plan.key, Details: mustJSON(details)})
	}
	if runErr != nil {
		p := engineProblem(runErr)
		if p.Status == http.StatusServiceUnavailable {
			p.Detail = fmt.Sprintf("the workflow engine is unavailable; the migration stopped after %d of %d cases "+
				"(%d migrated, see the audit trail); run it again to migrate the rest", out.Migrated+out.Refused+out.Failed, len(cases), out.Migrated)
			if plan.dryRun {
				p.Detail = "the workflow engine is unavailable; retry later"
			}
		}
		return p
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// planMigration checks a request against the stored versions of key.
func (s *API) planMigration(ctx context.Context, key string, req apiv1.MigrateRequest) (*migrationPlan, error) {
	var errs []apiv1.FieldError
	if req.From < 1 {
		errs = append(errs, apiv1.FieldError{Field: "from", Message: "is required: the version number (1 or more) the cases run now"})
	}
	if req.To < 1 {
		errs = append(errs, apiv1.FieldError{Field: "to", Message: "is required: the version number (1 or more) to move the cases to"})
	}
	if req.From >= 1 && req.From == req.To {
		errs = append(errs, apiv1.FieldError{Field: "to", Message: fmt.Sprintf("must differ from from (both are %d)", req.From)})
	}
	if len(req.Mapping) == 0 {
		errs = append(errs, apiv1.FieldError{Field: "mapping", Message: "is required: map each step of version from that cases wait at to a step of version to"})
	}
	if len(errs) > 0 {
		return nil, httpx.Invalid(errs...)
	}

	what := fmt.Sprintf("flow %q", key)
	versions, err := s.store.ListFlowVersions(ctx, key)
	if err != nil {
		return nil, httpx.StoreProblem(fmt.Errorf("list flow versions: %w", err), what)
	}
	if len(versions) == 0 {
		return nil, s.unknownFlow(ctx, key, "")
	}
	find := func(field string, v int) (store.FlowVersion, *httpx.Problem) {
		i := slices.IndexFunc(versions, func(fv store.FlowVersion) bool { return fv.Version == v })
		if i < 0 {
			p := httpx.NotFound(fmt.Sprintf("%s has no version %d", what, v))
			p.Errors = []apiv1.FieldError{{Field: field, Message: fmt.Sprintf("flow %q has no version %d", key, v)}}
			return store.FlowVersion{}, p
		}
		return versions[i], nil
	}
	fromV, p := find("from", req.From)
	if p != nil {
		return nil, p
	}
	toV, p := find("to", req.To)
	if p != nil {
		return nil, p
	}
	if toV.Retired {
		return nil, httpx.Invalid(apiv1.FieldError{Field: "to", Message: fmt.Sprintf("version %d is retired; cases cannot move onto it", req.To)})
	}
	var fromDef, toDef flow.Definition
	if err := json.Unmarshal(fromV.Compiled, &fromDef); err != nil {
		return nil, httpx.Internal(fmt.Errorf("compiled definition of %s v%d: %w", key, fromV.Version, err))
	}
	if err := json.Unmarshal(toV.Compiled, &toDef); err != nil {
		return nil, httpx.Internal(fmt.Errorf("compiled definition of %s v%d: %w", key, toV.Version, err))
	}
	keys := make([]string, 0, len(req.Mapping))
	for k := range req.Mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := req.Mapping[k]
		if _, ok := fromDef.Step(k); !ok {
			errs = append(errs, apiv1.FieldError{Field: "mapping." + k, Message: fmt.Sprintf("%q is not a step of version %d (its steps: %s)", k, req.From, stepIDs(&fromDef))})
		}
		if _, ok := toDef.Step(v); !ok {
			errs = append(errs, apiv1.FieldError{Field: "mapping." + k, Message: fmt.Sprintf("%q is not a step of version %d (its steps: %s)", v, req.To, stepIDs(&toDef))})
		}
	}
	if len(errs) > 0 {
		return nil, httpx.Invalid(errs...)
	}
	plan := &migrationPlan{id: uuid.NewString(), key: key, from: req.From, to: toDef, mapping: req.Mapping, dryRun: req.DryRun}
	pl, err := s.store.RunningPilot(ctx, key)
	switch {
	case err == nil:
		plan.pilot = &pl
	case !errors.Is(err, store.ErrNotFound):
		return nil, httpx.StoreProblem(fmt.Errorf("running pilot: %w", err), what)
	}
	return plan, nil
}

// pilotRefusal is why a case assigned to the plan's running pilot is not
// migrated: its arm fixes its version, and moving it would count a case
// of another version in the arm's results. "" for other cases.
func (p *migrationPlan) pilotRefusal(c store.Case) string {
	if p.pilot == nil || c.PilotID != p.pilot.ID {
		return ""
	}
	return fmt.Sprintf("the case is in the %s arm (version %d) of running pilot %s; a pilot's cases stay on their arm's version "+
		"until the pilot ends: stop or promote the pilot first", c.Variant, c.Version, p.pilot.ID)
}

func stepIDs(def *flow.Definition) string {
	ids := make([]string, len(def.Steps))
	for i, st := range def.Steps {
		ids[i] = st.ID
	}
	return strings.Join(ids, ", ")
}

// casesToMigrate lists the active cases of the plan's flow and version,
// newest first, up to Config.MigrationMaxCases; truncated reports that
// more exist.
func (s *API) casesToMigrate(ctx context.Context, plan *migrationPlan) (cases []store.Case, truncated bool, err error) {
	limit := s.cfg.MigrationMaxCases
	p := store.ListCasesParams{Flow: plan.key, Version: plan.from, Status: store.CaseActive}
	for {
		p.Limit = min(storeCaseLimitMax, limit+1-len(cases))
		page, err := s.store.ListCases(ctx, p)
		if err != nil {
			return nil, false, httpx.StoreProblem(fmt.Errorf("list cases to migrate: %w", err), "cases")
		}
		cases = append(cases, page...)
		if len(cases) > limit {
			return cases[:limit], true, nil
		}
		if len(page) < p.Limit {
			return cases, false, nil
		}
		last := page[len(page)-1]
		p.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// migrateCases fills out[i] for cases[i], migrationConcurrency cases at a
// time. An engine failure that is not about one case (unavailable, an
// unexpected error) stops the run and is returned; the entries of cases
// not handled by then stay zero.
func (s *API) migrateCases(r *http.Request, plan *migrationPlan, cases []store.Case, out []apiv1.MigrationCase) error {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range min(migrationConcurrency, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := s.migrateCase(ctx, r, plan, cases[i])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				out[i] = res
			}
		}()
	}
feed:
	for i := range cases {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && r.Context().Err() != nil {
		firstErr = fmt.Errorf("migration: %w", r.Context().Err())
	}
	return firstErr
}

// migrateCase handles one case: its state, the refusal check and, on a real
// run, the migrate Update and the case's audit entry. The error is for
// failures that must stop the whole migration.
func (s *API) migrateCase(ctx context.Context, r *http.Request, plan *migrationPlan, c store.Case) (apiv1.MigrationCase, error) {
	res := apiv1.MigrationCase{CaseID: c.ID, WorkflowID: c.WorkflowID, Step: c.Step, Next: []apiv1.Task{}}
	refuse := func(reason string) (apiv1.MigrationCase, error) {
		res.Status, res.Reason = migrationRefused, reason
		if !plan.dryRun {
			s.audit(r, store.AuditEntry{Action: "case.migrate_refused", Object: "case:" + c.ID, CaseID: c.ID,
				Details: mustJSON(map[string]any{"migration_id": plan.id, "from": plan.from, "to": plan.to.Version,
					"step": res.Step, "reason": reason})})
		}
		return res, nil
	}

	if reason := plan.pilotRefusal(c); reason != "" {
		return refuse(reason)
	}
	ectx, cancelState := s.engineCtx(ctx)
	st, err := s.eng.State(ectx, c.WorkflowID)
	cancelState()
	switch {
	case errors.Is(err, engine.ErrCaseNotRunning):
		return refuse(reasonNotRunning)
	case engineDown(err):
		return res, fmt.Errorf("state of case %s: %w", c.ID, err)
	case err != nil:
		// This workflow alone does not answer (a failing workflow task,
		// say): leave it alone and say so.
		s.log.LogAttrs(ctx, slog.LevelWarn, "migrate: case state query failed",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("case_id", c.ID), slog.String("error", err.Error()))
		return refuse("the case workflow did not answer the state query")
	}
	if st.Step != "" {
		res.Step = st.Step
	}
	res.ToStep = plan.mapping[res.Step]
	req := plan.request()
	if reason := workflows.MigrationRefusal(st, req); reason != "" {
		return refuse(reason)
	}
	if plan.dryRun {
		res.Status = migrationWouldMigrate
		return res, nil
	}

	ectx, cancelMigrate := s.engineCtx(ctx)
	defer cancelMigrate()
	mr, err := s.eng.Migrate(ectx, c.WorkflowID, plan.id+":"+c.ID, req)
	var rej *engine.RejectedError
	switch {
	case errors.As(err, &rej) && errors.Is(rej.Reason, engine.ErrMigrationRefused):
		return refuse(messageOr(rej.Message, "refused by the case workflow"))
	case errors.Is(err, engine.ErrCaseNotRunning):
		return refuse(reasonNotRunning)
	case engineDown(err):
		return res, fmt.Errorf("migrate case %s: %w", c.ID, err)
	case err != nil:
		// The workflow failed the Update for this case alone (an activity
		// error, say): report it, keep going with the others.
		s.log.LogAttrs(ctx, slog.LevelError, "migrate case failed",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("case_id", c.ID), slog.String("migration_id", plan.id), slog.String("error", err.Error()))
		res.Status, res.Reason = migrationFailed, "the case workflow failed the migration; quote the request_id and migration_id when reporting it"
		s.audit(r, store.AuditEntry{Action: "case.migrate_failed", Object: "case:" + c.ID, CaseID: c.ID,
			Details: mustJSON(map[string]any{"migration_id": plan.id, "from": plan.from, "to": plan.to.Version,
				"step": res.Step, "error": err.Error()})})
		return res, nil
	}
	res.Status = migrationMigrated
	if mr.FromStep != "" {
		res.Step = mr.FromStep
	}
	if mr.ToStep != "" {
		res.ToStep = mr.ToStep
	}
	res.Next = s.openTasksAfterMigration(ctx, c.ID, mr.Next)
	s.audit(r, store.AuditEntry{Action: "case.migrate", Object: "case:" + c.ID, CaseID: c.ID,
		Details: mustJSON(map[string]any{"migration_id": plan.id, "from": plan.from, "to": plan.to.Version,
			"from_step": res.Step, "to_step": res.ToStep, "closed_task_id": mr.ClosedTaskID})})
	return res, nil
}

// openTasksAfterMigration reads the case's open tasks from the store (the
// workflow wrote them before the Update returned); if the store fails, the
// Update's task references stand in, so the report still says where the
// case went.
func (s *API) openTasksAfterMigration(ctx context.Context, caseID string, refs []workflows.TaskRef) []apiv1.Task {
	tasks, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
	if err == nil {
		return toTasksJSON(tasks)
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "open tasks after migration", slog.String("case_id", caseID), slog.String("error", err.Error()))
	out := make([]apiv1.Task, len(refs))
	for i, ref := range refs {
		out[i] = apiv1.Task{ID: ref.TaskID, CaseID: caseID, Seq: ref.Seq, Step: ref.Step, StepName: ref.StepName,
			Department: ref.Department, Roles: []string{}, Outcomes: []string{}, Form: []flow.Field{}, Status: store.TaskOpen,
			EscalationLevel: ref.EscalationLevel, SLADue: utcPtr(ref.SLADue), Data: json.RawMessage("null")}
	}
	return out
}

// engineDown reports an engine failure that is not about one case: the
// engine is unreachable or the request's time ran out.
func engineDown(err error) bool {
	return errors.Is(err, engine.ErrEngineUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
