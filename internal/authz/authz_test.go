package authz

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

func TestDepartmentRules(t *testing.T) {
	// An improver works the improvement department without a token naming
	// it; nobody else gains a department by role, and the input is not
	// changed in place.
	deps := []string{"technical"}
	require.Equal(t, []string{"technical", ImprovementDepartment}, WithRoleDepartments(apiv1.RoleImprover, deps))
	require.Equal(t, []string{"technical"}, deps)
	require.Equal(t, []string{ImprovementDepartment}, WithRoleDepartments(apiv1.RoleImprover, []string{ImprovementDepartment}))
	require.Equal(t, []string{"technical"}, WithRoleDepartments(apiv1.RoleStaff, deps))

	require.True(t, DepartmentBound(apiv1.RoleStaff))
	require.True(t, DepartmentBound(apiv1.RoleImprover))
	require.False(t, DepartmentBound(apiv1.RoleOwner))
	require.False(t, DepartmentBound(apiv1.RoleAdmin))

	require.True(t, InDepartment(apiv1.RoleAdmin, nil, "technical"))
	require.True(t, InDepartment(apiv1.RoleStaff, []string{"technical"}, "technical"))
	require.False(t, InDepartment(apiv1.RoleOwner, []string{"technical"}, "supervisor"))

	// A lead leads only a department they also work in.
	require.True(t, Leads(apiv1.RoleAdmin, nil, nil, "technical"))
	require.True(t, Leads(apiv1.RoleStaff, []string{"technical"}, []string{"technical"}, "technical"))
	require.False(t, Leads(apiv1.RoleStaff, []string{"supervisor"}, []string{"technical"}, "technical"))
	require.False(t, Leads(apiv1.RoleStaff, []string{"technical"}, nil, "technical"))

	// The team page: owners and admins every department's, a lead theirs.
	require.True(t, SeesTeam(apiv1.RoleOwner, nil, nil, "technical"))
	require.True(t, SeesTeam(apiv1.RoleStaff, []string{"technical"}, []string{"technical"}, "technical"))
	require.False(t, SeesTeam(apiv1.RoleStaff, []string{"technical", "supervisor"}, []string{"technical"}, "supervisor"))
	require.False(t, SeesTeam(apiv1.RoleImprover, []string{"improvement"}, nil, "improvement"))
	require.True(t, LeadsAny(apiv1.RoleAdmin, nil, nil))
	require.True(t, LeadsAny(apiv1.RoleStaff, []string{"technical"}, []string{"technical"}))
	require.False(t, LeadsAny(apiv1.RoleStaff, []string{"technical"}, nil))
	require.False(t, LeadsAny(apiv1.RoleStaff, []string{"supervisor"}, []string{"technical"}), "a lead of a department they do not work in leads nothing")

	require.True(t, ServesCase(apiv1.RoleOwner, nil, []string{"technical"}), "owners answer for every flow")
	require.True(t, ServesCase(apiv1.RoleAdmin, nil, nil))
	require.True(t, ServesCase(apiv1.RoleStaff, []string{"supervisor", "technical"}, []string{"customer_service", "technical"}))
	require.False(t, ServesCase(apiv1.RoleStaff, []string{"supervisor"}, []string{"customer_service", "technical"}))
	require.False(t, ServesCase(apiv1.RoleImprover, []string{"improvement"}, []string{"technical"}))

	require.False(t, SeesArms(apiv1.RoleStaff))
	require.True(t, SeesArms(apiv1.RoleImprover))
}

func TestRoleLists(t *testing.T) {
	require.ElementsMatch(t, apiv1.Roles, Everyone)
	require.True(t, Allowed(nil, apiv1.RoleStaff), "no list: every role")
	require.False(t, Allowed(PilotRunners, apiv1.RoleOwner))
	require.True(t, Allowed(FlowViewers, apiv1.RoleImprover))
	require.False(t, Allowed(FlowEditors, apiv1.RoleImprover))
	require.False(t, Allowed(CaseSettlers, apiv1.RoleStaff))
}
