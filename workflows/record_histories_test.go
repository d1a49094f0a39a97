//go:build recordhistories

// This file links a whole Temporal server (temporaltest), so it sits behind
// the recordhistories build tag to keep the normal test binary small.
// Record the replay histories with:
//
//	FLOWLAB_RECORD_HISTORIES=1 go test -tags recordhistories ./workflows -run TestRecordHistories -v
//
// Existing files are kept (set FLOWLAB_RECORD_OVERWRITE=1 to rewrite them).

package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	flowworker "github.com/flowlab/flowlab/worker"
	"github.com/flowlab/flowlab/workflows"
)

// recordCase is one built-in flow run to completion for a history.
// edit, when set, revises the definition first; migrateTo, when set,
// migrates the case at its first task onto that version of the same flow,
// mapping the first step to the target's first step.
type recordCase struct {
	name       string
	key        string
	version    int
	attributes map[string]any
	edit       func(*flow.Definition)
	migrateTo  int
	// data overrides the form data of a step's task.
	data map[string]map[string]any
	// pilot: at a pilot step, evaluate the pilot once, then stop it, and
	// record the Pilot workflow's history as <name>-pilot.
	pilot bool
	// fails: the case is expected to fail (its workflow too) instead of
	// completing.
	fails bool
	// escalate: each task is completed only once it reached its last
	// escalation level.
	escalate bool
	// people: each department of the flow gets one available staff
	// member, agent-<department> (who completes its tasks), and every
	// task must have been assigned to them by a rule.
	people bool
	// followUp: the flow asks for a follow-up (edit sets it); the case id
	// is drawn until flow.Sampled picks it (sampled) or does not, and a
	// sampled case's call is answered after the case completed.
	followUp, sampled bool
}

// followUpAfterASecond gives a flow a follow-up of 15 % one second after
// the close (a real server does not skip time), in customer_service.
func followUpAfterASecond(d *flow.Definition) {
	d.FollowUp = &flow.FollowUp{Share: 0.15, After: flow.Duration(time.Second), Department: "customer_service",
		SLA: flow.Duration(4 * time.Hour)}
}

// routeBy replaces the rule of complaint's route decision.
func routeBy(when string) func(*flow.Definition) {
	return func(d *flow.Definition) {
		for i := range d.Steps {
			if d.Steps[i].ID == "route" {
				d.Steps[i].Rules[0].When = when
			}
		}
	}
}

// manyNumbers is a list that a rule visiting it once per element goes
// beyond flow.MaxRuleIterations with (200 + 200*200 elements).
func manyNumbers() []any {
	out := make([]any, 200)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

// assignAll gives every task step of a flow an assignment: sticky to
// whoever recorded the case, then skills, then least loaded, then the pool.
func assignAll(d *flow.Definition) {
	for i := range d.Steps {
		if d.Steps[i].Kind == flow.KindTask {
			d.Steps[i].Assign = &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"record", flow.StickyCustomer},
				Skills: []string{"attributes.product"}, Fallback: []string{flow.AssignSkills, flow.AssignLeastLoaded, flow.AssignPull}}
		}
	}
}

// escalateFast makes every escalation level of a flow fire within
// seconds (level n after n seconds), so a real server reaches them.
func escalateFast(d *flow.Definition) {
	for i := range d.Steps {
		for j := range d.Steps[i].Escalation {
			d.Steps[i].Escalation[j].After = flow.Duration(time.Duration(j+1) * time.Second)
		}
	}
}

// officeHours puts a flow's SLAs on a London office calendar.
func officeHours(d *flow.Definition) {
	day := "09:00-17:00"
	d.Calendars = []flow.Calendar{{
		ID: "office", TimeZone: "Europe/London",
		Hours:    flow.WeekHours{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day},
		Holidays: []string{"2026-12-25", "2026-12-28"},
	}}
	d.Calendar = "office"
}

