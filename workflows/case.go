// Package workflows holds flowlab's Temporal workflow code: the one Case
// interpreter that runs any flow definition. Workflow code here is
// deterministic: it uses only workflow.* time, timers, goroutines and
// selectors, never ranges over maps, and does no I/O (activities do).
package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
)

// ContinueAsNewHistoryLength is the history length (events) above which a
// run continues as new at the next step boundary, even when the server
// does not suggest it yet. Tests lower it.
var ContinueAsNewHistoryLength = 10_000

// maxPendingEvents bounds the events kept for a later wait step.
const maxPendingEvents = 32

// RoleAdmin is the actor role allowed to complete a task of any department.
const RoleAdmin = "admin"

// TaskID returns the id of the human task a case opens at step sequence
// seq: UUIDv5 of the case id (which must be a UUID) and the sequence.
func TaskID(caseID string, seq int) string {
	return uuid.NewSHA1(uuid.MustParse(caseID), []byte(strconv.Itoa(seq))).String()
}

// openTask is the human task the case waits on.
type openTask struct {
	ref       TaskRef
	step      *flow.Step
	enteredAt time.Time
	// opened: the OpenTask activity has written the row.
	opened bool
	// completing: an accepted complete Update is closing the task.
	completing bool
}

// completion is what the complete Update hands to the main loop once the
// task is closed.
type completion struct {
	Outcome string
	Data    map[string]any
}

// caseRun is the state of one run of the interpreter.
type caseRun struct {
	in     CaseInput
	def    *flow.Definition
	logger log.Logger
	// now is workflow.Now of the root context, for the query handler.
	now func() time.Time

	status      string
	step        string
	seq         int
	attrs       map[string]any
	lastOutcome string
	lastData    map[string]any
	startedAt   time.Time
	// slaPaused is the business time (in the flow's calendar) the case
	// spent in finished pause_sla waits; pausedSince is when the current
	// one began (zero when none runs).
	slaPaused   time.Duration
	pausedSince time.Time
	open        *openTask
	stepKind    flow.Kind
	waiting     bool // at rest in a wait step
	waitingFor  string
	pending     []EventRequest // events not yet consumed by a wait step

	// rest counts the times the interpreter came to rest (a task opened,
	// a wait started, the case closed); complete handlers wait for it.
	rest int
	// continuing: the run is about to continue as new; preview holds the
	// task the next run opens first, if the next step is a task.
	continuing bool
	preview    []TaskRef
	// escalating: an Escalate activity is running for the open task.
	escalating   bool
	stepsThisRun int
	saInit       bool

	completions workflow.Channel
	events      workflow.ReceiveChannel

	// migrations carries an accepted migrate Update to the main loop;
	// migrating is set from its acceptance until the case rests on the
	// new version; migrated is the result the handler returns.
	migrations workflow.Channel
	migrating  bool
	migrated   *MigrateResult
	// versionMoved: the next UpdateCase writes the (new) version.
	versionMoved bool
	// local: the store activities run as local activities.
	local bool
	// closedAt is when the case completed (the end step's instant);
	// followingUp is set while a completed case waits for its follow-up
	// call or the call task is open (decision 0041).
	closedAt    time.Time
	followingUp bool
}

// localStoreActivities is the change id of the store writes as local
// activities.
const localStoreActivities = "local-store-activities"

// migration is what the migrate Update hands to the main loop.
type migration struct {
	Req    MigrateRequest
	Target string
}

// Case is the interpreter workflow, registered as CaseWorkflow. It runs
// in.Definition from its start step (or from in.Resume after a
// continue-as-new) to an end step and returns the final CaseState.
//
// Cancellation: when the workflow is cancelled it closes the open task as
// cancelled, marks the case cancelled (both through a disconnected
// context) and returns temporal.NewCanceledError(), so Temporal records
// the execution as Canceled.
func Case(ctx workflow.Context, in CaseInput) (CaseState, error) {
	r := &caseRun{
		in:          in,
		def:         &in.Definition,
		logger:      workflow.GetLogger(ctx),
		status:      StatusActive,
		attrs:       maps.Clone(in.Attributes),
		startedAt:   workflow.Now(ctx),
		completions: workflow.NewBufferedChannel(ctx, 1),
		events:      workflow.GetSignalChannel(ctx, SignalEvent),
		migrations:  workflow.NewBufferedChannel(ctx, 1),
		now:         func() time.Time { return workflow.Now(ctx) },
	}
	if res := in.Resume; res != nil {
		r.seq = res.Seq
		r.attrs = maps.Clone(res.Attributes)
		r.lastOutcome = res.LastOutcome
		r.lastData = res.LastData
		r.startedAt = res.StartedAt
		r.slaPaused = res.SLAPaused
		r.pending = slices.Clone(res.Events)
	}
	if r.attrs == nil {
		r.attrs = map[string]any{}
	}
	if _, err := uuid.Parse(in.CaseID); err != nil {
		return CaseState{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("case id %q is not a UUID", in.CaseID), "InvalidInput", err)
	}
	// Since version 1 the store writes run as local activities (see
	// storeActivity); runs recorded before replay with regular ones.
	r.local = workflow.GetVersion(ctx, localStoreActivities, workflow.DefaultVersion, 1) >= 1
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (CaseState, error) {
		return r.state(), nil
	}); err != nil {
		return CaseState{}, fmt.Errorf("case: register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateComplete, r.complete,
		workflow.UpdateHandlerOptions{Validator: r.validateComplete}); err != nil {
		return CaseState{}, fmt.Errorf("case: register update: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateMigrate, r.migrate,
		workflow.UpdateHandlerOptions{Validator: r.validateMigrate}); err != nil {
		return CaseState{}, fmt.Errorf("case: register migrate update: %w", err)
	}
	return r.run(ctx)
}

// activityCtx sets the options of the engine's own activities: retried
// with backoff until they succeed (they are idempotent), and a cancelled
// case waits for a running one to finish so that cleanup sees its effect.
func activityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		WaitForCancellation: true,
		RetryPolicy:         storeRetryPolicy(),
	})
}

