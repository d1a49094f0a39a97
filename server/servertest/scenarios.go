package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

func DecodeStrict[T any](t testing.TB, res *httptest.ResponseRecorder, status int) T {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	var v T
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v))
	return v
}

func Fptr(v float64) *float64 { return &v }

func ValidationOf(t testing.TB, res *httptest.ResponseRecorder) apiv1.Validate {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "application/json", res.Header().Get("Content-Type"))
	var v apiv1.Validate
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v))
	require.NotNil(t, v.Diagnostics, "diagnostics is always a list")
	return v
}

// RecordGraphSpans stores fixed spans of four complaint v1 cases: three
// through the technical investigation (one breaching and escalating), one
// through the crisis team; nobody claims notify_customer; no case has
// reached closed.
func RecordGraphSpans(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	ptr := func(t time.Time) *time.Time { return &t }
	for i := range 4 {
		id := "case-" + strconv.Itoa(i)
		at := GraphBase.Add(time.Duration(i) * 24 * time.Hour)
		seq := 0
		add := func(step, kind, dept string, wait, work time.Duration, sla time.Duration, claimed bool, esc int) {
			seq++
			sp := store.Span{CaseID: id, Seq: seq, Flow: "complaint", Version: 1, Step: step, Kind: kind, Department: dept,
				EnteredAt: at, CompletedAt: at.Add(wait + work), Outcome: "done", EscalationLevel: esc}
			if claimed {
				sp.ClaimedAt = ptr(at.Add(wait))
			}
			if sla > 0 {
				sp.SLADue = ptr(at.Add(sla))
				sp.Breached = wait+work > sla
			}
			require.NoError(t, st.RecordSpan(ctx, sp))
			at = at.Add(wait + work)
		}
		m := func(n int) time.Duration { return time.Duration(n) * time.Minute }
		add("record", "task", "customer_service", m(2+i), m(5), m(30), true, 0)
		add("route", "decision", "", 0, time.Second, 0, false, 0)
		if i < 3 {
			esc := 0
			if i == 2 {
				esc = 1
			}
			add("investigate", "task", "technical", m(60+40*i), m(20), m(120), true, esc)
		} else {
			add("crisis_investigate", "task", "crisis_team", m(30), m(45), m(120), true, 0)
		}
		add("feedback", "task", "technical", m(10*i), m(15), m(60), true, 0)
		add("review", "task", "customer_service", m(5), m(5+i), m(45), true, 0)
		add("notify_customer", "task", "customer_service", m(50), 0, m(45), false, 0)
	}
}

// GraphWindow is a from/to query covering every span of RecordGraphSpans.
func GraphWindow() url.Values {
	return url.Values{"from": {GraphBase.Add(-time.Hour).Format(time.RFC3339)}, "to": {GraphBase.Add(7 * 24 * time.Hour).Format(time.RFC3339)}}
}

var GraphBase = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// HugeFlowYAML is a valid flow of n task steps (and an end) whose graph
// takes Graphviz minutes to lay out at n = 300: a chain with rework edges
// back and escalations forward that cross each other.
func HugeFlowYAML(key string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "key: %s\nname: Huge\ndepartments: [customer_service, technical, supervisor]\nsteps:\n", key)
	depts := []string{"customer_service", "technical", "supervisor"}
	for i := range n {
		next := fmt.Sprintf("s%d", i+1)
		if i == n-1 {
			next = "done"
		}
		fmt.Fprintf(&b, "  - id: s%d\n    kind: task\n    name: Step number %d of the process\n    department: %s\n    sla: 4h\n    outcomes:\n      - name: finished\n        next: %s\n",
			i, i, depts[i%3], next)
		if i >= 3 {
			fmt.Fprintf(&b, "      - name: rework\n        next: s%d\n", i-3)
		}
		if i+7 < n {
			fmt.Fprintf(&b, "      - name: escalate\n        next: s%d\n", i+7)
		}
	}
	b.WriteString("  - id: done\n    kind: end\n")
	return b.String()
}

