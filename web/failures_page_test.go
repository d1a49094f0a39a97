package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

// TestFailedCaseInTheUI: a failed case shows its reason, and owners and
// admins (not staff) get Restart and Close.
func TestFailedCaseInTheUI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	e.Actor("ana", store.RoleStaff, "customer_service")
	c := e.StartCase()
	e.eng.Terminate(c.WorkflowID, "Workflow history size exceeds limit.")
	_, failed, err := api.ReconcileCases(ctx, e.st, e.eng, nil, 10)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	path := "/ui/cases/" + c.ID

	body := e.page("olga", http.MethodGet, path, nil).Body.String()
	require.Contains(t, body, `data-testid="case-status">failed</span>`)
	require.Contains(t, body, `data-testid="case-failure">its workflow was terminated: Workflow history size exceeds limit.</dd>`)
	require.Contains(t, body, `data-testid="restart"`)
	require.Contains(t, body, `data-testid="close"`)
	staff := e.page("ana", http.MethodGet, path, nil).Body.String()
	require.Contains(t, staff, `data-testid="case-failure"`)
	require.NotContains(t, staff, `data-testid="restart"`)
	requireErrorPage(t, e.page("ana", http.MethodPost, path+"/restart", nil), http.StatusForbidden, "staff")
	list := e.page("olga", http.MethodGet, "/ui/cases?status=failed", nil).Body.String()
	require.Contains(t, list, `data-case-id="`+c.ID+`" data-status="failed"`)

	res := e.page("olga", http.MethodPost, path+"/restart", nil)
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	got, err := e.st.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, store.CaseActive, got.Status)
	res = e.page("olga", http.MethodPost, path+"/close", nil)
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), "only a failed case can be restarted or closed")
}
