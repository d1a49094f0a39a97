package simcal

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

var monday = time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)

// truth is the operation the history is drawn from, written by hand for
// complaint v1 (independently of the calibration): 30 cases a working
// day, 10 % severe, a fifth of the answers reworked, customer service
// of 3, technical of 2 and one person in the crisis team and supervisor,
// weekdays 08–18.
func truth() *sim.Model {
	m := &sim.Model{Start: "record", CaseSLA: 6 * time.Hour, Steps: []sim.Step{
		{ID: "record", Department: "customer_service", Work: sim.Exponential{MeanSeconds: 600}, SLA: 30 * time.Minute,
			Escalations: []sim.Escalation{{After: 30 * time.Minute}, {After: time.Hour, Department: "supervisor"}},
			Next:        []sim.Branch{{To: "route", P: 1}}},
		{ID: "route", Work: sim.Fixed{}, Next: []sim.Branch{{To: "crisis_investigate", P: 0.1}, {To: "investigate", P: 0.9}}},
		{ID: "investigate", Department: "technical", Work: sim.Exponential{MeanSeconds: 1500}, SLA: 2 * time.Hour,
			Escalations: []sim.Escalation{{After: 2 * time.Hour}, {After: 4 * time.Hour, Department: "supervisor"}},
			Next:        []sim.Branch{{To: "feedback", P: 1}}},
		{ID: "crisis_investigate", Department: "crisis_team", Work: sim.Exponential{MeanSeconds: 3600}, SLA: 2 * time.Hour,
			Next: []sim.Branch{{To: "feedback", P: 1}}},
		{ID: "feedback", Department: "technical", Work: sim.Exponential{MeanSeconds: 600}, SLA: time.Hour,
			Next: []sim.Branch{{To: "review", P: 1}}},
		{ID: "review", Department: "customer_service", Work: sim.Exponential{MeanSeconds: 300}, SLA: 45 * time.Minute,
			Next: []sim.Branch{{To: "notify_customer", P: 0.8}, {To: "investigate", P: 0.2}}},
		{ID: "notify_customer", Department: "customer_service", Work: sim.Exponential{MeanSeconds: 600}, SLA: 45 * time.Minute,
			Next: []sim.Branch{{To: "closed", P: 1}}},
		{ID: "closed", Work: sim.Fixed{}},
	}, Staff: []sim.Staffing{{Department: "crisis_team"}, {Department: "customer_service"}, {Department: "supervisor"}, {Department: "technical"}}}
	for h := range sim.HoursPerWeek {
		day, hour := h/24, h%24
		if day < 5 && hour >= 8 && hour < 18 {
			m.ArrivalsPerHour[h] = 3
			m.Staff[0].PerHour[h], m.Staff[1].PerHour[h], m.Staff[2].PerHour[h], m.Staff[3].PerHour[h] = 1, 3, 1, 2
		}
	}
	return m
}

// outcomes of each step of complaint v1 by the next step the truth took.
var outcomeOf = map[string]map[string]string{
	"record":             {"route": "recorded"},
	"route":              {"crisis_investigate": "crisis_investigate", "investigate": "investigate"},
	"investigate":        {"feedback": "diagnosed"},
	"crisis_investigate": {"feedback": "diagnosed"},
	"feedback":           {"review": "written"},
	"review":             {"notify_customer": "approved", "investigate": "rework"},
	"notify_customer":    {"closed": "notified"},
	"closed":             {"": "end"},
}

