package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// TestUIAlerts: an owner writes a rule on the alerts page (a bad one is
// refused at its field), the rule fires, the banner shows on every page of
// the technical department's staff and not to another department's; the
// rule's page shows its history; a team lead acknowledges it and the
// banner goes.
func TestUIAlerts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	e.Actor("tess", store.RoleStaff, "technical")
	e.Actor("carl", store.RoleStaff, "customer_service")
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "Tina Lead", "role": "staff",
		"departments": []string{"technical"}, "leads": []string{"technical"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var tina apiv1.TokenResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &tina))
	e.tokens["tina"] = tina.Token

	form := url.Values{"name": {"Investigation breaches"}, "metric": {"sla_breach_rate"}, "flow": {"complaint"}, "step": {"nap"},
		"op": {"above"}, "value": {"20 %"}, "window": {"1h"}, "min_sample": {"10"}, "every": {"1m"}}
	res = e.page("olga", http.MethodPost, "/ui/alerts", form)
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	body := res.Body.String()
	require.Contains(t, body, `data-field="scope.step"`)
	require.Contains(t, body, "has no step &#34;nap&#34;")
	require.Contains(t, body, `value="Investigation breaches"`, "the form keeps what was typed")

	form.Set("step", "investigate")
	res = e.page("olga", http.MethodPost, "/ui/alerts", form)
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	page := e.follow("olga", res)
	require.Equal(t, `Rule "Investigation breaches" saved: it is evaluated every 1m.`, flashText(page))
	id := regexp.MustCompile(`/ui/alerts/([0-9a-f-]+)`).FindStringSubmatch(res.Header().Get("Location"))[1]
	require.Contains(t, page, "SLA breach rate above 20.0 % over 1h")
	require.NotContains(t, e.page("tess", http.MethodGet, "/ui/alerts", nil).Body.String(), `data-testid="alert-form"`, "staff write no rules")

	// 12 investigations completed in the last minute, 9 late: it fires.
	at := time.Now().UTC()
	for i := range 12 {
		done := at.Add(-time.Duration(i+1) * time.Second)
		entered := done.Add(-90 * time.Minute)
		due := entered.Add(2 * time.Hour)
		if i < 9 {
			due = entered.Add(time.Hour)
		}
		require.NoError(t, e.st.RecordSpan(ctx, store.Span{CaseID: fmt.Sprint("c", i), Seq: 1, Flow: "complaint", Version: 1, Step: "investigate",
			Kind: "task", Department: "technical", EnteredAt: entered, CompletedAt: done, SLADue: &due, Breached: i < 9}))
	}
	_, err := e.eng.EvaluateAlert(ctx, id, at)
	require.NoError(t, err)

	inbox := e.page("tess", http.MethodGet, "/ui/inbox", nil).Body.String()
	require.Contains(t, inbox, `data-testid="alert-banner"`)
	require.Contains(t, inbox, "Alert firing: Investigation breaches")
	require.Contains(t, inbox, "75.0 % is above 20.0 %")
	require.NotContains(t, e.page("carl", http.MethodGet, "/ui/inbox", nil).Body.String(), `data-testid="alert-banner"`)

	rule := e.page("tess", http.MethodGet, "/ui/alerts/"+id, nil).Body.String()
	require.Contains(t, rule, `data-testid="alert-event" data-to="firing"`)
	require.NotContains(t, rule, `data-testid="alert-acknowledge"`, "staff who do not lead the department")
	res = e.page("tess", http.MethodPost, "/ui/alerts/"+id+"/acknowledge", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, flashText(e.follow("tess", res)), "only owners, improvers and admins and the team leads of technical")

	rule = e.page("tina", http.MethodGet, "/ui/alerts/"+id, nil).Body.String()
	require.Contains(t, rule, `data-testid="alert-acknowledge"`)
	res = e.page("tina", http.MethodPost, "/ui/alerts/"+id+"/acknowledge", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, flashText(e.follow("tina", res)), "Acknowledged")
	require.NotContains(t, e.page("tess", http.MethodGet, "/ui/inbox", nil).Body.String(), `data-testid="alert-banner"`, "acknowledged")

	// The author's notification opens the rule and is read.
	notes := e.page("olga", http.MethodGet, "/ui/notifications", nil).Body.String()
	require.Contains(t, notes, `data-kind="alert.firing"`)
	require.Contains(t, notes, `name="alert" value="`+id+`"`)
	require.Contains(t, notes, "Open the rule")
	nid := regexp.MustCompile(`data-testid="notification" data-id="([^"]+)" data-kind="alert.firing"`).FindStringSubmatch(notes)[1]
	res = e.page("olga", http.MethodPost, "/ui/notifications/"+nid+"/open", url.Values{"alert": {id}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, "/ui/alerts/"+id, res.Header().Get("Location"))

	res = e.page("olga", http.MethodPost, "/ui/alerts/"+id+"/delete", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, flashText(e.follow("olga", res)), "Rule deleted")
}
