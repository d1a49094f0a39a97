package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

func TestAssignArm(t *testing.T) {
	t.Parallel()
	// Deterministic: a fixed pilot and unit always give the same arm.
	for i := range 100 {
		unit := fmt.Sprintf("customer-%d", i)
		require.Equal(t, AssignArm("p-1", unit, 50), AssignArm("p-1", unit, 50))
	}
	require.Equal(t, workflows.ArmControl, AssignArm("p-1", "x", 0))
	require.Equal(t, workflows.ArmTreatment, AssignArm("p-1", "x", 100))
	// Monotone in the share: a treatment unit stays treatment at a larger share.
	for i := range 200 {
		unit := fmt.Sprintf("u%d", i)
		if AssignArm("p-2", unit, 20) == workflows.ArmTreatment {
			require.Equal(t, workflows.ArmTreatment, AssignArm("p-2", unit, 60))
		}
	}
	// The observed split of 10 000 random customers is within 2 points of the share.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, share := range []float64{10, 30, 50, 85} {
		treated := 0
		for range 10000 {
			if AssignArm("pilot-split", fmt.Sprintf("c-%d", rng.Uint64()), share) == workflows.ArmTreatment {
				treated++
			}
		}
		require.InDelta(t, share, float64(treated)/100, 2, "share %g", share)
	}
	// The unit: the customer for unit customer, else the case.
	require.Equal(t, "c1", PilotUnit(store.Pilot{Unit: workflows.UnitCustomer}, "c1", "case-1"))
	require.Equal(t, "case-1", PilotUnit(store.Pilot{Unit: workflows.UnitCustomer}, "", "case-1"))
	require.Equal(t, "case-1", PilotUnit(store.Pilot{Unit: workflows.UnitCase}, "c1", "case-1"))
}

func TestPilotAssignsNewCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	before := e.CreateCase("early")
	require.Equal(t, "", before.Variant)
	require.Equal(t, "", before.PilotID)

	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 50})
	// Ten customers, chosen so that both arms are present whatever the
	// pilot's random id hashes to (a fixed list would all land in one arm
	// for 2 ids in 1024).
	customers := []string{}
	seen := map[string]bool{}
	for i := 0; len(customers) < 10; i++ {
		c := fmt.Sprintf("cust-%d", i)
		arm := AssignArm(pl.ID, c, 50)
		if len(customers) >= 8 && !seen[workflows.ArmControl] && arm != workflows.ArmControl {
			continue
		}
		if len(customers) >= 8 && !seen[workflows.ArmTreatment] && arm != workflows.ArmTreatment {
			continue
		}
		seen[arm] = true
		customers = append(customers, c)
	}
	arms := map[string]int{}
	for i := range 40 {
		customer := customers[i%10]
		c := e.CreateCase(customer)
		require.Equal(t, pl.ID, c.PilotID)
		want := AssignArm(pl.ID, customer, 50)
		require.Equal(t, want, c.Variant, "the arm follows the customer")
		require.Equal(t, armVersion(store.Pilot{Control: 1, Treatment: 2}, want), c.Version)
		arms[c.Variant]++
		// The workflow got the arm's version and variant.
		e.eng.Mu.Lock()
		fc := e.eng.Cases[c.WorkflowID]
		e.eng.Mu.Unlock()
		require.Equal(t, c.Version, fc.In.Definition.Version)
		require.Equal(t, c.Variant, fc.In.Variant)
	}
	require.Len(t, arms, 2, "ten customers at 50%% land in both arms")

	// Unit case: each case hashes its own id.
	res := e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	after := e.CreateCase("cust-1")
	require.Equal(t, "", after.PilotID, "a stopped pilot assigns nothing")
	require.Equal(t, 1, after.Version)
	pc := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "unit": "case", "share": 50})
	for range 5 {
		c := e.CreateCase("same")
		require.Equal(t, AssignArm(pc.ID, c.ID, 50), c.Variant)
	}
}

func TestPilotLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	e.Actor("agent", store.RoleStaff, "customer_service")
	var (
		pl apiv1.Pilot
		ev apiv1.Pilot
	)

	e.step(t, "start: the pilot row, its workflow and its audit entry", func(t *testing.T, e *testEnv) {
		pl = e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 40, "primary_metric": "cycle_time",
			"guardrails": []map[string]any{{"metric": "csat", "max_worsening": 0.5}}, "min_cases_per_arm": 4,
			"max_duration": "7d", "evaluate_every": "30m"})
		require.Equal(t, "complaint", pl.Flow)
		require.Equal(t, 1, pl.Control, "control defaults to the flow's default version")
		require.Equal(t, 2, pl.Treatment)
		require.Equal(t, 40.0, pl.Share)
		require.Equal(t, "customer", pl.Unit)
		require.Equal(t, "7d", pl.MaxDuration)
		require.Equal(t, "30m", pl.EvaluateEvery)
		require.Equal(t, []apiv1.PilotGuardrail{{Metric: "csat", MaxWorsening: 0.5}}, pl.Guardrails)
		require.Equal(t, "running", pl.Status)
		require.Equal(t, "pilot-"+pl.ID, pl.WorkflowID)
		require.Equal(t, e.actors["improver"].ID, pl.CreatedBy)
		require.Nil(t, pl.Results)
		require.Empty(t, pl.Looks)
		e.eng.Mu.Lock()
		fp := e.eng.Pilots[pl.WorkflowID]
		e.eng.Mu.Unlock()
		require.NotNil(t, fp)
		require.Equal(t, workflows.PilotInput{PilotID: pl.ID, Flow: "complaint", StartedAt: pl.CreatedAt, MaxDuration: 7 * 24 * time.Hour,
			EvaluateEvery: 30 * time.Minute}, workflows.PilotInput{PilotID: fp.In.PilotID, Flow: fp.In.Flow, StartedAt: fp.In.StartedAt.UTC(),
			MaxDuration: fp.In.MaxDuration, EvaluateEvery: fp.In.EvaluateEvery})
		require.Len(t, e.audits(store.AuditFilter{Object: "pilot:" + pl.ID}), 1)
	})

	e.step(t, "cases in both arms, most of them closed, some with feedback", func(t *testing.T, e *testEnv) {
		for i := range 16 {
			c := e.CreateCase(fmt.Sprintf("k%d", i))
			if i%4 != 3 {
				e.FinishCase(c.ID)
			}
			if i%3 == 0 {
				res := e.Do("agent", http.MethodPost, "/api/v1/cases/"+c.ID+"/feedback", map[string]any{"csat": 3 + i%3, "resolved_first_contact": i%2 == 0}, nil)
				require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
			}
		}
	})

	e.step(t, "anyone reads; the running pilot shows its workflow's status", func(t *testing.T, e *testEnv) {
		got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("agent", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
		require.NotNil(t, got.Live)
		require.Equal(t, "running", got.Live.Status)
		require.NotNil(t, got.Live.NextLook)
		list := servertest.DecodeStrict[apiv1.PilotList](t, e.Do("agent", http.MethodGet, "/api/v1/pilots?flow=complaint&status=running", nil, nil), http.StatusOK)
		require.Len(t, list.Pilots, 1)
		require.Nil(t, list.Pilots[0].Live, "lists do not query the workflows")
	})

	e.step(t, "results computed live equal a direct evaluation of the same data and store nothing", func(t *testing.T, e *testEnv) {
		res := servertest.DecodeStrict[apiv1.PilotResults](t, e.Do("agent", http.MethodGet, "/api/v1/pilots/"+pl.ID+"/results", nil, nil), http.StatusOK)
		row, err := e.st.GetPilot(context.Background(), pl.ID)
		require.NoError(t, err)
		require.Nil(t, row.Results, "reading results stores nothing")
		cfg, err := pilotdata.Config(row)
		require.NoError(t, err)
		cs, err := e.st.ListPilotCases(context.Background(), pl.ID)
		require.NoError(t, err)
		require.Len(t, cs, 16)
		want := experiment.Evaluate(cfg, pilotdata.Cases(cs, ReopenWindow), nil, false)
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(res.Evaluation)
		require.JSONEq(t, string(wantJSON), string(gotJSON))
		require.Equal(t, 16, res.Arms["control"].N+res.Arms["treatment"].N)
		require.Nil(t, res.LastLook)
		require.NotEmpty(t, res.Steps)
		for _, st := range res.Steps {
			if st.Control != nil && st.Treatment != nil {
				require.NotNil(t, st.WaitP50Change)
				require.InDelta(t, st.Treatment.Wait.P50-st.Control.Wait.P50, *st.WaitP50Change, 1e-9)
			} else {
				require.Nil(t, st.WaitP50Change, st.Step)
			}
		}
	})

	e.step(t, "evaluate through the workflow: the look is stored on the row", func(t *testing.T, e *testEnv) {
		key := http.Header{apiv1.IdempotencyKeyHeader: {"look-1"}}
		ev = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, key), http.StatusOK)
		require.NotNil(t, ev.Results)
		require.NotNil(t, ev.Live)
		require.Equal(t, 1, ev.Live.Looks)
		e.eng.Mu.Lock()
		require.Equal(t, []string{"actor:" + e.actors["improver"].ID + ":look-1"}, e.eng.EvalIDs, "the Idempotency-Key, scoped to the actor, is the Update ID")
		e.eng.Mu.Unlock()
		res := servertest.DecodeStrict[apiv1.PilotResults](t, e.Do("agent", http.MethodGet, "/api/v1/pilots/"+pl.ID+"/results", nil, nil), http.StatusOK)
		require.NotNil(t, res.LastLook)
	})

	e.step(t, "stop: a pilot no longer running refuses stop and evaluate", func(t *testing.T, e *testEnv) {
		if ev.Status == "running" {
			stopped := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop",
				map[string]any{"reason": "enough"}, nil), http.StatusOK)
			require.Equal(t, "stopped", stopped.Status)
			require.Equal(t, "enough", stopped.StopReason)
			require.NotNil(t, stopped.EndedAt)
			require.Len(t, e.auditsOf("pilot:"+pl.ID, "pilot.stop"), 1)
		}
		servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil), http.StatusConflict)
		servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, nil), http.StatusConflict)
		got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("agent", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
		require.Nil(t, got.Live)
	})

	e.step(t, "promote the treatment: its version becomes the default, audited, once", func(t *testing.T, e *testEnv) {
		promoted := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "treatment"}, nil), http.StatusOK)
		require.Equal(t, "promoted", promoted.Status)
		require.Equal(t, "treatment", promoted.PromotedArm)
		def, err := e.st.DefaultFlowVersion(context.Background(), "complaint")
		require.NoError(t, err)
		require.Equal(t, 2, def.Version)
		pa := e.auditsOf("pilot:"+pl.ID, "pilot.promote")
		require.Len(t, pa, 1)
		require.Equal(t, map[string]any{"flow": "complaint", "arm": "treatment", "version": 2.0}, detailsOf(t, pa[0]))
		// Again: no change; the other arm: 409 with the store's reason.
		servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "treatment"}, nil), http.StatusOK)
		p := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "control"}, nil), http.StatusConflict)
		require.Contains(t, p.Detail, "already promoted its treatment arm")
		require.NotContains(t, p.Detail, ": conflict")
	})

	e.step(t, "new cases get the promoted version, outside any pilot", func(t *testing.T, e *testEnv) {
		c := e.CreateCase("later")
		require.Equal(t, 2, c.Version)
		require.Equal(t, "", c.PilotID)
	})
}

func TestStartPilotErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	e.Actor("owner", store.RoleOwner)
	ok := map[string]any{"flow": "complaint", "treatment": 2}

	cases := []struct {
		name   string
		body   any
		status int
		fields []string
		detail string
	}{
		{"malformed JSON", `{"flow": "complaint",`, 400, []string{"body"}, "truncated JSON"},
		{"unknown field", `{"flow": "complaint", "treatment": 2, "arms": 2}`, 400, []string{"body"}, `unknown field "arms"`},
		{"wrong type", `{"flow": "complaint", "treatment": "2"}`, 400, []string{"body.treatment"}, "expected integer"},
		{"nothing", map[string]any{}, 422, []string{"flow", "treatment"}, "flow: is required"},
		{"unknown flow", map[string]any{"flow": "nope", "treatment": 2}, 404, []string{"flow"}, `flow "nope" not found`},
		{"treatment missing", map[string]any{"flow": "complaint"}, 422, []string{"treatment"}, "treatment"},
		{"same versions", map[string]any{"flow": "complaint", "control": 2, "treatment": 2}, 422, []string{"treatment"}, "must differ from control"},
		{"share zero", map[string]any{"flow": "complaint", "treatment": 2, "share": 0}, 422, []string{"share"}, "share"},
		{"share 100", map[string]any{"flow": "complaint", "treatment": 2, "share": 100}, 422, []string{"share"}, "below 100"},
		{"bad unit and metric", map[string]any{"flow": "complaint", "treatment": 2, "unit": "household", "primary_metric": "speed"}, 422,
			[]string{"unit", "primary_metric"}, "unit"},
		{"bad guardrail", map[string]any{"flow": "complaint", "treatment": 2, "guardrails": []map[string]any{{"metric": "speed", "max_worsening": -1}}}, 422,
			[]string{"guardrails[0].metric", "guardrails[0].max_worsening"}, "guardrails[0].metric"},
		{"bad durations", map[string]any{"flow": "complaint", "treatment": 2, "max_duration": "two weeks", "evaluate_every": "-1h"}, 422,
			[]string{"max_duration", "evaluate_every"}, "max_duration"},
		{"evaluate longer than max", map[string]any{"flow": "complaint", "treatment": 2, "max_duration": "1h", "evaluate_every": "2h"}, 422,
			[]string{"evaluate_every"}, "between 1s and max_duration"},
		{"min cases zero", map[string]any{"flow": "complaint", "treatment": 2, "min_cases_per_arm": 0}, 422, []string{"min_cases_per_arm"}, "min_cases_per_arm"},
		{"no such treatment", map[string]any{"flow": "complaint", "treatment": 9}, 422, []string{"treatment"}, "has no version 9"},
		{"no such control", map[string]any{"flow": "complaint", "control": 7, "treatment": 2}, 422, []string{"control"}, "has no version 7"},
		{"query parameter", ok, 400, []string{"dry_run"}, "dry_run"},
	}
	for _, c := range cases {
		path := "/api/v1/pilots"
		if c.name == "query parameter" {
			path += "?dry_run=1"
		}
		p := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, path, c.body, nil), c.status)
		require.Contains(t, p.Detail, c.detail, c.name)
		require.Equal(t, c.fields, fieldsOf(p), c.name)
	}
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/pilots", ok, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("", http.MethodPost, "/api/v1/pilots", ok, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.SendRaw("improver", http.MethodPost, "/api/v1/pilots", "text/plain", []byte("flow"), nil), http.StatusUnsupportedMediaType)

	// A retired treatment.
	res := e.Do("admin", http.MethodPost, "/api/v1/flows/complaint/versions/2/retire", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	p := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots", ok, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"treatment"}, fieldsOf(p))
	require.Contains(t, p.Detail, "retired")
	e.eng.Mu.Lock()
	require.Empty(t, e.eng.PilotStarts)
	e.eng.Mu.Unlock()

	// Another pilot of the flow running: 409 naming it.
	first := e.StartPilot(map[string]any{"flow": "complaint", "control": 2, "treatment": 1})
	p = servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/pilots", map[string]any{"flow": "complaint", "control": 2, "treatment": 1}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, first.ID)
}

func TestStartPilotWorkflowFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	e.eng.SetPilotErrs(fmt.Errorf("engine: %w: dial tcp 10.0.0.9:7233", engine.ErrEngineUnavailable), nil, nil, nil)
	p := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots", map[string]any{"flow": "complaint", "treatment": 2}, nil), http.StatusServiceUnavailable)
	require.NotContains(t, p.Detail, "10.0.0.9")
	pls, err := e.st.ListPilots(context.Background(), store.ListPilotsParams{})
	require.NoError(t, err)
	require.Len(t, pls, 1)
	require.Equal(t, store.PilotStopped, pls[0].Status)
	require.Equal(t, pilotStopReasonStartFailed, pls[0].StopReason)
	// The flow is free for the next attempt.
	e.eng.SetPilotErrs(nil, nil, nil, nil)
	e.StartPilot(nil)
}

func TestStartRunningPilots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Rows written by a server that crashed before starting the workflows.
	var ids []string
	for _, key := range []string{"complaint", "appointment"} {
		pl, _, err := e.st.CreatePilot(ctx, store.CreatePilotParams{ID: "p-" + key, Flow: key, Control: 1, Treatment: 1, Share: 50,
			Unit: "customer", PrimaryMetric: "cycle_time", MinCasesPerArm: 10, MaxDuration: time.Hour, EvaluateEvery: time.Minute,
			WorkflowID: workflows.PilotWorkflowID("p-" + key), CreatedBy: "x", At: time.Now().UTC()})
		require.NoError(t, err)
		ids = append(ids, pl.WorkflowID)
	}
	e.eng.SetPilotErrs(errors.New("boom"), nil, nil, nil)
	require.ErrorContains(t, StartPending(ctx, e.st, e.eng), "boom")
	e.eng.SetPilotErrs(nil, nil, nil, nil)
	require.NoError(t, StartPending(ctx, e.st, e.eng))
	require.NoError(t, StartRunningPilots(ctx, e.st, e.eng), "idempotent")
	e.eng.Mu.Lock()
	defer e.eng.Mu.Unlock()
	require.Len(t, e.eng.Pilots, 2)
	for _, id := range ids {
		require.Contains(t, e.eng.Pilots, id)
	}
}

