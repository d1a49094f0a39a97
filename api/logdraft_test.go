package api

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestDraftFlowFromLog(t *testing.T) {
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	l := e.importLog("olga", "name=Small+desk&source=small.csv&group=dept", []byte(smallLog))
	path := "/api/v1/logs/" + l.ID + "/draft-flow"

	res := e.Do("olga", http.MethodPost, path, apiv1.DraftFlowRequest{DepartmentOf: map[string]string{"front": "Front office"}}, nil)
	d := servertest.DecodeStrict[apiv1.DraftFlow](t, res, http.StatusOK)
	require.Equal(t, "small-desk", d.Key)
	// Two variants of 2 and 1 cases: 2/3 is under 0.9, so both are kept.
	require.Equal(t, []int{2, 2, 3, 3, 4, 4, 5}, []int{d.Variants, d.VariantsTotal, d.Cases, d.CoveredCases, d.Activities, d.ActivitiesTotal, d.Steps})
	require.Equal(t, 1.0, d.Coverage)
	require.Empty(t, d.Diagnostics)
	def, diags := flow.Load([]byte(d.YAML), flow.ValidateOptions{})
	require.False(t, diags.HasErrors(), "%s", diags)
	var ids []string
	for _, s := range def.Steps {
		ids = append(ids, s.ID+":"+s.Department)
	}
	require.Equal(t, []string{"submit:front_office", "review:back", "close:front_office", "ask:back", "end:"}, ids)
	// The validator says the same.
	v := servertest.DecodeStrict[apiv1.Validate](t, e.SendRaw("olga", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(d.YAML), nil), http.StatusOK)
	require.True(t, v.Valid)

	// Filters apply: the cases with "ask" are one variant.
	d = servertest.DecodeStrict[apiv1.DraftFlow](t, e.Do("olga", http.MethodPost, path+"?contains=ask", apiv1.DraftFlowRequest{Key: "asking", Coverage: 0.5}, nil), http.StatusOK)
	require.Equal(t, []int{1, 1, 1}, []int{d.Variants, d.Cases, d.CoveredCases})
	require.Contains(t, d.YAML, "key: asking\n")

	// Refusals.
	p := servertest.ProblemOf(t, e.Do("olga", http.MethodPost, path, apiv1.DraftFlowRequest{Key: "Bad Key", Coverage: 2}, nil), http.StatusUnprocessableEntity)
	require.Len(t, p.Errors, 2)
	servertest.ProblemOf(t, e.Do("olga", http.MethodPost, path+"?contains=nothing", apiv1.DraftFlowRequest{}, nil), http.StatusUnprocessableEntity)
	servertest.ProblemOf(t, e.Do("olga", http.MethodPost, "/api/v1/logs/00000000-0000-0000-0000-000000000000/draft-flow", apiv1.DraftFlowRequest{}, nil), http.StatusNotFound)
}

// On the Helpdesk log, end to end: the drafted flow validates, publishes,
// and a case of it runs through its tasks to the end.
func TestDraftFlowFromTheHelpdeskLogRuns(t *testing.T) {
	src, err := os.ReadFile("../../shared/data/eventlogs/helpdesk.csv")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("the shared event logs are beside the repository in CI")
	}
	require.NoError(t, err)
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	l := e.importLog("olga", "name=Helpdesk&source=helpdesk.csv", src)
	res := e.Do("olga", http.MethodPost, "/api/v1/logs/"+l.ID+"/draft-flow",
		apiv1.DraftFlowRequest{DepartmentOf: map[string]string{"Value 1": "first_line"}}, nil)
	d := servertest.DecodeStrict[apiv1.DraftFlow](t, res, http.StatusOK)
	require.Equal(t, "helpdesk", d.Key)
	require.Empty(t, d.Diagnostics)
	require.Equal(t, []int{21, 226, 4580, 4134, 8, 14, 10}, []int{d.Variants, d.VariantsTotal, d.Cases, d.CoveredCases, d.Activities, d.ActivitiesTotal, d.Steps})
	require.Contains(t, d.YAML, "department: first_line\n")

	pub := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/helpdesk/versions", "application/yaml", []byte(d.YAML), nil)
	require.Equal(t, http.StatusCreated, pub.Code, pub.Body.String())

	c := servertest.DecodeStrict[apiv1.Case](t, e.Do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "helpdesk", "customer": "c-1", "channel": "phone"}, nil), http.StatusCreated)
	ctx := context.Background()
	var steps []string
	for range 50 {
		ts, err := e.st.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID, Status: store.TaskOpen})
		require.NoError(t, err)
		if len(ts) == 0 {
			break
		}
		steps = append(steps, ts[0].Step)
		// The most frequent path: each task's first outcome.
		res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+ts[0].ID+"/complete", map[string]any{"outcome": ts[0].Outcomes[0]}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	}
	got, err := e.st.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, store.CaseCompleted, got.Status)
	require.Equal(t, "assign_seriousness take_in_charge_ticket resolve_ticket closed", strings.Join(steps, " "))
}