// writeHistory runs the truth once over weeks and writes its cases and
// spans as the workflows would: tasks claimed by a person of their
// department when their work began.
func writeHistory(t *testing.T, st store.Store, weeks int) {
	t.Helper()
	ctx := context.Background()
	m := truth()
	r, err := sim.Run(m, sim.Options{Seed: 42, Start: monday, Horizon: time.Duration(weeks) * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour})
	require.NoError(t, err)
	type taskVisit struct {
		id  string
		seq int
		v   sim.StepVisit
	}
	var tasks []taskVisit
	actor := map[[2]any]string{}
	var spans []store.Span
	for n, c := range r.Cases {
		if !c.Done() {
			continue
		}
		id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "simcal-test-%d", n)).String()
		severity := "primary"
		for _, v := range c.Visits {
			if v.Step == "crisis_investigate" {
				severity = "advanced"
			}
		}
		_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: fmt.Sprintf("C-%d", n%97),
			Channel: "phone", Attributes: json.RawMessage(`{"severity":"` + severity + `"}`), Status: store.CaseActive, WorkflowID: "complaint-" + id, At: c.Arrived})
		require.NoError(t, err)
		done := store.CaseCompleted
		require.NoError(t, st.UpdateCase(ctx, store.UpdateCaseParams{ID: id, Status: &done, ClosedAt: &c.Closed, At: c.Closed}))
		for i, v := range c.Visits {
			step := m.Steps[slices_index(m, v.Step)]
			next := ""
			if i+1 < len(c.Visits) {
				next = c.Visits[i+1].Step
			}
			sp := store.Span{CaseID: id, Seq: i + 1, Flow: "complaint", Version: 1, Step: v.Step, Kind: "auto",
				EnteredAt: v.Entered, CompletedAt: v.Completed, Outcome: outcomeOf[v.Step][next]}
			if v.Step == "route" {
				sp.Kind = "decision"
			}
			if v.Step == "closed" {
				sp.Kind = "end"
			}
			if step.Department != "" {
				sp.Kind, sp.Department = "task", v.Department
				started := v.Started
				sp.ClaimedAt = &started
				due := v.Entered.Add(step.SLA)
				sp.SLADue, sp.Breached = &due, v.Breached
				tasks = append(tasks, taskVisit{id, i + 1, v})
			}
			spans = append(spans, sp)
		}
	}
	// Who worked each task: the first person of its department free when
	// its work began, in the order work began.
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].v.Started.Before(tasks[j].v.Started) })
	free := map[string][]time.Time{}
	for _, tv := range tasks {
		fs := free[tv.v.Department]
		if fs == nil {
			fs = make([]time.Time, 6)
			free[tv.v.Department] = fs
		}
		k := 0
		for k < len(fs) && fs[k].After(tv.v.Started) {
			k++
		}
		require.Less(t, k, len(fs), "a person of %s is free at %s", tv.v.Department, tv.v.Started)
		fs[k] = tv.v.Completed
		actor[[2]any{tv.id, tv.seq}] = fmt.Sprintf("%s-%d", tv.v.Department, k)
	}
	for _, sp := range spans {
		sp.Actor = actor[[2]any{sp.CaseID, sp.Seq}]
		require.NoError(t, st.RecordSpan(ctx, sp))
	}
}

func slices_index(m *sim.Model, id string) int {
	for i, s := range m.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return st
}

func complaint(t *testing.T, v int) *flow.Definition {
	t.Helper()
	d, err := flows.Definition("complaint", v)
	require.NoError(t, err)
	return d
}

// TestCalibrationRecoversTheOperation: six weeks of history drawn from a
// known operation calibrate a model that predicts that operation's
// figures: arrivals, outcome shares, staffing, and the cycle time within
// 15 %.
func TestCalibrationRecoversTheOperation(t *testing.T) {
	st := openStore(t)
	writeHistory(t, st, 6)
	ctx := context.Background()
	c, err := Calibrate(ctx, st, Params{Flow: "complaint", From: monday, To: monday.Add(6 * 7 * 24 * time.Hour)})
	require.NoError(t, err)
	require.InDelta(t, 30*5/7.0, perDay(c.Arrivals, 1), 30*5/7.0*0.1, "cases a day")
	review := c.Step("review")
	require.NotNil(t, review)
	rework := 0
	for _, o := range review.Outcomes {
		if o.Outcome == "rework" {
			rework = o.N
		}
	}
	require.InDelta(t, 0.2, float64(rework)/float64(review.Visits), 0.04)
	tech := c.Departments[slices_dept(c, "technical")]
	require.InDelta(t, 2, tech.PerHour[10], 0.6, "two engineers on Monday 10:00")
	require.Zero(t, tech.PerHour[3], "nobody at night")

	m, notes, err := c.Model(Scenario{Def: complaint(t, 1)})
	require.NoError(t, err)
	t.Logf("notes: %v", notes)
	o := sim.Options{Seed: 1000, Start: monday.Add(6 * 7 * 24 * time.Hour), WarmUp: 7 * 24 * time.Hour,
		Horizon: 5 * 7 * 24 * time.Hour, Drain: 28 * 24 * time.Hour}
	want, _, err := sim.Replicate(truth(), o, 10)
	require.NoError(t, err)
	got, _, err := sim.Replicate(m, o, 10)
	require.NoError(t, err)
	t.Logf("cycle median: truth %.0f s, calibrated %.0f s; p90 %.0f s against %.0f s; breach rate %.3f against %.3f",
		want.CycleMedian.Mean, got.CycleMedian.Mean, want.CycleP90.Mean, got.CycleP90.Mean, want.BreachRate.Mean, got.BreachRate.Mean)
	require.InEpsilon(t, want.CycleMedian.Mean, got.CycleMedian.Mean, 0.15)
	require.InEpsilon(t, want.CycleP90.Mean, got.CycleP90.Mean, 0.25)
	require.InDelta(t, want.BreachRate.Mean, got.BreachRate.Mean, 0.05)
}

