package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

const migrationsPath = "/api/v1/flows/complaint/migrations"

// v1ToV2 maps every waiting step of complaint v1 but investigate.
var v1ToV2 = map[string]string{"record": "submit", "feedback": "feedback", "review": "handle", "notify_customer": "feedback"}

func migrationOf(t *testing.T, res *httptest.ResponseRecorder) apiv1.Migration {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var m apiv1.Migration
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&m))
	require.NotNil(t, m.Cases)
	return m
}

func (e *testEnv) audits(f store.AuditFilter) []store.AuditEntry {
	e.t.Helper()
	entries, err := e.st.ListAudit(context.Background(), f)
	require.NoError(e.t, err)
	return entries
}

func detailsOf(t *testing.T, a store.AuditEntry) map[string]any {
	t.Helper()
	var d map[string]any
	require.NoError(t, json.Unmarshal(a.Details, &d))
	return d
}

func TestMigrateBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.StartCase()
	ok := map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"record": "submit"}}

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		field  string // the first field error's field ("" for none)
		detail string // part of the detail
	}{
		{"malformed JSON", migrationsPath, `{"from": 1,`, 400, "body", "truncated JSON"},
		{"not an object", migrationsPath, `[1, 2]`, 400, "body", "expected object"},
		{"wrong type", migrationsPath, `{"from": "1", "to": 2, "mapping": {"record": "submit"}}`, 400, "body.from", "expected integer"},
		{"unknown field", migrationsPath, `{"from": 1, "to": 2, "mapping": {"record": "submit"}, "dryRun": true}`, 400, "body", `unknown field "dryRun"`},
		{"two values", migrationsPath, `{"from": 1, "to": 2, "mapping": {"record": "submit"}} {}`, 400, "body", "unexpected data"},
		{"empty body", migrationsPath, ``, 400, "body", "empty"},
		{"from missing", migrationsPath, map[string]any{"to": 2, "mapping": v1ToV2}, 422, "from", "from: is required"},
		{"from zero", migrationsPath, map[string]any{"from": 0, "to": 2, "mapping": v1ToV2}, 422, "from", "from: is required"},
		{"from negative", migrationsPath, map[string]any{"from": -1, "to": 2, "mapping": v1ToV2}, 422, "from", "from"},
		{"to missing", migrationsPath, map[string]any{"from": 1, "mapping": v1ToV2}, 422, "to", "to: is required"},
		{"from equals to", migrationsPath, map[string]any{"from": 2, "to": 2, "mapping": v1ToV2}, 422, "to", "must differ from from (both are 2)"},
		{"mapping missing", migrationsPath, map[string]any{"from": 1, "to": 2}, 422, "mapping", "mapping: is required"},
		{"mapping empty", migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": map[string]string{}}, 422, "mapping", "mapping: is required"},
		{"unknown flow", "/api/v1/flows/nope/migrations", ok, 404, "", `flow "nope" not found`},
		{"unknown from", migrationsPath, map[string]any{"from": 7, "to": 2, "mapping": v1ToV2}, 404, "from", `flow "complaint" has no version 7`},
		{"unknown to", migrationsPath, map[string]any{"from": 1, "to": 9, "mapping": v1ToV2}, 404, "to", `flow "complaint" has no version 9`},
		{"mapping key not in from", migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"record": "submit", "handel": "handle"}}, 422,
			"mapping.handel", `"handel" is not a step of version 1`},
		{"mapping value not in to", migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"record": "record"}}, 422,
			"mapping.record", `"record" is not a step of version 2`},
		{"query parameter", migrationsPath + "?dry_run=true", ok, 400, "dry_run", "dry_run"},
	}
	for _, c := range cases {
		res := e.Do("owner", http.MethodPost, c.path, c.body, nil)
		p := servertest.ProblemOf(t, res, c.status)
		require.Contains(t, p.Detail, c.detail, c.name)
		if c.field != "" {
			require.NotEmpty(t, p.Errors, c.name)
			require.Equal(t, c.field, p.Errors[0].Field, c.name)
		}
	}

	// Every error of the request at once, each with its field.
	p := servertest.ProblemOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 0}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"from", "to", "mapping"}, fieldsOf(p))
	p = servertest.ProblemOf(t, e.Do("owner", http.MethodPost, migrationsPath,
		map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"zeta": "nope", "record": "submit"}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"mapping.zeta", "mapping.zeta"}, fieldsOf(p), "the key and the value are both wrong")
	require.Contains(t, p.Errors[0].Message, "its steps: record, route, investigate")
	require.Contains(t, p.Errors[1].Message, `"nope" is not a step of version 2`)

	// Media type, roles, authentication.
	servertest.ProblemOf(t, e.SendRaw("owner", http.MethodPost, migrationsPath, "application/yaml", []byte("from: 1"), nil), http.StatusUnsupportedMediaType)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, migrationsPath, ok, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("", http.MethodPost, migrationsPath, ok, nil), http.StatusUnauthorized)

	// A retired target.
	res := e.Do("admin", http.MethodPost, "/api/v1/flows/complaint/versions/2/retire", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	p = servertest.ProblemOf(t, e.Do("owner", http.MethodPost, migrationsPath, ok, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"to"}, fieldsOf(p))
	require.Contains(t, p.Detail, "version 2 is retired")

	// Nothing was asked of the engine, nothing audited.
	e.eng.Mu.Lock()
	require.Empty(t, e.eng.Migrates)
	e.eng.Mu.Unlock()
	require.Empty(t, e.audits(store.AuditFilter{Object: "flow:complaint"}))
}

