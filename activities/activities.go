// Package activities holds the Temporal activities of the Case workflow:
// opening and closing human tasks, spans, escalation, notifications, case
// updates, and the auto-step activities. They are methods on Activities,
// which holds their dependencies; each takes one input struct from
// workflows/protocol.go. Every activity is idempotent, because Temporal
// retries them.
package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Auto-step activity names (without workflows.ActivityAutoPrefix).
const (
	AutoNotify        = "notify"
	AutoWebhook       = "webhook"
	AutoSetAttributes = "set_attributes"
)

// WebhookTimeout bounds one webhook POST when the HTTP client has no
// timeout of its own.
const WebhookTimeout = 10 * time.Second

// Activities holds the dependencies of the activities.
type Activities struct {
	// Store is required.
	Store store.Store
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// WebhookURL, when set, receives every notification as a JSON POST,
	// and is the default target of auto:webhook.
	WebhookURL string
	// HTTPClient defaults to a client with WebhookTimeout. Its timeout
	// is kept; its transport serves only WebhookURL: a URL a flow names
	// goes through the egress transport (decision 0021).
	HTTPClient *http.Client
	// WebhookAllow lists the internal receivers a flow's webhook may
	// reach (nil: flow.DefaultWebhookAllow(), FLOWLAB_WEBHOOK_ALLOW).
	WebhookAllow *flow.WebhookAllow

	egressOnce sync.Once
	egress     *http.Transport
	// ReopenWindow: a case reopened within this time of its close counts
	// as not resolved at first contact. Default DefaultReopenWindow (7d).
	ReopenWindow time.Duration
	// Metrics, when set, counts tasks opened and closed, escalations and
	// SLA breaches. The counters move when an activity's store write
	// succeeds; an attempt that succeeded but whose result Temporal lost
	// (a worker dying just after it) is retried and counted again.
	Metrics *obs.Metrics
}

// Register registers every activity under its protocol name on r (a
// worker.Worker, or any worker.ActivityRegistry such as a test environment).
func (a *Activities) Register(r worker.ActivityRegistry) {
	reg := func(fn any, name string) {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	reg(a.OpenTask, workflows.ActivityOpenTask)
	reg(a.AssignTask, workflows.ActivityAssignTask)
	reg(a.CloseTask, workflows.ActivityCloseTask)
	reg(a.RecordSpan, workflows.ActivityRecordSpan)
	reg(a.Escalate, workflows.ActivityEscalate)
	reg(a.Notify, workflows.ActivityNotify)
	reg(a.UpdateCase, workflows.ActivityUpdateCase)
	reg(a.RecordFollowUp, workflows.ActivityRecordFollowUp)
	reg(a.AutoNotify, workflows.ActivityAutoPrefix+AutoNotify)
	reg(a.AutoWebhook, workflows.ActivityAutoPrefix+AutoWebhook)
	reg(a.AutoSetAttributes, workflows.ActivityAutoPrefix+AutoSetAttributes)
	reg(a.AutoBaseline, workflows.ActivityAutoPrefix+AutoBaseline)
	reg(a.AutoPilotResults, workflows.ActivityAutoPrefix+AutoPilotResults)
	reg(a.AutoPromotePilot, workflows.ActivityAutoPrefix+AutoPromotePilot)
	reg(a.CreatePilot, workflows.ActivityCreatePilot)
	reg(a.EvaluatePilot, workflows.ActivityEvaluatePilot)
	reg(a.EndPilot, workflows.ActivityEndPilot)
	reg(a.EvaluateAlert, workflows.ActivityEvaluateAlert)
	reg(a.DeliverAlert, workflows.ActivityDeliverAlert)
	reg(a.RunSimulation, workflows.ActivityRunSimulation)
	reg(a.FailSimulation, workflows.ActivityFailSimulation)
	reg(a.PredictPilot, workflows.ActivityPredictPilot)
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Activities) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return &http.Client{Timeout: WebhookTimeout}
}