func slices_dept(c *Calibration, d string) int {
	for i, x := range c.Departments {
		if x.Department == d {
			return i
		}
	}
	return -1
}

// TestWhatIfStaffAndDraft: one more engineer 9–17 shortens the wait at
// investigate and the cycle; a draft whose decision sends every case to
// the crisis team is evaluated by its rules, with a note saying so.
func TestWhatIfStaffAndDraft(t *testing.T) {
	st := openStore(t)
	writeHistory(t, st, 4)
	ctx := context.Background()
	c, err := Calibrate(ctx, st, Params{Flow: "complaint", From: monday, To: monday.Add(4 * 7 * 24 * time.Hour)})
	require.NoError(t, err)
	cur := complaint(t, 1)
	o := RunOptions{Seed: 7, Days: 21, Replications: 8, Workers: 2}
	var shares []float64
	o.Progress = func(s float64, stage string) { shares = append(shares, s) }
	res, err := Compare(ctx, c, Scenario{Def: cur}, Scenario{Def: cur, Staff: []StaffChange{{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}}}, o)
	require.NoError(t, err)
	require.Len(t, shares, 16)
	require.InDelta(t, 1, shares[15], 1e-9)
	require.Less(t, *res.Change.CycleMedian.Hi, 0.0, "shorter, the whole interval: %+v", res.Change.CycleMedian)
	var before, after float64
	for i, s := range res.Current.Steps {
		if s.Step == "investigate" {
			before, after = *s.WaitMedian.Mean, *res.Proposed.Steps[i].WaitMedian.Mean
		}
	}
	require.Less(t, after, before)
	require.Equal(t, "complaint v1, +1 in technical 09–17", res.Proposed.Label)
	require.Len(t, res.Proposed.Cycle, 6)
	require.Len(t, res.Proposed.Backlog, 28)

	draft := *cur
	draft.Version = 0
	draft.Steps = append([]flow.Step(nil), cur.Steps...)
	for i := range draft.Steps {
		if draft.Steps[i].ID == "route" {
			draft.Steps[i].Rules = []flow.Rule{{When: `attributes.severity != ""`, Next: "crisis_investigate"}}
		}
	}
	res, err = Compare(ctx, c, Scenario{Def: cur}, Scenario{Def: &draft}, o)
	require.NoError(t, err)
	require.True(t, containsText(res.Notes, "route", "its rules were evaluated"), "%+v", res.Notes)
	m, _, err := c.Model(Scenario{Def: &draft, Baseline: cur})
	require.NoError(t, err)
	require.Equal(t, []sim.Branch{{To: "crisis_investigate", P: 1}}, m.Steps[1].Next, "every case goes to the crisis team")
	m, _, err = c.Model(Scenario{Def: cur, Baseline: cur})
	require.NoError(t, err)
	require.InDelta(t, 0.1, m.Steps[1].Next[0].P, 0.03, "the observed share where the rules did not change")
	_, err = Compare(ctx, c, Scenario{Def: cur}, Scenario{Def: cur, Staff: []StaffChange{{Department: "ghosts", Delta: 1, FromHour: 9, ToHour: 17}}}, o)
	require.ErrorContains(t, err, `department "ghosts" is not a department of the flow`)
	_, err = Compare(ctx, c, Scenario{Def: cur}, Scenario{Def: cur}, RunOptions{Days: 3, Replications: 8})
	require.Error(t, err)
}