func fieldsOf(p apiv1.Problem) []string {
	var out []string
	for _, fe := range p.Errors {
		out = append(out, fe.Field)
	}
	return out
}

// migrationFixture starts complaint cases in several situations and
// returns them by name, plus the list order of the active v1 ones.
func migrationFixture(t *testing.T, e *testEnv) (byName map[string]apiv1.Case, order []string) {
	t.Helper()
	byName = map[string]apiv1.Case{}
	for _, name := range []string{"ready", "busy", "unmapped", "gone", "done", "other"} {
		byName[name] = e.StartCase()
		time.Sleep(2 * time.Millisecond) // distinct created_at, so the list order is known
	}
	// unmapped waits at investigate, which the mapping leaves out.
	e.CompleteRecord(byName["unmapped"].ID)
	// gone's workflow has ended although its row still says active.
	e.eng.Mu.Lock()
	delete(e.eng.Cases, byName["gone"].WorkflowID)
	e.eng.Mu.Unlock()
	// done is completed: not listed.
	completed, empty, now := store.CaseCompleted, "", time.Now().UTC()
	require.NoError(t, e.st.UpdateCase(context.Background(), store.UpdateCaseParams{ID: byName["done"].ID, Status: &completed, Step: &empty, ClosedAt: &now, At: now}))
	// other already runs version 2: not listed.
	two := 2
	require.NoError(t, e.st.UpdateCase(context.Background(), store.UpdateCaseParams{ID: byName["other"].ID, Version: &two, At: now}))
	// busy is between steps (an escalation or completion under way).
	busy := byName["busy"].WorkflowID
	e.eng.Mu.Lock()
	e.eng.StateHook = func(wf string, st workflows.CaseState) (workflows.CaseState, error) {
		if wf == busy {
			st.AtRest = false
		}
		return st, nil
	}
	e.eng.Mu.Unlock()
	for _, name := range []string{"gone", "unmapped", "busy", "ready"} { // newest first
		order = append(order, byName[name].ID)
	}
	return byName, order
}

func caseIDsOf(m apiv1.Migration) []string {
	var out []string
	for _, c := range m.Cases {
		out = append(out, c.CaseID)
	}
	return out
}

func TestMigrateDryRunAndRealRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	cs, order := migrationFixture(t, e)
	ctx := context.Background()
	readyTask := e.OpenTask(cs["ready"].ID)

	var (
		dry  apiv1.Migration
		want map[string]apiv1.MigrationCase
		real apiv1.Migration
	)

	e.step(t, "dry run: the verdict of each case, nothing changed, nothing audited", func(t *testing.T, e *testEnv) {
		// Dry run: the verdict of each case, nothing changed, nothing audited.
		dry = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": true}, nil))
		require.True(t, dry.DryRun)
		require.NotEmpty(t, dry.MigrationID)
		require.Equal(t, "complaint", dry.Flow)
		require.Equal(t, []int{1, 2}, []int{dry.From, dry.To})
		require.Equal(t, order, caseIDsOf(dry), "the list's order: newest first")
		require.Equal(t, []int{0, 3, 1, 0}, []int{dry.Migrated, dry.Refused, dry.WouldMigrate, dry.Failed})
		require.False(t, dry.Truncated)
		want = map[string]apiv1.MigrationCase{
			cs["ready"].ID:    {Step: "record", ToStep: "submit", Status: "would_migrate"},
			cs["busy"].ID:     {Step: "record", ToStep: "submit", Status: "refused", Reason: "case is between steps (at task step record); try again"},
			cs["unmapped"].ID: {Step: "investigate", Status: "refused", Reason: "step investigate is not mapped"},
			cs["gone"].ID:     {Step: "record", Status: "refused", Reason: "case workflow is not running"},
		}
		for _, c := range dry.Cases {
			w := want[c.CaseID]
			require.Equal(t, []string{w.Step, w.ToStep, w.Status, w.Reason}, []string{c.Step, c.ToStep, c.Status, c.Reason}, c.CaseID)
			require.Equal(t, "complaint-"+c.CaseID, c.WorkflowID)
			require.Empty(t, c.Next)
		}
		e.eng.Mu.Lock()
		require.Empty(t, e.eng.Migrates, "a dry run sends no Update")
		e.eng.Mu.Unlock()
		for _, name := range []string{"ready", "busy", "unmapped", "gone"} {
			for _, a := range e.audits(store.AuditFilter{CaseID: cs[name].ID}) {
				require.NotContains(t, a.Action, "migrate", name)
			}
		}
		require.Empty(t, e.audits(store.AuditFilter{Object: "flow:complaint"}))
		c, err := e.st.GetCase(ctx, cs["ready"].ID)
		require.NoError(t, err)
		require.Equal(t, 1, c.Version)
	})

	e.step(t, "real run: one case migrated, three refused with their reasons", func(t *testing.T, e *testEnv) {
		// Real run.
		real = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2}, nil))
		require.False(t, real.DryRun)
		require.NotEqual(t, dry.MigrationID, real.MigrationID)
		require.Equal(t, order, caseIDsOf(real))
		require.Equal(t, []int{1, 3, 0, 0}, []int{real.Migrated, real.Refused, real.WouldMigrate, real.Failed})
		for _, c := range real.Cases {
			w := want[c.CaseID]
			if w.Status == "would_migrate" {
				w.Status = "migrated"
			}
			require.Equal(t, []string{w.Step, w.ToStep, w.Status, w.Reason}, []string{c.Step, c.ToStep, c.Status, c.Reason}, c.CaseID)
		}
	})

	e.step(t, "the migrated case: one Update with v2, its task cancelled, a v2 task open, the row on v2", func(t *testing.T, e *testEnv) {
		// The migrated case: one Update with the stored v2 definition, its
		// task cancelled, a task of v2's submit step open, the row on v2.
		e.eng.Mu.Lock()
		require.Len(t, e.eng.Migrates, 1)
		req := e.eng.Migrates[0]
		require.Equal(t, []string{real.MigrationID + ":" + cs["ready"].ID}, e.eng.MigrateIDs)
		e.eng.Mu.Unlock()
		require.Equal(t, real.MigrationID, req.MigrationID)
		require.Equal(t, 1, req.From)
		require.Equal(t, "complaint", req.To.Key)
		require.Equal(t, 2, req.To.Version)
		_, hasSubmit := req.To.Step("submit")
		require.True(t, hasSubmit, "the compiled definition of version 2")
		require.Equal(t, v1ToV2, req.Mapping)
		require.Equal(t, e.actors["owner"].ID, req.ActorID)

		ready := real.Cases[len(real.Cases)-1]
		require.Equal(t, cs["ready"].ID, ready.CaseID)
		require.Len(t, ready.Next, 1)
		require.Equal(t, "submit", ready.Next[0].Step)
		require.Equal(t, 2, ready.Next[0].Version)
		require.Equal(t, "open", ready.Next[0].Status)
		require.Equal(t, e.OpenTask(cs["ready"].ID).ID, ready.Next[0].ID)
		old, err := e.st.GetTask(ctx, readyTask.ID)
		require.NoError(t, err)
		require.Equal(t, store.TaskCancelled, old.Status)
		c, err := e.st.GetCase(ctx, cs["ready"].ID)
		require.NoError(t, err)
		require.Equal(t, 2, c.Version)
		require.Equal(t, "submit", c.Step)
	})

	e.step(t, "audit: one entry per case, one for the migration", func(t *testing.T, e *testEnv) {
		// Audit: one entry per case, one for the migration.
		migrated := e.audits(store.AuditFilter{CaseID: cs["ready"].ID})
		last := migrated[len(migrated)-1]
		require.Equal(t, "case.migrate", last.Action)
		require.Equal(t, "case:"+cs["ready"].ID, last.Object)
		require.Equal(t, e.actors["owner"].ID, last.Actor)
		require.Equal(t, map[string]any{"migration_id": real.MigrationID, "from": 1.0, "to": 2.0, "from_step": "record",
			"to_step": "submit", "closed_task_id": readyTask.ID}, detailsOf(t, last))
		for _, name := range []string{"busy", "unmapped", "gone"} {
			entries := e.audits(store.AuditFilter{CaseID: cs[name].ID})
			last := entries[len(entries)-1]
			require.Equal(t, "case.migrate_refused", last.Action, name)
			require.Equal(t, "case:"+cs[name].ID, last.Object)
			d := detailsOf(t, last)
			require.Equal(t, want[cs[name].ID].Reason, d["reason"], name)
			require.Equal(t, want[cs[name].ID].Step, d["step"], name)
			require.Equal(t, real.MigrationID, d["migration_id"])
			require.Equal(t, []any{1.0, 2.0}, []any{d["from"], d["to"]})
		}
		flowEntries := e.audits(store.AuditFilter{Object: "flow:complaint"})
		require.Len(t, flowEntries, 1)
		require.Equal(t, "flow.migrate", flowEntries[0].Action)
		d := detailsOf(t, flowEntries[0])
		require.Equal(t, real.MigrationID, d["migration_id"])
		require.Equal(t, []any{4.0, 1.0, 3.0, 0.0, false}, []any{d["cases"], d["migrated"], d["refused"], d["failed"], d["truncated"]})
	})

	e.step(t, "the refused cases are untouched", func(t *testing.T, e *testEnv) {
		// The refused cases are untouched.
		for _, name := range []string{"busy", "unmapped"} {
			c, err := e.st.GetCase(ctx, cs[name].ID)
			require.NoError(t, err)
			require.Equal(t, 1, c.Version, name)
			require.Equal(t, store.TaskOpen, e.OpenTask(cs[name].ID).Status)
		}
	})

	e.step(t, "again: the migrated case is no longer on version 1", func(t *testing.T, e *testEnv) {
		// Again: the migrated case is no longer on version 1.
		again := migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": true}, nil))
		require.Equal(t, order[:3], caseIDsOf(again))
	})

	e.step(t, "the migrated case shows its new version", func(t *testing.T, e *testEnv) {
		// The migrated case shows its new version.
		res := e.Do("owner", http.MethodGet, "/api/v1/cases/"+cs["ready"].ID, nil, nil)
		require.Equal(t, http.StatusOK, res.Code)
		var detail apiv1.CaseDetail
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &detail))
		require.Equal(t, 2, detail.Version)
		require.Equal(t, "submit", detail.Step)
	})
}

