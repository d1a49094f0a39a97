package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/apiv1"
)

// Report is what Verify found in flowlab's database about a set of cases.
// Every count but Cases, Closed, Tasks and Spans must be zero.
type Report struct {
	Cases, Closed, Tasks, Spans int

	MissingCases    int // acknowledged by the API, not in the database
	NotClosed       int // cases not completed
	WrongTaskCount  int // cases with more or fewer tasks than their path has
	DuplicateTasks  int // (case, step) with more than one task
	DuplicateSpans  int // (case, step) with more than one span
	MissingSpans    int // closed tasks without exactly one span of their own
	OrphanSpans     int // task spans without their task
	OpenTasks       int // tasks still open
	LostCompletions int // acknowledged completions not in the database as acknowledged

	Problems []string // the first few offending rows, for the failure message
}

// Duplicates is the number of duplicated rows found.
func (r Report) Duplicates() int { return r.DuplicateTasks + r.DuplicateSpans }

// Losses is the number of acknowledged or expected rows missing.
func (r Report) Losses() int {
	return r.MissingCases + r.MissingSpans + r.LostCompletions + r.NotClosed + r.WrongTaskCount + r.OpenTasks + r.OrphanSpans
}

// OK says whether nothing is duplicated or missing.
func (r Report) OK() bool { return r.Duplicates() == 0 && r.Losses() == 0 }

func (r Report) String() string {
	s := fmt.Sprintf("cases=%d closed=%d tasks=%d spans=%d missing_cases=%d not_closed=%d wrong_task_count=%d "+
		"duplicate_tasks=%d duplicate_spans=%d missing_spans=%d orphan_spans=%d open_tasks=%d lost_completions=%d",
		r.Cases, r.Closed, r.Tasks, r.Spans, r.MissingCases, r.NotClosed, r.WrongTaskCount,
		r.DuplicateTasks, r.DuplicateSpans, r.MissingSpans, r.OrphanSpans, r.OpenTasks, r.LostCompletions)
	if len(r.Problems) > 0 {
		s += "\n  " + strings.Join(r.Problems, "\n  ")
	}
	return s
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < 20 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Verify checks, by SQL on flowlab's database, that the cases are whole:
// each was stored, is completed, has exactly tasksPerCase tasks (the
// complaint flow worked with every task's first outcome visits each step
// at most once, so a second task or span for a (case, step) is a
// duplicate), each closed task has exactly one span of its own, no task
// span lacks its task, no task is left open, and every completion the API
// acknowledged is stored with its outcome.
func Verify(ctx context.Context, db *pgx.Conn, caseIDs []string, acked map[string]Completion, tasksPerCase int) (Report, error) {
	var r Report
	r.Cases = len(caseIDs)
	type caseRow struct {
		id, status string
		closed     bool
		tasks      int
	}
	rows, err := db.Query(ctx, `SELECT c.id, c.status, c.closed_at IS NOT NULL, count(t.id)
		FROM cases c LEFT JOIN tasks t ON t.case_id = c.id
		WHERE c.id = ANY($1) GROUP BY c.id, c.status, c.closed_at`, caseIDs)
	if err != nil {
		return r, fmt.Errorf("verify cases: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (caseRow, error) {
		var c caseRow
		err := row.Scan(&c.id, &c.status, &c.closed, &c.tasks)
		return c, err
	})
	if err != nil {
		return r, fmt.Errorf("verify cases: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range found {
		seen[c.id] = true
		if c.status == "completed" && c.closed {
			r.Closed++
		} else {
			r.NotClosed++
			r.problem("case %s is %s (closed: %v)", c.id, c.status, c.closed)
		}
		if c.tasks != tasksPerCase {
			r.WrongTaskCount++
			r.problem("case %s has %d tasks, want %d", c.id, c.tasks, tasksPerCase)
		}
	}
	for _, id := range caseIDs {
		if !seen[id] {
			r.MissingCases++
			r.problem("case %s acknowledged but not stored", id)
		}
	}

	count := func(sql string, into *int) error {
		return db.QueryRow(ctx, sql, caseIDs).Scan(into)
	}
	if err := count(`SELECT count(*) FROM tasks WHERE case_id = ANY($1)`, &r.Tasks); err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if err := count(`SELECT count(*) FROM spans WHERE case_id = ANY($1)`, &r.Spans); err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if err := count(`SELECT count(*) FROM tasks WHERE case_id = ANY($1) AND status = 'open'`, &r.OpenTasks); err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}

	// Offending rows, each query returning (case_id, what, n).
	for _, q := range []struct {
		into *int
		what string
		sql  string
	}{
		{&r.DuplicateTasks, "tasks for one step", `SELECT case_id, step, count(*) FROM tasks
			WHERE case_id = ANY($1) GROUP BY case_id, step HAVING count(*) > 1`},
		{&r.DuplicateSpans, "spans for one step", `SELECT case_id, step, count(*) FROM spans
			WHERE case_id = ANY($1) GROUP BY case_id, step HAVING count(*) > 1`},
		{&r.MissingSpans, "spans of a closed task", `SELECT t.case_id, t.id, count(s.seq) FROM tasks t
			LEFT JOIN spans s ON s.case_id = t.case_id AND s.seq = t.seq AND s.step = t.step AND s.kind = 'task'
			WHERE t.case_id = ANY($1) AND t.status <> 'open' GROUP BY t.case_id, t.id HAVING count(s.seq) <> 1`},
		{&r.OrphanSpans, "task span without its task", `SELECT s.case_id, s.step, 1 FROM spans s
			LEFT JOIN tasks t ON t.case_id = s.case_id AND t.seq = s.seq AND t.step = s.step
			WHERE s.case_id = ANY($1) AND s.kind = 'task' AND t.id IS NULL`},
	} {
		rows, err := db.Query(ctx, q.sql, caseIDs)
		if err != nil {
			return r, fmt.Errorf("verify %s: %w", q.what, err)
		}
		for rows.Next() {
			var (
				caseID, what string
				n            int64
			)
			if err := rows.Scan(&caseID, &what, &n); err != nil {
				rows.Close()
				return r, fmt.Errorf("verify %s: %w", q.what, err)
			}
			*q.into++
			r.problem("case %s: %d %s (%s)", caseID, n, q.what, what)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, fmt.Errorf("verify %s: %w", q.what, err)
		}
	}

	// Acknowledged completions.
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rows, err = db.Query(ctx, `SELECT id, status, outcome, completion_id FROM tasks WHERE id = ANY($1)`, ids)
	if err != nil {
		return r, fmt.Errorf("verify completions: %w", err)
	}
	type taskRow struct{ id, status, outcome, completionID string }
	stored, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskRow, error) {
		var t taskRow
		err := row.Scan(&t.id, &t.status, &t.outcome, &t.completionID)
		return t, err
	})
	if err != nil {
		return r, fmt.Errorf("verify completions: %w", err)
	}
	byID := map[string]taskRow{}
	for _, t := range stored {
		byID[t.id] = t
	}
	for _, id := range ids {
		a, t := acked[id], byID[id]
		if t.status != "completed" || t.outcome != a.Outcome || !strings.HasSuffix(t.completionID, ":"+a.Key) {
			r.LostCompletions++
			r.problem("task %s of case %s acknowledged to %s (key %s) but stored as %+v", id, a.CaseID, a.Agent, a.Key, t)
		}
	}
	return r, nil
}