// TrendCases are complaint cases completed in 2026-W10 (one created the
// week before) and W12, with cases the trend leaves out.
func TrendCases() []SeedCase {
	return []SeedCase{
		// 3600 s; two tasks with an SLA, the second late.
		{ID: "t1", Flow: "complaint", Version: 1, Created: KPIW10.Add(8 * time.Hour),
			Tasks:  []SeedTask{{Claim: time.Minute, Done: 10 * time.Minute, SLA: time.Hour}, {Claim: time.Minute, Done: 40 * time.Minute, SLA: 30 * time.Minute}},
			Status: store.CaseCompleted, Closed: time.Hour},
		// Created in W09, closed in W10: 172800 s; one task on time, one
		// without an SLA, one cancelled late (no completed task).
		{ID: "t2", Flow: "complaint", Version: 2, Created: KPIW10.Add(-12 * time.Hour),
			Tasks: []SeedTask{{Claim: time.Minute, Done: time.Hour, SLA: 2 * time.Hour}, {Done: time.Hour},
				{Done: 3 * time.Hour, SLA: time.Hour, Cancel: true}},
			Status: store.CaseCompleted, Closed: 48 * time.Hour},
		// 7200 s, its one task late.
		{ID: "t3", Flow: "complaint", Version: 1, Created: KPIW10.Add(48 * time.Hour),
			Tasks:  []SeedTask{{Claim: time.Minute, Done: 90 * time.Minute, SLA: time.Hour}},
			Status: store.CaseCompleted, Closed: 2 * time.Hour},
		// Cancelled, active, another flow, closed when the range ends: out.
		{ID: "t4", Flow: "complaint", Created: KPIW10.Add(9 * time.Hour), Tasks: []SeedTask{{Done: time.Hour, SLA: time.Minute}},
			Status: store.CaseCancelled, Closed: time.Hour},
		{ID: "t5", Flow: "complaint", Created: KPIW10.Add(9 * time.Hour), Tasks: []SeedTask{{Claim: time.Minute}}},
		{ID: "t7", Flow: "returns-exchange", Created: KPIW10.Add(9 * time.Hour), Status: store.CaseCompleted, Closed: time.Hour},
		{ID: "t8", Flow: "complaint", Created: KPIW13.Add(-time.Hour), Status: store.CaseCompleted, Closed: time.Hour},
		// Created in W11, closed in W12: 345600 s, one task on time.
		{ID: "t6", Flow: "complaint", Version: 2, Created: KPIW11.Add(4 * 24 * time.Hour),
			Tasks:  []SeedTask{{Claim: time.Minute, Done: time.Hour, SLA: 2 * time.Hour}},
			Status: store.CaseCompleted, Closed: 4 * 24 * time.Hour},
	}
}

// Clock is a settable test Clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// SeedCase is a case written straight into the store with known times.
type SeedCase struct {
	ID, Flow, Channel string
	Version           int
	Created           time.Time
	Tasks             []SeedTask
	Status            string        // "" stays active
	Closed            time.Duration // after created
	CSAT, NPS         *int
	RFC               *bool
	Reopened          time.Duration // after the close; 0: never
	// FollowUp, for a completed case, is its follow-up (decision 0041).
	FollowUp *SeedFollowUp
}

// SeedFollowUp is a seeded case's follow-up: the share declared, whether
// the case was sampled, when the call is due after the close, and for a
// sampled case whether its call task opened (at the due time) and how it
// was completed ("": not yet).
type SeedFollowUp struct {
	Share       float64
	Sampled     bool
	After       time.Duration
	Opened      bool
	Outcome     string // store.FollowUpAnswered or store.FollowUpUnreachable
	Improvement string
	CSAT        *int
}

// SeedTask is one task of a seeded case; offsets count from its opening
// (the case's creation for the first task, the previous task's end after).
type SeedTask struct {
	Claim  time.Duration // 0: never claimed
	Done   time.Duration // completed (or cancelled) at; 0: still open
	SLA    time.Duration // SLA due; 0: none
	Cancel bool
}

// The ISO weeks the seeded KPI and trend cases fall in.
var (
	KPIW10 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // Monday of 2026-W10
	KPIW11 = KPIW10.AddDate(0, 0, 7)
	KPIW12 = KPIW10.AddDate(0, 0, 14)
	KPIW13 = KPIW10.AddDate(0, 0, 21)
)

func ptr[T any](v T) *T { return &v }

// propose creates a proposal as the named actor.
func (e *Env) Propose(as, title string, anonymous bool) apiv1.Proposal {
	e.T.Helper()
	body := map[string]any{"title": title, "body": "because " + title}
	if anonymous {
		body["anonymous"] = true
	}
	return DecodeStrict[apiv1.Proposal](e.T, e.Do(as, http.MethodPost, "/api/v1/proposals", body, nil), http.StatusCreated)
}

