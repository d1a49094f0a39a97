package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// The data of a pilot as its evaluation sees it (ADR 0008): which arm a
// new case joins, the experiment configuration of a pilot row and the
// measures of its cases. activities/pilot.go converts a pilot's cases the
// same way for the Pilot workflow's evaluations (PilotConfig,
// ExperimentCases); both belong in package experiment once it grows a
// store-free case type for them, so the API and the workflow cannot drift.

// ReopenWindow is how long after its close a reopened case counts as not
// resolved at first contact (ADR 0008: 7 days by default).
const ReopenWindow = 7 * 24 * time.Hour

// AssignArm returns the arm (workflows.ArmControl or ArmTreatment) of a
// unit in a pilot: the first 8 bytes of sha256(pilotID ":" unit), as a
// fraction of 2^64 and in percent, below share (0–100) go to the
// treatment. The same pilot and unit always get the same arm.
func AssignArm(pilotID, unit string, share float64) string {
	h := sha256.Sum256([]byte(pilotID + ":" + unit))
	u := float64(binary.BigEndian.Uint64(h[:8])) / math.Exp2(64) * 100
	if u < share {
		return workflows.ArmTreatment
	}
	return workflows.ArmControl
}

// PilotUnit is the unit a pilot assigns: the customer when the pilot's
// unit is customer and the case has one, else the case.
func PilotUnit(pl store.Pilot, customer, caseID string) string {
	if pl.Unit == workflows.UnitCustomer && customer != "" {
		return customer
	}
	return caseID
}

// armVersion is the flow version of a pilot's arm.
func armVersion(pl store.Pilot, arm string) int {
	if arm == workflows.ArmTreatment {
		return pl.Treatment
	}
	return pl.Control
}

// pilotConfig is the experiment configuration of a pilot row.
func pilotConfig(pl store.Pilot) (experiment.Config, error) {
	cfg := experiment.Config{
		Control: pl.Control, Treatment: pl.Treatment, Share: pl.Share,
		Primary: experiment.Metric(pl.PrimaryMetric), MinCasesPerArm: pl.MinCasesPerArm, Alpha: experiment.DefaultAlpha,
	}
	if len(pl.Guardrails) > 0 {
		if err := json.Unmarshal(pl.Guardrails, &cfg.Guardrails); err != nil {
			return cfg, fmt.Errorf("guardrails of pilot %s: %w", pl.ID, err)
		}
	}
	return cfg, nil
}

// pilotLooks are the earlier looks stored on a pilot row.
func pilotLooks(pl store.Pilot) ([]experiment.Look, error) {
	var looks []experiment.Look
	if len(pl.Looks) > 0 && string(pl.Looks) != "null" {
		if err := json.Unmarshal(pl.Looks, &looks); err != nil {
			return nil, fmt.Errorf("looks of pilot %s: %w", pl.ID, err)
		}
	}
	return looks, nil
}

// experimentCases converts a pilot's cases: a case counts as closed when
// it completed, with its cycle time from creation to close; first-contact
// resolution is the customer's answer, but false when the case was
// reopened within window of its close; CSAT as given.
func experimentCases(cs []store.PilotCase, window time.Duration) []experiment.Case {
	out := make([]experiment.Case, len(cs))
	for i, c := range cs {
		e := experiment.Case{Arm: c.Arm, SLABreached: c.SLABreached, CSAT: c.CSAT, FCR: c.ResolvedFirstContact}
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
