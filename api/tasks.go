package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// taskRoutes are the routes of tasks: inboxes, claim, release, assign, complete (apiRoutes joins every
// resource's table).
var taskRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/tasks", ID: "listTasks", Tag: "tasks",
		Summary: "List tasks by SLA due time",
		Description: "Tasks ordered by sla_due (tasks without SLA last), opened_at, id. Staff see only their departments: " +
			"without `department` the list covers all of them, another department is 403. `from`/`to` bound opened_at. " +
			"Each task carries its case's `customer` and `channel` (an inbox shows whom it serves). " + descPaging,
		Params: apiv1.ListTasksParams{},
		Status: http.StatusOK, Response: apiv1.TaskList{}, Example: apiv1.TaskList{Tasks: []apiv1.Task{exampleTask}, NextCursor: exampleCursor},
		Errors: []int{403},
		Handle: (*API).listTasks,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/tasks/{id}", ID: "getTask", Tag: "tasks",
		Summary: "Get a task",
		Params:  apiv1.TaskIDParams{},
		Status:  http.StatusOK, Response: apiv1.Task{}, Example: exampleTask,
		Errors: []int{404},
		Handle: (*API).getTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/claim", ID: "claimTask", Tag: "tasks",
		Summary:     "Claim a task",
		Description: "Assigns the open task to the caller; only actors of the task's department (and admins) may.",
		Params:      apiv1.TaskIDParams{},
		Status:      http.StatusOK, Response: apiv1.Task{}, Example: exampleClaimedTask,
		Errors: []int{403, 404, 409},
		Audit:  []string{"task.claim"},
		Handle: (*API).claimTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/unclaim", ID: "unclaimTask", Tag: "tasks",
		Summary: "Unclaim a task",
		Description: "Clears the assignee. The claimant may; so may a team lead of the task's department (`leads` of the token) and " +
			"an admin, who release another actor's claim (audited with `released_from`). Anyone else gets a 409 that names the claimant.",
		Params: apiv1.TaskIDParams{},
		Status: http.StatusOK, Response: apiv1.Task{}, Example: exampleTask,
		Errors: []int{403, 404, 409},
		Audit:  []string{"task.unclaim"},
		Handle: (*API).unclaimTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/assign", ID: "assignTask", Tag: "tasks",
		Summary: "Reassign a task",
		Description: "Gives the open task to `actor`, who must work in the task's department (422), whoever holds it now. Only a team lead " +
			"of the task's department and admins may (403). Audited as `task.assign` with `from` and `to`.",
		Params: apiv1.TaskIDParams{},
		Body:   apiv1.AssignRequest{}, BodyExample: apiv1.AssignRequest{Actor: exampleTokenResponse.Actor.ID},
		Status: http.StatusOK, Response: apiv1.Task{}, Example: exampleClaimedTask,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"task.assign"},
		Handle: (*API).assignTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/complete", ID: "completeTask", Tag: "tasks",
		Summary: "Complete a task",
		Description: "Completes the task through the case workflow's `complete` Update and returns the next open tasks. " +
			"A retry with the same `Idempotency-Key` after success replays the result (`Idempotent-Replayed: true`); completing a closed task is 409.",
		Params: apiv1.CompleteParams{},
		Body:   apiv1.CompleteRequest{}, BodyExample: apiv1.CompleteRequest{Outcome: "recorded", Data: map[string]any{"severity": "primary", "summary": "Router drops the line every evening"}},
		Status: http.StatusOK, Response: apiv1.CompleteResponse{}, Example: exampleCompletion,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"task.complete"},
		Handle: (*API).completeTask,
	},
}

