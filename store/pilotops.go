package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PilotVersions reports why a pilot of flow cannot compare control with
// treatment ("" when it can): both versions must exist and the treatment
// must not be retired. The API and the PDCA pilot step both ask it.
func PilotVersions(ctx context.Context, s Store, flow string, control, treatment int) (string, error) {
	for _, arm := range []struct {
		field   string
		version int
	}{{"control", control}, {"treatment", treatment}} {
		fv, err := s.GetFlowVersion(ctx, flow, arm.version)
		switch {
		case errors.Is(err, ErrNotFound):
			return fmt.Sprintf("%s: flow %s has no version %d", arm.field, flow, arm.version), nil
		case err != nil:
			return "", fmt.Errorf("flow version: %w", err)
		case fv.Retired && arm.field == "treatment":
			return fmt.Sprintf("treatment: version %d of %s is retired", arm.version, flow), nil
		}
	}
	return "", nil
}

// PromotePilot makes the version of a pilot's arm (ArmControl or
// ArmTreatment) its flow's default and marks the pilot promoted. Promoting
// the same arm again is a no-op that returns the pilot; a running pilot,
// a pilot promoted to the other arm, or a retired version is ErrConflict
// (stop the pilot first). The default is set before the pilot is marked,
// so a retry after a failure in between completes the promotion.
func PromotePilot(ctx context.Context, s Store, id, arm string, at time.Time) (Pilot, error) {
	pl, err := s.GetPilot(ctx, id)
	if err != nil {
		return Pilot{}, fmt.Errorf("promote pilot: %w", err)
	}
	version := pl.Treatment
	switch arm {
	case ArmTreatment:
	case ArmControl:
		version = pl.Control
	default:
		return Pilot{}, fmt.Errorf("promote pilot: arm %q is neither %s nor %s: %w", arm, ArmControl, ArmTreatment, ErrConflict)
	}
	switch pl.Status {
	case PilotPromoted:
		if pl.PromotedArm == arm {
			return pl, nil
		}
		return Pilot{}, fmt.Errorf("promote pilot: already promoted its %s arm: %w", pl.PromotedArm, ErrConflict)
	case PilotRunning:
		return Pilot{}, fmt.Errorf("promote pilot: the pilot is still running; stop it first: %w", ErrConflict)
	}
	fv, err := s.GetFlowVersion(ctx, pl.Flow, version)
	if err != nil {
		return Pilot{}, fmt.Errorf("promote pilot: version %d: %w", version, err)
	}
	if fv.Retired {
		return Pilot{}, fmt.Errorf("promote pilot: version %d of %s is retired: %w", version, pl.Flow, ErrConflict)
	}
	if err := s.SetDefaultFlowVersion(ctx, pl.Flow, version); err != nil {
		return Pilot{}, fmt.Errorf("promote pilot: set default: %w", err)
	}
	status := PilotPromoted
	p := UpdatePilotParams{ID: id, FromStatus: pl.Status, Status: &status, PromotedArm: &arm, At: at}
	if pl.EndedAt == nil {
		p.EndedAt = &at
	}
	out, err := s.UpdatePilot(ctx, p)
	if err != nil {
		return Pilot{}, fmt.Errorf("promote pilot: %w", err)
	}
	return out, nil
}
