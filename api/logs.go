package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/eventlog"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/store"
)

// logTypes are the media types an event log upload may have (a missing
// Content-Type is accepted too): the format is read from the bytes.
var logTypes = []string{"text/csv", "application/csv", "text/plain", "application/xml", "text/xml", "application/x-xes+xml",
	"application/gzip", "application/x-gzip", "application/octet-stream"}

const exampleLogCSV = "Case ID,Activity,Resource,Complete Timestamp\n" +
	"Case 1,Assign seriousness,Value 1,2012/10/09 14:50:17.000\n" +
	"Case 1,Take in charge ticket,Value 1,2012/10/09 14:51:01.000\n" +
	"Case 1,Resolve ticket,Value 2,2012/10/12 15:02:56.000\n"

const logDescriptionFilters = " Filters (every one optional, all must hold): `from`/`to` on a case's first event, `variant` (a rank of the whole log's " +
	"variants), `attr`=`value` (a case attribute), `contains` and `excludes` (activities, repeatable). `calendar` names a flow (its default " +
	"version's calendar) or `flow/calendar-id`: every duration is then also given in that business calendar. Every number is defined in " +
	"decision 0029."

// logRoutes are the routes of event logs (issue 17; decisions 0028–0030).
var logRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/logs/preview", ID: "previewLog", Tag: "logs",
		Summary: "Preview how an event log file would import",
		Description: "The body is the file (CSV or XES, either gzipped; the format is read from the bytes). Answers the detected mapping, " +
			"timestamp layout, the first `rows` events as parsed and every problem found so far; with `all=true` it reads the whole file " +
			"(a dry run of the import). A file that cannot be read on (a column the mapping lacks, an ambiguous day/month layout) is still a " +
			"200 with what was found and `error` saying what to set. Nothing is stored.",
		Roles:   authz.LogImporters,
		Params:  apiv1.PreviewLogParams{},
		RawBody: &rawBody{Types: logTypes, Description: "The event log file.", Example: exampleLogCSV, MaxLength: DefaultMaxLogBytes},
		Status:  http.StatusOK, Response: apiv1.LogPreview{}, Example: exampleLogPreview,
		Errors:  []int{413, 415, 422, 429},
		NoAudit: "a preview stores nothing",
		Handle:  (*API).previewLog,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/logs", ID: "importLog", Tag: "logs",
		Summary: "Import an event log",
		Description: "The body is the file (CSV or XES, either gzipped), read as a stream. The import is all or nothing: a bad row (422 naming " +
			"its line and column, unless `skip_bad_rows`), a file over the server's bounds (413), a cancelled upload or a crash leaves no log; " +
			"send it again. With an `id` chosen by the client, a retry after the import ended answers its log (200), and getLog shows the " +
			"progress of the import while it runs. One import runs at a time per " +
			"server slot: 429 with Retry-After when all are busy. Audit `log.import`.",
		Roles:   authz.LogImporters,
		Params:  apiv1.ImportLogParams{},
		RawBody: &rawBody{Types: logTypes, Description: "The event log file.", Example: exampleLogCSV, MaxLength: DefaultMaxLogBytes},
		Status:  http.StatusCreated, AltStatuses: []int{http.StatusOK}, Response: apiv1.EventLog{}, Example: exampleEventLog,
		Errors: []int{409, 413, 415, 422, 429},
		Audit:  []string{"log.import"},
		Handle: (*API).importLog,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs", ID: "listLogs", Tag: "logs",
		Summary: "List the imported event logs", Description: "Ready logs, newest first.",
		Roles:  authz.LogViewers,
		Params: apiv1.ListLogsParams{},
		Status: http.StatusOK, Response: apiv1.EventLogList{}, Example: apiv1.EventLogList{Logs: []apiv1.EventLog{exampleEventLog}},
		Handle: (*API).listLogs,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}", ID: "getLog", Tag: "logs",
		Summary:     "An event log",
		Description: "Its figures and import report; while it imports on this server, how far it has come.",
		Roles:       authz.LogViewers,
		Params:      apiv1.LogIDParams{},
		Status:      http.StatusOK, Response: apiv1.EventLog{}, Example: exampleEventLog,
		Errors: []int{404},
		Handle: (*API).getLog,
	},
	{
		Method: http.MethodPatch, Pattern: "/api/v1/logs/{id}", ID: "renameLog", Tag: "logs",
		Summary: "Rename an event log", Description: "Audit `log.rename` with the old and new names.",
		Roles:  authz.LogKeepers,
		Params: apiv1.LogIDParams{},
		Body:   apiv1.RenameLogRequest{}, BodyExample: apiv1.RenameLogRequest{Name: "Helpdesk 2010–2014"},
		Status: http.StatusOK, Response: apiv1.EventLog{}, Example: exampleEventLog,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"log.rename"},
		Handle: (*API).renameLog,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/logs/{id}", ID: "deleteLog", Tag: "logs",
		Summary: "Delete an event log", Description: "The log and its events; answers the log as it was. Audit `log.delete`.",
		Roles:  authz.LogKeepers,
		Params: apiv1.LogIDParams{},
		Status: http.StatusOK, Response: apiv1.EventLog{}, Example: exampleEventLog,
		Errors: []int{404, 409},
		Audit:  []string{"log.delete"},
		Handle: (*API).deleteLog,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/summary", ID: "getLogSummary", Tag: "logs",
		Summary:     "A log at a glance",
		Description: "Cases, events, activities, resources, variants, first and last event, and the cycle-time distribution." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogViewParams{},
		Status:      http.StatusOK, Response: apiv1.LogSummary{}, Example: exampleLogSummary,
		Errors: []int{404, 409, 422},
		Handle: (*API).getLogSummary,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/variants", ID: "listLogVariants", Tag: "logs",
		Summary:     "The variants of a log, by count",
		Description: "Each sequence of activities with its cases, share and median cycle time, most cases first; open one's cases with listLogCases?variant=<rank>." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogPageParams{},
		Status:      http.StatusOK, Response: apiv1.LogVariantList{}, Example: exampleLogVariants,
		Errors: []int{404, 409, 422},
		Handle: (*API).listLogVariants,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/cases", ID: "listLogCases", Tag: "logs",
		Summary:     "The cases of a log",
		Description: "In the log's order, with their variant's rank and cycle time; `events=true` adds their events." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogPageParams{},
		Status:      http.StatusOK, Response: apiv1.LogCaseList{}, Example: exampleLogCases,
		Errors: []int{404, 409, 422},
		Handle: (*API).listLogCases,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/map", ID: "getLogMap", Tag: "logs",
		Summary:     "The process map of a log",
		Description: "The directly-follows graph: activities with their counts, edges with their counts and duration percentiles, simplified by the `activities` and `paths` sliders." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogMapParams{},
		Status:      http.StatusOK, Response: apiv1.LogMap{}, Example: exampleLogMap,
		Errors: []int{404, 409, 422},
		Handle: (*API).getLogMap,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/map.svg", ID: "renderLogMap", Tag: "logs",
		Summary: "The process map of a log, drawn",
		Description: "getLogMap drawn by Graphviz as a heat map: `view=frequency` colours activities and paths by their counts, " +
			"`view=performance` colours paths by their median duration and labels them with median and p90. A map beyond the drawing " +
			"limits (150 activities, 450 paths) is refused (422, type graph-too-large): lower `activities` or `paths`." + logDescriptionFilters,
		Roles:        authz.LogViewers,
		Params:       apiv1.LogMapParams{},
		ResponseType: mimeSVG,
		Status:       http.StatusOK, Response: "", Example: exampleGraphSVG,
		Errors: []int{404, 409, 422},
		Handle: (*API).renderLogMap,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/activities", ID: "getLogActivities", Tag: "logs",
		Summary:     "Per-activity waiting, working, share, bottleneck, rework and ping-pong",
		Description: "By count." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogViewParams{},
		Status:      http.StatusOK, Response: apiv1.LogActivities{}, Example: exampleLogActivities,
		Errors: []int{404, 409, 422},
		Handle: (*API).getLogActivities,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/handoffs", ID: "getLogHandoffs", Tag: "logs",
		Summary:     "Handoffs between resources and between groups",
		Description: "Pairs by count, and handoffs per case." + logDescriptionFilters,
		Roles:       authz.LogViewers,
		Params:      apiv1.LogViewParams{},
		Status:      http.StatusOK, Response: apiv1.LogHandoffs{}, Example: exampleLogHandoffs,
		Errors: []int{404, 409, 422},
		Handle: (*API).getLogHandoffs,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/logs/{id}/draft-flow", ID: "draftFlowFromLog", Tag: "logs",
		Summary: "Draft a flow from a log",
		Description: "Flow YAML drafted from the (filtered) log, decision 0032: the most frequent variants until they cover `coverage` of the " +
			"cases; a task per kept activity, its department from `department_of` (the activity's most frequent group, else resource), " +
			"else its group, else `default_department`; an outcome per path the kept variants take; a decision first where cases start " +
			"differently; each task's sla its waiting p90 and the case's its cycle-time p90, rounded up; at most 60 activities. Comments " +
			"say where each number came from. The YAML validates unchanged (`diagnostics` are validateFlow's); publish it with " +
			"publishFlowVersion. Nothing is stored.",
		Roles:  authz.LogViewers,
		Params: apiv1.DraftFlowFromLogParams{},
		Body:   apiv1.DraftFlowRequest{}, BodyExample: exampleDraftFlowRequest,
		Status: http.StatusOK, Response: apiv1.DraftFlow{}, Example: exampleDraftFlow,
		Errors:  []int{404, 409, 413, 415, 422},
		NoAudit: "drafting stores nothing",
		Handle:  (*API).draftFlowFromLog,
	},
}