// storeRetryPolicy retries with backoff until the write succeeds.
func storeRetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		// MaximumAttempts 0: unlimited.
	}
}

// storeActivity runs a store write that nobody acts on (UpdateCase,
// RecordSpan, and CloseTask when the case is cancelled). Since
// localStoreActivities it is a local activity, run by the worker that runs
// the workflow task: no activity task through Temporal's matching service
// and a marker instead of three history events, with the same retries (a
// crashed worker's workflow task is retried by another, which runs the
// idempotent write again). Runs recorded before use regular activities.
// Writes people act on go through actedOnActivity (decision 0018).
func (r *caseRun) storeActivity(ctx workflow.Context, name string, in any) workflow.Future {
	if r.local {
		// Disconnected: a cancelled case waits for a write under way to
		// finish, as WaitForCancellation does for the regular ones, so
		// that its cleanup sees the write's effect.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(dctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         storeRetryPolicy(),
		}), name, in)
	}
	return workflow.ExecuteActivity(activityCtx(ctx), name, in)
}

// actedOnActivity runs a store write that people act on: OpenTask (the
// task appears in an inbox) and the complete and migrate Updates'
// CloseTask. It stays a regular activity, so the write follows the
// workflow task that decided it into history. As a local activity it
// would run before that workflow task completes; were the task lost (a
// worker crash), an inbox would list a task the replaying case does not
// await yet, or a task would stay closed by an Update the case never
// accepted, and every retry would be refused (decision 0018).
func actedOnActivity(ctx workflow.Context, name string, in any) workflow.Future {
	return workflow.ExecuteActivity(activityCtx(ctx), name, in)
}

// autoCtx sets the options of auto steps' activities (calls to outside
// systems): bounded retries, after which the case fails.
func autoCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
			MaximumAttempts:    20,
		},
	})
}

func (r *caseRun) run(ctx workflow.Context) (CaseState, error) {
	next := r.def.StartStep()
	var entered time.Time
	if res := r.in.Resume; res != nil {
		next = res.Step
		entered = res.EnteredAt
	}
	for {
		if r.stepsThisRun > 0 && r.shouldContinueAsNew(ctx) {
			return CaseState{}, r.continueAsNew(ctx, next)
		}
		step, ok := r.def.Step(next)
		if !ok {
			return r.fail(ctx, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("flow %s v%d has no step %q", r.def.Key, r.def.Version, next), "UnknownStep", nil))
		}
		if entered.IsZero() {
			entered = workflow.Now(ctx)
		}
		r.seq++
		r.stepsThisRun++
		r.step = step.ID
		r.stepKind = step.Kind
		var err error
		next, err = r.enter(ctx, step, entered)
		entered = time.Time{}
		if err != nil {
			if ctx.Err() != nil {
				return r.cancelled(ctx)
			}
			if ae := (*temporal.ApplicationError)(nil); errors.As(err, &ae) && ae.Type() == RuleFailed {
				return r.fail(ctx, err) // names its step; kept typed and non-retryable
			}
			return r.fail(ctx, fmt.Errorf("step %s: %w", step.ID, err))
		}
		if r.status == StatusCompleted {
			return r.followUp(ctx)
		}
		if r.status != StatusActive {
			return r.state(), nil
		}
	}
}

func (r *caseRun) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > ContinueAsNewHistoryLength
}

