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
	"github.com/flowlab/flowlab/server/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

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
		SLABreachRate: st.SLABreachRate, Breaches: st.Breaches, Escalations: st.Escalations,
		Share: st.Share, Bottleneck: st.Bottleneck,
	}
}
