package experiment

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/stats"
)

// memoDesign computes each schedule's boundaries once: in a simulation
// every pilot has the same looks.
type memoDesign struct {
	d   sequentialDesign
	mu  sync.Mutex
	b   map[string][]float64
	inf float64
}

func newMemo(alpha float64) *memoDesign {
	return &memoDesign{d: sequentialDesign{stats.Sequential{Alpha: alpha}}, b: map[string][]float64{}}
}

func (m *memoDesign) boundaries(fr []float64, final bool) ([]float64, error) {
	key := strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtFloats(fr), "[]")), ","), ",")
	if final {
		key += "F"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.b[key]; ok {
		return b, nil
	}
	b, err := m.d.boundaries(fr, final)
	if err == nil {
		m.b[key] = b
	}
	return b, err
}

func (m *memoDesign) inflation() (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inf == 0 {
		f, err := m.d.inflation()
		if err != nil {
			return 0, err
		}
		m.inf = f
	}
	return m.inf, nil
}

func fmtFloats(fr []float64) string {
	b, _ := json.Marshal(fr)
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// pilotCases makes n closed cases per arm with log-normal cycle times
// (median medianC / medianC·ratio, log SD sigma) and SLA breaches with the
// given probabilities.
func pilotCases(rng *rand.Rand, n int, medianC, ratio, sigma, breachC, breachT float64) []Case {
	cs := make([]Case, 0, 2*n)
	for range n {
		cs = append(cs,
			Case{Arm: ArmControl, Closed: true, CycleSeconds: medianC * math.Exp(sigma*rng.NormFloat64()), SLABreached: rng.Float64() < breachC},
			Case{Arm: ArmTreatment, Closed: true, CycleSeconds: medianC * ratio * math.Exp(sigma*rng.NormFloat64()), SLABreached: rng.Float64() < breachT},
		)
	}
	return cs
}

// runPilot evaluates a pilot at five equally spaced looks (cases per arm
// round(k·planned/5)) until it stops, as the Pilot workflow would: cases is
// the full sample, prefixes of it are seen at each look.
func runPilot(cfg Config, cases []Case, d design) (ev Evaluation, looks int) {
	var earlier []Look
	planned := cfg.MinCasesPerArm
	for k := 1; k <= 5; k++ {
		n := int(math.Round(float64(k*planned) / 5))
		ev = evaluate(cfg, cases[:2*n], earlier, false, d)
		if ev.NewLook {
			earlier = append(earlier, Look{Fraction: ev.Fraction})
		}
		if ev.Decision != DecisionContinue {
			return ev, k
		}
	}
	return ev, 5
}

func TestAAFalsePositiveRate(t *testing.T) {
	t.Parallel()
	const pilots = 1000
	cfg := Config{Control: 1, Treatment: 2, Share: 50, Primary: CycleTime, MinCasesPerArm: 100, Alpha: 0.05}
	d := newMemo(cfg.Alpha)
	rng := rand.New(rand.NewPCG(20240601, 1))
	winners := 0
	for range pilots {
		ev, _ := runPilot(cfg, pilotCases(rng, 100, 3600, 1, 0.8, 0.1, 0.1), d)
		require.Equal(t, DecisionConclude, ev.Decision)
		if ev.Winner != "" {
			winners++
		}
	}
	rate := float64(winners) / pilots
	t.Logf("A/A pilots with 5 looks that declared a winner: %d of %d = %.1f%% (alpha 5%%)", winners, pilots, 100*rate)
	require.GreaterOrEqual(t, rate, 0.03)
	require.LessOrEqual(t, rate, 0.07)
}

func TestPowerForFortyPercentShorterCycleTime(t *testing.T) {
	t.Parallel()
	const sigma, ratio = 0.8, 0.6
	// The package's own plan: the fixed-sample size for the Mann–Whitney
	// test on log-normal cycle times, inflated for the sequential design.
	d := newMemo(0.05)
	inf, err := d.inflation()
	require.NoError(t, err)
	planned := sequentialSize(stats.SampleSizeCycleTime(sigma, ratio, 0.05, 0.8), inf)
	t.Logf("planned cases per arm: %d (fixed-sample %d × inflation %.4f)", planned, stats.SampleSizeCycleTime(sigma, ratio, 0.05, 0.8), inf)

	rng := rand.New(rand.NewPCG(20240601, 2))
	// Evaluate recommends the same plan from a pilot's data.
	big := evaluate(Config{Control: 1, Treatment: 2, Share: 50, MinCasesPerArm: 4000}, pilotCases(rng, 4000, 3600, ratio, sigma, 0, 0), nil, false, d)
	t.Logf("CasesNeededFor80Power from a 4000-per-arm look: %d", big.CasesNeededFor80Power)
	require.InDelta(t, planned, big.CasesNeededFor80Power, 0.15*float64(planned))

	cfg := Config{Control: 1, Treatment: 2, Share: 50, Primary: CycleTime, MinCasesPerArm: planned, Alpha: 0.05}
	const pilots = 1000
	detected, lookSum := 0, 0
	for range pilots {
		ev, k := runPilot(cfg, pilotCases(rng, planned, 3600, ratio, sigma, 0.1, 0.1), d)
		if ev.Winner == ArmTreatment {
			detected++
			lookSum += k
		}
	}
	power := float64(detected) / pilots
	t.Logf("power to detect a 40%% cut of the median (log SD 0.8) with %d cases per arm and 5 looks: %.1f%% (%d of %d), mean stopping look %.2f",
		planned, 100*power, detected, pilots, float64(lookSum)/float64(max(detected, 1)))
	require.GreaterOrEqual(t, power, 0.8)
}

func TestGuardrailStopsHarmfulTreatment(t *testing.T) {
	t.Parallel()
	guard := []Guardrail{{Metric: SLABreachRate, MaxWorsening: 0.05}, {Metric: CycleTime, MaxWorsening: 0.2}}
	cfg := Config{Control: 1, Treatment: 2, Share: 50, Primary: CycleTime, MinCasesPerArm: 100, Alpha: 0.05, Guardrails: guard}
	d := newMemo(0.05)
	rng := rand.New(rand.NewPCG(20240601, 3))

	const pilots = 200
	stopped, lookSum := 0, 0
	for range pilots {
		ev, k := runPilot(cfg, pilotCases(rng, 100, 3600, 1, 0.8, 0.10, 0.40), d)
		if ev.Decision == DecisionStopTreatment {
			stopped++
			lookSum += k
			require.Equal(t, ArmControl, ev.Winner)
			require.True(t, ev.Guardrails[0].Breached)
			require.Contains(t, ev.Recommendation, "Stop v2")
		}
	}
	t.Logf("SLA breach 30 points worse: stopped %d of %d pilots, on average at look %.2f", stopped, pilots, float64(lookSum)/float64(max(stopped, 1)))
	require.GreaterOrEqual(t, stopped, pilots*99/100)

	// A/A pilots: each guardrail is checked at every look at the one-sided
	// 0.025 level without alpha spending, but against its margin, so an A/A
	// pilot rarely trips one.
	const aa = 1000
	for _, tc := range []struct {
		guardrails []Guardrail
		max        float64
	}{
		{guard[:1], 0.02},
		{guard, 0.04},
	} {
		cfg.Guardrails = tc.guardrails
		tripped := 0
		for range aa {
			ev, _ := runPilot(cfg, pilotCases(rng, 100, 3600, 1, 0.8, 0.10, 0.10), d)
			if ev.Decision == DecisionStopTreatment {
				tripped++
			}
		}
		rate := float64(tripped) / aa
		t.Logf("A/A pilots (%d guardrails, 5 looks) stopped by a guardrail: %d of %d = %.1f%%", len(tc.guardrails), tripped, aa, 100*rate)
		require.Less(t, rate, tc.max)
	}
}

func TestEvaluateReport(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	cases := pilotCases(rng, 400, 5*3600, 0.6, 0.8, 0.2, 0.1)
	for i := range cases {
		if i%3 == 0 {
			cases[i].FCR = ptr(i%2 == 0)
		}
		if i%4 == 0 {
			cases[i].CSAT = ptr(1 + i%5)
		}
	}
	cases = append(cases, Case{Arm: ArmTreatment}, Case{Arm: "other", Closed: true})
	cfg := Config{Control: 1, Treatment: 2, Share: 50, MinCasesPerArm: 400, Guardrails: []Guardrail{{Metric: CSAT, MaxWorsening: 0.5}}}
	ev := Evaluate(cfg, cases, []Look{{Fraction: 0.5}}, false)

	require.Equal(t, DecisionConclude, ev.Decision)
	require.Equal(t, ArmTreatment, ev.Winner)
	require.True(t, ev.NewLook)
	require.Equal(t, 2, ev.Look)
	require.Equal(t, 1.0, ev.Fraction)
	require.Equal(t, 400, ev.Arms[ArmControl].N)
	require.Equal(t, 401, ev.Arms[ArmTreatment].N)
	require.Equal(t, 400, ev.Arms[ArmTreatment].Closed)
	require.Len(t, ev.Metrics, 4)
	ct := ev.Metrics[0]
	require.Equal(t, CycleTime, ct.Metric)
	require.True(t, ct.Primary)
	require.Equal(t, VerdictBetter, ct.Verdict)
	require.True(t, ct.Crossed)
	require.InDelta(t, -0.4, ct.Effect, 0.08)
	require.Less(t, ct.CILow, ct.Effect)
	require.Greater(t, ct.CIHigh, ct.Effect)
	require.Less(t, ct.Statistic, -ct.Boundary)
	require.Equal(t, VerdictBetter, ev.Metrics[1].Verdict, "SLA breach 20%% -> 10%%")
	require.Equal(t, TestWelch, ev.Metrics[3].Test)
	require.False(t, ev.SRM.Mismatch)
	require.Len(t, ev.Guardrails, 1)
	require.False(t, ev.Guardrails[0].Breached)
	require.Positive(t, ev.CasesNeededFor80Power)
	require.Equal(t, max(0, ev.CasesNeededFor80Power-min(ct.NControl, ct.NTreatment)), ev.CasesStillNeeded)
	require.Contains(t, ev.Recommendation, "v2 cut the median cycle time by")
	require.Contains(t, ev.Recommendation, "promote v2")
	require.Contains(t, ev.Notes[0], "1 cases with an arm other")
	t.Log(ev.Recommendation)

	b, err := json.Marshal(ev)
	require.NoError(t, err)
	for _, key := range []string{`"arms"`, `"median_cycle_seconds"`, `"sla_breach_rate"`, `"ci_low"`, `"boundary"`, `"chi_square"`, `"max_worsening"`, `"cases_needed_for_80_power"`, `"decision":"conclude"`} {
		require.Contains(t, string(b), key)
	}
}

func TestEvaluateDecisions(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 8))
	aa := pilotCases(rng, 60, 3600, 1, 0.8, 0.1, 0.1)
	worse := pilotCases(rng, 300, 3600, 1.5, 0.8, 0.1, 0.1)
	base := Config{Control: 3, Treatment: 4, Share: 50, MinCasesPerArm: 300}
	for _, tc := range []struct {
		name     string
		cfg      Config
		cases    []Case
		earlier  []Look
		final    bool
		decision string
		winner   string
		newLook  bool
		says     string
	}{
		{"interim", base, aa, nil, false, DecisionContinue, "", true, "No decision yet at look 1 (20% of the planned 300"},
		{"final look short of plan", base, aa, []Look{{0.1}}, true, DecisionConclude, "", true, "No significant difference"},
		{"no new information", base, aa, []Look{{0.2}}, false, DecisionContinue, "", false, "look 1"},
		{"treatment slower", base, worse, nil, false, DecisionConclude, ArmControl, true, "v4 lengthened the median cycle time by"},
		{"srm", Config{Control: 3, Treatment: 4, Share: 20, MinCasesPerArm: 300}, worse, nil, false, DecisionConclude, "", true, "Sample ratio mismatch"},
		{"fcr primary without data", Config{Control: 3, Treatment: 4, Share: 50, Primary: FCR}, aa, nil, false, DecisionContinue, "", false, "Not enough data yet to compare the first-contact resolution rate (0 and 0 cases)"},
		{"fcr primary without data, final", Config{Control: 3, Treatment: 4, Share: 50, Primary: FCR}, aa, nil, true, DecisionConclude, "", false, "ended without enough data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := Evaluate(tc.cfg, tc.cases, tc.earlier, tc.final)
			require.Equal(t, tc.decision, ev.Decision, ev.Recommendation)
			require.Equal(t, tc.winner, ev.Winner)
			require.Equal(t, tc.newLook, ev.NewLook)
			require.Contains(t, ev.Recommendation, tc.says)
			t.Log(ev.Recommendation)
		})
	}
}