// continueAsNew ends the run at a step boundary; the next run enters step
// next. Complete handlers still waiting for the interpreter to come to rest
// are released with a preview of the task the next run opens first.
func (r *caseRun) continueAsNew(ctx workflow.Context, next string) error {
	now := workflow.Now(ctx)
	r.preview = nil
	if step, ok := r.def.Step(next); ok && step.Kind == flow.KindTask {
		r.preview = []TaskRef{taskRef(r.in.CaseID, r.seq+1, step, r.def.CalendarFor(step), now)}
	}
	r.continuing = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		if ctx.Err() != nil {
			_, cerr := r.cancelled(ctx)
			return cerr
		}
		return fmt.Errorf("continue-as-new: %w", err)
	}
	for {
		var ev EventRequest
		if !r.events.ReceiveAsync(&ev) {
			break
		}
		r.keepEvent(ev)
	}
	in := r.in
	in.Resume = &Resume{
		Step:        next,
		Seq:         r.seq,
		Attributes:  r.attrs,
		LastOutcome: r.lastOutcome,
		LastData:    r.lastData,
		StartedAt:   r.startedAt,
		SLAPaused:   r.slaPaused,
		EnteredAt:   now,
		Events:      r.pending,
	}
	r.logger.Info("case continues as new", "step", next, "seq", r.seq,
		"historyLength", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, CaseWorkflow, in)
}

// taskRef describes the task of step opened at entered; its SLA falls due
// after step.SLA of business time in cal (nil: elapsed time).
func taskRef(caseID string, seq int, step *flow.Step, cal *flow.Calendar, entered time.Time) TaskRef {
	ref := TaskRef{
		TaskID:     TaskID(caseID, seq),
		Seq:        seq,
		Step:       step.ID,
		StepName:   step.Name,
		Department: step.Department,
	}
	if step.SLA > 0 {
		due := cal.Add(entered, step.SLA.D()).UTC()
		ref.SLADue = &due
	}
	return ref
}

// enter runs one step and returns the id of the next one.
func (r *caseRun) enter(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	if step.Kind == flow.KindEnd {
		return "", r.runEnd(ctx, step, entered)
	}
	if err := r.updateCase(ctx, StatusActive, nil); err != nil {
		return "", err
	}
	dept := ""
	if step.Kind == flow.KindTask {
		dept = step.Department
	}
	if err := r.upsertPosition(ctx, dept); err != nil {
		return "", err
	}
	switch step.Kind {
	case flow.KindTask:
		return r.runTask(ctx, step, entered)
	case flow.KindAuto:
		return r.runAuto(ctx, step, entered)
	case flow.KindDecision:
		return r.runDecision(ctx, step, entered)
	case flow.KindWait:
		return r.runWait(ctx, step, entered)
	case flow.KindPilot:
		return r.runPilot(ctx, step, entered)
	default:
		return "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("unknown step kind %q", step.Kind), "UnknownStepKind", nil)
	}
}

// atRest releases complete handlers waiting for the interpreter.
func (r *caseRun) atRest() { r.rest++ }

// assignTasks versions the assignment of tasks by their step's rule
// (decision 0035): runs recorded before it never assigned.
const assignTasks = "assign-tasks"

// assignAtOpen versions where a task is assigned (decision 0036): since
// version 1 the OpenTask activity assigns it in the store transaction that
// opens it; runs recorded before open it, then run assign (the AssignTask
// activity, behind assignTasks). Only a step with rules other than pull
// asks, so runs of flows without assignment record no marker.
const assignAtOpen = "assign-at-open"

// assign asks the store to give a just opened task to a person by its
// step's rules (runs recorded before assignAtOpen). Only a step with rules
// other than pull asks, so runs of flows without assignment record no
// version marker. A failed assignment leaves the task in the pool: the
// case goes on.
func (r *caseRun) assign(ctx workflow.Context, step *flow.Step, taskID string, at time.Time) {
	if step.Assign.Rules()[0] == flow.AssignPull || workflow.GetVersion(ctx, assignTasks, workflow.DefaultVersion, 1) < 1 {
		return
	}
	in := AssignTaskInput{TaskID: taskID, CaseID: r.in.CaseID, Assignment: r.assignment(step), At: at}
	var res AssignTaskResult
	if err := actedOnActivity(ctx, ActivityAssignTask, in).Get(ctx, &res); err != nil {
		r.logger.Warn("task left in the pool: assignment failed", "task", taskID, "error", err)
	}
}

// assignment is the assignment of step (which has one) for this case
// now: its rules, the skills resolved from the case's attributes and last
// form data (a skill the case does not carry is not required), the sticky
// steps and customer.
func (r *caseRun) assignment(step *flow.Step) Assignment {
	a := Assignment{Customer: r.in.Customer, Rules: step.Assign.Rules(), AcceptWithin: step.Assign.AcceptWithin.D()}
	for _, sk := range step.Assign.Skills {
		var v any
		var ok bool
		if name, isAttr := strings.CutPrefix(sk, "attributes."); isAttr {
			v, ok = r.attrs[name]
		} else if name, isData := strings.CutPrefix(sk, "data."); isData {
			v, ok = r.lastData[name]
		}
		if ok && v != nil {
			a.Skills = append(a.Skills, fmt.Sprint(v))
		}
	}
	for _, st := range step.Assign.Sticky {
		if st == flow.StickyCustomer {
			a.StickyCustomer = true
		} else {
			a.StickySteps = append(a.StickySteps, st)
		}
	}
	return a
}

