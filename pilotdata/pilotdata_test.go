package pilotdata_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/store"
)

func TestCasesReopenWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	closed := t0.Add(time.Hour)
	yes := true
	csat := 4
	within, after := closed.Add(6*24*time.Hour), closed.Add(8*24*time.Hour)
	cs := pilotdata.Cases([]store.PilotCase{
		{Arm: "control", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed, ResolvedFirstContact: &yes, ReopenedAt: &within, CSAT: &csat},
		{Arm: "control", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed, ResolvedFirstContact: &yes, ReopenedAt: &after, SLABreached: true},
		{Arm: "treatment", Status: store.CaseCancelled, CreatedAt: t0, ClosedAt: &closed},
		{Arm: "treatment", Status: store.CaseActive, CreatedAt: t0},
	}, pilotdata.DefaultReopenWindow)
	require.False(t, *cs[0].FCR, "reopened within the window")
	require.True(t, *cs[1].FCR, "reopened after the window")
	require.Equal(t, 3600.0, cs[0].CycleSeconds)
	require.Equal(t, &csat, cs[0].CSAT)
	require.True(t, cs[1].SLABreached)
	require.False(t, cs[2].Closed, "a cancelled case has no cycle time")
	require.False(t, cs[3].Closed)
}

func TestConfigAndLooks(t *testing.T) {
	t.Parallel()
	pl := store.Pilot{ID: "p", Control: 1, Treatment: 2, Share: 30, PrimaryMetric: "csat", MinCasesPerArm: 50,
		Guardrails: []byte(`[{"metric":"sla_breach_rate","max_worsening":0.1}]`), Looks: []byte(`[{"fraction":0.2}]`)}
	cfg, err := pilotdata.Config(pl)
	require.NoError(t, err)
	require.Equal(t, experiment.Config{Control: 1, Treatment: 2, Share: 30, Primary: experiment.CSAT, MinCasesPerArm: 50,
		Alpha: experiment.DefaultAlpha, Guardrails: []experiment.Guardrail{{Metric: experiment.SLABreachRate, MaxWorsening: 0.1}}}, cfg)
	looks, err := pilotdata.Looks(pl)
	require.NoError(t, err)
	require.Equal(t, []experiment.Look{{Fraction: 0.2}}, looks)
	pl.Guardrails = []byte(`{`)
	_, err = pilotdata.Config(pl)
	require.Error(t, err)
	pl.Looks = []byte(`null`)
	looks, err = pilotdata.Looks(pl)
	require.NoError(t, err)
	require.Empty(t, looks)
}

// A customer who comes back counts once in the sample-ratio check of a
// customer-level pilot, and every case counts in a case-level one.
func TestUnitsForTheSampleRatioCheck(t *testing.T) {
	t.Parallel()
	var cs []store.PilotCase
	// 20 control customers calling 3 times each, 20 treatment customers once.
	for i := 0; i < 20; i++ {
		for k := 0; k < 3; k++ {
			cs = append(cs, store.PilotCase{CaseID: fmt.Sprintf("c-%d-%d", i, k), Arm: "control", Customer: fmt.Sprintf("C%d", i)})
		}
		cs = append(cs, store.PilotCase{CaseID: fmt.Sprintf("t-%d", i), Arm: "treatment", Customer: fmt.Sprintf("T%d", i)})
	}
	cfg := experiment.Config{Control: 1, Treatment: 2, Share: 50}
	byCustomer := experiment.Evaluate(cfg, pilotdata.Units(store.Pilot{Unit: "customer"}, cs, pilotdata.DefaultReopenWindow), nil, false)
	require.InDelta(t, 1, byCustomer.SRM.P, 1e-9, "20 customers in each arm")
	byCase := experiment.Evaluate(cfg, pilotdata.Units(store.Pilot{Unit: "case"}, cs, pilotdata.DefaultReopenWindow), nil, false)
	require.True(t, byCase.SRM.Mismatch, "60 against 20 cases: p=%g", byCase.SRM.P)
	require.Equal(t, 60, byCustomer.Arms["control"].N, "arms still count cases")
}

// A follow-up call's CSAT answer is the case's CSAT when the customer
// gave no feedback CSAT, and only then; its improvement answer is the
// case's; an unreachable customer's call answers nothing (decision 0041).
func TestCasesFollowUpAnswers(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	closed := t0.Add(time.Hour)
	two, five := 2, 5
	answered := func(improvement string, csat *int) *store.FollowUpMeasure {
		return &store.FollowUpMeasure{Share: 0.15, Sampled: true, Opened: true, Outcome: store.FollowUpAnswered, Improvement: improvement, CSAT: csat}
	}
	base := store.PilotCase{Arm: "control", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed}
	withFeedback, callOnly, unreachable, pending, none := base, base, base, base, base
	withFeedback.CSAT, withFeedback.FollowUp = &five, answered(store.ImprovementNo, &two)
	callOnly.FollowUp = answered(store.ImprovementYes, &two)
	unreachable.FollowUp = &store.FollowUpMeasure{Share: 0.15, Sampled: true, Opened: true, Outcome: store.FollowUpUnreachable}
	pending.FollowUp = &store.FollowUpMeasure{Share: 0.15, Sampled: true}
	cs := pilotdata.Cases([]store.PilotCase{withFeedback, callOnly, unreachable, pending, none}, pilotdata.DefaultReopenWindow)
	require.Equal(t, &five, cs[0].CSAT, "the feedback's answer stays the case's")
	require.Equal(t, "no", cs[0].Improvement)
	require.Equal(t, &two, cs[1].CSAT, "the call's answer when there is no other")
	require.Equal(t, "yes", cs[1].Improvement)
	for _, c := range cs[2:] {
		require.Nil(t, c.CSAT)
		require.Empty(t, c.Improvement)
	}
}
