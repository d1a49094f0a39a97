package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
)

// OutcomeMigrated is the outcome recorded on the span (and the cancelled
// task) of the step a case left by migration.
const OutcomeMigrated = "migrated"

// validateMigrate is the migrate Update's validator: read-only, so a
// refused migration leaves nothing in history.
func (r *caseRun) validateMigrate(_ workflow.Context, req MigrateRequest) error {
	return r.checkMigrate(req)
}

func (r *caseRun) checkMigrate(req MigrateRequest) error {
	if req.To.Version < 1 || len(req.To.Steps) == 0 {
		return temporal.NewApplicationError("the target definition is empty", ErrMigrationRefused)
	}
	if reason := MigrationRefusal(r.state(), req); reason != "" {
		return temporal.NewApplicationError(reason, ErrMigrationRefused)
	}
	return nil
}

// migrate is the migrate Update's handler. It checks again (several
// Updates may pass their validators in one workflow task), marks the case
// as migrating (complete and other migrate Updates are refused from now
// on), hands the request to the main loop, which leaves the current step
// at its safe point and swaps the definition, and returns once the case
// rests on the new version.
func (r *caseRun) migrate(ctx workflow.Context, req MigrateRequest) (MigrateResult, error) {
	if err := r.checkMigrate(req); err != nil {
		return MigrateResult{}, err
	}
	r.migrating = true
	r.migrated = nil
	rest := r.rest
	r.migrations.Send(ctx, migration{Req: req, Target: req.Mapping[r.step]})
	if err := workflow.Await(ctx, func() bool {
		return r.status != StatusActive || (r.migrated != nil && (r.rest > rest || r.continuing))
	}); err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w", err)
	}
	if r.migrated == nil {
		return MigrateResult{}, temporal.NewApplicationError("the case closed before the migration took effect", ErrMigrationRefused)
	}
	res := *r.migrated
	res.CaseStatus = r.status
	res.Next = r.openRefs()
	if r.continuing {
		res.Next = r.preview
	}
	return res, nil
}

// migrateTask leaves the task step ot at the migration's safe point: the
// task is closed as cancelled with outcome "migrated" (its span recorded
// in the same store transaction), then the definition is swapped.
func (r *caseRun) migrateTask(ctx workflow.Context, ot *openTask, m *migration) (string, error) {
	now := workflow.Now(ctx)
	err := actedOnActivity(ctx, ActivityCloseTask, CloseTaskInput{
		TaskID:  ot.ref.TaskID,
		Status:  StatusCancelled,
		Outcome: OutcomeMigrated,
		ActorID: m.Req.ActorID,
		Span:    r.taskSpan(ot, now, OutcomeMigrated, m.Req.ActorID),
	}).Get(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("close task %s for migration: %w", ot.ref.TaskID, err)
	}
	r.open = nil
	r.swapDefinition(m, ot.ref.TaskID)
	return m.Target, nil
}

// migrateWait leaves the wait step at the migration's safe point; events
// not consumed yet stay pending for the new version's wait steps.
func (r *caseRun) migrateWait(ctx workflow.Context, step *flow.Step, entered time.Time, m *migration) (string, error) {
	if err := r.recordSpan(ctx, step, entered, OutcomeMigrated); err != nil {
		return "", err
	}
	r.swapDefinition(m, "")
	return m.Target, nil
}

// swapDefinition makes m's definition the case's: the main loop enters
// m.Target next, the case row and search attributes get the new version
// at the next step, and a continue-as-new carries the new definition.
func (r *caseRun) swapDefinition(m *migration, closedTask string) {
	from := r.def.Version
	def := m.Req.To
	r.in.Definition = def
	r.def = &r.in.Definition
	r.versionMoved = true
	r.saInit = false
	r.migrated = &MigrateResult{
		CaseID:       r.in.CaseID,
		FromVersion:  from,
		ToVersion:    def.Version,
		FromStep:     r.step,
		ToStep:       m.Target,
		ClosedTaskID: closedTask,
	}
	r.migrating = false
	r.logger.Info("case migrated", "from", from, "to", def.Version, "fromStep", r.step, "toStep", m.Target)
}