// TestMigrateUpdateOutcomes: what the Update answers decides each case's
// entry; an unavailable engine stops the request with a 503.
func TestMigrateUpdateOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	a, b, c, d := e.StartCase(), e.StartCase(), e.StartCase(), e.StartCase()
	body := map[string]any{"from": 1, "to": 2, "mapping": v1ToV2}
	e.eng.Mu.Lock()
	e.eng.MigrateHook = func(wf string) error {
		switch wf {
		case a.WorkflowID: // moved on after the state query
			return &engine.RejectedError{Reason: engine.ErrMigrationRefused, Message: "case is between steps (at task step record); try again"}
		case b.WorkflowID: // closed after the listing
			return fmt.Errorf("engine: migrate: %w", engine.ErrCaseNotRunning)
		case c.WorkflowID: // the workflow failed the Update
			return errors.New("engine: migrate: close task t for migration: activity error")
		}
		return nil
	}
	e.eng.Mu.Unlock()
	m := migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, body, nil))
	got := map[string][]string{}
	for _, cs := range m.Cases {
		got[cs.CaseID] = []string{cs.Status, cs.Reason}
	}
	require.Equal(t, map[string][]string{
		a.ID: {"refused", "case is between steps (at task step record); try again"},
		b.ID: {"refused", "case workflow is not running"},
		c.ID: {"failed", "the case workflow failed the migration; quote the request_id and migration_id when reporting it"},
		d.ID: {"migrated", ""},
	}, got)
	require.Equal(t, []int{1, 2, 1}, []int{m.Migrated, m.Refused, m.Failed})
	entries := e.audits(store.AuditFilter{CaseID: c.ID})
	require.Equal(t, "case.migrate_failed", entries[len(entries)-1].Action)
	require.Contains(t, e.logs.String(), "activity error", "the failure is logged")
	require.NotContains(t, e.Do("owner", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil).Body.String(), "activity error")

	// The engine goes away: 503, no report of garbage; the migration's
	// audit entry says it stopped.
	e.eng.Mu.Lock()
	e.eng.MigrateHook = func(string) error {
		return fmt.Errorf("engine: migrate: %w", engine.ErrEngineUnavailable)
	}
	e.eng.Mu.Unlock()
	p := servertest.ProblemOf(t, e.Do("owner", http.MethodPost, migrationsPath, body, nil), http.StatusServiceUnavailable)
	require.Contains(t, p.Detail, "the migration stopped after")
	flowEntries := e.audits(store.AuditFilter{Object: "flow:complaint"})
	require.Equal(t, true, detailsOf(t, flowEntries[len(flowEntries)-1])["aborted"])

	// A state query that cannot reach the engine stops a dry run too.
	e.eng.Mu.Lock()
	e.eng.StateHook = func(string, workflows.CaseState) (workflows.CaseState, error) {
		return workflows.CaseState{}, fmt.Errorf("engine: state: %w", engine.ErrEngineUnavailable)
	}
	e.eng.Mu.Unlock()
	p = servertest.ProblemOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": true}, nil), http.StatusServiceUnavailable)
	require.Equal(t, "the workflow engine is unavailable; retry later", p.Detail)

	// A workflow that alone fails its query is refused, the others go on.
	e.eng.Mu.Lock()
	e.eng.StateHook = func(wf string, st workflows.CaseState) (workflows.CaseState, error) {
		if wf == a.WorkflowID {
			return st, errors.New("engine: state: query failed: workflow task failed")
		}
		return st, nil
	}
	e.eng.Mu.Unlock()
	m = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": true}, nil))
	for _, cs := range m.Cases {
		if cs.CaseID == a.ID {
			require.Equal(t, "refused", cs.Status)
			require.Equal(t, "the case workflow did not answer the state query", cs.Reason)
		}
	}
}

