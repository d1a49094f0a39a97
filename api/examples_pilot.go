package api

import (
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
)

// Examples of the pilot routes. The evaluation is computed by
// experiment.Evaluate from made-up cases, so it is a real one.

var (
	examplePilotID = "a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a"

	exampleFeedback = apiv1.Feedback{CaseID: exampleCase.ID, CSAT: ptr(5), NPS: ptr(9), ResolvedFirstContact: ptr(true),
		CreatedBy: exampleTokenResponse.Actor.ID, CreatedAt: exampleT2, UpdatedAt: exampleT2}
	exampleReopenedCase = func() apiv1.Case {
		c := exampleCase
		c.ID, c.ReopenedFrom = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", exampleCase.ID
		c.WorkflowID = "complaint-" + c.ID
		c.Variant, c.PilotID, c.Version = "treatment", examplePilotID, 2
		return c
	}()
	exampleSpanRow = apiv1.ExportedSpan{CaseID: exampleCase.ID, Seq: 1, Flow: "complaint", Version: 2, Variant: "treatment",
		PilotID: examplePilotID, Arm: "treatment", Customer: "C-1001", Step: "submit", Kind: "task", Department: "customer_service",
		EnteredAt: exampleT0, ClaimedAt: ptr(exampleT1), CompletedAt: exampleT2, Outcome: "submitted", SLADue: ptr(exampleDue),
		Actor: exampleTokenResponse.Actor.ID, CaseStatus: "completed", CaseCreatedAt: ptr(exampleT0), CaseClosedAt: ptr(exampleT0.Add(3 * time.Hour)),
		CSAT: ptr(5), ResolvedFirstContact: ptr(true)}
	exampleSpanCSV = strings.Join(exportColumns, ",") + "\n" + strings.Join(csvRecord(exampleSpanRow), ",") + "\n"
	exampleSpanXES = `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  …
  <trace>
    <string key="concept:name" value="6f1c2a9e-…"/>
    <string key="flowlab:flow" value="complaint"/>
    <int key="flowlab:version" value="1"/>
    <event>
      <string key="concept:name" value="record"/>
      <string key="lifecycle:transition" value="schedule"/>
      <date key="time:timestamp" value="2026-03-02T08:00:00Z"/>
      <string key="org:group" value="customer_service"/>
    </event>
    …
  </trace>
</log>
`

	exampleStartPilot = apiv1.StartPilotRequest{
		Flow: "complaint", Treatment: 2, Share: ptr(30.0), Unit: "customer", PrimaryMetric: "cycle_time",
		Guardrails:     []apiv1.PilotGuardrail{{Metric: "csat", MaxWorsening: 0.3}},
		MinCasesPerArm: ptr(200), MaxDuration: "14d", EvaluateEvery: "1h",
	}

	exampleEvaluation = func() experiment.Evaluation {
		var cases []experiment.Case
		// Every seventh case was called back (decision 0041): the
		// treatment's customers perceive the improvement more often.
		answer := func(i int, answers ...string) string {
			if i%7 != 0 {
				return ""
			}
			return answers[(i/7)%len(answers)]
		}
		for i := range 80 {
			csat := 3 + i%3
			cases = append(cases, experiment.Case{Arm: experiment.ArmControl, Closed: true,
				CycleSeconds: float64(3*3600 + (i*997)%7200), CSAT: &csat,
				Improvement: answer(i, experiment.ImprovementNo, experiment.ImprovementYes, experiment.ImprovementNo, experiment.ImprovementNotSure)})
			if i < 36 {
				csat := 4 + i%2
				cases = append(cases, experiment.Case{Arm: experiment.ArmTreatment, Closed: true,
					CycleSeconds: float64(5400 + (i*613)%3600), CSAT: &csat,
					Improvement: answer(i, experiment.ImprovementYes, experiment.ImprovementYes, experiment.ImprovementNo)})
			}
		}
		return experiment.Evaluate(experiment.Config{Control: 1, Treatment: 2, Share: 30, Primary: experiment.CycleTime,
			Guardrails: []experiment.Guardrail{{Metric: experiment.CSAT, MaxWorsening: 0.3}}, MinCasesPerArm: 200}, cases, nil, false)
	}()

	examplePilot = apiv1.Pilot{
		ID: examplePilotID, Flow: "complaint", Control: 1, Treatment: 2, Share: 30, Unit: "customer", PrimaryMetric: "cycle_time",
		Guardrails: exampleStartPilot.Guardrails, MinCasesPerArm: 200, MaxDuration: "14d", EvaluateEvery: "1h",
		Status: "running", Looks: []experiment.Look{}, WorkflowID: "pilot-" + examplePilotID,
		CreatedBy: "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f", CreatedAt: exampleT0, UpdatedAt: exampleT0,
	}
	examplePilotLive = func() apiv1.Pilot {
		p := examplePilot
		p.Results = &exampleEvaluation
		p.Looks = []experiment.Look{{Fraction: exampleEvaluation.Fraction}}
		p.UpdatedAt = exampleT0.Add(3 * 24 * time.Hour)
		p.Live = &apiv1.PilotLive{Status: "running", Looks: 72, LastDecision: "continue", NextLook: ptr(p.UpdatedAt.Add(time.Hour))}
		return p
	}()
	exampleStoppedPilot = func() apiv1.Pilot {
		p := examplePilotLive
		p.Live = nil
		p.Status, p.StopReason, p.EndedAt = "stopped", "customers complain about the new form", ptr(exampleT0.Add(4*24*time.Hour))
		p.UpdatedAt = *p.EndedAt
		return p
	}()
	examplePromotedPilot = func() apiv1.Pilot {
		p := examplePilotLive
		p.Live = nil
		p.Status, p.Winner, p.Recommendation = "promoted", "treatment", exampleEvaluation.Recommendation
		p.PromotedArm, p.EndedAt = "treatment", ptr(exampleT0.Add(10*24*time.Hour))
		p.UpdatedAt = *p.EndedAt
		return p
	}()
	examplePilotResults = func() apiv1.PilotResults {
		wait, work := -2400.0, -600.0
		c := apiv1.StepStats{Step: "investigate", Department: "technical", Kind: "task", Cases: 80,
			Wait: apiv1.Quantiles{P50: 3600, P90: 7200, P95: 8100}, Work: apiv1.Quantiles{P50: 1200, P90: 2400, P95: 2700},
			BusinessWait: apiv1.Quantiles{P50: 3600, P90: 7200, P95: 8100}, BusinessWork: apiv1.Quantiles{P50: 1200, P90: 2400, P95: 2700},
			Share: 0.6, Bottleneck: true}
		t := c
		t.Step, t.Cases, t.Department = "handle", 36, "customer_service"
		tt := apiv1.StepStats{Step: "investigate", Department: "technical", Kind: "task", Cases: 36,
			Wait: apiv1.Quantiles{P50: 1200, P90: 2400, P95: 3000}, Work: apiv1.Quantiles{P50: 600, P90: 1200, P95: 1500},
			BusinessWait: apiv1.Quantiles{P50: 1200, P90: 2400, P95: 3000}, BusinessWork: apiv1.Quantiles{P50: 600, P90: 1200, P95: 1500},
			Share: 0.4, Bottleneck: true}
		return apiv1.PilotResults{PilotID: examplePilotID, Flow: "complaint", Status: "running", ComputedAt: exampleT0.Add(72 * time.Hour),
			Evaluation: exampleEvaluation, LastLook: &exampleEvaluation,
			Steps: []apiv1.PilotStep{
				{Step: "investigate", Control: &c, Treatment: &tt, WaitP50Change: &wait, WorkP50Change: &work},
				{Step: "handle", Treatment: &t},
			}}
	}()
)