// Defaults of the event log bounds (Config).
const (
	DefaultMaxLogBytes      = 2 << 30
	DefaultMaxLogEvents     = 5_000_000
	DefaultLogImports       = 1
	DefaultLogImportTimeout = 30 * time.Minute
	DefaultLogCacheEvents   = 4_000_000
	// logViewSlots is how many log views compute at once; logViewWait how
	// long a view waits for a slot before a 503.
	logViewSlots = 2
	logViewWait  = 10 * time.Second
)

// StaleLogImportAfter is how long an import may go without writing before
// it counts as left behind by a process that stopped: longer than any
// import may take (Config.LogImportTimeout is at most
// MaxLogImportTimeout), so a running import on another server is never
// swept.
const (
	StaleLogImportAfter = time.Hour
	MaxLogImportTimeout = 45 * time.Minute
)

// SweepStaleLogImports deletes the imports that wrote nothing for
// StaleLogImportAfter before now (decision 0030): StartPending runs it at
// boot, the reconciler on every pass.
func SweepStaleLogImports(ctx context.Context, st store.Store, now time.Time) (int, error) {
	n, err := st.DeleteStaleEventLogs(ctx, now.Add(-StaleLogImportAfter))
	if err != nil {
		return 0, fmt.Errorf("sweep stale log imports: %w", err)
	}
	return n, nil
}