func (r *caseRun) runTask(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	cal := r.def.CalendarFor(step)
	ot := &openTask{ref: taskRef(r.in.CaseID, r.seq, step, cal, entered), step: step, enteredAt: entered}
	r.open = ot
	outcomes := make([]string, 0, len(step.Outcomes))
	for _, o := range step.Outcomes {
		outcomes = append(outcomes, o.Name)
	}
	var atOpen *Assignment
	if step.Assign.Rules()[0] != flow.AssignPull &&
		workflow.GetVersion(ctx, assignAtOpen, workflow.DefaultVersion, 1) >= 1 {
		a := r.assignment(step)
		atOpen = &a
	}
	err := actedOnActivity(ctx, ActivityOpenTask, OpenTaskInput{
		TaskID:     ot.ref.TaskID,
		CaseID:     r.in.CaseID,
		Seq:        r.seq,
		Flow:       r.def.Key,
		Version:    r.def.Version,
		Variant:    r.in.Variant,
		Step:       step.ID,
		StepName:   step.Name,
		Department: step.Department,
		Roles:      step.Roles,
		Outcomes:   outcomes,
		Form:       step.Form,
		OpenedAt:   entered,
		SLADue:     ot.ref.SLADue,
		Assign:     atOpen,
	}).Get(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("open task: %w", err)
	}
	ot.opened = true
	if atOpen == nil {
		r.assign(ctx, step, ot.ref.TaskID, entered)
	}
	r.atRest()

	// Escalation: one durable timer at a time, for the next level, when
	// level.After of business time has passed since entered.
	tctx, cancelTimers := workflow.WithCancel(ctx)
	defer cancelTimers()
	level := 0
	var timer workflow.Future
	arm := func() {
		timer = nil
		if level < len(step.Escalation) {
			d := cal.Add(entered, step.Escalation[level].After.D()).Sub(workflow.Now(ctx))
			timer = workflow.NewTimer(tctx, d)
		}
	}
	arm()
	for {
		var (
			done  completion
			got   bool
			fired bool
			mig   *migration
		)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.completions, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, &done)
			got = true
		})
		sel.AddReceive(r.migrations, func(c workflow.ReceiveChannel, _ bool) {
			mig = &migration{}
			c.Receive(ctx, mig)
		})
		if timer != nil {
			sel.AddFuture(timer, func(workflow.Future) { fired = true })
		}
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		switch {
		case mig != nil:
			return r.migrateTask(ctx, ot, mig)
		case got:
			r.open = nil
			r.lastOutcome = done.Outcome
			r.lastData = done.Data
			o, _ := step.Outcome(done.Outcome)
			return o.Next, nil
		case fired:
			if !ot.completing {
				if err := r.escalate(ctx, ot, level); err != nil {
					return "", err
				}
			}
			level++
			arm()
		}
	}
}

// escalate applies escalation level index i (level number i+1) to the
// open task.
func (r *caseRun) escalate(ctx workflow.Context, ot *openTask, i int) error {
	lvl := ot.step.Escalation[i]
	r.escalating = true
	err := workflow.ExecuteActivity(activityCtx(ctx), ActivityEscalate, EscalateInput{
		CaseID:     r.in.CaseID,
		TaskID:     ot.ref.TaskID,
		Step:       ot.step.ID,
		Level:      i + 1,
		Department: lvl.Department,
		Notify:     lvl.Notify,
		At:         workflow.Now(ctx),
		// Assign changes the activity's input only, not the commands: no
		// version marker. A level without assign: (every run recorded
		// before it existed) sends the very same input, so committed
		// histories replay unchanged (TestReplayHistories).
		Assign: lvl.Assign,
	}).Get(ctx, nil)
	r.escalating = false
	if err != nil {
		return fmt.Errorf("escalate level %d: %w", i+1, err)
	}
	ot.ref.EscalationLevel = i + 1
	if lvl.Department != "" && lvl.Department != ot.ref.Department {
		ot.ref.Department = lvl.Department
		if err := r.upsertPosition(ctx, lvl.Department); err != nil {
			return err
		}
	}
	return nil
}