func TestDegenerateInput(t *testing.T) {
	t.Parallel()
	closed := func(arm string, secs float64) Case { return Case{Arm: arm, Closed: true, CycleSeconds: secs} }
	same := []Case{}
	for range 10 {
		same = append(same, Case{Arm: ArmControl, Closed: true, CycleSeconds: 60, CSAT: ptr(5), FCR: ptr(true)},
			Case{Arm: ArmTreatment, Closed: true, CycleSeconds: 60, CSAT: ptr(5), FCR: ptr(true)})
	}
	csatApart := []Case{}
	for range 5 {
		csatApart = append(csatApart, Case{Arm: ArmControl, Closed: true, CycleSeconds: 60, CSAT: ptr(4)},
			Case{Arm: ArmTreatment, Closed: true, CycleSeconds: 60, CSAT: ptr(5)})
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		cases []Case
	}{
		{"no cases", Config{}, nil},
		{"one arm empty", Config{Share: 50}, []Case{closed(ArmControl, 10), closed(ArmControl, 20), closed(ArmControl, 30)}},
		{"one case each", Config{Share: 50}, []Case{closed(ArmControl, 10), closed(ArmTreatment, 20)}},
		{"all equal", Config{Share: 50, MinCasesPerArm: 10, Guardrails: []Guardrail{{CSAT, 0}, {FCR, 0}, {CycleTime, 0}}}, same},
		{"all equal csat primary", Config{Share: 50, Primary: CSAT, MinCasesPerArm: 10}, same},
		{"csat without variance", Config{Share: 50, Primary: CSAT, MinCasesPerArm: 5, Guardrails: []Guardrail{{CSAT, 0.1}}}, csatApart},
		{"invalid values", Config{Share: 150, Primary: "speed", Alpha: 7, MinCasesPerArm: -3, Guardrails: []Guardrail{{"x", 1}, {SLABreachRate, math.NaN()}}},
			[]Case{closed(ArmControl, math.NaN()), closed(ArmTreatment, math.Inf(1)), closed(ArmTreatment, -5), {Arm: ArmControl, Closed: true, CSAT: ptr(9)}, closed("", 3)}},
		{"zero seconds", Config{Share: 50, MinCasesPerArm: 3}, []Case{closed(ArmControl, 0), closed(ArmControl, 0), closed(ArmTreatment, 0), closed(ArmTreatment, 0.5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, final := range []bool{false, true} {
				ev := Evaluate(tc.cfg, tc.cases, []Look{{math.NaN()}, {-1}, {0.5}, {0.4}, {2}}, final)
				b, err := json.Marshal(ev)
				require.NoError(t, err, "JSON has no NaN or Inf")
				require.NotContains(t, string(b), `"statistic":NaN`)
				require.Contains(t, []string{DecisionContinue, DecisionConclude, DecisionStopTreatment}, ev.Decision)
				require.NotEmpty(t, ev.Recommendation)
				require.Contains(t, ev.Arms, ArmControl)
				require.Contains(t, ev.Arms, ArmTreatment)
				if final {
					require.NotEqual(t, DecisionContinue, ev.Decision)
				}
			}
		})
	}
	ev := Evaluate(Config{Share: 50, Primary: CSAT, MinCasesPerArm: 5}, csatApart, nil, false)
	require.Equal(t, VerdictInsufficient, ev.Metrics[3].Verdict, "no variance in either arm: nothing to measure uncertainty with")
	require.Equal(t, 1.0, ev.Metrics[3].Effect)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, Config{Share: 50, Primary: FCR, MinCasesPerArm: 10, Guardrails: []Guardrail{{CSAT, 0.3}}}.Validate())
	err := Config{Share: 0, Primary: "x", MinCasesPerArm: -1, Alpha: 2, Guardrails: []Guardrail{{CSAT, -1}}}.Validate()
	require.Error(t, err)
	for _, s := range []string{"share", "primary", "min cases", "alpha", "guardrail 1"} {
		require.Contains(t, err.Error(), s)
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{}, 50.0, uint8(0), uint16(100), false)
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, 50.0, uint8(1), uint16(3), true)
	f.Add([]byte("some cases of some arms, closed or not, with scores"), 20.0, uint8(3), uint16(0), false)
	f.Fuzz(func(t *testing.T, data []byte, share float64, primary uint8, minCases uint16, final bool) {
		var cases []Case
		for i := 0; i+3 < len(data); i += 4 {
			b := data[i : i+4]
			c := Case{Arm: []string{ArmControl, ArmTreatment, "", "x"}[b[0]%4], Closed: b[1]&1 == 1, SLABreached: b[1]&2 == 2}
			c.CycleSeconds = []float64{0, 1, 60, 3600, math.NaN(), math.Inf(1), -1, float64(b[2]) * 97}[b[1]>>2%8]
			if b[3]&1 == 1 {
				c.FCR = ptr(b[3]&2 == 2)
			}
			if b[3]&4 == 4 {
				c.CSAT = ptr(int(b[3]>>3) % 7)
			}
			cases = append(cases, c)
		}
		cfg := Config{Control: 1, Treatment: 2, Share: share, Primary: Metrics()[primary%4], MinCasesPerArm: int(minCases % 64),
			Guardrails: []Guardrail{{CycleTime, 0.1}, {SLABreachRate, 0}, {FCR, 0.05}, {CSAT, 0.2}}}
		var earlier []Look
		if len(data) > 0 {
			earlier = []Look{{float64(data[0]) / 255}}
		}
		ev := Evaluate(cfg, cases, earlier, final)
		b, err := json.Marshal(ev)
		require.NoError(t, err, "JSON has no NaN or Inf")
		require.NotEmpty(t, b)
		require.Contains(t, []string{DecisionContinue, DecisionConclude, DecisionStopTreatment}, ev.Decision)
		require.GreaterOrEqual(t, ev.Fraction, 0.0)
		require.LessOrEqual(t, ev.Fraction, 1.0)
	})
}