// logState is the API's event log machinery: the import slots, the
// progress of the imports under way, the cache of loaded logs and the view
// slots.
type logState struct {
	imports chan struct{}
	views   chan struct{}
	cache   *logCache

	mu      sync.Mutex
	running map[string]*importProgress
}

type importProgress struct {
	bytes  atomic.Int64
	events atomic.Int64
}

func newLogState(cfg Config) *logState {
	return &logState{imports: make(chan struct{}, cfg.LogImports), views: make(chan struct{}, logViewSlots),
		cache: newLogCache(cfg.LogCacheEvents), running: map[string]*importProgress{}}
}

func (ls *logState) progress(id string) *importProgress {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.running[id]
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// logBody checks the upload's media type and bounds it.
func (s *API) logBody(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !slices.Contains(logTypes, mt) {
			return nil, unsupportedRaw(logTypes)
		}
	}
	if r.ContentLength > s.cfg.MaxLogBytes {
		return nil, logTooLarge(s.cfg.MaxLogBytes)
	}
	return http.MaxBytesReader(w, r.Body, s.cfg.MaxLogBytes), nil
}

func logTooLarge(limit int64) *httpx.Problem {
	return httpx.NewProblem(http.StatusRequestEntityTooLarge, "too-large", "Event log too large",
		fmt.Sprintf("body: larger than %d bytes, the most this server takes for an event log; split the file, gzip it, or ask the administrator to raise FLOWLAB_MAX_LOG_BYTES", limit))
}

