package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// listTasks lists tasks ordered by SLA due time, a page at a time. status
// defaults to open ("any" lists all); assignee "me" is the caller. Staff
// see only their departments: without a department parameter the list
// covers all of them, another department is 403.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	actor := actorFrom(r.Context())
	q, err := paramsOf[listTasksParams](r)
	if err != nil {
		return err
	}
	from, to, err := timeRange(q.From, q.To)
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
	if departmentBound(actor) && p.CaseID == "" {
		if p.Department == "" {
			p.Departments = actor.Departments
			if len(p.Departments) == 0 {
				return forbidden("you belong to no department")
			}
		} else if !inDepartment(actor, p.Department) {
			return forbidden(fmt.Sprintf("you may not see the inbox of department %q", p.Department))
		}
	}
	tasks, err := s.store.ListTasks(r.Context(), p)
	if err != nil {
		return storeProblem(fmt.Errorf("list tasks: %w", err), "tasks")
	}
	out := taskListJSON{}
	if len(tasks) > q.Limit {
		tasks = tasks[:q.Limit]
		last := tasks[len(tasks)-1]
		out.NextCursor, err = encodeCursor(taskCursorJSON{SLADue: utcPtr(last.SLADue), OpenedAt: last.OpenedAt.UTC(), ID: last.ID})
		if err != nil {
			return internal(err)
		}
	}
	out.Tasks = toTasksJSON(tasks)
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (s *Server) loadTask(r *http.Request) (store.Task, error) {
	id := chi.URLParam(r, "id")
	t, err := s.store.GetTask(r.Context(), id)
	if err != nil {
		return t, storeProblem(fmt.Errorf("get task: %w", err), fmt.Sprintf("task %q", id))
	}
	return t, nil
}

// getTask returns one task; any authenticated actor may read it.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTask(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// loadTaskToAct loads a task and checks the caller may act on it.
func (s *Server) loadTaskToAct(r *http.Request) (store.Task, error) {
	t, err := s.loadTask(r)
	if err != nil {
		return t, err
	}
	if a := actorFrom(r.Context()); !inDepartment(a, t.Department) {
		return t, forbidden(fmt.Sprintf("task %q belongs to department %q, which you do not work in", t.ID, t.Department))
	}
	return t, nil
}

// claimTask assigns an open task to the caller.
func (s *Server) claimTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := actorFrom(r.Context())
	if t.Status != store.TaskOpen {
		return conflict(fmt.Sprintf("task %q is %s", t.ID, t.Status))
	}
	if t.Assignee != "" && t.Assignee != actor.ID {
		return conflict(fmt.Sprintf("task %q is claimed by %q", t.ID, t.Assignee))
	}
	t, err = s.store.ClaimTask(r.Context(), store.ClaimTaskParams{ID: t.ID, Actor: actor.ID, At: s.now().UTC()})
	if err != nil {
		return storeProblem(fmt.Errorf("claim task: %w", err), "task")
	}
	s.audit(r, store.AuditEntry{Action: "task.claim", Object: "task:" + t.ID, CaseID: t.CaseID})
	s.writeJSON(w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

// unclaimTask clears the assignee; admins may clear another actor's claim.
func (s *Server) unclaimTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := actorFrom(r.Context())
	if t.Status != store.TaskOpen {
		return conflict(fmt.Sprintf("task %q is %s", t.ID, t.Status))
	}
	force := actor.Role == store.RoleAdmin
	if t.Assignee != "" && t.Assignee != actor.ID && !force {
		return conflict(fmt.Sprintf("task %q is claimed by %q", t.ID, t.Assignee))
	}
	t, err = s.store.UnclaimTask(r.Context(), store.UnclaimTaskParams{ID: t.ID, Actor: actor.ID, Force: force})
	if err != nil {
		return storeProblem(fmt.Errorf("unclaim task: %w", err), "task")
	}
	s.audit(r, store.AuditEntry{Action: "task.unclaim", Object: "task:" + t.ID, CaseID: t.CaseID})
	s.writeJSON(w, r, http.StatusOK, toTaskJSON(t))
	return nil
}

type completeRequest struct {
	Outcome string         `json:"outcome" minLength:"1" description:"One of the task's outcomes."`
	Data    map[string]any `json:"data,omitempty" description:"The step's form fields."`
}