// VerifyAPI makes the checks of Verify through the API instead of SQL, for
// a flowlab dev whose store is an embedded SQLite file: GET /api/v1/cases/ID
// (status and spans) and GET /api/v1/tasks?case_id=ID&status=any.
func VerifyAPI(ctx context.Context, api *API, admin string, caseIDs []string, acked map[string]Completion, tasksPerCase int) (Report, error) {
	var r Report
	r.Cases = len(caseIDs)
	byCase := map[string][]Completion{}
	for _, a := range acked {
		byCase[a.CaseID] = append(byCase[a.CaseID], a)
	}
	for _, id := range caseIDs {
		resp, err := api.Do(ctx, admin, "GET", "/api/v1/cases/"+id, nil)
		if err != nil {
			return r, fmt.Errorf("verify case %s: %w", id, err)
		}
		if resp.Status == 404 {
			r.MissingCases++
			r.problem("case %s acknowledged but not stored", id)
			continue
		}
		var c apiv1.CaseDetail
		if resp.Status != 200 || json.Unmarshal(resp.Body, &c) != nil {
			return r, fmt.Errorf("verify case %s: %s", id, resp)
		}
		resp, err = api.Do(ctx, admin, "GET", "/api/v1/tasks?status=any&limit=500&case_id="+url.QueryEscape(id), nil)
		if err != nil {
			return r, fmt.Errorf("verify tasks of %s: %w", id, err)
		}
		var page apiv1.TaskList
		if resp.Status != 200 || json.Unmarshal(resp.Body, &page) != nil {
			return r, fmt.Errorf("verify tasks of %s: %s", id, resp)
		}
		if c.Status == "completed" && c.ClosedAt != nil {
			r.Closed++
		} else {
			r.NotClosed++
			r.problem("case %s is %s", id, c.Status)
		}
		if len(page.Tasks) != tasksPerCase {
			r.WrongTaskCount++
			r.problem("case %s has %d tasks, want %d", id, len(page.Tasks), tasksPerCase)
		}
		r.Tasks += len(page.Tasks)
		r.Spans += len(c.Spans)
		taskSteps, spanSteps := map[string]int{}, map[string]int{}
		taskSpans := map[int]int{}
		for _, s := range c.Spans {
			spanSteps[s.Step]++
			if s.Kind == "task" {
				taskSpans[s.Seq]++
			}
		}
		bySeq := map[int]string{}
		status := map[string]string{}
		outcome := map[string]string{}
		for _, t := range page.Tasks {
			taskSteps[t.Step]++
			bySeq[t.Seq] = t.ID
			status[t.ID], outcome[t.ID] = t.Status, t.Outcome
			switch {
			case t.Status == "open":
				r.OpenTasks++
				r.problem("case %s: task %s (%s) is open", id, t.ID, t.Step)
			case taskSpans[t.Seq] != 1:
				r.MissingSpans++
				r.problem("case %s: task %s (%s) has %d spans", id, t.ID, t.Step, taskSpans[t.Seq])
			}
		}
		for seq := range taskSpans {
			if _, ok := bySeq[seq]; !ok {
				r.OrphanSpans++
				r.problem("case %s: task span %d without its task", id, seq)
			}
		}
		for step, n := range taskSteps {
			if n > 1 {
				r.DuplicateTasks++
				r.problem("case %s: %d tasks for step %s", id, n, step)
			}
		}
		for step, n := range spanSteps {
			if n > 1 {
				r.DuplicateSpans++
				r.problem("case %s: %d spans for step %s", id, n, step)
			}
		}
		for _, a := range byCase[id] {
			if status[a.TaskID] != "completed" || outcome[a.TaskID] != a.Outcome {
				r.LostCompletions++
				r.problem("task %s of case %s acknowledged to %s but is %q with outcome %q", a.TaskID, id, a.Agent, status[a.TaskID], outcome[a.TaskID])
			}
		}
	}
	return r, nil
}