func (r *caseRun) runAuto(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	var res AutoResult
	err := workflow.ExecuteActivity(autoCtx(ctx), ActivityAutoPrefix+step.Activity, AutoInput{
		CaseID:     r.in.CaseID,
		Flow:       r.def.Key,
		Step:       step.ID,
		Params:     step.Params,
		Attributes: r.attrs,
		Customer:   r.in.Customer,
		Channel:    r.in.Channel,
	}).Get(ctx, &res)
	if err != nil {
		return "", fmt.Errorf("auto activity %s: %w", step.Activity, err)
	}
	for _, k := range slices.Sorted(maps.Keys(res.Attributes)) {
		r.attrs[k] = res.Attributes[k]
	}
	if err := r.recordSpan(ctx, step, entered, "done"); err != nil {
		return "", err
	}
	return step.Next, nil
}

// ruleErrorsFail is the change id of decision rules whose evaluation fails:
// since version 1 the case fails with the rule's error (decision 0020);
// runs recorded before counted such a rule as false. GetVersion is called
// only when a rule fails, so runs whose rules all evaluate record no
// marker and replay as before.
const ruleErrorsFail = "rule-errors-fail"

// RuleFailed is the application error type of a case failed by a
// decision rule that could not be evaluated (a run-time limit, a type
// error): not retried, since the same input gives the same error.
const RuleFailed = "RuleFailed"

// runDecision evaluates the rules in order; the first true one wins, else
// Default. A rule whose evaluation fails fails the case (before version 1
// of ruleErrorsFail it counted as false and was logged).
func (r *caseRun) runDecision(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	env := flow.RuleEnv(r.attrs, r.in.Customer, r.in.Channel, r.lastOutcome, r.lastData)
	next := step.Default
	for i, rule := range step.Rules {
		ok, err := flow.EvalRule(rule.When, env)
		if err != nil {
			if workflow.GetVersion(ctx, ruleErrorsFail, workflow.DefaultVersion, 1) >= 1 {
				return "", temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("decision %q: rule %d could not be evaluated: %v", step.ID, i+1, err), RuleFailed, err)
			}
			// A run recorded before the rule limits: it evaluated this rule
			// without them (a rule now refused may have been true then), so
			// its replay must too, to take the branch it took.
			ok, err = flow.EvalRuleUnbounded(rule.When, env)
			if err != nil {
				r.logger.Warn("decision rule failed; treated as false", "step", step.ID, "rule", rule.When, "error", err)
				continue
			}
		}
		if ok {
			next = rule.Next
			break
		}
	}
	if err := r.recordSpan(ctx, step, entered, next); err != nil {
		return "", err
	}
	return next, nil
}

func (r *caseRun) runWait(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	r.waitingFor = step.Event
	r.waiting = true
	defer func() { r.waitingFor, r.waiting = "", false }()
	if step.PauseSLA {
		// Waiting for the customer does not count against the case SLA.
		r.pausedSince = entered
		defer func() {
			r.slaPaused += r.caseCalendar().Between(entered, workflow.Now(ctx))
			r.pausedSince = time.Time{}
		}()
	}
	r.atRest()

	next := step.Next
	outcome := ""
	var mig *migration
	onMigrate := func(c workflow.ReceiveChannel, _ bool) {
		mig = &migration{}
		c.Receive(ctx, mig)
	}
	if step.Event == "" {
		d := entered.Add(step.Duration.D()).Sub(workflow.Now(ctx))
		tctx, cancelTimer := workflow.WithCancel(ctx)
		defer cancelTimer()
		var terr error
		elapsed := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(tctx, d), func(f workflow.Future) {
			elapsed = true
			terr = f.Get(ctx, nil)
		})
		sel.AddReceive(r.migrations, onMigrate)
		sel.Select(ctx)
		if mig != nil {
			return r.migrateWait(ctx, step, entered, mig)
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if elapsed && terr != nil {
			return "", fmt.Errorf("wait timer: %w", terr)
		}
		outcome = "elapsed"
	} else {
		ev, got := r.takeEvent(step.Event)
		timedOut := false
		if !got {
			tctx, cancelTimer := workflow.WithCancel(ctx)
			defer cancelTimer()
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(r.events, func(c workflow.ReceiveChannel, _ bool) {
				var e EventRequest
				c.Receive(ctx, &e)
				if e.Name == step.Event {
					ev, got = e, true
					return
				}
				r.keepEvent(e)
			})
			sel.AddReceive(r.migrations, onMigrate)
			if step.Timeout > 0 {
				d := entered.Add(step.Timeout.D()).Sub(workflow.Now(ctx))
				sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) { timedOut = true })
			}
			sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
			for !got && !timedOut {
				sel.Select(ctx)
				if mig != nil {
					return r.migrateWait(ctx, step, entered, mig)
				}
				if ctx.Err() != nil {
					return "", ctx.Err()
				}
			}
		}
		if got {
			outcome = ev.Name
			r.lastOutcome = ev.Name
			r.lastData = ev.Data
		} else {
			outcome = "timeout"
			r.lastOutcome = "timeout"
			r.lastData = nil
			if step.OnTimeout != "" {
				next = step.OnTimeout
			}
		}
	}
	if err := r.recordSpan(ctx, step, entered, outcome); err != nil {
		return "", err
	}
	return next, nil
}