func (e *Env) Adopt(id, flowKey, metric string) apiv1.Adoption {
	e.T.Helper()
	res := e.Do("improver", http.MethodPost, "/api/v1/proposals/"+id+"/adopt", map[string]any{"flow": flowKey, "metric": metric}, nil)
	return DecodeStrict[apiv1.Adoption](e.T, res, http.StatusCreated)
}

func (e *Env) CreateCase(customer string) apiv1.Case {
	e.T.Helper()
	res := e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": customer, "channel": "chat"}, nil)
	return DecodeStrict[apiv1.Case](e.T, res, http.StatusCreated)
}

// finishCase completes every task of a case with its first outcome and
// required fields filled until the case ends.
func (e *Env) FinishCase(caseID string) {
	e.T.Helper()
	ctx := context.Background()
	for range 20 {
		ts, err := e.Store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
		require.NoError(e.T, err)
		if len(ts) == 0 {
			c, err := e.Store.GetCase(ctx, caseID)
			require.NoError(e.T, err)
			require.Equal(e.T, store.CaseCompleted, c.Status)
			return
		}
		var form []struct {
			Name     string
			Required bool
			Options  []string
		}
		if len(ts[0].Form) > 0 {
			require.NoError(e.T, json.Unmarshal(ts[0].Form, &form))
		}
		data := map[string]any{}
		for _, f := range form {
			if f.Required {
				data[f.Name] = "x"
				if len(f.Options) > 0 {
					data[f.Name] = f.Options[0]
				}
			}
		}
		res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+ts[0].ID+"/complete",
			map[string]any{"outcome": ts[0].Outcomes[0], "data": data}, nil)
		require.Equal(e.T, http.StatusOK, res.Code, res.Body.String())
	}
	e.T.Fatalf("case %s did not end", caseID)
}

// setAttrs merges attributes into a case row, as the cycle's workflow
// would after its baseline, pilot and standardise steps.
func (e *Env) SetAttrs(caseID string, attrs map[string]any) {
	e.T.Helper()
	ctx := context.Background()
	c, err := e.Store.GetCase(ctx, caseID)
	require.NoError(e.T, err)
	cur := map[string]any{}
	require.NoError(e.T, json.Unmarshal(c.Attributes, &cur))
	maps.Copy(cur, attrs)
	raw, err := json.Marshal(cur)
	require.NoError(e.T, err)
	require.NoError(e.T, e.Store.UpdateCase(ctx, store.UpdateCaseParams{ID: caseID, Attributes: raw, At: time.Now().UTC()}))
}

// completePlan completes a cycle's open Plan task with outcome and a
// target. With the fake engine, planned runs into the pilot step, which the
// fake treats as the end: the case completes.
func (e *Env) CompletePlan(caseID, outcome string, target float64) {
	e.T.Helper()
	task := e.OpenTask(caseID)
	require.Equal(e.T, "plan", task.Step)
	data := map[string]any{"problem": "slow refunds", "target": target, "hypothesis": "fewer handoffs", "treatment": 2}
	res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": outcome, "data": data}, nil)
	require.Equal(e.T, http.StatusOK, res.Code, res.Body.String())
}

func (e *Env) ImprovementKPIs() apiv1.ImprovementKPIs {
	e.T.Helper()
	return DecodeStrict[apiv1.ImprovementKPIs](e.T, e.Do("agent", http.MethodGet, "/api/v1/kpis/improvement", nil, nil), http.StatusOK)
}

// sendRaw sends body with the Content-Type ct (none when empty) as the
// named actor and checks the response against the OpenAPI document.
func (e *Env) SendRaw(as, method, path, ct string, body []byte, header http.Header) *httptest.ResponseRecorder {
	e.T.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+e.Tokens[as])
	}
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	e.CheckContract(req, rec)
	return rec
}

// completeRecord moves a complaint case from record to investigate.
func (e *Env) CompleteRecord(caseID string) {
	e.T.Helper()
	task := e.OpenTask(caseID)
	res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete",
		map[string]any{"outcome": "recorded", "data": map[string]any{"severity": "primary", "summary": "router down"}}, nil)
	require.Equal(e.T, http.StatusOK, res.Code, res.Body.String())
	require.Equal(e.T, "investigate", e.OpenTask(caseID).Step)
}