func TestRecordHistories(t *testing.T) {
	if os.Getenv("FLOWLAB_RECORD_HISTORIES") != "1" {
		// Deliberate: recording rewrites testdata/histories from a real
		// server; it runs only when asked for.
		t.Skip("set FLOWLAB_RECORD_HISTORIES=1 to record replay histories")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	srv := temporaltest.NewServer(temporaltest.WithT(t))
	c := srv.GetDefaultClient()
	sas := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributes() {
		sas[k.GetName()] = k.GetValueType()
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: srv.GetDefaultNamespace(), SearchAttributes: sas,
	})
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	acts := &activities.Activities{Store: st}
	// The PDCA cycle pilots complaint v2 against v1.
	for _, v := range []int{1, 2} {
		def, err := flows.Definition("complaint", v)
		require.NoError(t, err)
		compiled, err := json.Marshal(def)
		require.NoError(t, err)
		_, _, err = st.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "complaint", Version: v, Source: fmt.Sprintf("v%d\n", v),
			Compiled: compiled, Hash: fmt.Sprint(v), CreatedBy: "recorder", At: time.Now()})
		require.NoError(t, err)
	}
	w := srv.NewWorker(workflows.TaskQueue, func(r sdkworker.Registry) { flowworker.Register(r, acts) })
	defer w.Stop()

	cases := []recordCase{
		{key: "complaint", version: 1, attributes: map[string]any{"severity": "intermediate"}},
		{key: "complaint", version: 2, attributes: map[string]any{"severity": "advanced"}},
		{key: "returns-exchange", version: 1, attributes: map[string]any{"amount": 120.0}},
		{key: "appointment", version: 1, attributes: map[string]any{}},
		{name: "appointment-v1-business-hours", key: "appointment", version: 1, attributes: map[string]any{}, edit: officeHours},
		{name: "complaint-v1-migrated-to-v2", key: "complaint", version: 1, attributes: map[string]any{"severity": "intermediate"}, migrateTo: 2},
		{name: "pdca-v1-pilot-stopped", key: "pdca", version: 1, attributes: map[string]any{"flow": "complaint", "metric": "cycle_time"},
			pilot: true, data: map[string]map[string]any{"plan": {
				"problem": "complaints take 5 hours", "target": 3.0 * 3600, "hypothesis": "one stop cuts handoffs",
				"treatment": 2.0, "share": 50.0, "min_cases_per_arm": 10.0, "evaluate_every": "1s", "max_duration": "1h",
			}}},
		// Recorded after the Pilot workflow's pilot-wake-on-end change (its
		// version marker is in the pilot's history).
		{name: "pdca-v1-pilot-wakes-on-end", key: "pdca", version: 1, attributes: map[string]any{"flow": "complaint", "metric": "cycle_time"},
			pilot: true, data: map[string]map[string]any{"plan": {
				"problem": "complaints take 5 hours", "target": 3.0 * 3600, "hypothesis": "one stop cuts handoffs",
				"treatment": 2.0, "share": 50.0, "min_cases_per_arm": 10.0, "evaluate_every": "1s", "max_duration": "1h",
			}}},
	}
	// The same cases again, recorded after the store activities became
	// local activities (change local-store-activities).
	for _, rc := range slices.Clone(cases) {
		if rc.name == "" {
			rc.name = fmt.Sprintf("%s-v%d", rc.key, rc.version)
		}
		if rc.name == "pdca-v1-pilot-wakes-on-end" {
			continue
		}
		rc.name += "-local-store"
		cases = append(cases, rc)
	}
	// Decision rules (decision 0020): keys and values in key order route
	// the same way on every run and replay; a rule beyond a run-time limit
	// fails the case (change rule-errors-fail).
	cases = append(cases,
		recordCase{name: "complaint-v1-rule-keys", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate", "a_channel": "x", "zone": "eu"},
			edit:       routeBy(`first(keys(attributes)) == "a_channel" && first(values(attributes)) == "x" && last(keys(attributes)) == "zone"`)},
		recordCase{name: "complaint-v1-rule-fails", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate", "xs": manyNumbers()},
			edit:       routeBy(`any(attributes.xs, any(attributes.xs, # < 0))`), fails: true},
		// Assignment (decision 0035, change assign-tasks): every task asks
		// the store for a person (the recorder's store has none: the
		// tasks stay in the pool and are claimed as before). Recorded
		// before change assign-at-open: its runs assign with the
		// AssignTask activity after the opening; recorded again, it would
		// take the new path and that one would go untested.
		recordCase{name: "complaint-v1-assigned", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate", "product": "router"}, edit: assignAll},
		// Escalations: every task waits until its last level fired (a
		// notify, then a move to the supervisors), recorded before
		// escalation levels could assign (issue 19), so the Escalate
		// activity's input is the one levels without assign: send.
		recordCase{name: "complaint-v1-escalated", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate"}, edit: escalateFast, escalate: true},
		// Assignment at the opening (decision 0036, change assign-at-open):
		// OpenTask assigns each task in its store transaction, no
		// AssignTask activity; one agent per department takes them (last:
		// the people stay in the recorder's store).
		recordCase{name: "complaint-v1-assigned-at-open", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate", "product": "router"}, edit: assignAll, people: true},
		// Follow-up calls (decision 0041, change follow-up): a case the
		// 15 % sample picks gets its call task after the wait and the
		// call is answered; one it does not pick ends at its close.
		recordCase{name: "complaint-v1-follow-up-sampled", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate"}, edit: followUpAfterASecond, followUp: true, sampled: true},
		recordCase{name: "complaint-v1-follow-up-not-sampled", key: "complaint", version: 1,
			attributes: map[string]any{"severity": "intermediate"}, edit: followUpAfterASecond, followUp: true},
	)
	for _, rc := range cases {
		name := rc.name
		if name == "" {
			name = fmt.Sprintf("%s-v%d", rc.key, rc.version)
		}
		file := filepath.Join("testdata", "histories", name+".json")
		if _, err := os.Stat(file); err == nil && os.Getenv("FLOWLAB_RECORD_OVERWRITE") != "1" {
			// Histories recorded by earlier versions of the interpreter
			// stay: replaying them is what catches non-determinism.
			t.Logf("keeping %s (FLOWLAB_RECORD_OVERWRITE=1 rewrites it)", file)
			continue
		}
		t.Run(name, func(t *testing.T) {
			def, err := flows.Definition(rc.key, rc.version)
			require.NoError(t, err)
			if rc.edit != nil {
				rc.edit(def)
			}
			var to *flow.Definition
			if rc.migrateTo != 0 {
				to, err = flows.Definition(rc.key, rc.migrateTo)
				require.NoError(t, err)
			}
			hist, pilotHist := runToCompletion(ctx, t, c, st, *def, rc, to)
			if rc.pilot {
				require.NotNil(t, pilotHist, "the pilot's history")
				b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(pilotHist)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join("testdata", "histories", name+"-pilot.json"), b, 0o644))
			}
			b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(file, b, 0o644))
		})
	}
}

