package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/eventlog"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// spanRoutes are the routes of the span export (apiRoutes joins every
// resource's table).
var spanRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/spans", ID: "exportSpans", Tag: "cases",
		Summary: "Export spans",
		Description: "Streams every span entered in [`from`, `to`) of a flow, version or pilot's cases, in (entered_at, case_id, seq) order, " +
			"with its case's pilot, arm, customer, status, times, feedback and follow-up call's answers (decision 0041): one JSON object per line (`format=jsonl`, the default, " +
			"application/x-ndjson; the schema describes one line) or CSV with a header row (`format=csv`, text/csv). Columns: " + strings.Join(exportColumns, ", ") + ". " +
			"Times are RFC 3339, null (empty in CSV) when absent. `format=xes` gives an XES log instead (one trace per case, the spans of a case in " +
			"seq order; per span a `schedule` event when entered, a `start` when its working began and a `complete` when it ended, with " +
			"`org:group` = department and `org:resource` = actor) that PM4Py, Disco and `POST /api/v1/logs` read. Parameters are checked before anything is sent (400).",
		Params:       apiv1.ExportSpansParams{},
		ResponseType: mimeNDJSON,
		Status:       http.StatusOK, Response: apiv1.ExportedSpan{}, Example: exampleSpanRow,
		AltResponses: []altResponse{{Type: mimeCSV, Description: "A header row, then one row per span.", Schema: map[string]any{"type": "string"}, Example: exampleSpanCSV},
			{Type: mimeXML, Description: "format=xes: an IEEE 1849 XES log, one trace per case, a schedule, start and complete event per span (decision 0033).", Schema: map[string]any{"type": "string"}, Example: exampleSpanXES}},
		Handle: (*API).exportSpans,
	},
}

// The span export: every span with its case's pilot, arm, customer,
// status and feedback, streamed a store page at a time so an export of any
// size holds one page in memory. The pilot statistics are computed from the
// same rows, so anyone can recompute them.

const (
	mimeCSV    = "text/csv"
	mimeNDJSON = "application/x-ndjson"
)

// exportColumns are the CSV header, in the order of apiv1.ExportedSpan.
var exportColumns = []string{"case_id", "seq", "flow", "version", "variant", "pilot_id", "arm", "customer", "step", "kind",
	"department", "entered_at", "claimed_at", "completed_at", "outcome", "sla_due", "breached", "escalation_level", "actor",
	"case_status", "case_created_at", "case_closed_at", "csat", "nps", "resolved_first_contact", "wait_seconds", "work_seconds",
	"follow_up_csat", "perceived_improvement"}

func toExportedSpanJSON(sp store.ExportedSpan) apiv1.ExportedSpan {
	out := apiv1.ExportedSpan{
		CaseID: sp.CaseID, Seq: sp.Seq, Flow: sp.Flow, Version: sp.Version, Variant: sp.Variant, PilotID: sp.PilotID,
		Arm: sp.Arm, Customer: sp.Customer, Step: sp.Step, Kind: sp.Kind, Department: sp.Department,
		EnteredAt: sp.EnteredAt.UTC(), ClaimedAt: utcPtr(sp.ClaimedAt), CompletedAt: sp.CompletedAt.UTC(),
		Outcome: sp.Outcome, SLADue: utcPtr(sp.SLADue), Breached: sp.Breached, EscalationLevel: sp.EscalationLevel,
		Actor: sp.Actor, CaseStatus: sp.CaseStatus, CaseClosedAt: utcPtr(sp.CaseClosedAt),
		CSAT: sp.CSAT, NPS: sp.NPS, ResolvedFirstContact: sp.ResolvedFirstContact,
		FollowUpCSAT: sp.FollowUpCSAT, PerceivedImprovement: sp.Improvement,
	}
	if !sp.CaseCreatedAt.IsZero() {
		out.CaseCreatedAt = utcPtr(&sp.CaseCreatedAt)
	}
	out.WaitSeconds, out.WorkSeconds = analytics.WaitWork(sp.Analytics(nil))
	return out
}