// listTasks lists tasks ordered by SLA due time, a page at a time. status
// defaults to open ("any" lists all); assignee "me" is the caller. Staff
// see only their departments: without a department parameter the list
// covers all of them, another department is 403.
func (s *API) listTasks(w http.ResponseWriter, r *http.Request) error {
	actor := httpx.ActorFrom(r.Context())
	q, err := httpx.ParamsOf[apiv1.ListTasksParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	after, err := taskCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	p := store.ListTasksParams{
		Department: q.Department,
		Status:     q.Status,
		Assignee:   q.Assignee,
		CaseID:     q.CaseID,
		From:       from,
		To:         to,
		After:      after,
		Limit:      q.Limit + 1, // one more tells whether a next page exists
	}
	if p.Status == "any" {
		p.Status = ""
	}
	switch p.Assignee {
	case "me":
		p.Assignee = actor.ID
	case "none":
		p.Assignee, p.Unclaimed = "", true
	}
	// Staff and improvers see their departments' inboxes only. A case is
	// readable by everyone, its tasks included (the record is the handoff:
	// the next department reads what the one before recorded), so with
	// case_id the departments are not restricted.
	if authz.DepartmentBound(actor.Role) && p.CaseID == "" {
		if p.Department == "" {
			p.Departments = actor.Departments
			if len(p.Departments) == 0 {
				return httpx.Forbidden("you belong to no department")
			}
		} else if !authz.InDepartment(actor.Role, actor.Departments, p.Department) {
			return httpx.Forbidden(fmt.Sprintf("you may not see the inbox of department %q", p.Department))
		}
	}
	tasks, err := s.store.ListTasks(r.Context(), p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list tasks: %w", err), "tasks")
	}
	out := apiv1.TaskList{}
	if len(tasks) > q.Limit {
		tasks = tasks[:q.Limit]
		last := tasks[len(tasks)-1]
		out.NextCursor, err = httpx.EncodeCursor(taskCursorJSON{SLADue: utcPtr(last.SLADue), OpenedAt: last.OpenedAt.UTC(), ID: last.ID})
		if err != nil {
			return httpx.Internal(err)
		}
	}
	out.Tasks = toTasksJSON(tasks)
	if err := s.withCaseContacts(r.Context(), out.Tasks); err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) loadTask(r *http.Request) (store.Task, error) {
	id := chi.URLParam(r, "id")
	t, err := s.store.GetTask(r.Context(), id)
	if err != nil {
		return t, httpx.StoreProblem(fmt.Errorf("get task: %w", err), fmt.Sprintf("task %q", id))
	}
	return t, nil
}

// getTask returns one task; any authenticated actor may read it.
func (s *API) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTask(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// loadTaskToAct loads a task and checks the caller may act on it.
func (s *API) loadTaskToAct(r *http.Request) (store.Task, error) {
	t, err := s.loadTask(r)
	if err != nil {
		return t, err
	}
	if a := httpx.ActorFrom(r.Context()); !authz.InDepartment(a.Role, a.Departments, t.Department) {
		return t, httpx.Forbidden(fmt.Sprintf("task %q belongs to department %q, which you do not work in", t.ID, t.Department))
	}
	return t, nil
}

// claimTask assigns an open task to the caller.
func (s *API) claimTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(r.Context())
	if t.Status != store.TaskOpen {
		return httpx.Conflict(fmt.Sprintf("task %q is %s", t.ID, t.Status))
	}
	if t.Assignee != "" && t.Assignee != actor.ID {
		return s.claimedConflict(r.Context(), t)
	}
	t, err = s.store.ClaimTask(r.Context(), store.ClaimTaskParams{ID: t.ID, Actor: actor.ID, At: s.now().UTC()})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("claim task: %w", err), "task")
	}
	s.audit(r, store.AuditEntry{Action: "task.claim", Object: "task:" + t.ID, CaseID: t.CaseID})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// unclaimTask clears the assignee; admins and the team leads of the task's