type completeResponse struct {
	Task       taskJSON   `json:"task"`
	CaseStatus string     `json:"case_status"`
	Next       []taskJSON `json:"next" nullable:"false"`
}

// completeTask completes a task through the case workflow's complete
// Update. The Update ID is derived from the task, the actor and the Idempotency-Key
// (a fresh uuid without one), so a retried click completes nothing twice;
// a retry after success replays the result (200, Idempotent-Replayed).
func (s *Server) completeTask(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var req completeRequest
	if _, err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	req.Outcome = strings.TrimSpace(req.Outcome)
	if req.Outcome == "" {
		return invalid(FieldError{"outcome", "is required"})
	}
	t, err := s.loadTaskToAct(r)
	if err != nil {
		return err
	}
	actor := actorFrom(r.Context())
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
		return conflict(fmt.Sprintf("task %q is already %s", t.ID, t.Status))
	}
	if t.Assignee != "" && t.Assignee != actor.ID && actor.Role != store.RoleAdmin {
		return conflict(fmt.Sprintf("task %q is claimed by %q", t.ID, t.Assignee))
	}
	c, err := s.store.GetCase(r.Context(), t.CaseID)
	if err != nil {
		return storeProblem(fmt.Errorf("case of task: %w", err), "case of the task")
	}
	ectx, cancel := s.engineCtx(r.Context())
	defer cancel()
	res, err := s.eng.Complete(ectx, c.WorkflowID, updateID, workflows.CompleteRequest{
		TaskID: t.ID, Outcome: req.Outcome, Data: req.Data,
		ActorID: actor.ID, ActorRole: actor.Role, ActorDepartments: actor.Departments,
		CompletionID: updateID,
	})
	if err != nil {
		p := completeProblem(err, t.ID)
		if p.Status == http.StatusServiceUnavailable {
			p.Detail += "; retry with the same Idempotency-Key (the completion may still be applied)"
		}
		return p
	}
	s.audit(r, store.AuditEntry{Action: "task.complete", Object: "task:" + t.ID, CaseID: t.CaseID,
		Details: mustJSON(map[string]any{"outcome": req.Outcome, "update_id": updateID})})
	return s.writeCompletion(w, r, t.ID, t.CaseID, res.CaseStatus)
}

// writeCompletion answers a completion from the store: the task as closed,
// the case status and the case's open tasks.
func (s *Server) writeCompletion(w http.ResponseWriter, r *http.Request, taskID, caseID, caseStatus string) error {
	ctx := r.Context()
	t, err := s.store.GetTask(ctx, taskID)
	if err != nil {
		return storeProblem(fmt.Errorf("reread completed task: %w", err), "task")
	}
	if caseStatus == "" {
		c, err := s.store.GetCase(ctx, caseID)
		if err != nil {
			return storeProblem(fmt.Errorf("reread case: %w", err), "case")
		}
		caseStatus = c.Status
	}
	next, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
	if err != nil {
		return storeProblem(fmt.Errorf("open tasks of case: %w", err), "tasks")
	}
	s.writeJSON(w, r, http.StatusOK, completeResponse{Task: toTaskJSON(t), CaseStatus: caseStatus, Next: toTasksJSON(next)})
	return nil
}

// completeProblem maps a failed complete Update.
func completeProblem(err error, taskID string) *Problem {
	var rej *RejectedError
	if errors.As(err, &rej) {
		switch {
		case errors.Is(rej.Reason, ErrStaleTask):
			p := conflict(fmt.Sprintf("task %q is no longer awaited by its case", taskID))
			p.cause = err
			return p
		case errors.Is(rej.Reason, ErrWrongDepartment):
			p := forbidden(fmt.Sprintf("you may not complete task %q: %s", taskID, rej.Message))
			p.cause = err
			return p
		case errors.Is(rej.Reason, ErrUnknownOutcome):
			return invalid(FieldError{"outcome", messageOr(rej.Message, "is not an outcome of this step")})
		case errors.Is(rej.Reason, ErrInvalidData):
			return invalid(FieldError{"data", messageOr(rej.Message, "is invalid")})
		}
	}
	if errors.Is(err, ErrCaseNotRunning) {
		p := conflict(fmt.Sprintf("the case of task %q is no longer running", taskID))
		p.cause = err
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
