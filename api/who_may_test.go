package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// Item 7: feedback, reopening and events only from those who serve the
// case; staff start no improvement cycle.
func TestServesCase(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(c *Config) { c.Departments = []string{"billing"} })
	e.Actor("cs", store.RoleStaff, "customer_service")
	e.Actor("billing", store.RoleStaff, "billing")
	e.Actor("imp", store.RoleImprover)
	e.Actor("owner", store.RoleOwner)
	open := e.CreateCase("C-1")
	closed := e.CreateCase("C-2")
	e.FinishCase(closed.ID)

	for _, as := range []string{"billing", "imp"} {
		p := servertest.ProblemOf(t, e.Do(as, http.MethodPost, "/api/v1/cases/"+open.ID+"/feedback", map[string]any{"csat": 1}, nil), http.StatusForbidden)
		require.Contains(t, p.Detail, "customer_service", "the refusal names the departments that serve the case")
		servertest.ProblemOf(t, e.Do(as, http.MethodPost, "/api/v1/cases/"+open.ID+"/events", map[string]any{"name": "x"}, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do(as, http.MethodPost, "/api/v1/cases/"+closed.ID+"/reopen", map[string]any{}, nil), http.StatusForbidden)
	}
	_, err := e.st.GetFeedback(context.Background(), open.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "a refused feedback changes nothing")
	for _, as := range []string{"cs", "owner", "admin"} {
		res := e.Do(as, http.MethodPost, "/api/v1/cases/"+open.ID+"/feedback", map[string]any{"csat": 4}, nil)
		require.Less(t, res.Code, 300, "%s: %s", as, res.Body.String())
	}
	res := e.Do("cs", http.MethodPost, "/api/v1/cases/"+closed.ID+"/reopen", map[string]any{}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

	// A department that once had a task on the case serves it, even if
	// the flow does not list it (a migrated or escalated case).
	task := e.OpenTask(open.ID)
	_, err = e.st.EscalateTask(context.Background(), store.EscalateTaskParams{ID: task.ID, Level: 1, Department: "billing", At: time.Now()})
	require.NoError(t, err)
	res = e.Do("billing", http.MethodPost, "/api/v1/cases/"+open.ID+"/feedback", map[string]any{"csat": 2}, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())

	// Staff may not start a PDCA cycle; improvers and owners may.
	p := servertest.ProblemOf(t, e.Do("cs", http.MethodPost, "/api/v1/cases", map[string]any{"flow": apiv1.PDCAFlow, "customer": "x"}, nil), http.StatusForbidden)
	require.Contains(t, p.Detail, "proposals")
	res = e.Do("imp", http.MethodPost, "/api/v1/cases", map[string]any{"flow": apiv1.PDCAFlow, "customer": "x"}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
}

// Item 9: a team lead releases and reassigns a task someone else holds;
// the 409 names the holder.
func TestTeamLeadReleasesAndReassigns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("bea", store.RoleStaff, "customer_service")
	e.Actor("tec", store.RoleStaff, "technical")
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "Lea Lead", "role": "staff",
		"departments": []string{"customer_service"}, "leads": []string{"customer_service"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var lead apiv1.TokenResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &lead))
	require.Equal(t, []string{"customer_service"}, lead.Actor.Leads)
	e.tokens["lea"] = lead.Token
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "staff",
		"departments": []string{"customer_service"}, "leads": []string{"technical"}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "leads[0]", p.Errors[0].Field)

	c := e.CreateCase("C-1")
	task := e.OpenTask(c.ID)
	require.Equal(t, http.StatusOK, e.Do("ana", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil).Code)

	// Someone else: 409 naming ana by name.
	for _, path := range []string{"claim", "unclaim"} {
		p := servertest.ProblemOf(t, e.Do("bea", http.MethodPost, "/api/v1/tasks/"+task.ID+"/"+path, nil, nil), http.StatusConflict)
		require.Contains(t, p.Detail, "claimed by ana (actor "+e.actors["ana"].ID+")")
		require.Contains(t, p.Detail, "team lead of customer_service")
	}
	p = servertest.ProblemOf(t, e.Do("bea", http.MethodPost, "/api/v1/tasks/"+task.ID+"/assign", map[string]any{"actor": e.actors["bea"].ID}, nil), http.StatusForbidden)
	require.Contains(t, p.Detail, "team lead")

	// The lead reassigns it to bea, then releases it.
	p = servertest.ProblemOf(t, e.Do("lea", http.MethodPost, "/api/v1/tasks/"+task.ID+"/assign", map[string]any{"actor": e.actors["tec"].ID}, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Errors[0].Message, "does not work in customer_service")
	got := servertest.DecodeStrict[apiv1.Task](t, e.Do("lea", http.MethodPost, "/api/v1/tasks/"+task.ID+"/assign", map[string]any{"actor": e.actors["bea"].ID}, nil), http.StatusOK)
	require.Equal(t, e.actors["bea"].ID, got.Assignee)
	got = servertest.DecodeStrict[apiv1.Task](t, e.Do("lea", http.MethodPost, "/api/v1/tasks/"+task.ID+"/unclaim", nil, nil), http.StatusOK)
	require.Empty(t, got.Assignee)
	as, err := e.st.ListAudit(context.Background(), store.AuditFilter{Object: "task:" + task.ID})
	require.NoError(t, err)
	var actions []string
	for _, a := range as {
		actions = append(actions, a.Action+" "+string(a.Details))
	}
	require.Contains(t, strings.Join(actions, "\n"), `task.assign {"from":"`+e.actors["ana"].ID+`","to":"`+e.actors["bea"].ID+`"}`)
	require.Contains(t, strings.Join(actions, "\n"), `task.unclaim {"released_from":"`+e.actors["bea"].ID+`"}`)
}