func TestMigrateTruncates(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	e := newEnvWithStore(t, base.st, func(c *Config) { c.MigrationMaxCases = 3 })
	e.Actor("owner", store.RoleOwner)
	var ids []string
	for range 5 {
		ids = append([]string{e.StartCase().ID}, ids...)
		time.Sleep(2 * time.Millisecond)
	}
	m := migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2, "dry_run": true}, nil))
	require.True(t, m.Truncated)
	require.Equal(t, ids[:3], caseIDsOf(m), "the newest first")

	m = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2}, nil))
	require.True(t, m.Truncated)
	require.Equal(t, 3, m.Migrated)
	m = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2}, nil))
	require.False(t, m.Truncated, "a second run takes the rest")
	require.Equal(t, ids[3:], caseIDsOf(m))
	require.Equal(t, 2, m.Migrated)

	// No case left: an empty report.
	m = migrationOf(t, e.Do("owner", http.MethodPost, migrationsPath, map[string]any{"from": 1, "to": 2, "mapping": v1ToV2}, nil))
	require.Empty(t, m.Cases)
	require.Equal(t, []int{0, 0, 0}, []int{m.Migrated, m.Refused, m.WouldMigrate})
}

// The paging of casesToMigrate crosses the store's page size.
func TestMigrateListsPastOnePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i := range storeCaseLimitMax + 3 {
		_, _, err := e.st.CreateCase(ctx, store.CreateCaseParams{ID: fmt.Sprintf("c%04d", i), Flow: "complaint", Version: 1,
			Status: store.CaseActive, WorkflowID: fmt.Sprintf("complaint-c%04d", i), At: time.Unix(int64(i), 0)})
		require.NoError(t, err)
	}
	s := &API{store: e.st, cfg: Config{MigrationMaxCases: DefaultMigrationMaxCases}}
	cases, truncated, err := s.casesToMigrate(ctx, &migrationPlan{key: "complaint", from: 1})
	require.NoError(t, err)
	require.False(t, truncated)
	require.Len(t, cases, storeCaseLimitMax+3)
	require.Equal(t, fmt.Sprintf("c%04d", storeCaseLimitMax+2), cases[0].ID)
	s.cfg.MigrationMaxCases = storeCaseLimitMax
	cases, truncated, err = s.casesToMigrate(ctx, &migrationPlan{key: "complaint", from: 1})
	require.NoError(t, err)
	require.True(t, truncated)
	require.Len(t, cases, storeCaseLimitMax)
	s.cfg.MigrationMaxCases = storeCaseLimitMax + 3
	_, truncated, err = s.casesToMigrate(ctx, &migrationPlan{key: "complaint", from: 1})
	require.NoError(t, err)
	require.False(t, truncated, "exactly the limit is not truncated")
}

func TestCaseShowsItsSLA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.StartCase()
	res := e.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &raw))
	require.NotContains(t, raw, "sla_due")

	due := time.Date(2026, 3, 2, 15, 30, 0, 0, time.FixedZone("CST", 8*3600))
	require.NoError(t, e.st.UpdateCase(context.Background(), store.UpdateCaseParams{ID: c.ID, SLADue: &due, At: time.Now()}))
	res = e.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &raw))
	require.Equal(t, "2026-03-02T07:30:00Z", raw["sla_due"])
}
