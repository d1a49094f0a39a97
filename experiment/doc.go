// Package experiment evaluates a pilot: an A/B test of a flow's treatment
// version against its control version on a share of new cases. Evaluate is
// a pure, deterministic function (no I/O, no global state, no clock): the
// Pilot workflow's activity calls it on a timer with all of the pilot's
// cases and the looks made so far, stores the Evaluation as JSON and acts on
// its Decision.
//
// # Metrics and directions
//
// Only closed cases count. For each metric the effect is treatment versus
// control, and the direction that is better is fixed:
//
//	metric           test                  effect (unit)                            better
//	cycle_time       Mann–Whitney          relative change of the median            lower
//	sla_breach_rate  two proportions (z)   treatment rate - control rate (0–1)      lower
//	fcr              two proportions (z)   treatment rate - control rate (0–1)      higher
//	csat             Welch t               treatment mean - control mean (points)   higher
//
// Cycle time is compared on log seconds (values below 1 s count as 1 s): the
// Mann–Whitney test is the same on seconds and on logs, and the
// Hodges–Lehmann shift of the logs, d, is reported as the relative change
// exp(d)-1, the ratio of the medians minus one when the treatment scales
// durations (-0.41: 41% shorter), with Moses' confidence interval mapped the
// same way. First-contact resolution counts cases whose FCR is known, CSAT
// cases with a score of 1 to 5. Every result carries its sample size per
// arm, its confidence interval (1-Alpha, 95% by default), its p-value and
// its test statistic.
//
// # Peeking: the sequential design of the primary metric
//
// The primary metric decides the pilot, and it is looked at many times, so
// its test is group-sequential (stats.Sequential: Lan–DeMets
// O'Brien–Fleming-type spending of Alpha, two-sided). The information
// fraction of a look is min(n control, n treatment)/MinCasesPerArm, capped
// at 1, where n counts the cases the primary metric has data for (closed
// cases for cycle time and breach rate). An evaluation is a new look when
// its fraction exceeds the last of the earlier looks; the caller then
// appends Look{Fraction: ev.Fraction} to the looks it persists (NewLook
// says so). The look's boundary is computed from all looks' fractions, so
// early looks need a large |z| (about 4.9 at 20% of the sample) and the
// last one about 2.03; whatever the number and timing of looks, the chance
// of declaring a winner in an A/A pilot stays at Alpha. An evaluation
// without new information (same fraction) is no new look: it is held to the
// last look's boundary and spends nothing.
//
// The primary metric's look is decisive when its |z| (|t| for CSAT) reaches
// the boundary: the pilot concludes and the better arm wins. At fraction 1,
// or when the caller says the look is final (the pilot's maximum duration is
// reached), the look spends all the alpha left (stats.FinalBoundaries) and
// the pilot concludes either way; without a crossing there is no winner. (A
// final evaluation without new information concludes on the last look's
// boundary and leaves the alpha it did not spend unspent: conservative.)
//
// The other metrics are reported at the nominal level (p < Alpha, no
// adjustment for looks or multiplicity): they inform, they do not decide.
//
// # Guardrails protect customers
//
// A guardrail bounds how much worse the treatment may make a metric:
// MaxWorsening is relative for cycle_time (0.2: median 20% slower) and in
// absolute units otherwise (rates: 0.05 = 5 percentage points worse; csat:
// points on the 1–5 scale). A guardrail is breached when the treatment is
// worse by more than MaxWorsening and that is significant at the one-sided
// 0.025 level: the observed worsening exceeds MaxWorsening and the one-sided
// test of H0 "worsening <= MaxWorsening" rejects at 0.025 (Mann–Whitney on
// log cycle times shifted by the margin; the Agresti–Caffo adjusted Wald
// test for rates; Welch's t shifted by the margin for CSAT). With
// MaxWorsening 0 this is simply "significantly worse". The level is
// deliberately not alpha-spent: guardrails protect customers, so they are
// checked at every evaluation at the fixed level, and a treatment that
// clearly hurts is stopped at the first look that shows it (a false stop
// costs only a pilot). Because the margin is part of the test, an A/A pilot
// rarely trips a guardrail (the tests measure about 0.5% per guardrail over
// five looks). A breached guardrail stops the treatment arm (Decision
// "stop_treatment", Winner "control"), whatever the primary metric says.
//
// # Sample ratio mismatch
//
// The cases assigned per arm are compared with the planned Share by a
// chi-square test; P < 0.001 means the assignment is broken and no
// comparison can be trusted: the Evaluation then names no winner (a
// guardrail can still stop the treatment) and the recommendation says to fix
// the assignment.
//
// # Degenerate input
//
// No cases, an empty arm, identical values, zero variance, invalid values
// (negative or non-finite cycle times, CSAT outside 1–5, unknown arms) and
// invalid configuration all give a valid Evaluation: metrics without enough
// data say "insufficient data", invalid values are skipped and counted in
// Notes, and every number is finite, so the Evaluation always encodes as
// JSON.
package experiment