// takeEvent removes and returns the oldest kept event named name.
func (r *caseRun) takeEvent(name string) (EventRequest, bool) {
	for i, e := range r.pending {
		if e.Name == name {
			r.pending = slices.Delete(r.pending, i, i+1)
			return e, true
		}
	}
	return EventRequest{}, false
}

// keepEvent keeps an event no wait step asked for yet (a customer may
// answer before the case waits), dropping the oldest beyond a bound.
func (r *caseRun) keepEvent(e EventRequest) {
	r.pending = append(r.pending, e)
	if len(r.pending) > maxPendingEvents {
		r.logger.Warn("dropping unconsumed event", "event", r.pending[0].Name)
		r.pending = slices.Delete(r.pending, 0, 1)
	}
}

func (r *caseRun) runEnd(ctx workflow.Context, step *flow.Step, entered time.Time) error {
	now := workflow.Now(ctx)
	r.closedAt = now
	if err := r.updateCase(ctx, StatusCompleted, &now); err != nil {
		return err
	}
	if err := r.recordCaseEnd(ctx, step, entered); err != nil {
		return err
	}
	r.status = StatusCompleted
	if err := r.upsertPosition(ctx, ""); err != nil {
		return err
	}
	r.atRest()
	return nil
}

// cancelled cleans up after the workflow was cancelled: the open task is
// closed as cancelled and the case marked cancelled, through a context
// that is not cancelled.
func (r *caseRun) cancelled(ctx workflow.Context) (CaseState, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	now := workflow.Now(dctx)
	if ot := r.open; ot != nil {
		err := r.storeActivity(dctx, ActivityCloseTask, CloseTaskInput{
			TaskID: ot.ref.TaskID,
			Status: StatusCancelled,
			Span:   r.taskSpan(ot, now, "cancelled", ""),
		}).Get(dctx, nil)
		if err != nil {
			return CaseState{}, fmt.Errorf("cancel task %s: %w", ot.ref.TaskID, err)
		}
		r.open = nil
	}
	if err := r.updateCase(dctx, StatusCancelled, &now); err != nil {
		return CaseState{}, err
	}
	r.status = StatusCancelled
	if err := r.upsertPosition(dctx, ""); err != nil {
		return CaseState{}, err
	}
	r.atRest()
	return r.state(), temporal.NewCanceledError()
}

// fail marks the case failed and returns err, which fails the workflow.
func (r *caseRun) fail(ctx workflow.Context, cause error) (CaseState, error) {
	r.logger.Error("case failed", "step", r.step, "error", cause)
	now := workflow.Now(ctx)
	r.status = StatusFailed
	if err := r.updateCase(ctx, StatusFailed, &now); err != nil {
		return CaseState{}, errors.Join(cause, err)
	}
	if err := r.upsertPosition(ctx, ""); err != nil {
		return CaseState{}, errors.Join(cause, err)
	}
	r.atRest()
	return CaseState{}, cause
}

// updateCase runs the UpdateCase activity on actx (which may be a
// disconnected context) and returns its error.
func (r *caseRun) updateCase(actx workflow.Context, status string, closedAt *time.Time) error {
	in := UpdateCaseInput{
		CaseID:     r.in.CaseID,
		Status:     status,
		Step:       r.step,
		Attributes: r.attrs,
		ClosedAt:   closedAt,
		At:         workflow.Now(actx),
	}
	if r.versionMoved {
		in.Version = r.def.Version
	}
	in.SLADue = r.caseSLADue(workflow.Now(actx))
	err := r.storeActivity(actx, ActivityUpdateCase, in).Get(actx, nil)
	if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	r.versionMoved = false
	return nil
}

func (r *caseRun) spanInput(step *flow.Step, entered, at time.Time, outcome string) SpanInput {
	return SpanInput{
		CaseID:      r.in.CaseID,
		Seq:         r.seq,
		Flow:        r.def.Key,
		Version:     r.def.Version,
		Variant:     r.in.Variant,
		Step:        step.ID,
		Kind:        string(step.Kind),
		EnteredAt:   entered,
		CompletedAt: at,
		Outcome:     outcome,
	}
}

func (r *caseRun) recordSpan(actx workflow.Context, step *flow.Step, entered time.Time, outcome string) error {
	err := r.storeActivity(actx, ActivityRecordSpan,
		r.spanInput(step, entered, workflow.Now(actx), outcome)).Get(actx, nil)
	if err != nil {
		return fmt.Errorf("record span: %w", err)
	}
	return nil
}