func TestStopPilotPaths(t *testing.T) {
	t.Parallel()
	st := newEnv(t).st
	e := newEnvWithStore(t, st, func(c *Config) { c.PilotStopWait = 100 * time.Millisecond })
	e.Actor("improver", store.RoleImprover)
	e.Actor("agent", store.RoleStaff, "customer_service")

	// The workflow is gone: the row is ended directly.
	pl := e.StartPilot(nil)
	e.eng.Mu.Lock()
	delete(e.eng.Pilots, pl.WorkflowID)
	e.eng.Mu.Unlock()
	got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil), http.StatusOK)
	require.Equal(t, "stopped", got.Status)
	require.Equal(t, "stopped by "+e.actors["improver"].ID, got.StopReason)

	// The workflow takes its time: 202, still running.
	pl = e.StartPilot(nil)
	e.eng.Mu.Lock()
	e.eng.StopIgnored = true
	e.eng.Mu.Unlock()
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{"reason": "r"}, nil), http.StatusAccepted)
	require.Equal(t, "running", got.Status)
	// Promoting a pilot that does not stop in time: 409.
	p := servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "treatment"}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "still runs")
	e.eng.Mu.Lock()
	e.eng.StopIgnored = false
	e.eng.Mu.Unlock()
	// Promoting a running pilot stops it first.
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "control"}, nil), http.StatusOK)
	require.Equal(t, "promoted", got.Status)
	require.Equal(t, "control", got.PromotedArm)
	require.Contains(t, got.StopReason, "to promote its control arm")

	// The engine is down: 503, the row untouched.
	pl = e.StartPilot(nil)
	e.eng.SetPilotErrs(nil, fmt.Errorf("engine: %w", engine.ErrEngineUnavailable), fmt.Errorf("engine: %w", engine.ErrEngineUnavailable), fmt.Errorf("engine: %w", engine.ErrEngineUnavailable))
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil), http.StatusServiceUnavailable)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, nil), http.StatusServiceUnavailable)
	// Reading still answers from the row, without live.
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("agent", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	require.Equal(t, "running", got.Status)
	require.Nil(t, got.Live)
	e.eng.SetPilotErrs(nil, nil, nil, nil)

	// Roles, unknown pilots, bad bodies.
	for path, body := range map[string]any{"/stop": map[string]any{}, "/evaluate": nil, "/promote": map[string]any{"arm": "control"}} {
		servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/pilots/"+pl.ID+path, body, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do("", http.MethodPost, "/api/v1/pilots/"+pl.ID+path, body, nil), http.StatusUnauthorized)
		servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/nope"+path, body, nil), http.StatusNotFound)
	}
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/pilots/nope", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/pilots/nope/results", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/pilots", nil, nil), http.StatusUnauthorized)
	p = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "b"}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"arm"}, fieldsOf(p))
	p = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"arm"}, fieldsOf(p))
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", `{"arm": "control", "version": 2}`, nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", `{"why": "x"}`, nil), http.StatusBadRequest)
	p = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{"reason": string(bytes.Repeat([]byte("x"), 501))}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"reason"}, fieldsOf(p))
	p = servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, http.Header{apiv1.IdempotencyKeyHeader: {"ключ"}}), http.StatusBadRequest)
	require.Equal(t, []string{apiv1.IdempotencyKeyHeader}, fieldsOf(p))
}

func TestListPilotsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	var ids []string
	for range 5 {
		pl := e.StartPilot(nil)
		ids = append([]string{pl.ID}, ids...) // newest first
		res := e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		time.Sleep(2 * time.Millisecond)
	}
	var seen []string
	path := "/api/v1/pilots?limit=2"
	for range 5 {
		page := servertest.DecodeStrict[apiv1.PilotList](t, e.Do("improver", http.MethodGet, path, nil, nil), http.StatusOK)
		for _, p := range page.Pilots {
			seen = append(seen, p.ID)
		}
		if page.NextCursor == "" {
			break
		}
		path = "/api/v1/pilots?limit=2&cursor=" + page.NextCursor
	}
	require.Equal(t, ids, seen)
	empty := servertest.DecodeStrict[apiv1.PilotList](t, e.Do("improver", http.MethodGet, "/api/v1/pilots?status=running", nil, nil), http.StatusOK)
	require.Empty(t, empty.Pilots)
	// from/to bound created_at.
	all, err := e.st.ListPilots(context.Background(), store.ListPilotsParams{})
	require.NoError(t, err)
	mid := all[2].CreatedAt.UTC().Format(time.RFC3339Nano)
	before := servertest.DecodeStrict[apiv1.PilotList](t, e.Do("improver", http.MethodGet, "/api/v1/pilots?to="+mid, nil, nil), http.StatusOK)
	require.Len(t, before.Pilots, 2)
	since := servertest.DecodeStrict[apiv1.PilotList](t, e.Do("improver", http.MethodGet, "/api/v1/pilots?from="+mid, nil, nil), http.StatusOK)
	require.Len(t, since.Pilots, 3)
	for _, q := range []string{"limit=0", "limit=501", "cursor=bogus", "status=paused", "flow=complaint&colour=red", "from=yesterday"} {
		servertest.ProblemOf(t, e.Do("improver", http.MethodGet, "/api/v1/pilots?"+q, nil, nil), http.StatusBadRequest)
	}
}

// auditsOf returns the audit entries of object with action.
func (e *testEnv) auditsOf(object, action string) []store.AuditEntry {
	e.t.Helper()
	var out []store.AuditEntry
	for _, a := range e.audits(store.AuditFilter{Object: object}) {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestPilotConcludesOnEvaluation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "unit": "case", "min_cases_per_arm": 2})
	arms := map[string]int{}
	for i := 0; arms["control"] < 3 || arms["treatment"] < 3; i++ {
		require.Less(t, i, 60)
		c := e.CreateCase(fmt.Sprintf("z%d", i))
		e.FinishCase(c.ID)
		arms[c.Variant]++
	}
	// The planned sample is reached: the look concludes the pilot.
	got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, nil), http.StatusOK)
	require.Equal(t, "completed", got.Status)
	require.NotNil(t, got.EndedAt)
	require.Equal(t, "completed", got.Live.Status)
	require.Equal(t, "conclude", got.Results.Decision)
	require.Equal(t, []experiment.Look{{Fraction: 1}}, got.Looks)
	require.NotEmpty(t, got.Results.Recommendation)

	// The results show the stored look next to a fresh evaluation.
	res := servertest.DecodeStrict[apiv1.PilotResults](t, e.Do("improver", http.MethodGet, "/api/v1/pilots/"+pl.ID+"/results", nil, nil), http.StatusOK)
	require.Equal(t, "completed", res.Status)
	require.Equal(t, got.Results, res.LastLook)
	require.Equal(t, arms["control"], res.Arms["control"].N)
	require.Equal(t, arms["treatment"], res.Arms["treatment"].N)
	require.Equal(t, 2, res.Treatment)
	// Both versions' steps appear; steps of one arm only have no change.
	var onlyOne, both int
	for _, st := range res.Steps {
		if st.Control == nil || st.Treatment == nil {
			onlyOne++
			require.Nil(t, st.WorkP50Change)
		} else {
			both++
		}
	}
	require.Positive(t, onlyOne, "complaint v1 and v2 have different steps")
	require.Positive(t, both)
	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/evaluate", nil, nil), http.StatusConflict)
}