// Item 10: idempotency keys are the actor's (TestCreateCaseIdempotency
// covers cases); a pilot look's key is too.
func TestActorScopedKey(t *testing.T) {
	require.Equal(t, "", actorScopedKey("a", ""))
	require.NotEqual(t, actorScopedKey("a", "k"), actorScopedKey("b", "k"))
}

// Item 13: field names match exactly, once; department names on tokens
// are known ones.
func TestStrictJSONFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for name, body := range map[string]string{
		"another case":        `{"flow":"complaint","customer":"c","FLOW":"pdca"}`,
		"only another case":   `{"Flow":"complaint","customer":"c"}`,
		"twice":               `{"flow":"complaint","customer":"c","flow":"pdca"}`,
		"nested another case": `{"csat":4,"NPS":3}`,
	} {
		path := "/api/v1/cases"
		if strings.Contains(body, "csat") {
			path = "/api/v1/cases/" + e.CreateCase("x").ID + "/feedback"
		}
		p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, path, body, nil), http.StatusBadRequest)
		require.Contains(t, p.Detail, "line 1, column", name)
	}
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", `{"Flow":"complaint","customer":"c"}`, nil), http.StatusBadRequest)
	require.Contains(t, p.Detail, `did you mean "flow"`)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", `{"flow":"complaint","customer":"c","colour":"red"}`, nil), http.StatusBadRequest)
	// Free-form attributes keep their keys as given.
	res := e.Do("admin", http.MethodPost, "/api/v1/cases", `{"flow":"complaint","customer":"c","attributes":{"Amount":1,"amount":2}}`, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

	p = servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "staff", "departments": []string{"custmer_service"}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "departments[0]", p.Errors[0].Field)
	require.Contains(t, p.Errors[0].Message, "customer_service", "the message lists the known departments")
	res = e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "staff", "departments": []string{"improvement"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, "a department of the pdca flow: %s", res.Body.String())
	e2 := newEnvWith(t, func(c *Config) { c.Departments = []string{"billing"} })
	res = e2.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "staff", "departments": []string{"billing"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, "a configured department: %s", res.Body.String())
}

// newEnvWith is newEnv with a change to the server's configuration.
func newEnvWith(t *testing.T, opt func(*Config)) *testEnv {
	t.Helper()
	return newEnvSeeded(t, nil, true, opt)
}
