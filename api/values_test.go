package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// apiv1's role and status values are the store's: the API sends what the
// store keeps, and Go callers compare with apiv1's names.
func TestAPIValuesAreTheStoreValues(t *testing.T) {
	pairs := [][2]string{
		{apiv1.RoleAdmin, store.RoleAdmin}, {apiv1.RoleOwner, store.RoleOwner},
		{apiv1.RoleStaff, store.RoleStaff}, {apiv1.RoleImprover, store.RoleImprover},
		{apiv1.CaseStarting, store.CaseStarting}, {apiv1.CaseActive, store.CaseActive},
		{apiv1.CaseCompleted, store.CaseCompleted}, {apiv1.CaseCancelled, store.CaseCancelled},
		{apiv1.CaseFailed, store.CaseFailed},
		{apiv1.TaskOpen, store.TaskOpen}, {apiv1.TaskCompleted, store.TaskCompleted},
		{apiv1.TaskCancelled, store.TaskCancelled},
		{apiv1.PilotRunning, store.PilotRunning}, {apiv1.PilotStopped, store.PilotStopped},
		{apiv1.PilotCompleted, store.PilotCompleted}, {apiv1.PilotPromoted, store.PilotPromoted},
		{apiv1.ArmControl, store.ArmControl}, {apiv1.ArmTreatment, store.ArmTreatment},
		{apiv1.ProposalOpen, store.ProposalOpen}, {apiv1.ProposalAdopted, store.ProposalAdopted},
		{apiv1.ProposalDeclined, store.ProposalDeclined},
	}
	for _, p := range pairs {
		require.Equal(t, p[1], p[0])
	}
}