func csvRecord(e apiv1.ExportedSpan) []string {
	t := func(v *time.Time) string {
		if v == nil {
			return ""
		}
		return v.Format(time.RFC3339Nano)
	}
	n := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	b := ""
	if e.ResolvedFirstContact != nil {
		b = strconv.FormatBool(*e.ResolvedFirstContact)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	rec := []string{e.CaseID, strconv.Itoa(e.Seq), e.Flow, strconv.Itoa(e.Version), e.Variant, e.PilotID, e.Arm, e.Customer,
		e.Step, e.Kind, e.Department, t(&e.EnteredAt), t(e.ClaimedAt), t(&e.CompletedAt), e.Outcome, t(e.SLADue),
		strconv.FormatBool(e.Breached), strconv.Itoa(e.EscalationLevel), e.Actor, e.CaseStatus, t(e.CaseCreatedAt),
		t(e.CaseClosedAt), n(e.CSAT), n(e.NPS), b, f(e.WaitSeconds), f(e.WorkSeconds), n(e.FollowUpCSAT), e.PerceivedImprovement}
	for i, c := range rec {
		rec[i] = csvCell(c)
	}
	return rec
}

// csvCell neutralises a cell a spreadsheet would run as a formula (CSV
// injection, OWASP): a cell starting with =, +, -, @, a tab or a carriage
// return gets a leading single quote, so Excel, LibreOffice and Google
// Sheets show it as text. Every cell goes through it, whatever column it
// is in: customer references, outcomes and step names are anyone's input.
// No cell flowlab formats itself (times, counts, non-negative seconds)
// starts with one of those characters, so only such input changes.
func csvCell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

// exportSpans streams the matching spans as JSON lines or CSV. Parameters
// are checked and the first page read before any byte is written, so
// every error until then is a problem document; a failure later can only
// cut the stream short (and is logged).
func (s *API) exportSpans(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ExportSpansParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := store.ExportSpansParams{Flow: q.Flow, Version: q.Version, PilotID: q.Pilot, From: from, To: to, Limit: exportPageSize}
	if q.Format == "xes" {
		return s.exportSpansXES(w, r, p)
	}
	page, err := s.store.ExportSpans(ctx, p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("export spans: %w", err), "spans")
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		cw  *csv.Writer
		enc *json.Encoder
	)
	if q.Format == "csv" {
		h.Set("Content-Type", mimeCSV+"; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="spans.csv"`)
		cw = csv.NewWriter(bw)
		_ = cw.Write(exportColumns)
	} else {
		h.Set("Content-Type", mimeNDJSON)
		enc = json.NewEncoder(bw)
	}
	w.WriteHeader(http.StatusOK)
	fail := func(err error) error {
		s.log.LogAttrs(ctx, slog.LevelError, "span export cut short", slog.String("error", err.Error()))
		return nil // the status line is sent: nothing more to say
	}
	for {
		for _, sp := range page {
			row := toExportedSpanJSON(sp)
			if cw != nil {
				if err := cw.Write(csvRecord(row)); err != nil {
					return fail(err)
				}
			} else if err := enc.Encode(row); err != nil {
				return fail(err)
			}
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return fail(err)
			}
		}
		if err := bw.Flush(); err != nil {
			return fail(err)
		}
		// Only an empty page ends the export: a store may return fewer
		// rows than asked for (its own maximum) before the end.
		if len(page) == 0 {
			return nil
		}
		last := page[len(page)-1]
		p.After = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
		if page, err = s.store.ExportSpans(ctx, p); err != nil {
			return fail(err)
		}
	}
}