// readOptions are the reader's options from the parameters.
func readOptions(m apiv1.LogMapping, join, delim, zone, layout string, skip bool) (eventlog.Options, error) {
	o := eventlog.Options{Mapping: eventlog.Mapping{Case: m.Case, Activity: m.Activity, Time: m.Time, Start: m.Start,
		Resource: m.Resource, Group: m.Group, Lifecycle: m.Lifecycle}, ActivityJoin: join, TimeZone: zone, TimeLayout: layout,
		SkipBadRows: skip}
	switch delim {
	case "comma":
		o.Delimiter = ','
	case "semicolon":
		o.Delimiter = ';'
	case "tab":
		o.Delimiter = '\t'
	case "pipe":
		o.Delimiter = '|'
	}
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil {
			return o, httpx.BadParam("time_zone", fmt.Sprintf("unknown IANA time zone %q", zone))
		}
	}
	return o, nil
}

// logReadProblem is the problem of a file that cannot be read: what and
// where, in the reader's words.
func (s *API) logReadProblem(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return logTooLarge(tooLarge.Limit)
	case errors.Is(err, logimport.ErrTooLarge):
		return httpx.NewProblem(http.StatusRequestEntityTooLarge, "too-large", "Event log too large",
			fmt.Sprintf("the log has more than %d events, the most this server imports", s.cfg.MaxLogEvents))
	case errors.Is(err, eventlog.ErrLimit):
		return httpx.NewProblem(http.StatusRequestEntityTooLarge, "too-large", "Event log too large", readerWords(err))
	case errors.Is(err, eventlog.ErrBadRow), errors.Is(err, eventlog.ErrMapping), errors.Is(err, eventlog.ErrAmbiguousLayout),
		errors.Is(err, eventlog.ErrUnknownLayout), errors.Is(err, eventlog.ErrFormat), errors.Is(err, logimport.ErrEmpty):
		p := httpx.NewProblem(http.StatusUnprocessableEntity, "bad-event-log", "The event log cannot be read", readerWords(err))
		return p
	case errors.Is(err, context.DeadlineExceeded):
		return httpx.Unavailable(fmt.Sprintf("the import took longer than %s and was stopped; nothing was kept", s.cfg.LogImportTimeout), err)
	case errors.Is(err, context.Canceled):
		p := httpx.NewProblem(httpx.StatusClientClosedRequest, "cancelled", "Import cancelled", "the upload ended before the log was read; nothing was kept")
		p.Cause = err
		return p
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrConflict):
		return httpx.StoreProblem(err, "event log")
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The upload itself broke off.
		return httpx.BadRequest("the upload ended early (the connection broke); nothing was kept: send the file again")
	default:
		return httpx.Internal(err)
	}
}

