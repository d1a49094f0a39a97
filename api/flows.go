package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// flowRoutes are the routes of flows: summaries, bottlenecks, trends, versions, validation, publishing, the default, retiring, migrations, diffs, the schema, graphs (apiRoutes joins every
// resource's table).
var flowRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows", ID: "listFlows", Tag: "flows",
		Summary:     "List flows",
		Description: "One summary per flow key, ordered by key. " + descPaging,
		Params:      apiv1.ListFlowsParams{},
		Status:      http.StatusOK, Response: apiv1.FlowList{}, Example: apiv1.FlowList{Flows: []apiv1.FlowSummary{exampleFlowSummary}},
		Handle: (*API).listFlows,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/validate", ID: "validateFlow", Tag: "flows",
		Summary: "Validate a flow definition",
		Description: "Parses and checks a YAML flow definition without storing it and lists every error and warning with its line and column. " +
			"Any input gets a 200 (`valid: false` with diagnostics for what is wrong), except a body over the size limit (413) or of another media type (415).",
		RawBody: &rawBody{Types: yamlTypes, Description: "A flow definition in YAML.", Example: exampleFlowYAML},
		Status:  http.StatusOK, Response: apiv1.Validate{}, Example: exampleValidation,
		Errors:  []int{413, 415},
		NoAudit: "validation stores nothing",
		Handle:  (*API).validateFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}", ID: "getFlow", Tag: "flows",
		Summary:     "Get a flow version",
		Description: "The default (or `version`) definition of a flow, its YAML source and the list of its versions.",
		Params:      apiv1.FlowParams{},
		Status:      http.StatusOK, Response: apiv1.FlowDetail{}, Example: exampleFlowDetail,
		Errors: []int{404},
		Handle: (*API).getFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/bottlenecks", ID: "getFlowBottlenecks", Tag: "flows",
		Summary: "Where cases of a flow wait",
		Description: "Per-step waiting (entered → claimed) and working (claimed → completed) time quantiles in seconds, SLA breach rate, " +
			"escalations and share of the total cycle time, from the spans entered in [`from`, `to`); the step with the largest share is the bottleneck.",
		Params: apiv1.BottlenecksParams{},
		Status: http.StatusOK, Response: apiv1.Bottlenecks{}, Example: exampleBottlenecks,
		Errors: []int{404},
		Handle: (*API).bottlenecks,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/trend", ID: "getFlowTrend", Tag: "flows",
		Summary: "A flow's weekly cycle time",
		Description: "The flow's cases completed in each ISO week (Monday 00:00 UTC to the next; `from` and `to` are widened to whole " +
			"weeks, default the 12 weeks up to now, at most 106 weeks), by the week of their close: `n`, the median and p90 cycle time " +
			"(created → closed, seconds) and the SLA breach rate of their completed tasks' spans that had an SLA (`breached_spans` / " +
			"`task_spans`). Completed means as pilots count it: status completed (cancelled and failed cases are left out). `version` " +
			"keeps the cases on that version (their current one after a migration). Every week of the range is listed, oldest first; " +
			"a week without completed cases has `n` 0 and null values. 404 for an unknown flow or version.",
		Params: apiv1.FlowTrendParams{},
		Status: http.StatusOK, Response: apiv1.FlowTrend{}, Example: exampleFlowTrend,
		Errors: []int{404},
		Handle: (*API).flowTrend,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/versions", ID: "publishFlowVersion", Tag: "flows",
		Summary: "Publish a flow version",
		Description: "Validates the YAML definition and stores it as the next version of the flow (the latest + 1). The definition's `key` must be " +
			"the path's; its `version` may be left out, otherwise it must be that next number (409 names it). Errors of the definition are a 422 " +
			"whose `errors[].field` is `line:column`. Publishing content identical (sha256 of the YAML) to an existing version of the key changes " +
			"nothing and returns that version (200). The first version of a new key becomes its default; later ones become the default only through " +
			"PUT /api/v1/flows/{key}/default.",
		Roles:   authz.FlowEditors,
		Params:  apiv1.FlowKeyParams{},
		RawBody: &rawBody{Types: yamlTypes, Description: "A flow definition in YAML.", Example: exampleFlowYAML},
		Status:  http.StatusCreated, AltStatuses: []int{http.StatusOK}, Response: apiv1.FlowVersionDetail{}, Example: exampleFlowVersionDetail,
		Errors: []int{409, 413, 415, 422},
		Audit:  []string{"flow.publish"},
		Handle: (*API).publishFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions", ID: "listFlowVersions", Tag: "flows",
		Summary:     "List the versions of a flow",
		Description: "Versions in ascending order, with their default and retired flags. " + descPaging,
		Params:      apiv1.FlowVersionsParams{},
		Status:      http.StatusOK, Response: apiv1.FlowVersionList{}, Example: apiv1.FlowVersionList{Versions: []apiv1.FlowVersion{exampleFlowVersion}},
		Errors: []int{404},
		Handle: (*API).listFlowVersions,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}", ID: "getFlowVersion", Tag: "flows",
		Summary:     "Get a flow version",
		Description: "The version with its compiled definition and YAML source; with `Accept: application/yaml` (or text/yaml) the YAML source alone, as published.",
		Params:      apiv1.FlowVersionParams{},
		Status:      http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleFlowVersionDetail,
		AltResponses: []altResponse{
			{Type: "application/yaml", Description: "The YAML source as published.", Schema: map[string]any{"type": "object"}, Example: exampleFlowYAMLValue},
			{Type: "text/yaml", Description: "The YAML source as published.", Schema: map[string]any{"type": "object"}, Example: exampleFlowYAMLValue},
		},
		Errors: []int{404},
		Handle: (*API).getFlowVersion,
	},
	{
		Method: http.MethodPut, Pattern: "/api/v1/flows/{key}/default", ID: "setFlowDefault", Tag: "flows",
		Summary:     "Choose the default version of a flow",
		Description: "New cases of the flow get this version; running cases keep theirs. A retired version cannot be the default (409).",
		Roles:       authz.FlowEditors,
		Params:      apiv1.FlowKeyParams{},
		Body:        apiv1.SetDefaultRequest{}, BodyExample: apiv1.SetDefaultRequest{Version: 3},
		Status: http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleDefaultVersion,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"flow.default"},
		Handle: (*API).setFlowDefault,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/versions/{v}/retire", ID: "retireFlowVersion", Tag: "flows",
		Summary: "Retire a flow version",
		Description: "A retired version receives no new cases; cases running on it finish on it. The default version cannot be retired (409): " +
			"choose another default first. Retiring a retired version changes nothing.",
		Roles:  authz.FlowEditors,
		Params: apiv1.FlowVersionParams{},
		Status: http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleRetiredVersion,
		Errors: []int{404, 409},
		Audit:  []string{"flow.retire"},
		Handle: (*API).retireFlowVersion,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/migrations", ID: "migrateFlowCases", Tag: "flows",
		Summary: "Move running cases onto another version",
		Description: "Moves every active case of version `from` onto version `to` through the case workflow's `migrate` Update: at a safe point " +
			"(waiting at a task or a wait step) the open task is closed as cancelled with outcome `migrated` and the case continues at " +
			"`mapping[step]`, entered fresh. `mapping` names a step of `to` for each step of `from` a case may wait at (422 names an unknown " +
			"step on either side); `to` must not be retired (422); a missing flow or version is 404. A case that cannot move (an unmapped step, " +
			"between steps, no longer running, assigned to an arm of the flow's running pilot...) is reported `refused` with the reason and left unchanged. `dry_run` reports what a real run " +
			"would do (`would_migrate` or `refused`), changes nothing and writes no audit. A real run audits each case (`case.migrate`, " +
			"`case.migrate_refused`) and the migration (`flow.migrate`). One request handles up to 10000 cases, newest first (`truncated` " +
			"says more remain: run it again). Each case's Update ID is `<migration_id>:<case id>`. If the workflow engine becomes unavailable " +
			"the request stops with 503; the cases migrated by then are in the audit trail and a new request picks up the rest.",
		Roles:  authz.FlowEditors,
		Params: apiv1.FlowKeyParams{},
		Body:   apiv1.MigrateRequest{}, BodyExample: exampleMigrateRequest,
		Status: http.StatusOK, Response: apiv1.Migration{}, Example: exampleMigration,
		Errors: []int{404, 413, 415, 422},
		Audit:  []string{"flow.migrate"},
		Handle: (*API).migrateFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/diff", ID: "diffFlowVersions", Tag: "flows",
		Summary: "Compare two versions of a flow",
		Description: "Steps added, removed and changed (field by field), flow-level changes, and the department handoffs removed and added " +
			"(a handoff is a path from one task to the next that changes department). With `Accept: text/plain` a readable report.",
		Params: apiv1.FlowDiffParams{},
		Status: http.StatusOK, Response: flow.DiffResult{}, Example: exampleDiff,
		AltResponses: []altResponse{{Type: mimeText, Description: "The comparison as a readable report.", Schema: map[string]any{"type": "string"}, Example: exampleDiff.Text()}},
		Errors:       []int{404},
		Handle:       (*API).diffFlow,
	},
	{
		Method: http.MethodGet, Pattern: FlowSchemaPath, ID: "getFlowSchema", Tag: "flows",
		Summary: "JSON Schema of the flow YAML format",
		Description: "For editors: VS Code (redhat.vscode-yaml) and JetBrains IDEs complete and check flow YAML against it. It covers the structure; " +
			"POST /api/v1/flows/validate adds the checks a schema cannot express (targets, reachability, departments, rules).",
		Public:       true,
		ResponseType: mimeSchema,
		Status:       http.StatusOK, Response: map[string]any{},
		Handle: (*API).flowSchema,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}/graph.svg", ID: "getFlowGraphSVG", Tag: "flows",
		Summary: "Draw a flow version",
		Description: "The version's steps and transitions laid out by Graphviz: tasks as boxes, decisions as diamonds, filled by department " +
			"(legend), edges labelled by outcome, rule, default, timeout or next. With `heat` the steps are filled white to red by a metric of the " +
			"bottleneck statistics of the spans entered in [`from`, `to`) (as GET /api/v1/flows/{key}/bottlenecks) and labelled with its value; " +
			"steps at or above `warn` get a thick border, at or above `alert` a thick red one; without `warn` and `alert` the colour scale " +
			"comes from the data (0 and the steps' 25th, 50th, 75th percentile and largest value). The same request gives the same bytes. " +
			"A graph of more than 150 steps, 450 transitions or 64 KiB of names and labels is refused (422, type graph-too-large) before its layout, " +
			"as is one whose layout takes longer than 10 s (it is stopped); when the server already draws as many graphs as it may at once, " +
			"the answer is 503 (type graph-layout-busy) with `Retry-After`. Each drawing is cached.",
		Params:       apiv1.GraphSVGParams{},
		ResponseType: mimeSVG,
		Status:       http.StatusOK, Response: "", Example: exampleGraphSVG,
		Errors: []int{404, 422},
		Handle: (*API).flowGraphSVG,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}/graph.json", ID: "getFlowGraph", Tag: "flows",
		Summary: "The graph of a flow version",
		Description: "Nodes (steps) in the definition's order with their bottleneck statistics over the spans entered in [`from`, `to`) " +
			"(as GET /api/v1/flows/{key}/bottlenecks; absent for steps without spans), edges labelled as in graph.svg, and the departments " +
			"with the colours graph.svg uses.",
		Params: apiv1.GraphJSONParams{},
		Status: http.StatusOK, Response: apiv1.Graph{}, Example: exampleGraphJSON,
		Errors: []int{404},
		Handle: (*API).flowGraphJSON,
	},
}