func (e *Env) SeedCases(cs ...SeedCase) {
	e.T.Helper()
	ctx := context.Background()
	for _, c := range cs {
		version := c.Version
		if version == 0 {
			version = 1
		}
		_, created, err := e.Store.CreateCase(ctx, store.CreateCaseParams{ID: c.ID, Flow: c.Flow, Version: version, Customer: "cust-" + c.ID,
			Channel: c.Channel, Status: store.CaseActive, WorkflowID: c.Flow + "-" + c.ID, At: c.Created})
		require.NoError(e.T, err)
		require.True(e.T, created)
		opened := c.Created
		for i, tk := range c.Tasks {
			id := c.ID + "-t" + string(rune('1'+i))
			p := store.OpenTaskParams{ID: id, CaseID: c.ID, Seq: i + 1, Flow: c.Flow, Version: version, Step: "s", Department: "customer_service", OpenedAt: opened}
			if tk.SLA > 0 {
				p.SLADue = ptr(opened.Add(tk.SLA))
			}
			_, err := e.Store.OpenTask(ctx, p)
			require.NoError(e.T, err)
			if tk.Claim > 0 {
				_, err := e.Store.ClaimTask(ctx, store.ClaimTaskParams{ID: id, Actor: "ann", At: opened.Add(tk.Claim)})
				require.NoError(e.T, err)
			}
			if tk.Done == 0 {
				continue
			}
			at := opened.Add(tk.Done)
			if tk.Cancel {
				_, err = e.Store.CancelTask(ctx, store.CancelTaskParams{ID: id, At: at, Span: store.Span{Kind: "task"}})
			} else {
				_, err = e.Store.CompleteTask(ctx, store.CompleteTaskParams{ID: id, Outcome: "done", Actor: "ann", CompletionID: "u-" + id,
					At: at, Span: store.Span{Kind: "task"}})
			}
			require.NoError(e.T, err)
			opened = at
		}
		if c.Status != "" {
			closed := c.Created.Add(c.Closed)
			require.NoError(e.T, e.Store.UpdateCase(ctx, store.UpdateCaseParams{ID: c.ID, Status: ptr(c.Status), Step: ptr(""), ClosedAt: &closed, At: closed}))
			if c.Reopened > 0 {
				_, err := e.Store.MarkCaseReopened(ctx, c.ID, closed.Add(c.Reopened))
				require.NoError(e.T, err)
			}
		}
		if f := c.FollowUp; f != nil {
			e.seedFollowUp(c, len(c.Tasks)+2, *f)
		}
		if c.CSAT != nil || c.NPS != nil || c.RFC != nil {
			_, _, err := e.Store.PutFeedback(ctx, store.PutFeedbackParams{CaseID: c.ID, CSAT: c.CSAT, NPS: c.NPS, ResolvedFirstContact: c.RFC,
				Actor: "ann", At: c.Created.Add(c.Closed + time.Hour)})
			require.NoError(e.T, err)
		}
	}
}

// seedFollowUp records a closed case's follow-up and, as its workflow
// would, opens and completes its call task (sequence seq).
func (e *Env) seedFollowUp(c SeedCase, seq int, f SeedFollowUp) {
	e.T.Helper()
	ctx := context.Background()
	closed := c.Created.Add(c.Closed)
	due := closed.Add(f.After)
	taskID := ""
	if f.Sampled {
		taskID = c.ID + "-call"
	}
	_, err := e.Store.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: c.ID, Share: f.Share, Sampled: f.Sampled, TaskID: taskID,
		DueAt: due, At: closed})
	require.NoError(e.T, err)
	if !f.Opened {
		return
	}
	_, err = e.Store.OpenTask(ctx, store.OpenTaskParams{ID: taskID, CaseID: c.ID, Seq: seq, Flow: c.Flow, Version: max(c.Version, 1),
		Step: store.FollowUpStep, StepName: "Follow-up call", Department: "customer_service",
		Outcomes: []string{store.FollowUpAnswered, store.FollowUpUnreachable}, OpenedAt: due})
	require.NoError(e.T, err)
	if f.Outcome == "" {
		return
	}
	_, err = e.Store.ClaimTask(ctx, store.ClaimTaskParams{ID: taskID, Actor: "ann", At: due.Add(time.Minute)})
	require.NoError(e.T, err)
	_, err = e.Store.CompleteTask(ctx, store.CompleteTaskParams{ID: taskID, Outcome: f.Outcome, Actor: "ann", CompletionID: "u-" + taskID,
		At: due.Add(10 * time.Minute), Span: store.Span{Kind: "task"}})
	require.NoError(e.T, err)
	_, err = e.Store.AnswerFollowUp(ctx, store.AnswerFollowUpParams{CaseID: c.ID, TaskID: taskID, Outcome: f.Outcome,
		Improvement: f.Improvement, CSAT: f.CSAT, Actor: "ann", At: due.Add(10 * time.Minute)})
	require.NoError(e.T, err)
}