// readerWords is a reader error without the packages' prefixes.
func readerWords(err error) string {
	msg := err.Error()
	for _, p := range []string{"logimport: ", "eventlog: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

func toLogMapping(m eventlog.Mapping) apiv1.LogMapping {
	return apiv1.LogMapping{Case: m.Case, Activity: append([]string{}, m.Activity...), Time: m.Time, Start: m.Start,
		Resource: m.Resource, Group: m.Group, Lifecycle: m.Lifecycle}
}

func toLogProblems(ps []eventlog.Problem) []apiv1.LogProblem {
	out := make([]apiv1.LogProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, apiv1.LogProblem{Line: p.Pos.Line, Trace: p.Pos.Trace, Event: p.Pos.Event, Column: p.Column, Message: p.Message})
	}
	return out
}

func toLogEvent(e eventlog.Event) apiv1.LogEvent {
	ev := apiv1.LogEvent{Case: e.Case, Activity: e.Activity, Time: e.Time, Start: e.Start, Resource: e.Resource, Group: e.Group,
		Lifecycle: e.Lifecycle, Line: e.Pos.Line}
	for _, a := range e.Attrs {
		ev.Attrs = append(ev.Attrs, apiv1.LogAttr{Name: a.Name, Value: a.Value})
	}
	return ev
}

func (s *API) previewLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.PreviewLogParams](r)
	if err != nil {
		return err
	}
	opts, err := readOptions(apiv1.LogMapping{Case: q.Case, Activity: q.Activity, Time: q.Time, Start: q.Start, Resource: q.Resource,
		Group: q.Group, Lifecycle: q.Lifecycle}, q.ActivityJoin, q.Delimiter, q.TimeZone, q.TimeLayout, false)
	if err != nil {
		return err
	}
	body, err := s.logBody(w, r)
	if err != nil {
		return err
	}
	// A whole-file preview is an import's read without the store: it
	// takes an import slot, so that it is bounded like one.
	if q.All == "true" {
		release, err := s.importSlot()
		if err != nil {
			return err
		}
		defer release()
		s.extendDeadlines(w)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LogImportTimeout)
	defer cancel()
	res, perr := eventlog.PreviewContext(ctx, body, opts, q.Rows, q.All == "true")
	if res == nil {
		if errors.Is(perr, io.ErrUnexpectedEOF) && q.All != "true" {
			return httpx.NewProblem(http.StatusUnprocessableEntity, "bad-event-log", "The event log cannot be read",
				"the file ends in the middle, before its first rows could be read (a gzip file cut short?)")
		}
		return s.logReadProblem(perr)
	}
	out := apiv1.LogPreview{Format: string(res.Format), Gzipped: res.Gzipped, Columns: append([]string{}, res.Columns...),
		Mapping: toLogMapping(res.Mapping), Layout: res.Layout, TimeZone: res.TimeZone, Events: []apiv1.LogEvent{},
		Read: res.Read, Bad: res.Bad, Problems: toLogProblems(res.Problems), Complete: res.Complete}
	for _, e := range res.Events {
		out.Events = append(out.Events, toLogEvent(e))
	}
	if perr != nil && errors.Is(perr, io.ErrUnexpectedEOF) && q.All != "true" {
		// A preview of the start of a file (the web UI sends its first
		// MiB; a gzip stream cut there ends mid-block): what was read is
		// the answer.
		out.Error = "the file ends in the middle (only its start was sent, or the upload broke off): the preview shows what was read before"
		httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
		return nil
	}
	if perr != nil {
		if p, ok := s.logReadProblem(perr).(*httpx.Problem); !ok || p.Status != http.StatusUnprocessableEntity {
			return s.logReadProblem(perr)
		}
		out.Error = readerWords(perr)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// importSlot takes an import slot, or answers 429 when all are busy.
func (s *API) importSlot() (func(), error) {
	select {
	case s.logs.imports <- struct{}{}:
		return func() { <-s.logs.imports }, nil
	default:
		p := httpx.NewProblem(http.StatusTooManyRequests, "busy", "Imports busy",
			"this server is already reading as many event logs as it may at once; try again in a minute")
		p.RetryAfter = 30
		return nil, p
	}
}

// extendDeadlines lets a long upload outlive the server's read and write
// timeouts, up to the import's own bound (a writer that cannot say is
// left alone: the in-process calls of the web UI have none).
func (s *API) extendDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	until := time.Now().Add(s.cfg.LogImportTimeout + time.Minute)
	_ = rc.SetReadDeadline(until)
	_ = rc.SetWriteDeadline(until)
}

