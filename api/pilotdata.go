package api

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Which arm a new case of a piloted flow joins (ADR 0008). What the
// evaluation sees of a pilot comes from package pilotdata, which the Pilot
// workflow's activity uses too.

// ReopenWindow is the default of Config.ReopenWindow: how long after its
// close a reopened case counts as not resolved at first contact (ADR 0008).
const ReopenWindow = pilotdata.DefaultReopenWindow

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