// OpenTask writes the task row; the store makes it idempotent on
// (CaseID, Seq). With an assignment (since change assign-at-open) the
// store also assigns the task in the transaction that writes it, by the
// spec AssignTask would use (decision 0036); a repeat returns the task as
// the first attempt left it.
func (a *Activities) OpenTask(ctx context.Context, in workflows.OpenTaskInput) error {
	var form json.RawMessage
	if len(in.Form) > 0 {
		b, err := json.Marshal(in.Form)
		if err != nil {
			return temporal.NewNonRetryableApplicationError("open task: encode form", "InvalidInput", err)
		}
		form = b
	}
	var spec *store.AssignSpec
	if in.Assign != nil {
		s, ok, err := a.assignSpec(ctx, in.CaseID, *in.Assign)
		if err != nil {
			return fmt.Errorf("open task %s: %w", in.TaskID, err)
		}
		if ok {
			spec = &s
		}
	}
	_, err := a.Store.OpenTask(ctx, store.OpenTaskParams{
		ID:         in.TaskID,
		CaseID:     in.CaseID,
		Seq:        in.Seq,
		Flow:       in.Flow,
		Version:    in.Version,
		Variant:    in.Variant,
		Step:       in.Step,
		StepName:   in.StepName,
		Department: in.Department,
		Roles:      in.Roles,
		Outcomes:   in.Outcomes,
		Form:       form,
		OpenedAt:   in.OpenedAt,
		SLADue:     in.SLADue,
		Assign:     spec,
	})
	if err != nil {
		return fmt.Errorf("open task %s: %w", in.TaskID, err)
	}
	if a.Metrics != nil {
		a.Metrics.TasksOpened.WithLabelValues(in.Flow, in.Step, in.Department).Inc()
	}
	return nil
}

// CloseTask completes or cancels a task and records its span in one store
// transaction. A completion retried after it succeeded is no error (the
// store returns the row when the CompletionID matches); a conflict with a
// different completion is not retried.
func (a *Activities) CloseTask(ctx context.Context, in workflows.CloseTaskInput) error {
	span := spanFromInput(in.Span)
	switch in.Status {
	case workflows.StatusCompleted:
		var data json.RawMessage
		if in.Data != nil {
			b, err := json.Marshal(in.Data)
			if err != nil {
				return temporal.NewNonRetryableApplicationError("close task: encode data", "InvalidInput", err)
			}
			data = b
		}
		_, err := a.Store.CompleteTask(ctx, store.CompleteTaskParams{
			ID:           in.TaskID,
			Outcome:      in.Outcome,
			Data:         data,
			Actor:        in.ActorID,
			CompletionID: in.CompletionID,
			At:           in.Span.CompletedAt,
			Span:         span,
			Audit:        CompletionAudit(in),
		})
		if errors.Is(err, store.ErrConflict) {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("close task %s: claimed by another actor or closed by another completion", in.TaskID), workflows.ErrTaskConflict, err)
		}
		if err != nil {
			return fmt.Errorf("close task %s: %w", in.TaskID, err)
		}
		if err := a.answerFollowUp(ctx, in); err != nil {
			return err
		}
		a.countClosed(in.Span, in.Outcome)
		return nil
	case workflows.StatusCancelled:
		_, err := a.Store.CancelTask(ctx, store.CancelTaskParams{ID: in.TaskID, At: in.Span.CompletedAt, Span: span})
		if errors.Is(err, store.ErrNotFound) {
			// The task was never opened: nothing to cancel.
			a.logger().InfoContext(ctx, "cancel task: no such task", "task", in.TaskID, "case", in.Span.CaseID)
			return nil
		}
		if err != nil {
			return fmt.Errorf("cancel task %s: %w", in.TaskID, err)
		}
		outcome := in.Span.Outcome
		if outcome == "" {
			outcome = "cancelled"
		}
		a.countClosed(in.Span, outcome)
		return nil
	default:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("close task %s: unknown status %q", in.TaskID, in.Status), "InvalidInput", nil)
	}
}

