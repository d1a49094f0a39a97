package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// simNow is the simulation tests' clock: a Monday.
var simNow = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// seedSimHistory writes four weeks of complaint v1 before now
// (servertest.SeedSimHistory): 160 cases.
func seedSimHistory(t testing.TB, st store.Store, now time.Time) {
	servertest.SeedSimHistory(t, st, now, "9000", "C-1")
}

// simForm is the form as the page sends it: complaint, its default
// version, one staffing row.
func simFormValues(kv ...string) url.Values {
	f := url.Values{"flow": {"complaint"}, "proposal": {"version"}, "version": {"1"}, "staff_rows": {"1"},
		"staff_department_0": {"technical"}, "staff_delta_0": {"+1"}, "staff_from_0": {"9"}, "staff_to_0": {"17"},
		"staff_days_0": {"mon", "tue", "wed", "thu", "fri"}, "volume": {"100"}, "days": {"14"}, "replications": {"6"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// fieldError is the refusal shown at a field (data-field), unescaped.
func fieldError(body, field string) string {
	m := regexp.MustCompile(`(?s)data-field="` + regexp.QuoteMeta(field) + `"[^>]*>(.*?)</(p|div)>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
}

// TestUISimulations: an improver asks what one more engineer 09–17 would
// do; refusals are shown at their fields in words, "add a row" keeps what
// was typed; the page shows the progress while it runs and, once it ran,
// the summary, the four charts with their text alternatives, the table of
// every figure with units and intervals, the calibration and the
// assumptions; a version with other steps says "(not in this version)";
// a failed one says why. Staff get the same refusal as elsewhere.
func TestUISimulations(t *testing.T) {
	t.Parallel()
	clk := servertest.NewClock(simNow)
	e := newEnv(t, func(a *api.Config, c *Config) { a.Now = clk.Now })
	e.Actor("ivy", store.RoleImprover)
	e.Actor("olga", store.RoleOwner)
	e.Actor("tess", store.RoleStaff, "technical")
	seedSimHistory(t, e.st, simNow)

	e.step(t, "StaffAreRefused", func(t *testing.T, e *testEnv) {
		res := e.page("tess", http.MethodGet, "/ui/simulations", nil)
		require.Equal(t, http.StatusForbidden, res.Code)
		require.Contains(t, res.Body.String(), "this page is for admin, owner, improver; you are signed in as staff")
		require.Equal(t, http.StatusForbidden, e.page("tess", http.MethodPost, "/ui/simulations", simFormValues()).Code)
		require.Equal(t, http.StatusForbidden, e.page("tess", http.MethodGet, "/ui/simulations/00000000-0000-0000-0000-000000000000", nil).Code)
		require.NotContains(t, e.page("tess", http.MethodGet, "/ui/inbox", nil).Body.String(), `href="/ui/simulations"`)
		require.Empty(t, e.eng.SimulationStarts)
	})

	e.step(t, "TheForm", func(t *testing.T, e *testEnv) {
		body := e.page("olga", http.MethodGet, "/ui/simulations", nil).Body.String()
		require.Contains(t, body, `<a href="/ui/simulations" aria-current="page">Simulations</a>`, "in the navigation")
		require.Contains(t, body, `<option value="complaint" selected>`)
		require.Contains(t, body, `<option value="technical">Technical</option>`, "the flow's departments")
		require.Contains(t, body, `<option value="2">v2`, "its versions")
		require.Contains(t, body, `data-testid="sim-none"`)
		flow := e.page("olga", http.MethodGet, "/ui/flows/complaint", nil).Body.String()
		require.Contains(t, flow, `href="/ui/simulations?flow=complaint"`, "the flow page links here")

		// Another flow's departments.
		body = e.page("olga", http.MethodGet, "/ui/simulations?flow=returns-exchange", nil).Body.String()
		require.Contains(t, body, `<option value="returns-exchange" selected>`)
		require.NotContains(t, body, `<option value="technical">`)

		// Add a row: the form again, what was typed kept, nothing started.
		res := e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("action", "add-row", "days", "21"))
		require.Equal(t, http.StatusOK, res.Code)
		body = res.Body.String()
		require.Equal(t, 2, strings.Count(body, `data-testid="sim-staff-row"`))
		require.Contains(t, body, `name="staff_rows" value="2"`)
		require.Contains(t, body, `<option value="technical" selected>`)
		require.Contains(t, body, `value="21"`)
		require.Empty(t, e.eng.SimulationStarts)
	})

	e.step(t, "RefusalsAtTheField", func(t *testing.T, e *testEnv) {
		for _, c := range []struct {
			name  string
			form  url.Values
			field string
			text  string
		}{
			{"DaysOutOfRange", simFormValues("days", "400"), "days", "400: simulate 7 to 366 days."},
			{"DaysNotANumber", simFormValues("days", "a month"), "days", `Days simulated is a whole number, like 28; "a month" is not.`},
			{"TooMuchWork", simFormValues("days", "366", "replications", "100"), "replications", "fewer replications or fewer days"},
			{"Volume", simFormValues("volume", "0"), "volume", "0 %: give more than 0 % and at most 10,000 % of the cases seen"},
			{"People", simFormValues("staff_delta_0", "one"), "staff[0]", `People more or fewer is a whole number like +1 or -2, not "one".`},
			{"NoPeople", simFormValues("staff_delta_0", "0"), "staff[0]", "A change of 0 people: give 1 to"},
			{"Hours", simFormValues("staff_from_0", "17", "staff_to_0", "9"), "staff[0]", "Hours 17 to 9: give an hour of the day from 0 to 23 and a later one up to 24."},
			{"NoDays", func() url.Values { f := simFormValues(); f.Del("staff_days_0"); return f }(), "staff[0]", "Tick the weekdays it applies on."},
			{"EmptyDraft", simFormValues("proposal", "draft"), "definition", "Paste the draft's YAML here"},
			{"BadDraft", simFormValues("proposal", "draft", "definition", "key: complaint\nsteps: [{id: a, kind: nonsense}]\n"), "definition", "The draft is not a valid flow definition:"},
			{"OtherFlowsDraft", simFormValues("proposal", "draft", "definition", servertest.HugeFlowYAML("other", 3)), "definition", `The draft is of flow "other", not "complaint".`},
			{"NoVersion", simFormValues("version", "9"), "version", "Flow complaint has no version 9."},
			{"DraftButVersionChosen", simFormValues("definition", "key: complaint"), "definition", "A draft is pasted here but a version is chosen above"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res := e.in(t).page("ivy", http.MethodPost, "/ui/simulations", c.form)
				require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
				body := res.Body.String()
				require.Contains(t, fieldError(body, c.field), c.text, "at the field %s", c.field)
				require.Contains(t, body, `aria-invalid="true"`)
				require.Contains(t, html.UnescapeString(body), "Not started: correct the fields marked below.")
			})
		}
		res := e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("proposal", "draft", "definition", "key: complaint\nsteps: [{id: a, kind: nonsense}]\n"))
		require.Regexp(t, `<li>(Line \d+, column \d+: |steps)`, res.Body.String(), "each problem of the draft says where")
		require.Contains(t, res.Body.String(), "nonsense", "the typed draft is kept")
		require.Empty(t, e.eng.SimulationStarts)
	})

	var id string
	e.step(t, "ItRunsThenCompares", func(t *testing.T, e *testEnv) {
		res := e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues())
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		id = regexp.MustCompile(`/ui/simulations/([0-9a-f-]+)`).FindStringSubmatch(res.Header().Get("Location"))[1]
		body := e.follow("ivy", res)
		require.Contains(t, flashText(body), "Simulation started: v1, +1 in Technical 09–17 on weekdays against complaint as it runs now.")
		require.Contains(t, body, `<meta http-equiv="refresh" content="2">`, "a running simulation's page reloads itself")
		require.Contains(t, body, `<progress max="100" value="0"`)
		require.Contains(t, body, `data-testid="sim-stage">waiting to start<`)

		require.NoError(t, e.eng.RunSimulation(context.Background(), id))
		res = e.page("olga", http.MethodGet, "/ui/simulations/"+id, nil)
		require.Equal(t, http.StatusOK, res.Code)
		body = res.Body.String()
		text := html.UnescapeString(body)
		require.NotContains(t, body, `http-equiv="refresh"`, "done: no more reloads")
		require.Contains(t, body, `data-testid="sim-status">succeeded<`)
		summary := html.UnescapeString(regexp.MustCompile(`data-testid="sim-summary-text">([^<]*)<`).FindStringSubmatch(body)[1])
		require.Regexp(t, `^One more person in Technical 09–17 on weekdays shortens the median cycle time by [\d.]+ % \(95 % interval [\d.]+–[\d.]+ %\), from .+ to .+; `+
			`it (shortens|changes|lengthens) the 90th percentile by .+\. The SLA breach rate (falls|changes|rises) from [\d.]+ % to [\d.]+ % \([−+\d.]+ points, 95 % interval .+\)\.$`, summary)
		for _, chart := range []string{"sim-cycle", "sim-waits", "sim-util", "sim-backlog"} {
			require.Contains(t, body, `data-testid="`+chart+`"`)
			require.Contains(t, body, `<desc id="`+chart+`-desc">`, "a text alternative")
			require.Contains(t, body, `aria-describedby="`+chart+`-desc"`)
		}
		require.Contains(t, text, "Current: complaint v1, staffing as observed")
		require.Contains(t, text, "Proposed: complaint v1, +1 in technical 09–17")
		require.Regexp(t, `cycle time \((minutes|hours|days)\)`, text, "the axis says its unit")
		require.Contains(t, text, "Median: current ")
		require.Contains(t, text, "busy ÷ staffed person-time")
		require.Contains(t, text, "day of the simulated period")
		// The table: every figure with its unit and interval.
		require.Regexp(t, `<th scope="row">Median</th>\s*<td class="num">\d+ h \d+ min<br><span class="small muted">95 %: `, text)
		require.Regexp(t, `<th scope="row">Utilisation of Technical</th>\s*<td class="num">[\d.]+ %<br><span class="small muted">95 %: [\d.]+ %–[\d.]+ %`, text)
		require.Regexp(t, `Staffed hours of Technical</th>\s*<td class="num">[\d.]+ person-hours a week</td>`, text)
		require.Regexp(t, `Median wait at investigate \(Technical\)</th>`, text)
		require.Contains(t, text, "seen in the history: 40 min", "the observed work median beside the simulated")
		require.Regexp(t, `SLA breach rate \(task visits over their SLA\)</th>.*?[−+][\d.]+ points`, strings.ReplaceAll(text, "\n", " "))
		require.Contains(t, text, "160 cases (5.71 a day)", "the calibration facts: 28 days from the first case")
		require.Contains(t, body, `data-testid="sim-note"`, "the assumptions")

		list := e.page("ivy", http.MethodGet, "/ui/simulations", nil).Body.String()
		require.Regexp(t, `data-testid="sim-row" data-id="`+id+`" data-status="succeeded"`, list)
		require.Contains(t, html.UnescapeString(list), "v1, +1 in Technical 09–17 on weekdays")
	})

	e.step(t, "AVersionWithOtherSteps", func(t *testing.T, e *testEnv) {
		res := e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("version", "2", "staff_department_0", "", "days", "7", "replications", "3"))
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		id2 := regexp.MustCompile(`/ui/simulations/([0-9a-f-]+)`).FindStringSubmatch(res.Header().Get("Location"))[1]
		require.NoError(t, e.eng.RunSimulation(context.Background(), id2))
		text := html.UnescapeString(e.page("ivy", http.MethodGet, "/ui/simulations/"+id2, nil).Body.String())
		require.Contains(t, text, "Version 2 ")
		require.Contains(t, text, notInVersion, "v1's steps are not in v2, and v2's not in v1")
		require.Regexp(t, `Median wait at investigate \(Technical\)</th>\s*<td class="num">[^<]+<br><span class="small muted">95 %: [^<]+</span></td>\s*<td class="num">\(not in this version\)</td>`, text)
	})

	e.step(t, "AFailureSaysWhy", func(t *testing.T, e *testEnv) {
		x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations",
			map[string]any{"flow": "returns-exchange", "days": 7, "replications": 2}, nil), http.StatusAccepted)
		require.NoError(t, e.eng.RunSimulation(context.Background(), x.ID))
		body := e.page("ivy", http.MethodGet, "/ui/simulations/"+x.ID, nil).Body.String()
		require.Contains(t, body, `data-testid="sim-status">failed<`)
		require.Contains(t, html.UnescapeString(body), "flow returns-exchange created no case from")
		require.Equal(t, http.StatusNotFound, e.page("ivy", http.MethodGet, "/ui/simulations/nope", nil).Code)
	})
}

// TestUISimulationsFromALog: the form offers the imported event logs to
// calibrate from beside the flow's own history; a log that is not there
// is refused at its field in words; a simulation calibrated from a log
// says so in its facts and in the list, and shows the replay note of a
// log of completions only.
func TestUISimulationsFromALog(t *testing.T) {
	t.Parallel()
	clk := servertest.NewClock(simNow)
	e := newEnv(t, func(a *api.Config, c *Config) { a.Now = clk.Now })
	e.Actor("ivy", store.RoleImprover)
	var csv strings.Builder
	csv.WriteString("Case ID,Activity,Resource,Complete Timestamp\n")
	for i := range 60 {
		at := simNow.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * 7 * time.Hour)
		fmt.Fprintf(&csv, "c%d,Record,ann,%s\n", i, at.Format(time.RFC3339))
		fmt.Fprintf(&csv, "c%d,Investigate,tom,%s\n", i, at.Add(3*time.Hour).Format(time.RFC3339))
		fmt.Fprintf(&csv, "c%d,Notify customer,ann,%s\n", i, at.Add(4*time.Hour).Format(time.RFC3339))
	}
	_, _, err := logimport.Import(context.Background(), e.st, strings.NewReader(csv.String()),
		logimport.Params{ID: "log-1", Name: "small", Actor: "ivy", At: simNow})
	require.NoError(t, err)
	textOf := func(body string) string {
		s := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, " ")
		return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	}

	body := e.page("ivy", http.MethodGet, "/ui/simulations", nil).Body.String()
	require.Contains(t, body, `<select id="sim-log" name="log"`)
	require.Contains(t, body, `<option value="" selected>The flow's own history (the 8 weeks before now)</option>`, "the flow's history by default")
	require.Regexp(t, `<option value="log-1">Event log small \(60 cases, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)</option>`, body)

	// A log that is not there: refused at the field, the choice kept.
	res := e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("log", "nope", "staff_department_0", ""))
	require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
	body = res.Body.String()
	require.Equal(t, `No imported event log "nope" is ready. Choose another log of the list, or the flow's own history.`, fieldError(body, "log"))
	require.Contains(t, body, `aria-describedby="log-error"`)
	require.Contains(t, body, `<option value="nope" selected>Event log nope</option>`)
	require.Empty(t, e.eng.SimulationStarts)

	// "Add a row" keeps the log chosen.
	body = e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("log", "log-1", "action", "add-row")).Body.String()
	require.Contains(t, body, `<option value="log-1" selected>Event log small`)

	res = e.page("ivy", http.MethodPost, "/ui/simulations", simFormValues("log", "log-1", "staff_department_0", "", "days", "7", "replications", "3"))
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	id := regexp.MustCompile(`/ui/simulations/([0-9a-f-]+)`).FindStringSubmatch(res.Header().Get("Location"))[1]
	require.Contains(t, flashText(e.follow("ivy", res)), "against complaint as it runs now, calibrated from event log small.")
	require.Len(t, e.eng.SimulationStarts, 1)

	require.NoError(t, e.eng.RunSimulation(context.Background(), id))
	body = e.page("ivy", http.MethodGet, "/ui/simulations/"+id, nil).Body.String()
	require.Contains(t, body, `data-testid="sim-status">succeeded<`)
	text := textOf(body)
	require.Regexp(t, `Calibrated from event log small ?, its events from 2026-10-31 00:00 UTC to 2026-11-17 09:00 UTC Cases in the log 60 cases`, text)
	require.Contains(t, body, `<a href="/ui/logs/log-1" data-testid="sim-log">small</a>`)
	require.Contains(t, text, "replays its time since the case's previous event", "the replay note of a log of completions only")

	list := textOf(e.page("ivy", http.MethodGet, "/ui/simulations", nil).Body.String())
	require.Contains(t, list, "calibrated from event log small")
}

// TestSimulationWords: the proposal and the change as the summary says
// them.
func TestSimulationWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   apiv1.StaffChange
		want string
	}{
		{apiv1.StaffChange{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}, "one more person in Technical 09–17 on weekdays"},
		{apiv1.StaffChange{Department: "customer_service", Delta: -2, FromHour: 0, ToHour: 24, Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
			"two fewer people in Customer service 00–24 every day"},
		{apiv1.StaffChange{Department: "technical", Delta: 12, FromHour: 8, ToHour: 12, Days: []string{"sat", "sun"}}, "12 more people in Technical 08–12 on Sat, Sun"},
	} {
		require.Equal(t, c.want, staffWords(c.in))
	}
	fig := func(m, lo, hi float64) apiv1.SimFigure { return apiv1.SimFigure{Mean: &m, Lo: &lo, Hi: &hi} }
	for _, c := range []struct {
		f        apiv1.SimFigure
		verb, by string
		decided  bool
	}{
		{fig(-0.2, -0.24, -0.16), "shortens", "by 20 % (95 % interval 16–24 %)", true},
		{fig(0.053, 0.021, 0.085), "lengthens", "by 5.3 % (95 % interval 2.1–8.5 %)", true},
		{fig(-0.03, -0.08, 0.02), "changes", "by −3 % (95 % interval −8 % to +2 %)", false},
	} {
		verb, by, decided := relPhrase(c.f)
		require.Equal(t, []any{c.verb, c.by, c.decided}, []any{verb, by, decided})
	}
	for _, c := range []struct{ max, top, step float64 }{{0.7, 0.8, 0.2}, {1, 1, 0.2}, {13.5, 15, 5}, {62, 80, 20}, {0, 1, 0.25}} {
		top, step := niceAxis(c.max, 5)
		require.InDelta(t, c.top, top, 1e-9, "%v", c.max)
		require.InDelta(t, c.step, step, 1e-9, "%v", c.max)
	}
	v := 1.2
	two := 2
	one := 1
	res := &apiv1.SimulationResult{Current: apiv1.SimScenario{Version: 1}, Proposed: apiv1.SimScenario{Version: 2}}
	require.Equal(t, "Version 2 with one more person in Technical 09–17 on weekdays, at 120 % of the cases seen,", proposalSubject(apiv1.CreateSimulationRequest{Version: &two, Volume: &v,
		Staff: []apiv1.StaffChange{{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}}}, res))
	res.Proposed.Version = 1
	require.Equal(t, "The volume at 120 % of the cases seen", proposalSubject(apiv1.CreateSimulationRequest{Version: &one, Volume: &v}, res))
	require.Equal(t, "The same flow and staffing (a check of the model)", proposalSubject(apiv1.CreateSimulationRequest{Version: &one}, res))
	require.Equal(t, "v2, +1 in Technical 09–17 on weekdays, 120 % volume", requestWords(apiv1.CreateSimulationRequest{Version: &two, Volume: &v,
		Staff: []apiv1.StaffChange{{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}}}))
}