// runToCompletion starts a case of def and works it like a user would:
// each open task is completed by someone of its department with an
// outcome leading to a step not visited yet (required form fields filled),
// each awaited event is sent. With migrateTo set, the case is migrated at
// its first task onto that definition (first step to first step). It
// returns the workflow's history.
func runToCompletion(ctx context.Context, t *testing.T, c client.Client, st store.Store, def flow.Definition, rc recordCase, migrateTo *flow.Definition) (*historypb.History, *historypb.History) {
	attrs := rc.attributes
	pilotID := ""
	t.Helper()
	// A real server does not skip time: fixed waits are shortened.
	for i := range def.Steps {
		if def.Steps[i].Kind == flow.KindWait && def.Steps[i].Event == "" {
			def.Steps[i].Duration = flow.Duration(time.Second)
		}
	}
	if rc.people {
		for _, dept := range def.Departments {
			_, err := st.CreateActor(ctx, store.CreateActorParams{ID: "agent-" + dept, Role: store.RoleStaff,
				Departments: []string{dept}, At: time.Now()})
			require.NoError(t, err)
		}
	}
	id := uuid.NewString()
	for rc.followUp && flow.Sampled(id, float64(def.FollowUp.Share)) != rc.sampled {
		id = uuid.NewString()
	}
	rawAttrs, err := json.Marshal(attrs)
	require.NoError(t, err)
	_, _, err = st.CreateCase(ctx, store.CreateCaseParams{
		ID: id, Flow: def.Key, Version: def.Version, Customer: "customer-1", Channel: "chat",
		Attributes: rawAttrs, Status: store.CaseStarting, WorkflowID: "case-" + id, At: time.Now(),
	})
	require.NoError(t, err)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "case-" + id, TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: temporalSearchAttributes(def),
	}, workflows.CaseWorkflow, workflows.CaseInput{
		CaseID: id, Definition: def, Variant: "control", Customer: "customer-1", Channel: "chat", Attributes: attrs,
	})
	require.NoError(t, err)

	visited := map[string]bool{}
	signalled := map[int]bool{}
	deadline := time.Now().Add(time.Minute)
	for {
		require.True(t, time.Now().Before(deadline), "case %s did not finish", def.Key)
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.QueryState)
		require.NoError(t, err)
		var s workflows.CaseState
		require.NoError(t, v.Get(&s))
		if s.Status != workflows.StatusActive {
			break
		}
		visited[s.Step] = true
		switch {
		case rc.pilot && s.StepKind == string(flow.KindPilot) && pilotID == "":
			// Evaluate once on demand, then stop the pilot.
			pilotID = workflows.PilotID(id, s.Seq)
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: workflows.PilotWorkflowID(pilotID), UpdateID: uuid.NewString(), UpdateName: workflows.UpdateEvaluatePilot,
				WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			if err != nil {
				pilotID = "" // not started yet: try again
				time.Sleep(50 * time.Millisecond)
				continue
			}
			var ps workflows.PilotStatus
			require.NoError(t, h.Get(ctx, &ps))
			require.NoError(t, c.SignalWorkflow(ctx, workflows.PilotWorkflowID(pilotID), "", workflows.SignalStopPilot,
				workflows.StopPilotRequest{Reason: "recorded", ActorID: "recorder"}))
		case len(s.Open) > 0 && migrateTo != nil:
			if !s.AtRest {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: run.GetID(), UpdateID: uuid.NewString(), UpdateName: workflows.UpdateMigrate,
				Args: []any{workflows.MigrateRequest{
					MigrationID: uuid.NewString(), From: def.Version, To: *migrateTo, ActorID: "recorder",
					Mapping: map[string]string{def.StartStep(): migrateTo.StartStep()},
				}},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			require.NoError(t, err)
			var res workflows.MigrateResult
			require.NoError(t, h.Get(ctx, &res))
			require.Equal(t, migrateTo.Version, res.ToVersion)
			def, migrateTo = *migrateTo, nil
			visited = map[string]bool{}
		case len(s.Open) > 0:
			ref := s.Open[0]
			step, _ := def.Step(ref.Step)
			if rc.escalate && ref.EscalationLevel < len(step.Escalation) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			data := formData(step)
			for k, v := range rc.data[step.ID] {
				data[k] = v
			}
			req := workflows.CompleteRequest{
				TaskID: ref.TaskID, Outcome: pickOutcome(step, visited), Data: data,
				ActorID: "agent-" + ref.Department, ActorRole: "staff", ActorDepartments: []string{ref.Department},
			}
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: run.GetID(), UpdateID: uuid.NewString(), UpdateName: workflows.UpdateComplete,
				Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			require.NoError(t, err)
			var res workflows.CompleteResult
			require.NoError(t, h.Get(ctx, &res))
		case s.WaitingFor != "" && !signalled[s.Seq]:
			signalled[s.Seq] = true
			require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.SignalEvent,
				workflows.EventRequest{Name: s.WaitingFor, Data: map[string]any{"via": "recorder"}}))
		default:
			time.Sleep(50 * time.Millisecond)
		}
	}
	if rc.followUp && rc.sampled {
		answerFollowUp(ctx, t, c, run)
	}
	var final workflows.CaseState
	runErr := run.Get(ctx, &final)
	got, err := st.GetCase(ctx, id)
	require.NoError(t, err)
	if rc.fails {
		var ae *temporal.ApplicationError
		require.ErrorAs(t, runErr, &ae)
		require.Equal(t, store.CaseFailed, got.Status)
	} else {
		require.NoError(t, runErr)
		require.Equal(t, workflows.StatusCompleted, final.Status)
		require.Equal(t, store.CaseCompleted, got.Status)
	}

	if rc.followUp {
		f, err := st.GetFollowUp(ctx, id)
		require.NoError(t, err)
		require.Equal(t, rc.sampled, f.Sampled)
		require.Equal(t, *got.ClosedAt, f.DueAt.Add(-time.Second), "due a second after the close")
		if rc.sampled {
			require.Equal(t, flow.FollowUpAnswered, f.Outcome)
			require.Equal(t, flow.ImprovementYes, f.Improvement)
			require.Equal(t, 4, *f.CSAT)
		}
	}
	if rc.people {
		tasks, err := st.ListTasks(ctx, store.ListTasksParams{CaseID: id})
		require.NoError(t, err)
		require.NotEmpty(t, tasks)
		for _, tk := range tasks {
			require.NotEmpty(t, tk.AssignRule, "task %s (%s) was assigned by a rule", tk.ID, tk.Step)
			require.Equal(t, "agent-"+tk.Department, tk.CompletedBy)
		}
	}
	var pilotHist *historypb.History
	if pilotID != "" {
		pilotHist = history(ctx, t, c, workflows.PilotWorkflowID(pilotID), "")
	}
	return history(ctx, t, c, run.GetID(), run.GetRunID()), pilotHist
}

