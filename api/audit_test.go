package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func auditListOf(t *testing.T, e *testEnv, query string) apiv1.AuditList {
	t.Helper()
	res := e.Do("admin", http.MethodGet, "/api/v1/audit"+query, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.AuditList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	return out
}

func actionsOf(l apiv1.AuditList) []string {
	out := []string{}
	for _, e := range l.Entries {
		out = append(out, e.Action)
	}
	return out
}

func TestListAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("cs", store.RoleStaff, "customer_service")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	res := e.Do("cs", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	claimID := res.Header().Get(apiv1.RequestIDHeader)
	// An entry a workflow wrote has no request.
	require.NoError(t, e.st.AppendAudit(t.Context(), store.AuditEntry{At: time.Now().UTC(), Action: "task.escalate",
		Object: "task:" + task.ID, CaseID: c.ID, Details: json.RawMessage(`{"level":1}`)}))

	all := auditListOf(t, e, "")
	require.Equal(t, []string{"task.escalate", "task.claim", "case.create", "token.create"}, actionsOf(all), "newest first")
	require.Empty(t, all.NextCursor)
	esc, claim := all.Entries[0], all.Entries[1]
	require.Nil(t, esc.RequestID)
	require.Empty(t, esc.Actor)
	require.JSONEq(t, `{"level":1}`, string(esc.Details))
	require.Equal(t, e.actors["cs"].ID, claim.Actor)
	require.Equal(t, "task:"+task.ID, claim.Object)
	require.Equal(t, &c.ID, claim.CaseID)
	require.Equal(t, &claimID, claim.RequestID, "the X-Request-Id the claim was answered with")
	require.JSONEq(t, "null", string(claim.Details))
	tokenCreate := all.Entries[3]
	require.Nil(t, tokenCreate.CaseID)

	// Filters.
	require.Equal(t, []string{"task.claim"}, actionsOf(auditListOf(t, e, "?actor="+e.actors["cs"].ID)))
	require.Equal(t, []string{"case.create"}, actionsOf(auditListOf(t, e, "?action=case.create")))
	require.Equal(t, []string{"task.escalate", "task.claim"}, actionsOf(auditListOf(t, e, "?object=task:"+task.ID)))
	require.Equal(t, []string{"task.escalate", "task.claim", "case.create"}, actionsOf(auditListOf(t, e, "?case_id="+c.ID)))
	require.Equal(t, []string{}, actionsOf(auditListOf(t, e, "?actor=nobody")))
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	require.Equal(t, []string{}, actionsOf(auditListOf(t, e, "?from="+future)))
	require.Len(t, auditListOf(t, e, "?to="+future).Entries, 4)

	// Pages follow the ids, without repeats, while entries are added.
	p1 := auditListOf(t, e, "?limit=3")
	require.Equal(t, []string{"task.escalate", "task.claim", "case.create"}, actionsOf(p1))
	require.NotEmpty(t, p1.NextCursor)
	e.StartCase() // newer than the cursor: not on the next page
	p2 := auditListOf(t, e, "?limit=3&cursor="+url.QueryEscape(p1.NextCursor))
	require.Equal(t, []string{"token.create"}, actionsOf(p2))
	require.Empty(t, p2.NextCursor)

	// Errors: bad parameters, and everyone but admins.
	for _, q := range []string{"?limit=0", "?limit=501", "?cursor=x", "?from=yesterday", "?target=x", "?actor=a&actor=b",
		"?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z"} {
		servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/audit"+q, nil, nil), http.StatusBadRequest)
	}
	for _, role := range []string{store.RoleOwner, store.RoleImprover, store.RoleStaff} {
		e.Actor("a-"+role, role, "customer_service")
		servertest.ProblemOf(t, e.Do("a-"+role, http.MethodGet, "/api/v1/audit", nil, nil), http.StatusForbidden)
	}
	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/audit", nil, nil), http.StatusUnauthorized)
}