func (r *caseRun) taskSpan(ot *openTask, at time.Time, outcome, actor string) SpanInput {
	return SpanInput{
		CaseID:          r.in.CaseID,
		Seq:             ot.ref.Seq,
		Flow:            r.def.Key,
		Version:         r.def.Version,
		Variant:         r.in.Variant,
		Step:            ot.step.ID,
		Kind:            string(flow.KindTask),
		Department:      ot.ref.Department,
		EnteredAt:       ot.enteredAt,
		CompletedAt:     at,
		Outcome:         outcome,
		SLADue:          ot.ref.SLADue,
		Breached:        ot.ref.SLADue != nil && at.After(*ot.ref.SLADue),
		EscalationLevel: ot.ref.EscalationLevel,
		Actor:           actor,
	}
}

// upsertPosition publishes the step, department (unset when no task is
// open) and status; the first call of a run also sets flow, version and
// variant.
func (r *caseRun) upsertPosition(ctx workflow.Context, dept string) error {
	ups := []temporal.SearchAttributeUpdate{
		SAStep.ValueSet(r.step),
		SACaseStatus.ValueSet(r.status),
	}
	if dept != "" {
		ups = append(ups, SADepartment.ValueSet(dept))
	} else {
		ups = append(ups, SADepartment.ValueUnset())
	}
	if !r.saInit {
		ups = append(ups, SAFlowKey.ValueSet(r.def.Key), SAFlowVersion.ValueSet(int64(r.def.Version)))
		if r.in.Variant != "" {
			ups = append(ups, SAVariant.ValueSet(r.in.Variant))
		}
		r.saInit = true
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ups...); err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	return nil
}

func (r *caseRun) openRefs() []TaskRef {
	if r.open == nil {
		return nil
	}
	return []TaskRef{r.open.ref}
}

func (r *caseRun) state() CaseState {
	return CaseState{
		CaseID:      r.in.CaseID,
		Flow:        r.def.Key,
		Version:     r.def.Version,
		Variant:     r.in.Variant,
		Status:      r.status,
		Step:        r.step,
		Seq:         r.seq,
		Open:        r.openRefs(),
		WaitingFor:  r.waitingFor,
		Attributes:  r.attrs,
		LastOutcome: r.lastOutcome,
		StepKind:    string(r.stepKind),
		AtRest:      r.atRestNow(),
		SLADue:      r.caseSLADue(r.now()),
		SLAPaused:   r.pausedSoFar(r.now()),
	}
}

// caseCalendar is the calendar of the case-level SLA: the flow's.
func (r *caseRun) caseCalendar() *flow.Calendar {
	return r.def.CalendarFor(&flow.Step{})
}

// pausedSoFar is the business time spent in pause_sla waits, including
// the current one up to now.
func (r *caseRun) pausedSoFar(now time.Time) time.Duration {
	p := r.slaPaused
	if !r.pausedSince.IsZero() && now.After(r.pausedSince) {
		p += r.caseCalendar().Between(r.pausedSince, now)
	}
	return p
}

// caseSLADue is when the case-level SLA falls due as of now: the flow's
// sla of business time after the start, plus the business time paused.
// While a pause runs the due time moves on with it. Nil without a case
// SLA.
func (r *caseRun) caseSLADue(now time.Time) *time.Time {
	if r.def.SLA <= 0 {
		return nil
	}
	due := r.caseCalendar().Add(r.startedAt, r.def.SLA.D()+r.pausedSoFar(now)).UTC()
	return &due
}

// recordCaseEnd records the end step's span; with a case SLA it carries
// the case's due time and whether the case as a whole breached it, so the
// end step's breach rate in the statistics is the case SLA's.
func (r *caseRun) recordCaseEnd(ctx workflow.Context, step *flow.Step, entered time.Time) error {
	now := workflow.Now(ctx)
	in := r.spanInput(step, entered, now, "end")
	if due := r.caseSLADue(now); due != nil {
		in.SLADue = due
		in.Breached = now.After(*due)
	}
	if err := r.storeActivity(ctx, ActivityRecordSpan, in).Get(ctx, nil); err != nil {
		return fmt.Errorf("record span: %w", err)
	}
	return nil
}

// atRestNow reports whether the interpreter waits at a task or wait step
// where a migration may swap its definition.
func (r *caseRun) atRestNow() bool {
	if r.status != StatusActive || r.continuing || r.migrating {
		return false
	}
	if ot := r.open; ot != nil {
		return ot.opened && !ot.completing && !r.escalating
	}
	return r.waiting
}

// followUpChange versions the follow-up call after a case completes
// (decision 0041). It is asked only when the case's flow version has a
// follow_up block, so runs of flows without one record no marker and
// replay as before.
const followUpChange = "follow-up"