// startPilot starts a complaint pilot (v1 against v2) as the improver.
func (e *Env) StartPilot(body map[string]any) apiv1.Pilot {
	e.T.Helper()
	if body == nil {
		body = map[string]any{"flow": "complaint", "treatment": 2}
	}
	return DecodeStrict[apiv1.Pilot](e.T, e.Do("improver", http.MethodPost, "/api/v1/pilots", body, nil), http.StatusCreated)
}

// NewClock is a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SeedSimHistory writes four weeks of complaint v1 before end, as the
// workflows would have written them, for the simulation's tests (decision
// 0045): eight cases a working day, one an hour from 09:00 UTC, each
// recorded, routed, investigated, answered, reviewed and the customer
// notified, every task waiting 15 min and worked 20 min (investigate 40
// min) by one person a department. Case ids are
// 00000000-0000-4000-<block>-<n> (block: 4 hex digits, apart from other
// seeds in one store) and customer customer.
func SeedSimHistory(t testing.TB, st store.Store, end time.Time, block, customer string) {
	t.Helper()
	ctx := context.Background()
	steps := []struct{ id, kind, dept, outcome string }{
		{"record", "task", "customer_service", "recorded"}, {"route", "decision", "", "investigate"},
		{"investigate", "task", "technical", "diagnosed"}, {"feedback", "task", "technical", "written"},
		{"review", "task", "customer_service", "approved"}, {"notify_customer", "task", "customer_service", "notified"},
		{"closed", "end", "", "end"},
	}
	n := 0
	for day := end.Add(-28 * 24 * time.Hour); day.Before(end); day = day.Add(24 * time.Hour) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for h := 9; h < 17; h++ {
			n++
			id := fmt.Sprintf("00000000-0000-4000-%s-%012d", block, n)
			at := day.Add(time.Duration(h) * time.Hour)
			_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: customer, Channel: "phone",
				Attributes: json.RawMessage(`{"severity":"primary"}`), Status: store.CaseActive, WorkflowID: "complaint-" + id, At: at})
			require.NoError(t, err)
			for i, s := range steps {
				sp := store.Span{CaseID: id, Seq: i + 1, Flow: "complaint", Version: 1, Step: s.id, Kind: s.kind, Department: s.dept,
					EnteredAt: at, CompletedAt: at, Outcome: s.outcome}
				if s.kind == "task" {
					work := 20 * time.Minute
					if s.id == "investigate" {
						work = 40 * time.Minute
					}
					claimed := at.Add(15 * time.Minute)
					sp.ClaimedAt, sp.CompletedAt, sp.Actor = &claimed, claimed.Add(work), s.dept+"-1"
				}
				require.NoError(t, st.RecordSpan(ctx, sp))
				at = sp.CompletedAt
			}
			done := store.CaseCompleted
			require.NoError(t, st.UpdateCase(ctx, store.UpdateCaseParams{ID: id, Status: &done, ClosedAt: &at, At: at}))
		}
	}
}

// SeedPilotArms writes n closed complaint cases in each arm of pilot
// pilotID, created an hour apart from after: the control's take control,
// the treatment's treatment (for a pilot's measured change).
func SeedPilotArms(t testing.TB, st store.Store, pilotID string, after time.Time, n int, control, treatment time.Duration) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		for _, arm := range []struct {
			variant, block string
			cycle          time.Duration
		}{{store.ArmControl, "00000a", control}, {store.ArmTreatment, "00000b", treatment}} {
			cid := fmt.Sprintf("10000000-0000-4000-8000-%s%06d", arm.block, i)
			at := after.Add(time.Duration(i+1) * time.Hour)
			_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: cid, Flow: "complaint", Version: 1, Variant: arm.variant, PilotID: pilotID,
				Customer: "C-" + cid, Channel: "phone", Attributes: json.RawMessage(`{}`), Status: store.CaseActive, WorkflowID: "complaint-" + cid, At: at})
			require.NoError(t, err)
			done, closed := store.CaseCompleted, at.Add(arm.cycle)
			require.NoError(t, st.UpdateCase(ctx, store.UpdateCaseParams{ID: cid, Status: &done, ClosedAt: &closed, At: closed}))
		}
	}
}