// answerFollowUp keeps the outcome and answers of a follow-up call with
// the case's follow-up (decision 0041), after the task closed; a retry
// (the task is then returned as completed) writes nothing new, since the
// store keeps the first answers. Other tasks have no FollowUp.
func (a *Activities) answerFollowUp(ctx context.Context, in workflows.CloseTaskInput) error {
	f := in.FollowUp
	if f == nil {
		return nil
	}
	_, err := a.Store.AnswerFollowUp(ctx, store.AnswerFollowUpParams{
		CaseID:      f.CaseID,
		TaskID:      in.TaskID,
		Outcome:     f.Outcome,
		Improvement: f.Improvement,
		CSAT:        f.CSAT,
		Comment:     f.Comment,
		Actor:       in.ActorID,
		At:          in.Span.CompletedAt,
	})
	if errors.Is(err, store.ErrNotFound) {
		// The case has no follow-up row with this call (the workflow
		// records it before the call opens, so this is not expected). A
		// retry would not change that, and failing would leave the task
		// completed while the case waits on it: the answers are lost,
		// which the log says.
		a.logger().WarnContext(ctx, "follow-up answers not kept: the case has no follow-up call with this task",
			"task", in.TaskID, "case", f.CaseID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("close task %s: keep the follow-up's answers: %w", in.TaskID, err)
	}
	return nil
}

// RecordFollowUp records a completed case's follow-up (decision 0041):
// whether the sample picked it, and the call task a sampled case opens
// when it is due. Idempotent on the case in the store.
func (a *Activities) RecordFollowUp(ctx context.Context, in workflows.RecordFollowUpInput) error {
	_, err := a.Store.RecordFollowUp(ctx, store.RecordFollowUpParams{
		CaseID: in.CaseID, Share: in.Share, Sampled: in.Sampled, TaskID: in.TaskID, DueAt: in.DueAt, At: in.At,
	})
	if err != nil {
		return fmt.Errorf("record follow-up of case %s: %w", in.CaseID, err)
	}
	return nil
}

// CompletionAudit is the audit entry of a task completion, written in the
// transaction that closes the task (decision 0022): a committed completion
// has its entry whether or not the API could answer. Its key is the
// completion id (the Update ID), so a retried activity writes it once.
func CompletionAudit(in workflows.CloseTaskInput) *store.AuditEntry {
	details, _ := json.Marshal(map[string]string{"outcome": in.Outcome, "update_id": in.CompletionID}) // cannot fail
	e := &store.AuditEntry{
		At:        in.Span.CompletedAt,
		Actor:     in.ActorID,
		Action:    "task.complete",
		Object:    "task:" + in.TaskID,
		CaseID:    in.Span.CaseID,
		RequestID: in.RequestID,
		Details:   details,
	}
	if in.CompletionID != "" {
		e.Key = "task.complete:" + in.CompletionID
	}
	return e
}

// RecordSpan records the span of a non-task step (idempotent on CaseID,
// Seq in the store).
func (a *Activities) RecordSpan(ctx context.Context, in workflows.SpanInput) error {
	if err := a.Store.RecordSpan(ctx, spanFromInput(in)); err != nil {
		return fmt.Errorf("record span %s/%d: %w", in.CaseID, in.Seq, err)
	}
	if a.Metrics != nil && in.Breached {
		step := in.Step
		if in.Kind == "end" {
			step = "" // the end step's span carries the case SLA
		}
		a.Metrics.SLABreaches.WithLabelValues(in.Flow, step).Inc()
	}
	return nil
}

// countClosed counts a closed task and, when it closed after its SLA, the
// breach.
func (a *Activities) countClosed(span workflows.SpanInput, outcome string) {
	if a.Metrics == nil {
		return
	}
	a.Metrics.TasksClosed.WithLabelValues(span.Flow, span.Step, span.Department, outcome).Inc()
	if span.Breached {
		a.Metrics.SLABreaches.WithLabelValues(span.Flow, span.Step).Inc()
	}
}

func spanFromInput(in workflows.SpanInput) store.Span {
	return store.Span{
		CaseID:          in.CaseID,
		Seq:             in.Seq,
		Flow:            in.Flow,
		Version:         in.Version,
		Variant:         in.Variant,
		Step:            in.Step,
		Kind:            in.Kind,
		Department:      in.Department,
		EnteredAt:       in.EnteredAt,
		CompletedAt:     in.CompletedAt,
		Outcome:         in.Outcome,
		SLADue:          in.SLADue,
		Breached:        in.Breached,
		EscalationLevel: in.EscalationLevel,
		Actor:           in.Actor,
	}
}

// Escalate raises the task's escalation level (moving it to another
// department when set, giving it to a team lead or back to the pool when
// Assign says so), appends an audit entry and, when Notify is set, gives
// the people it names an in-app notification and notifies the target
// through Notify (log and webhook). A task that was closed meanwhile is
// left alone.
func (a *Activities) Escalate(ctx context.Context, in workflows.EscalateInput) error {
	assign, err := escalationAssign(in.Assign)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("escalate task %s: %v", in.TaskID, err), "InvalidInput", nil)
	}
	// The in-app notifications are written before the escalation, from
	// the task as it was (its holder, its department), so that an attempt
	// retried after the escalation was written finds the level reached
	// and knows they are written too: each is written once, for the
	// people the target named at the level (the workflow closes no task
	// while its escalation runs).
	if in.Notify != "" {
		if err := a.notifyEscalated(ctx, in); err != nil {
			return fmt.Errorf("escalate task %s: %w", in.TaskID, err)
		}
	}
	t, err := a.Store.EscalateTask(ctx, store.EscalateTaskParams{
		ID:         in.TaskID,
		Level:      in.Level,
		Department: in.Department,
		At:         in.At,
		Assign:     assign,
	})
	if errors.Is(err, store.ErrConflict) {
		a.logger().InfoContext(ctx, "escalate: task no longer open", "task", in.TaskID, "level", in.Level)
		return nil
	}
	if err != nil {
		return fmt.Errorf("escalate task %s: %w", in.TaskID, err)
	}
	if a.Metrics != nil {
		a.Metrics.Escalations.WithLabelValues(t.Flow, in.Step, strconv.Itoa(in.Level)).Inc()
	}
	fields := map[string]any{
		"level":      in.Level,
		"step":       in.Step,
		"department": t.Department,
		"notify":     in.Notify,
	}
	if in.Assign != "" {
		fields["assign"] = in.Assign
		fields["assignee"] = t.Assignee
	}
	details, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("escalate task %s: encode audit: %w", in.TaskID, err)
	}
	// Keyed by the escalation (a task reaches each level once), so an
	// attempt retried after the entry was written appends nothing.
	if err := a.Store.AppendAudit(ctx, store.AuditEntry{
		At:      in.At,
		Actor:   "system",
		Action:  "task.escalate",
		Object:  "task:" + in.TaskID,
		CaseID:  in.CaseID,
		Details: details,
		Key:     fmt.Sprintf("task.escalate:%s:%d", in.TaskID, in.Level),
	}); err != nil {
		return fmt.Errorf("escalate task %s: audit: %w", in.TaskID, err)
	}
	if in.Notify != "" {
		msg := fmt.Sprintf("task %s at step %s escalated to level %d", in.TaskID, in.Step, in.Level)
		if in.Department != "" {
			msg += ", moved to " + in.Department
		}
		data := map[string]any{"task": in.TaskID, "level": in.Level, "department": t.Department}
		switch {
		case assign == store.AssignTeamLead && t.Assignee != "":
			msg += ", given to " + t.Assignee
			data["assignee"] = t.Assignee
		case assign != "":
			msg += ", returned to the pool"
		}
		if err := a.Notify(ctx, workflows.NotifyInput{
			CaseID:  in.CaseID,
			Step:    in.Step,
			Target:  in.Notify,
			Message: msg,
			Data:    data,
		}); err != nil {
			return fmt.Errorf("escalate task %s: %w", in.TaskID, err)
		}
	}
	return nil
}