// SeedBuiltinFlows stores every built-in flow version (source, compiled
// definition, sha256 of the source). It is idempotent and cmd calls it at
// every boot. The built-in default version of a key is made the default
// only when this call stored a new version of that key, so a default
// chosen later (a pilot's promotion) survives restarts.
func SeedBuiltinFlows(ctx context.Context, st store.Store) error {
	createdKeys := map[string]bool{}
	defaults := map[string]int{}
	var keys []string
	for _, b := range flows.All() {
		def, diags := flow.Load(b.Source, flow.ValidateOptions{})
		if def == nil || diags.HasErrors() {
			return fmt.Errorf("server: seed %s v%d: %w", b.Key, b.Version, diags.Errors())
		}
		if def.Key != b.Key || def.Version != b.Version {
			return fmt.Errorf("server: seed %s v%d: the file declares %s v%d", b.Key, b.Version, def.Key, def.Version)
		}
		compiled, err := json.Marshal(def)
		if err != nil {
			return fmt.Errorf("server: seed %s v%d: compile: %w", b.Key, b.Version, err)
		}
		sum := sha256.Sum256(b.Source)
		_, created, err := st.PutFlowVersion(ctx, store.PutFlowVersionParams{
			Key: b.Key, Version: b.Version, Name: def.Name, Source: string(b.Source),
			Compiled: compiled, Hash: hex.EncodeToString(sum[:]), CreatedBy: "system", At: time.Now().UTC(),
		})
		if err != nil {
			return fmt.Errorf("server: seed %s v%d: %w", b.Key, b.Version, err)
		}
		if !slices.Contains(keys, b.Key) {
			keys = append(keys, b.Key)
		}
		if created {
			createdKeys[b.Key] = true
		}
		if b.Default {
			defaults[b.Key] = b.Version
		}
	}
	for _, k := range keys {
		v, ok := defaults[k]
		if !ok || !createdKeys[k] {
			continue
		}
		if err := st.SetDefaultFlowVersion(ctx, k, v); err != nil {
			return fmt.Errorf("server: seed: default of %s to v%d: %w", k, v, err)
		}
	}
	return nil
}