func (s *API) importLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ImportLogParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	opts, err := readOptions(apiv1.LogMapping{Case: q.Case, Activity: q.Activity, Time: q.Time, Start: q.Start, Resource: q.Resource,
		Group: q.Group, Lifecycle: q.Lifecycle}, q.ActivityJoin, q.Delimiter, q.TimeZone, q.TimeLayout, q.SkipBadRows == "true")
	if err != nil {
		return err
	}
	body, err := s.logBody(w, r)
	if err != nil {
		return err
	}
	id := uuid.NewString()
	if q.ID != "" {
		u, err := uuid.Parse(q.ID)
		if err != nil || u.String() != strings.ToLower(q.ID) {
			return httpx.BadParam("id", fmt.Sprintf("must be a UUID like 5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f, got %q", q.ID))
		}
		id = u.String()
		if l, err := s.store.GetEventLog(ctx, id); err == nil {
			if l.Status == store.EventLogReady {
				httpx.WriteJSON(s.log, w, r, http.StatusOK, toEventLogJSON(l, nil))
				return nil
			}
			if s.logs.progress(id) != nil {
				return httpx.Conflict(fmt.Sprintf("event log %q is still importing; follow it with GET /api/v1/logs/%s", id, id))
			}
			// Left importing by a crash: start again.
			if err := s.store.DeleteEventLog(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return httpx.StoreProblem(fmt.Errorf("delete stale log: %w", err), "event log")
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return httpx.StoreProblem(fmt.Errorf("get log: %w", err), "event log")
		}
	}
	release, err := s.importSlot()
	if err != nil {
		return err
	}
	defer release()
	s.extendDeadlines(w)

	prog := &importProgress{}
	s.logs.mu.Lock()
	s.logs.running[id] = prog
	s.logs.mu.Unlock()
	defer func() {
		s.logs.mu.Lock()
		delete(s.logs.running, id)
		s.logs.mu.Unlock()
	}()
	source := path.Base(strings.ReplaceAll(q.Source, `\`, "/"))
	if source == "." || source == "/" {
		source = ""
	}
	name := q.Name
	if name == "" {
		name = source
	}
	if name == "" {
		name = "Event log " + s.now().UTC().Format("2006-01-02 15:04")
	}
	ictx, cancel := context.WithTimeout(ctx, s.cfg.LogImportTimeout)
	defer cancel()
	l, rep, err := logimport.Import(ictx, s.store, countingReader{r: body, n: &prog.bytes}, logimport.Params{
		ID: id, Name: name, Source: source, Actor: actor.ID, At: s.now().UTC(), Options: opts, MaxEvents: s.cfg.MaxLogEvents,
		Progress: func(n int) { prog.events.Store(int64(n)) },
	})
	if err != nil {
		return s.logReadProblem(err)
	}
	s.audit(r, store.AuditEntry{Action: "log.import", Object: "log:" + l.ID, Details: mustJSON(map[string]any{
		"name": l.Name, "source": l.Source, "format": l.Format, "cases": l.Cases, "events": l.Events, "skipped": rep.Skipped,
		"mapping": toLogMapping(rep.Mapping)})})
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, toEventLogJSON(l, nil))
	return nil
}

// toEventLogJSON is a log as the API shows it; prog is an import's
// progress while it runs here.
func toEventLogJSON(l store.EventLog, prog *importProgress) apiv1.EventLog {
	out := apiv1.EventLog{ID: l.ID, Name: l.Name, Status: l.Status, Source: l.Source, Format: l.Format, Cases: l.Cases,
		Events: l.Events, First: utcPtr(l.First), Last: utcPtr(l.Last), CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt.UTC(),
		UpdatedAt: l.UpdatedAt.UTC()}
	if l.Status == store.EventLogReady && len(l.Summary) > 0 {
		var rep logimport.Report
		if err := json.Unmarshal(l.Summary, &rep); err == nil {
			out.Report = &apiv1.LogReport{Format: rep.Format, Gzipped: rep.Gzipped, Layout: rep.Layout, Mapping: toLogMapping(rep.Mapping),
				Cases: rep.Cases, Events: rep.Events, Read: rep.Read, Skipped: rep.Skipped, Problems: toLogProblems(rep.Problems)}
		}
	}
	if prog != nil {
		out.Progress = &apiv1.LogProgress{Bytes: prog.bytes.Load(), Events: int(prog.events.Load())}
	}
	return out
}

type logCursorJSON struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

func (s *API) listLogs(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListLogsParams](r)
	if err != nil {
		return err
	}
	p := store.ListEventLogsParams{Limit: q.Limit + 1}
	if q.Cursor != "" {
		var c logCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
			return httpx.BadCursor()
		}
		p.Cursor = &store.EventLogCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}
	}
	logs, err := s.store.ListEventLogs(r.Context(), p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list logs: %w", err), "event logs")
	}
	out := apiv1.EventLogList{Logs: []apiv1.EventLog{}}
	if len(logs) > q.Limit {
		logs = logs[:q.Limit]
		last := logs[len(logs)-1]
		if out.NextCursor, err = httpx.EncodeCursor(logCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	for _, l := range logs {
		out.Logs = append(out.Logs, toEventLogJSON(l, nil))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) getLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogIDParams](r)
	if err != nil {
		return err
	}
	l, err := s.store.GetEventLog(r.Context(), q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get log: %w", err), fmt.Sprintf("event log %q", q.ID))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toEventLogJSON(l, s.logs.progress(q.ID)))
	return nil
}

func (s *API) renameLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.RenameLogRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len([]rune(name)) > 200 {
		return httpx.Invalid(apiv1.FieldError{Field: "name", Message: "must be 1 to 200 characters, not only spaces"})
	}
	ctx := r.Context()
	what := fmt.Sprintf("event log %q", q.ID)
	old, err := s.store.GetEventLog(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get log: %w", err), what)
	}
	if old.Status != store.EventLogReady {
		return httpx.Conflict(what + " is still importing; rename it once it is ready")
	}
	l, err := s.store.RenameEventLog(ctx, q.ID, name, s.now().UTC())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("rename log: %w", err), what)
	}
	s.audit(r, store.AuditEntry{Action: "log.rename", Object: "log:" + l.ID, Details: mustJSON(map[string]any{"old": old.Name, "new": l.Name})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toEventLogJSON(l, nil))
	return nil
}

func (s *API) deleteLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	what := fmt.Sprintf("event log %q", q.ID)
	l, err := s.store.GetEventLog(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get log: %w", err), what)
	}
	if s.logs.progress(q.ID) != nil {
		return httpx.Conflict(what + " is being imported; an import that fails or is cancelled leaves nothing")
	}
	if err := s.store.DeleteEventLog(ctx, q.ID); err != nil {
		return httpx.StoreProblem(fmt.Errorf("delete log: %w", err), what)
	}
	s.logs.cache.forget(q.ID)
	s.audit(r, store.AuditEntry{Action: "log.delete", Object: "log:" + l.ID, Details: mustJSON(map[string]any{"name": l.Name,
		"cases": l.Cases, "events": l.Events})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toEventLogJSON(l, nil))
	return nil
}
