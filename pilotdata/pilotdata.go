// Package pilotdata turns a stored pilot and its cases into what package
// experiment evaluates. The Pilot workflow's activity and the API's live
// results both read a pilot through it, so the decision a workflow makes
// and the numbers the API shows come from one conversion (ADR 0008).
package pilotdata

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/store"
)

// DefaultReopenWindow: a case reopened within this time of its close did
// not resolve the customer's problem at first contact.
const DefaultReopenWindow = 7 * 24 * time.Hour

// Config is the experiment configuration of a pilot row.
func Config(pl store.Pilot) (experiment.Config, error) {
	cfg := experiment.Config{
		Control: pl.Control, Treatment: pl.Treatment, Share: pl.Share,
		Primary: experiment.Metric(pl.PrimaryMetric), MinCasesPerArm: pl.MinCasesPerArm, Alpha: experiment.DefaultAlpha,
	}
	if len(pl.Guardrails) > 0 && string(pl.Guardrails) != "null" {
		if err := json.Unmarshal(pl.Guardrails, &cfg.Guardrails); err != nil {
			return cfg, fmt.Errorf("guardrails of pilot %s: %w", pl.ID, err)
		}
	}
	return cfg, nil
}

// Looks are the earlier looks stored on a pilot row.
func Looks(pl store.Pilot) ([]experiment.Look, error) {
	var looks []experiment.Look
	if len(pl.Looks) > 0 && string(pl.Looks) != "null" {
		if err := json.Unmarshal(pl.Looks, &looks); err != nil {
			return nil, fmt.Errorf("looks of pilot %s: %w", pl.ID, err)
		}
	}
	return looks, nil
}

// Cases converts a pilot's cases: a case counts as closed when it
// completed, with its cycle time from creation to close; first-contact
// resolution is the customer's answer, but false when the case was
// reopened within window of its close; CSAT and the perceived
// improvement as CSAT and Improvement say. The service KPIs read cases
// through it too, so these are their definitions as well.
func Cases(cs []store.PilotCase, window time.Duration) []experiment.Case {
	out := make([]experiment.Case, len(cs))
	for i, c := range cs {
		e := experiment.Case{Arm: c.Arm, SLABreached: c.SLABreached, CSAT: CSAT(c), FCR: c.ResolvedFirstContact,
			Improvement: Improvement(c)}
		if c.ClosedAt != nil && c.Status == store.CaseCompleted {
			e.Closed = true
			e.CycleSeconds = c.ClosedAt.Sub(c.CreatedAt).Seconds()
			if c.ReopenedAt != nil && c.ReopenedAt.Sub(*c.ClosedAt) <= window {
				f := false
				e.FCR = &f
			}
		}
		out[i] = e
	}
	return out
}

// CSAT is a case's CSAT answer (decision 0041): the feedback's when the
// customer gave one, else the follow-up call's, else none. One answer
// per case: a call does not add a second answer to a case that has one
// (nor replace it: the feedback was given closer to the service).
func CSAT(c store.PilotCase) *int {
	if c.CSAT != nil {
		return c.CSAT
	}
	if f := c.FollowUp; f != nil && f.Outcome == store.FollowUpAnswered {
		return f.CSAT
	}
	return nil
}

// Improvement is the answer of a case's follow-up call to "does the
// customer perceive the improvement?" (store.ImprovementYes, No or
// NotSure), "" when the case had no answered call.
func Improvement(c store.PilotCase) string {
	if f := c.FollowUp; f != nil && f.Outcome == store.FollowUpAnswered {
		return f.Improvement
	}
	return ""
}

// Units is Cases with each case's assignment unit set: its customer for
// a customer-level pilot (a customer who comes back counts once in the
// sample-ratio check), else the case.
func Units(pl store.Pilot, cs []store.PilotCase, window time.Duration) []experiment.Case {
	out := Cases(cs, window)
	for i, c := range cs {
		out[i].Unit = c.CaseID
		if pl.Unit == "customer" && c.Customer != "" {
			out[i].Unit = "customer:" + c.Customer
		}
	}
	return out
}

// Evaluate evaluates a pilot on its current cases and stored looks. It
// returns the evaluation and the looks to store if the caller records
// this look (this one appended when experiment says it is new). final
// asks for the concluding look (the maximum duration is reached).
func Evaluate(ctx context.Context, st store.Store, pl store.Pilot, window time.Duration, final bool) (experiment.Evaluation, []experiment.Look, error) {
	cfg, err := Config(pl)
	if err != nil {
		return experiment.Evaluation{}, nil, err
	}
	looks, err := Looks(pl)
	if err != nil {
		return experiment.Evaluation{}, nil, err
	}
	cs, err := st.ListPilotCases(ctx, pl.ID)
	if err != nil {
		return experiment.Evaluation{}, nil, fmt.Errorf("cases of pilot %s: %w", pl.ID, err)
	}
	ev := experiment.Evaluate(cfg, Units(pl, cs, window), looks, final)
	if ev.NewLook {
		looks = append(looks, experiment.Look{Fraction: ev.Fraction})
	}
	return ev, looks, nil
}