// listFlows lists one summary per flow key, ordered by key, a page at a
// time.
func (s *API) listFlows(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListFlowsParams](r)
	if err != nil {
		return err
	}
	after, err := flowCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	sums, err := s.store.ListFlows(r.Context())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list flows: %w", err), "flows")
	}
	if after != "" {
		i, _ := slices.BinarySearchFunc(sums, after, func(f store.FlowSummary, key string) int { return strings.Compare(f.Key, key) })
		for i < len(sums) && sums[i].Key <= after {
			i++
		}
		sums = sums[i:]
	}
	out := apiv1.FlowList{}
	if len(sums) > q.Limit {
		sums = sums[:q.Limit]
		if out.NextCursor, err = httpx.EncodeCursor(flowCursorJSON{Key: sums[len(sums)-1].Key}); err != nil {
			return httpx.Internal(err)
		}
	}
	out.Flows = make([]apiv1.FlowSummary, len(sums))
	for i, f := range sums {
		out.Flows[i] = apiv1.FlowSummary{Key: f.Key, Name: f.Name, DefaultVersion: f.DefaultVersion, LatestVersion: f.LatestVersion, Versions: f.Versions}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// loadFlowVersion returns the requested version of key, or its default.
func (s *API) loadFlowVersion(ctx context.Context, key string, version int) (store.FlowVersion, error) {
	var (
		fv  store.FlowVersion
		err error
	)
	if version == 0 {
		fv, err = s.store.DefaultFlowVersion(ctx, key)
	} else {
		fv, err = s.store.GetFlowVersion(ctx, key, version)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && (version == 0 || !s.flowExists(ctx, key)) {
			return fv, s.unknownFlow(ctx, key, "")
		}
		what := fmt.Sprintf("flow %q", key)
		if version != 0 {
			what = fmt.Sprintf("flow %q version %d", key, version)
		}
		return fv, httpx.StoreProblem(fmt.Errorf("load flow version: %w", err), what)
	}
	return fv, nil
}

// maxFlowsNamed bounds the flows an unknown flow's 404 lists.
const maxFlowsNamed = 50

// unknownFlow is the 404 of a flow key that does not exist: it lists the
// flows that do (at most maxFlowsNamed), so that a typo is fixed at
// once. field, when set, names the request field that held the key.
func (s *API) unknownFlow(ctx context.Context, key, field string) *httpx.Problem {
	detail := fmt.Sprintf("flow %q not found", key)
	if flows, err := s.store.ListFlows(ctx); err == nil {
		keys := make([]string, 0, min(len(flows), maxFlowsNamed))
		for _, f := range flows[:min(len(flows), maxFlowsNamed)] {
			keys = append(keys, f.Key)
		}
		switch {
		case len(flows) == 0:
			detail += "; there are no flows yet"
		case len(flows) > maxFlowsNamed:
			detail += fmt.Sprintf("; the flows are %s and %d more (GET /api/v1/flows)", strings.Join(keys, ", "), len(flows)-maxFlowsNamed)
		default:
			detail += "; the flows are " + strings.Join(keys, ", ")
		}
	}
	p := httpx.NotFound(detail)
	if field != "" {
		p.Errors = []apiv1.FieldError{{Field: field, Message: fmt.Sprintf("no flow %q", key)}}
	}
	return p
}

// flowExists tells whether key has any version (true when the store
// cannot tell, so that the caller keeps its own message).
func (s *API) flowExists(ctx context.Context, key string) bool {
	versions, err := s.store.ListFlowVersions(ctx, key)
	return err != nil || len(versions) > 0
}

// getFlow returns the default (or ?version=) definition of a flow with its
// YAML source and the list of versions.
func (s *API) getFlow(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowParams](r)
	if err != nil {
		return err
	}
	key := q.Key
	fv, err := s.loadFlowVersion(r.Context(), key, q.Version)
	if err != nil {
		return err
	}
	versions, err := s.store.ListFlowVersions(r.Context(), key)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list flow versions: %w", err), fmt.Sprintf("flow %q", key))
	}
	out := apiv1.FlowDetail{Key: fv.Key, Name: fv.Name, Version: fv.Version, Definition: fv.Compiled,
		Source: fv.Source, Versions: make([]apiv1.FlowVersion, len(versions))}
	for i, v := range versions {
		out.Versions[i] = toFlowVersionJSON(v)
		if v.IsDefault {
			out.DefaultVersion = v.Version
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// bottlenecks reports where cases of one flow version wait and work, from
// the spans entered in [from, to).
func (s *API) bottlenecks(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.BottlenecksParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	fv, err := s.loadFlowVersion(r.Context(), q.Key, q.Version)
	if err != nil {
		return err
	}
	out, _, err := s.bottleneckReport(r.Context(), fv, q.Variant, from, to)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// DefaultExactSpans is the default of Config.ExactSpans.
const DefaultExactSpans = 20000

// bottleneckReport computes the bottleneck view of one flow version from
// the spans entered in [from, to) (nil: unbounded) of variant (empty: all)
// and returns it with the version's definition. The bottlenecks endpoint
// and the graph's heat overlay both use it, so they cannot disagree.
//
// The store's span rollups answer first (whole days and months merged,
// the cut days at the ends from raw spans); when the range holds at most
// Config.ExactSpans spans the report is computed exactly from the raw spans
// instead. Counts, sums, rates, shares and distinct cases are exact either
// way; rollup quantiles are within analytics.SketchRelativeAccuracy.
func (s *API) bottleneckReport(ctx context.Context, fv store.FlowVersion, variant string, from, to *time.Time) (apiv1.Bottlenecks, flow.Definition, error) {
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return apiv1.Bottlenecks{}, def, httpx.Internal(fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err))
	}
	order := make([]string, len(def.Steps))
	for i, st := range def.Steps {
		order[i] = st.ID
	}
	stats, err := s.store.SpanStats(ctx, store.SpanStatsFilter{Flow: fv.Key, Version: fv.Version, Variant: variant, From: from, To: to})
	if err != nil {
		return apiv1.Bottlenecks{}, def, httpx.StoreProblem(fmt.Errorf("span stats: %w", err), "spans")
	}
	var rep analytics.Report
	if s.cfg.ExactSpans >= 0 && stats.Spans <= s.cfg.ExactSpans {
		spans, err := s.store.ListSpans(ctx, store.SpanFilter{Flow: fv.Key, Version: fv.Version, Variant: variant, From: from, To: to})
		if err != nil {
			return apiv1.Bottlenecks{}, def, httpx.StoreProblem(fmt.Errorf("list spans: %w", err), "spans")
		}
		in := make([]analytics.Span, len(spans))
		for i, sp := range spans {
			in[i] = sp.Analytics(&def)
		}
		rep = analytics.Bottlenecks(in, order)
	} else {
		rep = analytics.FromRollups(stats.Steps, stats.StepCases, stats.Cases, order)
	}
	out := apiv1.Bottlenecks{Flow: fv.Key, Version: fv.Version, Variant: variant, From: from, To: to,
		Cases: rep.Cases, Steps: make([]apiv1.StepStats, len(rep.Steps))}
	for i, st := range rep.Steps {
		out.Steps[i] = toStepStatsJSON(st)
	}
	return out, def, nil
}

func toStepStatsJSON(st analytics.StepStats) apiv1.StepStats {
	return apiv1.StepStats{
		Step: st.Step, Department: st.Department, Kind: st.Kind, Cases: st.Cases,
		Wait:          apiv1.Quantiles{P50: st.Wait.P50, P90: st.Wait.P90, P95: st.Wait.P95},
		Work:          apiv1.Quantiles{P50: st.Work.P50, P90: st.Work.P90, P95: st.Work.P95},
		BusinessWait:  apiv1.Quantiles{P50: st.BusinessWait.P50, P90: st.BusinessWait.P90, P95: st.BusinessWait.P95},
		BusinessWork:  apiv1.Quantiles{P50: st.BusinessWork.P50, P90: st.BusinessWork.P90, P95: st.BusinessWork.P95},
		WaitAssign:    apiv1.Quantiles{P50: st.WaitAssign.P50, P90: st.WaitAssign.P90, P95: st.WaitAssign.P95},
		WaitStart:     apiv1.Quantiles{P50: st.WaitStart.P50, P90: st.WaitStart.P90, P95: st.WaitStart.P95},
		Assigned:      st.Assigned,
		SLABreachRate: st.SLABreachRate, Breaches: st.Breaches, Escalations: st.Escalations,
		Share: st.Share, Bottleneck: st.Bottleneck,
	}
}