func containsText(ns []apiv1.SimNote, step, text string) bool {
	for _, n := range ns {
		if n.Step == step && len(n.Text) >= len(text) && n.Text[:len(text)] == text {
			return true
		}
	}
	return false
}

// TestCompareRefusesRunsTooLarge: arrivals times days beyond MaxRunCases.
func TestCompareRefusesRunsTooLarge(t *testing.T) {
	c := &Calibration{Flow: "complaint", From: monday, To: monday.Add(7 * 24 * time.Hour)}
	for h := range c.Arrivals {
		c.Arrivals[h] = 100 // 2,400 cases a day
	}
	cur := complaint(t, 1)
	_, err := Compare(context.Background(), c, Scenario{Def: cur}, Scenario{Def: cur}, RunOptions{Days: 366, Replications: 2})
	require.ErrorContains(t, err, "at most 150000: simulate fewer days")
}

// TestBacktestPredictsTheHoldout: four weeks calibrate, the next two are
// predicted and compared with what the history holds; the errors are
// small and their definitions hold (predicted ÷ observed − 1).
func TestBacktestPredictsTheHoldout(t *testing.T) {
	st := openStore(t)
	writeHistory(t, st, 6)
	ctx := context.Background()
	split := monday.Add(4 * 7 * 24 * time.Hour)
	res, err := Backtest(ctx, st, complaint(t, 1), monday, split, split.Add(14*24*time.Hour), RunOptions{Seed: 3, Replications: 10, Workers: 2})
	require.NoError(t, err)
	bt := res.Backtest
	require.NotNil(t, bt)
	require.Equal(t, 14, bt.HoldoutDays)
	require.Equal(t, split.Add(-7*24*time.Hour), res.Start)
	require.Positive(t, bt.Observed.Closed)
	require.LessOrEqual(t, bt.Observed.Closed, bt.Observed.Cases)
	require.InDelta(t, *res.Current.Cycle[2].Seconds.Mean / *bt.Observed.CycleMedian - 1, *bt.CycleMedianError, 1e-12)
	t.Logf("median error %+.3f, p90 error %+.3f, breach rate error %+.3f (observed median %.0f s over %d closed cases)",
		*bt.CycleMedianError, *bt.CycleP90Error, *bt.BreachRateError, *bt.Observed.CycleMedian, bt.Observed.Closed)
	require.Less(t, math.Abs(*bt.CycleMedianError), 0.15, "the issue's target")
	require.Less(t, math.Abs(*bt.CycleP90Error), 0.25)
	require.Less(t, math.Abs(*bt.BreachRateError), 0.05)

	_, err = Backtest(ctx, st, complaint(t, 1), monday.Add(-30*24*time.Hour), monday.Add(-20*24*time.Hour), monday, RunOptions{Seed: 3, Replications: 2})
	require.ErrorContains(t, err, "created no case")
}

// failingStore answers ListCases with the database unavailable.
type failingStore struct{ store.Store }

func (failingStore) ListCases(context.Context, store.ListCasesParams) ([]store.Case, error) {
	return nil, store.ErrUnavailable
}

// TestRequestErrorsAreTold: what was asked wrongly is ErrRequest (not
// worth retrying); a store that fails is not.
func TestRequestErrorsAreTold(t *testing.T) {
	ctx := context.Background()
	_, err := Calibrate(ctx, failingStore{openStore(t)}, Params{Flow: "complaint", From: monday, To: monday.Add(time.Hour)})
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.NotErrorIs(t, err, ErrRequest, "a store failure is retried")
	_, err = Calibrate(ctx, openStore(t), Params{Flow: "complaint", From: monday, To: monday})
	require.ErrorIs(t, err, ErrRequest)
	cur := complaint(t, 1)
	c := &Calibration{Flow: "complaint", From: monday, To: monday.Add(7 * 24 * time.Hour)}
	_, err = Compare(ctx, c, Scenario{Def: cur}, Scenario{Def: cur}, RunOptions{Days: 3, Replications: 2})
	require.ErrorIs(t, err, ErrRequest)
	_, _, err = c.Model(Scenario{Def: cur, Volume: -1})
	require.ErrorIs(t, err, ErrRequest)
	require.Contains(t, err.Error(), "simcal: a volume of -1", "the message as it was")
}