// department may clear another actor's claim (release a stuck task).
func (s *API) unclaimTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(r.Context())
	if t.Status != store.TaskOpen {
		return httpx.Conflict(fmt.Sprintf("task %q is %s", t.ID, t.Status))
	}
	force := authz.Leads(actor.Role, actor.Departments, actor.Leads, t.Department)
	if t.Assignee != "" && t.Assignee != actor.ID && !force {
		return s.claimedConflict(r.Context(), t)
	}
	released := t.Assignee
	t, err = s.store.UnclaimTask(r.Context(), store.UnclaimTaskParams{ID: t.ID, Actor: actor.ID, Force: force})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("unclaim task: %w", err), "task")
	}
	var details []byte
	if released != "" && released != actor.ID {
		details = mustJSON(map[string]any{"released_from": released})
	}
	s.audit(r, store.AuditEntry{Action: "task.unclaim", Object: "task:" + t.ID, CaseID: t.CaseID, Details: details})
	// Back in the pool: a rule may offer it to someone else, and whoever
	// gave it back has room for another.
	s.assignWaiting(r.Context(), t.Department)
	if cur, err := s.store.GetTask(r.Context(), t.ID); err == nil {
		t = cur
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// assignTask gives an open task to another actor of its department,
// whoever holds it now: the way a team lead (or an admin) moves a task
// someone left claimed. Audited as task.assign with who had it.
func (s *API) assignTask(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.AssignRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Actor = strings.TrimSpace(req.Actor)
	if req.Actor == "" {
		return httpx.Invalid(apiv1.FieldError{Field: "actor", Message: "is required"})
	}
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	if !authz.Leads(actor.Role, actor.Departments, actor.Leads, t.Department) {
		return httpx.Forbidden(fmt.Sprintf("only a team lead of %s or an admin may reassign task %q; you lead %s",
			t.Department, t.ID, departmentsText(actor.Leads)))
	}
	if t.Status != store.TaskOpen {
		return httpx.Conflict(fmt.Sprintf("task %q is %s", t.ID, t.Status))
	}
	to, err := s.store.GetActor(ctx, req.Actor)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return httpx.Invalid(apiv1.FieldError{Field: "actor", Message: fmt.Sprintf("no actor %q", req.Actor)})
		}
		return httpx.StoreProblem(fmt.Errorf("get actor: %w", err), "actor")
	}
	if !slices.Contains(to.Departments, t.Department) {
		return httpx.Invalid(apiv1.FieldError{Field: "actor", Message: fmt.Sprintf("%s does not work in %s, the task's department", s.actorName(ctx, to.ID), t.Department)})
	}
	from := t.Assignee
	if t, err = s.store.ReassignTask(ctx, store.ReassignTaskParams{ID: t.ID, To: to.ID, By: actor.ID, At: s.now().UTC()}); err != nil {
		return httpx.StoreProblem(fmt.Errorf("reassign task: %w", err), "task")
	}
	if from != "" && from != to.ID {
		// The one who had it has room again.
		s.assignWaiting(ctx, t.Department)
	}
	s.audit(r, store.AuditEntry{Action: "task.assign", Object: "task:" + t.ID, CaseID: t.CaseID,
		Details: mustJSON(map[string]any{"from": from, "to": to.ID})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// completeTask completes a task through the case workflow's complete
// Update. The Update ID is derived from the task, the actor and the Idempotency-Key
// (a fresh uuid without one), so a retried click completes nothing twice;
// a retry after success replays the result (200, Idempotent-Replayed).
func (s *API) completeTask(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var req apiv1.CompleteRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Outcome = strings.TrimSpace(req.Outcome)
	if req.Outcome == "" {
		return httpx.Invalid(apiv1.FieldError{Field: "outcome", Message: "is required"})
	}
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(r.Context())
	if key == "" {
		key = uuid.NewString()
	}
	// Scoped to the task and the actor: a key reused elsewhere never
	// replays another completion.
	updateID := "complete:" + t.ID + ":" + actor.ID + ":" + key

	if t.Status != store.TaskOpen {
		if t.Status == store.TaskCompleted && t.CompletionID == updateID {
			w.Header().Set(ReplayedHeader, "true")
			return s.writeCompletion(w, r, t.ID, t.CaseID, "")
		}
		return httpx.Conflict(fmt.Sprintf("task %q is already %s", t.ID, t.Status))
	}
	if t.Assignee != "" && t.Assignee != actor.ID && actor.Role != store.RoleAdmin {
		return s.claimedConflict(r.Context(), t)
	}
	c, err := s.store.GetCase(r.Context(), t.CaseID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("case of task: %w", err), "case of the task")
	}
	ectx, cancel := s.engineCtx(r.Context())
	defer cancel()
	res, err := s.eng.Complete(ectx, c.WorkflowID, updateID, workflows.CompleteRequest{
		TaskID: t.ID, Outcome: req.Outcome, Data: req.Data,
		ActorID: actor.ID, ActorRole: actor.Role, ActorDepartments: actor.Departments,
		CompletionID: updateID, RequestID: middleware.GetReqID(r.Context()),
	})
	if err != nil {
		return s.completionFailed(w, r, t, c, updateID, err)
	}
	// The audit entry (task.complete) was written with the completion, in
	// the store transaction that closed the task (decision 0022).
	return s.writeCompletion(w, r, t.ID, t.CaseID, res.CaseStatus)
}

// completionFailed answers a complete Update that returned an error. The
// error does not say whether the completion was committed: the case may
// have been cancelled, or the engine become unreachable, after the task
// closed. The store does: a task completed under updateID is a 200 with the
// completion (its audit entry was written with it); a task closed
// otherwise is a 409 saying how; anything else is the error's problem.
func (s *API) completionFailed(w http.ResponseWriter, r *http.Request, t store.Task, c store.Case, updateID string, err error) error {
	ctx := r.Context()
	cur, gerr := s.store.GetTask(ctx, t.ID)
	if gerr == nil {
		switch {
		case cur.Status == store.TaskCompleted && cur.CompletionID == updateID:
			s.log.LogAttrs(ctx, slog.LevelInfo, "completion committed; the engine's answer was an error",
				slog.String("task", t.ID), slog.String("error", err.Error()))
			return s.writeCompletion(w, r, t.ID, t.CaseID, "")
		case cur.Status == store.TaskCancelled:
			p := httpx.Conflict(fmt.Sprintf("task %q was cancelled with its case before your completion was applied; nothing was completed", t.ID))
			p.Cause = err
			return p
		case cur.Status == store.TaskCompleted:
			p := httpx.Conflict(fmt.Sprintf("task %q was completed by %s in another request", t.ID, s.actorName(ctx, cur.CompletedBy)))
			p.Cause = err
			return p
		}
	}
	if errors.Is(err, engine.ErrCaseNotRunning) {
		if failed, ok := s.noticeEnded(ctx, c); ok {
			p := httpx.Conflict(fmt.Sprintf("the case of task %q has failed: %s; nothing was completed", t.ID, failed.Failure))
			p.Cause = err
			return p
		}
	}
	p := completeProblem(err, t.ID)
	if rej := (*engine.RejectedError)(nil); errors.As(err, &rej) && errors.Is(rej.Reason, engine.ErrUnknownOutcome) && len(t.Outcomes) > 0 {
		// Say which outcomes the step allows, so the next try is right.
		p = httpx.Invalid(apiv1.FieldError{Field: "outcome", Message: p.Errors[0].Message + "; the step's outcomes are " + strings.Join(t.Outcomes, ", ")})
	}
	if p.Status == http.StatusServiceUnavailable {
		p.Detail += "; retry with the same Idempotency-Key (the completion may still be applied)"
	}
	return p
}

// writeCompletion answers a completion from the store: the task as closed,
// the case status and the case's open tasks.
func (s *API) writeCompletion(w http.ResponseWriter, r *http.Request, taskID, caseID, caseStatus string) error {
	ctx := r.Context()
	t, err := s.store.GetTask(ctx, taskID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("reread completed task: %w", err), "task")
	}
	// Whoever completed it has room for a waiting task.
	s.assignWaiting(ctx, t.Department)
	if caseStatus == "" {
		c, err := s.store.GetCase(ctx, caseID)
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("reread case: %w", err), "case")
		}
		caseStatus = c.Status
	}
	next, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("open tasks of case: %w", err), "tasks")
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.CompleteResponse{Task: toTaskJSON(t), CaseStatus: caseStatus, Next: toTasksJSON(next)})
	return nil
}