// answerFollowUp waits for the follow-up call of a completed case and
// answers it: the customer perceives the improvement, CSAT 4, a comment.
func answerFollowUp(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		require.True(t, time.Now().Before(deadline), "no follow-up call opened")
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.QueryState)
		require.NoError(t, err)
		var s workflows.CaseState
		require.NoError(t, v.Get(&s))
		if len(s.Open) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		require.Equal(t, workflows.StatusCompleted, s.Status)
		ref := s.Open[0]
		require.Equal(t, flow.FollowUpStep, ref.Step)
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: run.GetID(), UpdateID: uuid.NewString(), UpdateName: workflows.UpdateComplete,
			Args: []any{workflows.CompleteRequest{TaskID: ref.TaskID, Outcome: flow.FollowUpAnswered,
				Data:    map[string]any{"improvement": flow.ImprovementYes, "csat": 4.0, "comment": "recorded by TestRecordHistories"},
				ActorID: "agent-" + ref.Department, ActorRole: "staff", ActorDepartments: []string{ref.Department}}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
		var res workflows.CompleteResult
		require.NoError(t, h.Get(ctx, &res))
		require.Empty(t, res.Next)
		return
	}
}

func history(ctx context.Context, t *testing.T, c client.Client, workflowID, runID string) *historypb.History {
	t.Helper()
	hist := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, e)
	}
	return hist
}