// escalationAssign maps an escalation level's assign, in the flow's words,
// to the store's.
func escalationAssign(s string) (string, error) {
	switch s {
	case "":
		return "", nil
	case flow.EscalateTeamLead:
		return store.AssignTeamLead, nil
	case flow.EscalatePool:
		return store.AssignPull, nil
	}
	return "", fmt.Errorf("unknown escalation assign %q", s)
}

// notifyEscalated writes the in-app task.escalated notifications of an
// escalation level for the people its Notify target names, unless the
// task is closed or reached the level already (an earlier attempt wrote
// them). Their ids are those of the task, person and level, so a retry
// inserts each once.
func (a *Activities) notifyEscalated(ctx context.Context, in workflows.EscalateInput) error {
	task, err := a.Store.GetTask(ctx, in.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // EscalateTask reports it
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if task.Status != store.TaskOpen || task.EscalationLevel >= in.Level {
		return nil
	}
	dept := task.Department
	if in.Department != "" {
		dept = in.Department
	}
	to, err := EscalationRecipients(ctx, a.Store, in.Notify, dept, task.Assignee)
	if err != nil {
		return fmt.Errorf("notify %s: %w", in.Notify, err)
	}
	if len(to) == 0 {
		return nil
	}
	ns := make([]store.Notification, len(to))
	for i, actor := range to {
		ns[i] = store.Notification{
			ID:      store.NotificationID(store.NotifyEscalated, task.ID, actor, int64(in.Level)),
			ActorID: actor, Kind: store.NotifyEscalated, TaskID: task.ID, CaseID: task.CaseID,
			Details: store.NotificationDetails{Flow: task.Flow, Step: task.Step, StepName: task.StepName, Department: dept,
				SLADue: task.SLADue, Level: in.Level, Target: in.Notify},
			CreatedAt: in.At,
		}
	}
	if err := a.Store.CreateNotifications(ctx, ns); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// EscalationRecipients are the actors an escalation level's notify target
// names, sorted and without repeats, as st knows them now:
//
//   - "assignee": holder, whoever held the task before the level (nobody
//     when it was in the pool);
//   - "team_lead": the team leads of department, the task's department
//     after the level (the one it moves to, when it moves);
//   - "<d>_lead" or "<d>_leads": the team leads of department d, the
//     actors of d whose Leads include it (customer_service_lead);
//   - an actor's id: that actor;
//   - anything else: nobody (the target is only logged and sent to the
//     webhook).
func EscalationRecipients(ctx context.Context, st store.Store, target, department, holder string) ([]string, error) {
	var actor, leadsOf string
	switch {
	case target == "assignee":
		actor = holder
	case target == flow.EscalateTeamLead:
		leadsOf = department
	case strings.HasSuffix(target, "_leads"):
		leadsOf = strings.TrimSuffix(target, "_leads")
	case strings.HasSuffix(target, "_lead"):
		leadsOf = strings.TrimSuffix(target, "_lead")
	default:
		actor = target
	}
	var out []string
	if actor != "" {
		_, err := st.GetActor(ctx, actor)
		switch {
		case err == nil:
			out = append(out, actor)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if leadsOf != "" {
		const page = 1000
		for after := ""; ; {
			people, err := st.ListPeople(ctx, store.ListPeopleParams{Department: leadsOf, After: after, Limit: page})
			if err != nil {
				return nil, err
			}
			for _, p := range people {
				if slices.Contains(p.Leads, leadsOf) {
					out = append(out, p.ActorID)
				}
			}
			if len(people) < page {
				break
			}
			after = people[len(people)-1].ActorID
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Notify logs the notification and, when WebhookURL is set, POSTs it as
// JSON; a non-2xx answer is an error so Temporal retries. Every attempt of
// one activity sends the same Idempotency-Key header (see post), so the
// receiver can drop the repeat of a POST whose answer was lost.
func (a *Activities) Notify(ctx context.Context, in workflows.NotifyInput) error {
	a.logger().InfoContext(ctx, "notify", "case", in.CaseID, "step", in.Step, "target", in.Target, "message", in.Message)
	if a.WebhookURL == "" {
		return nil
	}
	if err := a.post(ctx, a.WebhookURL, false, map[string]any{"type": "notification", "notification": in}); err != nil {
		return fmt.Errorf("notify %s: %w", in.Target, err)
	}
	return nil
}

// UpdateCase writes the case's status, current step and attributes.
func (a *Activities) UpdateCase(ctx context.Context, in workflows.UpdateCaseInput) error {
	p := store.UpdateCaseParams{ID: in.CaseID, ClosedAt: in.ClosedAt, SLADue: in.SLADue, At: in.At}
	if in.Version > 0 {
		v := in.Version
		p.Version = &v
	}
	if in.Status != "" {
		status := in.Status
		p.Status = &status
	}
	step := in.Step
	if in.ClosedAt != nil {
		step = ""
	}
	p.Step = &step
	if in.Attributes != nil {
		b, err := json.Marshal(in.Attributes)
		if err != nil {
			return temporal.NewNonRetryableApplicationError("update case: encode attributes", "InvalidInput", err)
		}
		p.Attributes = b
	}
	if err := a.Store.UpdateCase(ctx, p); err != nil {
		return fmt.Errorf("update case %s: %w", in.CaseID, err)
	}
	return nil
}

// AutoNotify is the auto:notify step: Notify with params target (or to;
// "customer" or none means the case's customer) and message (or template,
// sent as "template:<name>").
func (a *Activities) AutoNotify(ctx context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	target, _ := in.Params["target"].(string)
	if target == "" {
		target, _ = in.Params["to"].(string)
	}
	if target == "" || target == "customer" {
		target = in.Customer
	}
	message, _ := in.Params["message"].(string)
	if template, _ := in.Params["template"].(string); message == "" && template != "" {
		message = "template:" + template
	}
	err := a.Notify(ctx, workflows.NotifyInput{
		CaseID:  in.CaseID,
		Step:    in.Step,
		Target:  target,
		Message: message,
		Data:    map[string]any{"flow": in.Flow, "channel": in.Channel},
	})
	if err != nil {
		return workflows.AutoResult{}, fmt.Errorf("auto notify: %w", err)
	}
	return workflows.AutoResult{}, nil
}

// AutoWebhook is the auto:webhook step: POST the case (id, flow, step,
// customer, channel, attributes, params) as JSON to params.url, or to
// WebhookURL when the step names none. A flow's URL is held to the egress
// rules (decision 0021): http or https, no internal address unless the
// operator allows it, checked on every address dialled; no redirects.
func (a *Activities) AutoWebhook(ctx context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	url, _ := in.Params["url"].(string)
	untrusted := url != ""
	if url == "" {
		url = a.WebhookURL
	}
	if url == "" {
		return workflows.AutoResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("auto webhook at step %s: no params.url and no webhook configured", in.Step), "NoWebhook", nil)
	}
	if err := a.post(ctx, url, untrusted, map[string]any{"type": "case", "case": in}); err != nil {
		return workflows.AutoResult{}, fmt.Errorf("auto webhook: %w", err)
	}
	return workflows.AutoResult{}, nil
}

// AutoSetAttributes is the auto:set_attributes step: its params become
// case attributes.
func (a *Activities) AutoSetAttributes(_ context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	return workflows.AutoResult{Attributes: in.Params}, nil
}

// WebhookIdempotencyHeader carries, on every webhook POST, a key that is the
// same for every attempt of one activity and differs between activities:
// an activity retried after its POST went through (the worker died before
// reporting, the answer was lost) sends it again with the same key.
const WebhookIdempotencyHeader = "Idempotency-Key"

// webhookKey is "flowlab:" + workflow id + run id + activity id of the
// running activity; "" outside an activity.
func webhookKey(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	info := activity.GetInfo(ctx)
	return "flowlab:" + info.WorkflowExecution.ID + ":" + info.WorkflowExecution.RunID + ":" + info.ActivityID
}

// post sends body as JSON to url and fails on transport errors and non-2xx
// statuses. untrusted says url came from a flow, not the operator: the
// egress rules apply. A refused URL or address and a redirect are not
// retried.
func (a *Activities) post(ctx context.Context, url string, untrusted bool, body any) error {
	return a.postKeyed(ctx, url, untrusted, webhookKey(ctx), body)
}

// postKeyed is post with the Idempotency-Key given ("" sends none).
func (a *Activities) postKeyed(ctx context.Context, url string, untrusted bool, key string, body any) error {
	if err := a.checkWebhookURL(url, untrusted); err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode webhook body", "InvalidInput", err)
	}
	c := a.webhookClient(untrusted)
	if c.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, WebhookTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return temporal.NewNonRetryableApplicationError("build webhook request", "InvalidInput", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(WebhookIdempotencyHeader, key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return webhookError(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		msg := fmt.Sprintf("post webhook: the receiver answered %s, a redirect to %q; redirects are not followed: use the final URL", resp.Status, resp.Header.Get("Location"))
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookRefused, nil)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post webhook: status %s", resp.Status)
	}
	return nil
}

// AssignTask gives a just opened task to a person by its step's rules, in
// order, through the store (decision 0035): the decision is made in one
// store transaction, so it is the same however often the activity runs (a
// task already assigned stays with its assignee). A task no rule finds a
// person for stays in the pool; a task already closed (completed before
// this ran) is left alone. Runs recorded before change assign-at-open run
// it; later ones assign in OpenTask.
func (a *Activities) AssignTask(ctx context.Context, in workflows.AssignTaskInput) (workflows.AssignTaskResult, error) {
	spec, ok, err := a.assignSpec(ctx, in.CaseID, in.Assignment)
	if err != nil || !ok {
		return workflows.AssignTaskResult{}, err
	}
	t, ok, err := a.Store.AssignTask(ctx, store.AssignTaskParams{TaskID: in.TaskID, Spec: spec, At: in.At})
	switch {
	case errors.Is(err, store.ErrConflict):
		return workflows.AssignTaskResult{}, nil
	case err != nil:
		return workflows.AssignTaskResult{}, fmt.Errorf("assign task %s: %w", in.TaskID, err)
	case ok:
		return workflows.AssignTaskResult{Assignee: t.Assignee, Rule: t.AssignRule}, nil
	default:
		return workflows.AssignTaskResult{Assignee: t.Assignee}, nil // assigned by an earlier attempt, or waiting
	}
}

// assignSpec is the store's spec of a task's assignment in case caseID:
// the rules up to pull, the skills, the sticky people resolved from the
// store, accept_within. false: no rule before pull, nothing to assign.
func (a *Activities) assignSpec(ctx context.Context, caseID string, in workflows.Assignment) (store.AssignSpec, bool, error) {
	spec := store.AssignSpec{Skills: in.Skills, AcceptWithin: in.AcceptWithin}
	for _, rule := range in.Rules {
		if rule == store.AssignPull {
			break
		}
		spec.Rules = append(spec.Rules, rule)
	}
	if len(spec.Rules) == 0 {
		return spec, false, nil
	}
	if slices.Contains(spec.Rules, store.AssignSticky) {
		prefer, err := a.stickyPeople(ctx, caseID, in)
		if err != nil {
			return spec, false, err
		}
		spec.Prefer = prefer
	}
	return spec, true, nil
}

// stickyMaxCases bounds the customer's earlier cases read for sticky.
const stickyMaxCases = 20

// stickyPeople are the people the sticky rule prefers, in order: who
// completed the named steps of this case (the latest first), then who
// completed the latest task of the customer's other recent cases.
func (a *Activities) stickyPeople(ctx context.Context, caseID string, in workflows.Assignment) ([]string, error) {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	// latest is who completed the last of the tasks that pass keep.
	latest := func(tasks []store.Task, keep func(store.Task) bool) string {
		var who string
		var at time.Time
		for _, t := range tasks {
			if keep(t) && t.CompletedAt != nil && t.CompletedBy != "" && t.CompletedAt.After(at) {
				who, at = t.CompletedBy, *t.CompletedAt
			}
		}
		return who
	}
	tasks, err := a.Store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskCompleted, Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("sticky: tasks of case %s: %w", caseID, err)
	}
	for _, step := range in.StickySteps {
		add(latest(tasks, func(t store.Task) bool { return t.Step == step }))
	}
	if in.StickyCustomer && in.Customer != "" {
		cases, err := a.Store.ListCases(ctx, store.ListCasesParams{Customer: in.Customer, Limit: stickyMaxCases})
		if err != nil {
			return nil, fmt.Errorf("sticky: cases of the customer: %w", err)
		}
		for _, c := range cases {
			if c.ID == caseID {
				continue
			}
			ts, err := a.Store.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID, Status: store.TaskCompleted, Limit: 1000})
			if err != nil {
				return nil, fmt.Errorf("sticky: tasks of case %s: %w", c.ID, err)
			}
			add(latest(ts, func(store.Task) bool { return true }))
		}
	}
	return out, nil
}
