package web

import (
	"net/http"
	"testing"

	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

func TestGetActor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("Ana <b>Silva</b>", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	ana := e.actors["Ana <b>Silva</b>"]
	res := e.Do("tom", http.MethodGet, "/api/v1/actors/"+ana.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.JSONEq(t, `{"id":"`+ana.ID+`","name":"Ana <b>Silva</b>","role":"staff","departments":["customer_service"],"leads":[]}`, res.Body.String())
	require.NotContains(t, res.Body.String(), e.tokens["Ana <b>Silva</b>"])
	res = e.Do("tom", http.MethodGet, "/api/v1/actors/"+zeroID, nil, nil)
	require.Equal(t, http.StatusNotFound, res.Code)
	require.Equal(t, http.StatusUnauthorized, e.Do("", http.MethodGet, "/api/v1/actors/"+ana.ID, nil, nil).Code)

	// Pages name colleagues, escaped: the inbox's assignee.
	c := e.startCaseAs("admin", "complaint", "c-names", nil)
	task := e.OpenTask(c.ID)
	require.Equal(t, http.StatusOK, e.Do("Ana <b>Silva</b>", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil).Code)
	e.Actor("bea", store.RoleStaff, "customer_service")
	body := e.page("bea", http.MethodGet, "/ui/inbox", nil).Body.String()
	require.Contains(t, body, `<span title="`+ana.ID+`" data-testid="assignee">Ana &lt;b&gt;Silva&lt;/b&gt;</span>`)
}