func TestCasesStillNeeded(t *testing.T) {
	t.Parallel()
	// A small pilot with a modest effect: more cases are needed than it has.
	var cases []Case
	for i := 0; i < 8; i++ {
		cases = append(cases,
			Case{Arm: ArmControl, Closed: true, CycleSeconds: 100 + float64(i*13%40)},
			Case{Arm: ArmTreatment, Closed: true, CycleSeconds: 92 + float64(i*17%40)})
	}
	ev := Evaluate(Config{Control: 1, Treatment: 2, Share: 50, MinCasesPerArm: 400}, cases, nil, false)
	require.Positive(t, ev.CasesNeededFor80Power)
	require.Equal(t, ev.CasesNeededFor80Power-8, ev.CasesStillNeeded)
}

// Each arm reports the perceived-improvement rate of its follow-up calls
// (decision 0041): yes / (yes + no), "not sure" counted apart; a case
// without an answered call has no answer.
func TestEvaluatePerceivedImprovementPerArm(t *testing.T) {
	t.Parallel()
	var cases []Case
	add := func(arm string, answers ...string) {
		for _, a := range answers {
			cases = append(cases, Case{Arm: arm, Closed: true, CycleSeconds: 60, Improvement: a})
		}
	}
	add(ArmControl, "yes", "no", "no", "not_sure", "")
	add(ArmTreatment, "yes", "yes", "yes", "no", "not_sure", "not_sure")
	ev := Evaluate(Config{Share: 50, MinCasesPerArm: 100}, cases, nil, false)
	c, tr := ev.Arms[ArmControl], ev.Arms[ArmTreatment]
	require.Equal(t, 3, c.PerceivedN)
	require.Equal(t, 1, c.PerceivedYes)
	require.Equal(t, 1, c.PerceivedNotSure)
	require.InDelta(t, 1.0/3, c.PerceivedRate, 1e-12)
	require.Equal(t, 4, tr.PerceivedN)
	require.Equal(t, 2, tr.PerceivedNotSure)
	require.InDelta(t, 0.75, tr.PerceivedRate, 1e-12)

	none := Evaluate(Config{Share: 50}, []Case{{Arm: ArmControl, Closed: true}}, nil, false)
	require.Zero(t, none.Arms[ArmControl].PerceivedN)
	require.Zero(t, none.Arms[ArmControl].PerceivedRate)
}

// TestPlanIsTheEvaluationsSize: Plan with the effect and spread an
// evaluation observed gives the evaluation's CasesNeededFor80Power, and
// a smaller expected effect needs more cases.
func TestPlanIsTheEvaluationsSize(t *testing.T) {
	cfg := Config{Primary: CycleTime}
	n := Plan(cfg, 3600, 3000, 0.8)
	require.Positive(t, n)
	want := sequentialSize(stats.SampleSizeCycleTime(0.8, 3000.0/3600, 0.05, 0.8), mustInflation(t))
	require.Equal(t, want, n)
	require.Greater(t, Plan(cfg, 3600, 3400, 0.8), n)
	require.Zero(t, Plan(cfg, 3600, 3600, 0.8), "no difference: unknowable")
	rates := Plan(Config{Primary: SLABreachRate}, 0.3, 0.2, 0)
	require.Equal(t, sequentialSize(stats.SampleSizeTwoProportions(0.3, 0.2, 0.05, 0.8), mustInflation(t)), rates)
}

func mustInflation(t *testing.T) float64 {
	t.Helper()
	inf, err := sequentialDesign{stats.Sequential{Alpha: 0.05}}.inflation()
	require.NoError(t, err)
	return inf
}
