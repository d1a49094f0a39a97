package web

import (
	"net/http"
	"testing"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

// TestImproversWorkTheirCycles: an improver whose token names no department
// (as flowlab demo creates them) works the cycle a proposal's adoption
// opened: the improvement inbox lists its task, claim and complete succeed
// through the API and the web UI, and the task page offers the outcomes.
// Staff still may not act on it, and the improver still may not list or
// act in a department that is not theirs (issue 15, item 8).
func TestImproversWorkTheirCycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	e.Actor("improver2", store.RoleImprover)

	p := e.Propose("agent", "Ask for the router model up front", false)
	ad := e.Adopt(p.ID, "complaint", "cycle_time")
	plan := e.OpenTask(ad.Case.ID)
	require.Equal(t, authz.ImprovementDepartment, plan.Department)

	// The improvement inbox, in the API and in the UI.
	list := servertest.DecodeStrict[apiv1.TaskList](t, e.Do("improver", http.MethodGet, "/api/v1/tasks?department=improvement", nil, nil), http.StatusOK)
	require.Len(t, list.Tasks, 1)
	require.Equal(t, plan.ID, list.Tasks[0].ID)
	mine := servertest.DecodeStrict[apiv1.TaskList](t, e.Do("improver", http.MethodGet, "/api/v1/tasks", nil, nil), http.StatusOK)
	require.Len(t, mine.Tasks, 1, "without a department: the improver's own departments")
	servertest.ProblemOf(t, e.Do("improver", http.MethodGet, "/api/v1/tasks?department=customer_service", nil, nil), http.StatusForbidden)
	inbox := e.page("improver", http.MethodGet, "/ui/inbox", nil)
	require.Equal(t, http.StatusOK, inbox.Code, inbox.Body.String())
	require.Contains(t, rowIDs(inbox.Body.String()), plan.ID)
	require.Contains(t, inbox.Body.String(), `href="/ui/inbox"`, "the nav offers the inbox")

	// Staff may not act on the improvement team's task.
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/tasks/"+plan.ID+"/claim", map[string]any{}, nil), http.StatusForbidden)

	// Claim in the UI, then complete through the API.
	res := e.page("improver", http.MethodPost, "/ui/tasks/"+plan.ID+"/claim", map[string][]string{"return": {"/ui/inbox"}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	got, err := e.st.GetTask(t.Context(), plan.ID)
	require.NoError(t, err)
	require.Equal(t, e.actors["improver"].ID, got.Assignee)
	page := e.page("improver", http.MethodGet, "/ui/tasks/"+plan.ID, nil)
	require.Equal(t, http.StatusOK, page.Code)
	require.Contains(t, page.Body.String(), `data-testid="complete-planned"`)
	servertest.ProblemOf(t, e.Do("improver2", http.MethodPost, "/api/v1/tasks/"+plan.ID+"/complete",
		map[string]any{"outcome": "abandoned", "data": map[string]any{}}, nil), http.StatusConflict)
	done := e.completeAs("improver", plan.ID, "abandoned", map[string]any{
		"problem": "slow", "target": 3600, "hypothesis": "fewer handoffs", "treatment": 2})
	require.Equal(t, "completed", done.CaseStatus)
}