// completeProblem maps a failed complete Update.
func completeProblem(err error, taskID string) *httpx.Problem {
	var rej *engine.RejectedError
	if errors.As(err, &rej) {
		switch {
		case errors.Is(rej.Reason, engine.ErrStaleTask):
			p := httpx.Conflict(fmt.Sprintf("task %q is no longer awaited by its case", taskID))
			p.Cause = err
			return p
		case errors.Is(rej.Reason, engine.ErrWrongDepartment):
			p := httpx.Forbidden(fmt.Sprintf("you may not complete task %q: %s", taskID, rej.Message))
			p.Cause = err
			return p
		case errors.Is(rej.Reason, engine.ErrUnknownOutcome):
			return httpx.Invalid(apiv1.FieldError{Field: "outcome", Message: messageOr(rej.Message, "is not an outcome of this step")})
		case errors.Is(rej.Reason, engine.ErrInvalidData):
			return httpx.Invalid(apiv1.FieldError{Field: "data", Message: messageOr(rej.Message, "is invalid")})
		}
	}
	if errors.Is(err, engine.ErrCaseNotRunning) {
		p := httpx.Conflict(fmt.Sprintf("the case of task %q is no longer running", taskID))
		p.Cause = err
		return p
	}
	return engineProblem(err)
}

func messageOr(msg, def string) string {
	if msg == "" {
		return def
	}
	return msg
}