// temporalSearchAttributes are the attributes the API sets when it starts
// a case.
func temporalSearchAttributes(def flow.Definition) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		workflows.SAFlowKey.ValueSet(def.Key),
		workflows.SAFlowVersion.ValueSet(int64(def.Version)),
		workflows.SAVariant.ValueSet("control"),
		workflows.SACaseStatus.ValueSet(workflows.StatusActive),
	)
}

// pickOutcome prefers an outcome leading to a step not visited yet, so the
// run moves forward through the flow.
func pickOutcome(step *flow.Step, visited map[string]bool) string {
	for _, o := range step.Outcomes {
		if !visited[o.Next] {
			return o.Name
		}
	}
	return step.Outcomes[0].Name
}

// formData fills every field of the form with a plausible value.
func formData(step *flow.Step) map[string]any {
	data := map[string]any{}
	for _, f := range step.Form {
		switch f.Type {
		case "enum":
			if len(f.Options) > 0 {
				data[f.Name] = f.Options[0]
				if slices.Contains(f.Options, "primary") {
					data[f.Name] = "primary"
				}
			}
		case "number":
			data[f.Name] = 120.0
		case "bool":
			data[f.Name] = true
		default:
			data[f.Name] = "recorded by TestRecordHistories"
		}
	}
	return data
}