// followUp runs after the case completed; it returns the final state. When
// the case's version asks for a follow-up, it records the follow-up (the
// declared share, whether flow.Sampled picks the case, when the call is
// due) and, for a sampled case, waits the follow-up's after from the close
// (elapsed time, a durable timer) and opens the call task in the
// follow-up's department, through OpenTask and its assignment like any
// task, and waits for it. The case stays completed, its closed_at the
// close: the follow-up is after the case, not in it, so its cycle time
// does not include the wait or the call. Cancelled meanwhile, the run
// closes an open call task as cancelled and ends Canceled; the case row
// is left completed.
func (r *caseRun) followUp(ctx workflow.Context) (CaseState, error) {
	f := r.def.FollowUp
	if f == nil || workflow.GetVersion(ctx, followUpChange, workflow.DefaultVersion, 1) < 1 {
		return r.state(), nil
	}
	share := float64(f.Share)
	rec := RecordFollowUpInput{
		CaseID:  r.in.CaseID,
		Share:   share,
		Sampled: flow.Sampled(r.in.CaseID, share),
		DueAt:   r.closedAt.Add(f.After.D()).UTC(),
		At:      workflow.Now(ctx),
	}
	seq := r.seq + 1
	if rec.Sampled {
		rec.TaskID = TaskID(r.in.CaseID, seq)
	}
	if err := r.storeActivity(ctx, ActivityRecordFollowUp, rec).Get(ctx, nil); err != nil {
		if ctx.Err() != nil {
			return r.followUpCancelled(ctx)
		}
		return CaseState{}, fmt.Errorf("record follow-up: %w", err)
	}
	if !rec.Sampled {
		return r.state(), nil
	}
	r.followingUp = true
	if d := rec.DueAt.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			if ctx.Err() != nil {
				return r.followUpCancelled(ctx)
			}
			return CaseState{}, fmt.Errorf("follow-up wait: %w", err)
		}
	}
	r.seq = seq
	step := f.FollowUpStepDef()
	if err := r.followUpCall(ctx, &step); err != nil {
		if ctx.Err() != nil {
			return r.followUpCancelled(ctx)
		}
		return CaseState{}, fmt.Errorf("follow-up call: %w", err)
	}
	r.followingUp = false
	r.atRest()
	// The complete Update that closed the call returns once it sees the
	// interpreter at rest; the run ends after it.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil && ctx.Err() == nil {
		return CaseState{}, fmt.Errorf("follow-up: %w", err)
	}
	return r.state(), nil
}

// followUpCall opens the follow-up call task of step (flow.FollowUpStep)
// and waits until the complete Update closed it. The handler keeps the
// answers with the case's follow-up (CloseTaskInput.FollowUp).
func (r *caseRun) followUpCall(ctx workflow.Context, step *flow.Step) error {
	entered := workflow.Now(ctx)
	ot := &openTask{ref: taskRef(r.in.CaseID, r.seq, step, r.def.CalendarFor(step), entered), step: step, enteredAt: entered}
	r.open = ot
	var assign *Assignment
	if step.Assign.Rules()[0] != flow.AssignPull {
		a := r.assignment(step)
		assign = &a
	}
	outcomes := make([]string, len(step.Outcomes))
	for i, o := range step.Outcomes {
		outcomes[i] = o.Name
	}
	err := actedOnActivity(ctx, ActivityOpenTask, OpenTaskInput{
		TaskID:     ot.ref.TaskID,
		CaseID:     r.in.CaseID,
		Seq:        r.seq,
		Flow:       r.def.Key,
		Version:    r.def.Version,
		Variant:    r.in.Variant,
		Step:       step.ID,
		StepName:   step.Name,
		Department: step.Department,
		Outcomes:   outcomes,
		Form:       step.Form,
		OpenedAt:   entered,
		SLADue:     ot.ref.SLADue,
		Assign:     assign,
	}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("open task: %w", err)
	}
	ot.opened = true
	r.atRest()
	var done completion
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(r.completions, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &done) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.open = nil
	return nil
}

// followUpCancelled ends a run cancelled while its completed case waited
// for the follow-up call or the call was open: an open call task is closed
// as cancelled (through a disconnected context); the case row stays
// completed.
func (r *caseRun) followUpCancelled(ctx workflow.Context) (CaseState, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if ot := r.open; ot != nil {
		err := r.storeActivity(dctx, ActivityCloseTask, CloseTaskInput{
			TaskID: ot.ref.TaskID,
			Status: StatusCancelled,
			Span:   r.taskSpan(ot, workflow.Now(dctx), "cancelled", ""),
		}).Get(dctx, nil)
		if err != nil {
			return CaseState{}, fmt.Errorf("cancel follow-up call %s: %w", ot.ref.TaskID, err)
		}
		r.open = nil
	}
	r.followingUp = false
	r.atRest()
	return r.state(), temporal.NewCanceledError()
}