// exportSpansXES streams the spans as an XES log (decision 0033): one trace
// per case (the store gives each case's spans together, in seq order), and
// per span a schedule event when it was entered, a start when its working
// began (analytics.WorkBegins) and a complete when it ended, so that the
// log read back (package discovery) gives the bottleneck report's waiting
// and working times. A page of spans at a time: memory does not grow with
// the export.
func (s *API) exportSpansXES(w http.ResponseWriter, r *http.Request, p store.ExportSpansParams) error {
	ctx := r.Context()
	p.ByCase = true
	page, err := s.store.ExportSpans(ctx, p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("export spans: %w", err), "spans")
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", mimeXML+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="spans.xes"`)
	w.WriteHeader(http.StatusOK)
	fail := func(err error) error {
		s.log.LogAttrs(ctx, slog.LevelError, "span export cut short", slog.String("error", err.Error()))
		return nil
	}
	xw, err := eventlog.NewXESWriter(w, []eventlog.Attr{{Name: "concept:name", Value: "flowlab spans"},
		{Name: "flowlab:exported_at", Value: s.now().UTC().Format(time.RFC3339Nano), Type: "date"}})
	if err != nil {
		return fail(err)
	}
	current, open := "", false
	for {
		for _, sp := range page {
			if !open || sp.CaseID != current {
				if err := xw.Trace(xesTraceAttrs(sp)); err != nil {
					return fail(err)
				}
				current, open = sp.CaseID, true
			}
			for _, ev := range xesSpanEvents(sp) {
				if err := xw.Event(ev); err != nil {
					return fail(err)
				}
			}
		}
		if err := xw.Flush(); err != nil {
			return fail(err)
		}
		if len(page) == 0 {
			if err := xw.Close(); err != nil {
				return fail(err)
			}
			return nil
		}
		last := page[len(page)-1]
		p.After = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
		if page, err = s.store.ExportSpans(ctx, p); err != nil {
			return fail(err)
		}
	}
}

const mimeXML = "application/xml"

// xesTraceAttrs are a case's trace attributes: its id as the trace's name,
// its flow, version, pilot and arm, channel, status and customer (an id).
func xesTraceAttrs(sp store.ExportedSpan) []eventlog.Attr {
	attrs := []eventlog.Attr{{Name: "concept:name", Value: sp.CaseID}, {Name: "flowlab:flow", Value: sp.Flow},
		{Name: "flowlab:version", Value: strconv.Itoa(sp.Version), Type: "int"}}
	add := func(name, value, typ string) {
		if value != "" {
			attrs = append(attrs, eventlog.Attr{Name: name, Value: value, Type: typ})
		}
	}
	add("flowlab:pilot", sp.PilotID, "")
	add("flowlab:arm", sp.Arm, "")
	add("flowlab:channel", sp.Channel, "")
	add("flowlab:status", sp.CaseStatus, "")
	add("flowlab:customer", sp.Customer, "id")
	return attrs
}

// xesSpanEvents are a span's schedule, start and complete events.
func xesSpanEvents(sp store.ExportedSpan) [][]eventlog.Attr {
	stamp := func(t time.Time) eventlog.Attr {
		return eventlog.Attr{Name: "time:timestamp", Value: t.UTC().Format(time.RFC3339Nano), Type: "date"}
	}
	event := func(lifecycle string, at time.Time, resource bool) []eventlog.Attr {
		attrs := []eventlog.Attr{{Name: "concept:name", Value: sp.Step}, {Name: "lifecycle:transition", Value: lifecycle}, stamp(at)}
		if sp.Department != "" {
			attrs = append(attrs, eventlog.Attr{Name: "org:group", Value: sp.Department})
		}
		if resource && sp.Actor != "" {
			attrs = append(attrs, eventlog.Attr{Name: "org:resource", Value: sp.Actor})
		}
		return append(attrs, eventlog.Attr{Name: "flowlab:kind", Value: sp.Kind})
	}
	complete := event(eventlog.LifecycleComplete, sp.CompletedAt, true)
	if sp.Outcome != "" {
		complete = append(complete, eventlog.Attr{Name: "flowlab:outcome", Value: sp.Outcome})
	}
	return [][]eventlog.Attr{
		event(eventlog.LifecycleSchedule, sp.EnteredAt, false),
		event(eventlog.LifecycleStart, analytics.WorkBegins(sp.Analytics(nil)), true),
		complete,
	}
}