// TestRecordAlertHistories records the Alert workflow of a schedule's run
// that made a rule fire (it starts the state change's delivery) and that
// AlertDelivery workflow, which posts to a webhook on loopback (decision
// 0040).
func TestRecordAlertHistories(t *testing.T) {
	if os.Getenv("FLOWLAB_RECORD_HISTORIES") != "1" {
		// Deliberate: recording rewrites testdata/histories from a real
		// server; it runs only when asked for.
		t.Skip("set FLOWLAB_RECORD_HISTORIES=1 to record replay histories")
	}
	fired := filepath.Join("testdata", "histories", "alert-fired.json")
	delivered := filepath.Join("testdata", "histories", "alert-delivery.json")
	if _, err := os.Stat(fired); err == nil && os.Getenv("FLOWLAB_RECORD_OVERWRITE") != "1" {
		t.Skipf("keeping %s (FLOWLAB_RECORD_OVERWRITE=1 rewrites it)", fired)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := temporaltest.NewServer(temporaltest.WithT(t))
	c := srv.GetDefaultClient()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	allow, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	w := srv.NewWorker(workflows.TaskQueue, func(r sdkworker.Registry) {
		flowworker.Register(r, &activities.Activities{Store: st, WebhookAllow: allow})
	})
	defer w.Stop()

	now := time.Now().UTC()
	rule, err := st.CreateAlertRule(ctx, store.AlertRule{ID: "recorded-rule", Name: "Open backlog", Metric: "open_backlog",
		Condition: alert.Condition{Op: alert.Above, Value: -1}, Window: time.Hour, Every: time.Second, WebhookURL: hook.URL,
		CreatedBy: "recorder", CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	_, err = c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.AlertScheduleID(rule.ID),
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}},
		Action: &client.ScheduleWorkflowAction{ID: workflows.AlertWorkflowID(rule.ID), Workflow: workflows.AlertWorkflow,
			Args: []any{workflows.AlertInput{RuleID: rule.ID}}, TaskQueue: workflows.TaskQueue},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	})
	require.NoError(t, err)
	var event store.AlertEvent
	require.Eventually(t, func() bool {
		es, err := st.ListAlertEvents(ctx, store.ListAlertEventsParams{RuleID: rule.ID})
		require.NoError(t, err)
		if len(es) == 0 {
			return false
		}
		event = es[len(es)-1]
		return true
	}, time.Minute, 100*time.Millisecond)
	require.NoError(t, c.ScheduleClient().GetHandle(ctx, workflows.AlertScheduleID(rule.ID)).Delete(ctx))
	run := c.GetWorkflow(ctx, workflows.AlertDeliveryID(event.ID), "")
	require.NoError(t, run.Get(ctx, nil))
	desc, err := c.DescribeWorkflowExecution(ctx, workflows.AlertDeliveryID(event.ID), "")
	require.NoError(t, err)
	parent := desc.GetWorkflowExecutionInfo().GetParentExecution()
	require.NotNil(t, parent, "the delivery's parent: the run that fired")
	for file, h := range map[string]*historypb.History{
		fired:     history(ctx, t, c, parent.GetWorkflowId(), parent.GetRunId()),
		delivered: history(ctx, t, c, workflows.AlertDeliveryID(event.ID), run.GetRunID()),
	} {
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, b, 0o644))
	}
}

// TestRecordSimulationHistories records a Pilot that starts its
// prediction, a Simulation that succeeded (complaint v1 against v2 from
// two weeks of cases) and one refused (a window without cases), on a real
// server (decision 0045).
func TestRecordSimulationHistories(t *testing.T) {
	if os.Getenv("FLOWLAB_RECORD_HISTORIES") != "1" {
		// Deliberate: recording rewrites testdata/histories from a real
		// server; it runs only when asked for.
		t.Skip("set FLOWLAB_RECORD_HISTORIES=1 to record replay histories")
	}
	ok := filepath.Join("testdata", "histories", "simulation-succeeded.json")
	refused := filepath.Join("testdata", "histories", "simulation-refused.json")
	if _, err := os.Stat(ok); err == nil && os.Getenv("FLOWLAB_RECORD_OVERWRITE") != "1" {
		t.Skipf("keeping %s (FLOWLAB_RECORD_OVERWRITE=1 rewrites it)", ok)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := temporaltest.NewServer(temporaltest.WithT(t))
	c := srv.GetDefaultClient()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	for _, v := range []int{1, 2} {
		def, err := flows.Definition("complaint", v)
		require.NoError(t, err)
		compiled, err := json.Marshal(def)
		require.NoError(t, err)
		_, _, err = st.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "complaint", Version: v, Source: fmt.Sprintf("v%d\n", v),
			Compiled: compiled, Hash: fmt.Sprint(v), CreatedBy: "recorder", At: time.Now()})
		require.NoError(t, err)
	}
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-14 * 24 * time.Hour)
	for i := range 40 {
		id := uuid.NewString()
		_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: "C-1", Channel: "phone",
			Attributes: json.RawMessage(`{"severity":"primary"}`), Status: store.CaseCompleted, WorkflowID: "complaint-" + id,
			At: from.Add(time.Duration(i) * 8 * time.Hour)})
		require.NoError(t, err)
	}
	w := srv.NewWorker(workflows.TaskQueue, func(r sdkworker.Registry) { flowworker.Register(r, &activities.Activities{Store: st}) })
	defer w.Stop()

	// A pilot of v2 against v1 that starts its prediction and concludes
	// at its maximum duration (a few seconds).
	pl, _, err := st.CreatePilot(ctx, store.CreatePilotParams{ID: uuid.NewString(), Flow: "complaint", Control: 1, Treatment: 2, Share: 50,
		Unit: "case", PrimaryMetric: "cycle_time", MinCasesPerArm: 10, MaxDuration: 3 * time.Second, EvaluateEvery: time.Second,
		WorkflowID: workflows.PilotWorkflowID("recorded"), CreatedBy: "recorder", At: time.Now().UTC()})
	require.NoError(t, err)
	prun, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: pl.WorkflowID, TaskQueue: workflows.TaskQueue}, workflows.PilotWorkflow,
		workflows.PilotInput{PilotID: pl.ID, Flow: pl.Flow, StartedAt: pl.CreatedAt, MaxDuration: pl.MaxDuration, EvaluateEvery: pl.EvaluateEvery})
	require.NoError(t, err)
	require.NoError(t, prun.Get(ctx, nil))
	require.Eventually(t, func() bool {
		x, err := st.GetSimulation(ctx, activities.PilotPredictionID(pl.ID))
		return err == nil && x.Status != store.SimulationRunning
	}, time.Minute, 100*time.Millisecond, "the prediction finished")
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history(ctx, t, c, pl.WorkflowID, prun.GetRunID()))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "histories", "pilot-predicted.json"), b, 0o644))

	days, reps, seed, two := 7, 2, uint64(1), 2
	for file, window := range map[string][2]time.Time{ok: {from, to}, refused: {from.Add(-100 * 24 * time.Hour), from.Add(-90 * 24 * time.Hour)}} {
		req, err := json.Marshal(map[string]any{"flow": "complaint", "version": two, "from": window[0], "to": window[1], "days": days,
			"replications": reps, "seed": seed})
		require.NoError(t, err)
		id := uuid.NewString()
		_, _, err = st.CreateSimulation(ctx, store.Simulation{ID: id, Flow: "complaint", Request: req, CreatedBy: "recorder", CreatedAt: time.Now()})
		require.NoError(t, err)
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SimulationID(id), TaskQueue: workflows.TaskQueue},
			workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: id})
		require.NoError(t, err)
		require.NoError(t, run.Get(ctx, nil))
		x, err := st.GetSimulation(ctx, id)
		require.NoError(t, err)
		if file == ok {
			require.Equal(t, store.SimulationSucceeded, x.Status, x.Error)
		} else {
			require.Equal(t, store.SimulationFailed, x.Status)
			require.Contains(t, x.Error, "created no case")
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history(ctx, t, c, workflows.SimulationID(id), run.GetRunID()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, b, 0o644))
	}
}
