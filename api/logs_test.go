package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// smallLog is a log worked out by hand: three cases; "review" waits the
// longest (the bottleneck); case c3 reworks "review" and ping-pongs it.
const smallLog = `case,activity,timestamp,resource,dept,region
c1,submit,2026-03-02T09:00:00Z,ann,front,north
c1,review,2026-03-02T13:00:00Z,bob,back,north
c1,close,2026-03-02T14:00:00Z,ann,front,north
c2,submit,2026-03-03T09:00:00Z,ann,front,south
c2,review,2026-03-03T11:00:00Z,bob,back,south
c2,close,2026-03-03T11:30:00Z,ann,front,south
c3,submit,2026-03-04T09:00:00Z,cat,front,north
c3,review,2026-03-04T10:00:00Z,bob,back,north
c3,ask,2026-03-04T10:30:00Z,bob,back,north
c3,review,2026-03-04T16:30:00Z,bob,back,north
c3,close,2026-03-04T17:00:00Z,cat,front,north
`

// importLog imports body through the API as the named actor and returns the
// log.
func (e *testEnv) importLog(as, query string, body []byte) apiv1.EventLog {
	e.t.Helper()
	res := e.SendRaw(as, http.MethodPost, "/api/v1/logs?"+query, "text/csv", body, nil)
	return servertest.DecodeStrict[apiv1.EventLog](e.t, res, http.StatusCreated)
}

func getJSON[T any](e *testEnv, as, path string) T {
	e.t.Helper()
	return servertest.DecodeStrict[T](e.t, e.Do(as, http.MethodGet, path, nil, nil), http.StatusOK)
}

func TestLogImportAndViews(t *testing.T) {
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	l := e.importLog("olga", "name=Small&source=small.csv&group=dept", []byte(smallLog))
	require.Equal(t, []any{"Small", "small.csv", apiv1.LogReady, 3, 11}, []any{l.Name, l.Source, l.Status, l.Cases, l.Events})
	require.Equal(t, "case", l.Report.Mapping.Case)
	require.Equal(t, "dept", l.Report.Mapping.Group)

	// Listed, and its import audited with its figures.
	list := getJSON[apiv1.EventLogList](e, "olga", "/api/v1/logs")
	require.Len(t, list.Logs, 1)
	entries, err := e.st.ListAudit(context.Background(), store.AuditFilter{Action: "log.import"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "log:"+l.ID, entries[0].Object)
	require.Contains(t, string(entries[0].Details), `"events":11`)

	base := "/api/v1/logs/" + l.ID
	sum := getJSON[apiv1.LogSummary](e, "olga", base+"/summary")
	require.Equal(t, []int{3, 11, 4, 3, 2}, []int{sum.Cases, sum.Events, sum.Activities, sum.Resources, sum.Variants})
	// Cycle times 5 h, 2.5 h, 8 h: the median is 5 h.
	require.Equal(t, 5*3600.0, sum.CycleTime.P50)
	require.Equal(t, 3, sum.CycleTime.N)

	vs := getJSON[apiv1.LogVariantList](e, "olga", base+"/variants")
	require.Equal(t, 2, vs.Total)
	require.Equal(t, []string{"submit", "review", "close"}, vs.Variants[0].Activities)
	require.Equal(t, []any{1, 2, 2.0 / 3}, []any{vs.Variants[0].Rank, vs.Variants[0].Cases, vs.Variants[0].Share})
	// Paged: one a page, the next page has rank 2.
	p1 := getJSON[apiv1.LogVariantList](e, "olga", base+"/variants?limit=1")
	require.Len(t, p1.Variants, 1)
	p2 := getJSON[apiv1.LogVariantList](e, "olga", base+"/variants?limit=1&cursor="+p1.NextCursor)
	require.Equal(t, 2, p2.Variants[0].Rank)
	require.Empty(t, p2.NextCursor)

	// Variant 2's cases: c3 only, with its events.
	cs := getJSON[apiv1.LogCaseList](e, "olga", base+"/cases?variant=2&events=true")
	require.Equal(t, 1, cs.Total)
	require.Equal(t, "c3", cs.Cases[0].ID)
	require.Len(t, cs.Cases[0].EventDetail, 5)

	acts := getJSON[apiv1.LogActivities](e, "olga", base+"/activities")
	byName := map[string]apiv1.LogActivity{}
	for _, a := range acts.Activities {
		byName[a.Activity] = a
	}
	review := byName["review"]
	require.True(t, review.Bottleneck)
	require.Equal(t, []int{4, 3, 1, 1}, []int{review.Count, review.Cases, review.Rework, review.PingPong})
	// Waits before review: 4 h, 2 h, 1 h, 6 h: percentile_cont 0.5 = 3 h.
	require.Equal(t, 3*3600.0, review.Wait.P50)

	m := getJSON[apiv1.LogMap](e, "olga", base+"/map")
	require.Equal(t, 4, m.ActivitiesTotal)
	edges := map[string]int{}
	for _, ed := range m.Edges {
		edges[ed.From+">"+ed.To] = ed.Count
	}
	require.Equal(t, map[string]int{"▶ start>submit": 3, "submit>review": 3, "review>close": 3, "review>ask": 1, "ask>review": 1,
		"close>■ end": 3}, edges)
	// The sliders keep the most frequent activity only.
	small := getJSON[apiv1.LogMap](e, "olga", base+"/map?activities=0&paths=0")
	require.Equal(t, 1, small.Activities)

	h := getJSON[apiv1.LogHandoffs](e, "olga", base+"/handoffs")
	require.NotEmpty(t, h.Resources)
	require.NotEmpty(t, h.Groups)

	// Filters: an attribute, contains and excludes, a time range.
	north := getJSON[apiv1.LogSummary](e, "olga", base+"/summary?attr=region&value=north")
	require.True(t, north.Filtered)
	require.Equal(t, 2, north.Cases, "a CSV without case: columns gives each case its first row's other columns")
	withAsk := getJSON[apiv1.LogSummary](e, "olga", base+"/summary?contains=ask")
	require.Equal(t, 1, withAsk.Cases)
	withoutAsk := getJSON[apiv1.LogSummary](e, "olga", base+"/summary?excludes=ask")
	require.Equal(t, 2, withoutAsk.Cases)
	late := getJSON[apiv1.LogSummary](e, "olga", base+"/summary?from=2026-03-03T00:00:00Z&to=2026-03-04T00:00:00Z")
	require.Equal(t, 1, late.Cases)

	// A variant rank the log does not have, a value without attr.
	p := servertest.ProblemOf(t, e.Do("olga", http.MethodGet, base+"/summary?variant=9", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, "the log has 2 variants")
	servertest.ProblemOf(t, e.Do("olga", http.MethodGet, base+"/summary?value=x", nil, nil), http.StatusBadRequest)

	// The map drawn, in both views.
	for _, view := range []string{"frequency", "performance"} {
		res := e.Do("olga", http.MethodGet, base+"/map.svg?view="+view, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.Contains(t, res.Body.String(), "<svg")
		require.Contains(t, res.Body.String(), "review")
	}
}

// A calendar named by a flow counts every duration in its working hours
// too; an unknown flow or calendar is refused with what exists.
func TestLogViewsInABusinessCalendar(t *testing.T) {
	e := newEnv(t)
	src := strings.Replace(exampleFlowYAML, "key: complaint\nversion: 3\n", "key: office\nversion: 1\ncalendar: weekdays\n"+
		"calendars:\n  - id: weekdays\n    timezone: UTC\n    hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\", thu: \"09:00-17:00\", fri: \"09:00-17:00\"}\n", 1)
	res := e.SendRaw("admin", http.MethodPost, "/api/v1/flows/office/versions", "application/yaml", []byte(src), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	// One case from Friday 16:00 to Monday 10:00: 66 h elapsed, 2 h open.
	l := e.importLog("admin", "", []byte("case,activity,timestamp\nk,open,2026-03-06T16:00:00Z\nk,close,2026-03-09T10:00:00Z\n"))
	base := "/api/v1/logs/" + l.ID
	sum := getJSON[apiv1.LogSummary](e, "admin", base+"/summary?calendar=office")
	require.Equal(t, "office/weekdays", sum.Calendar)
	require.Equal(t, 66*3600.0, sum.CycleTime.P50)
	require.NotNil(t, sum.CycleTime.Business)
	require.Equal(t, 2*3600.0, sum.CycleTime.Business.P50)
	acts := getJSON[apiv1.LogActivities](e, "admin", base+"/activities?calendar=office/weekdays")
	for _, a := range acts.Activities {
		if a.Activity == "close" {
			require.Equal(t, 2*3600.0, a.BusinessWait.P50)
		}
	}
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, base+"/summary?calendar=nope", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, `no flow "nope"`)
	p = servertest.ProblemOf(t, e.Do("admin", http.MethodGet, base+"/summary?calendar=office/nights", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, `flow "office" has no calendar "nights"; its calendars: weekdays`)
	p = servertest.ProblemOf(t, e.Do("admin", http.MethodGet, base+"/summary?calendar=complaint", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, `flow "complaint" has no calendar`)
}

// Bad input is refused with where and what; nothing is kept.
func TestLogImportRefusals(t *testing.T) {
	e := newEnv(t)
	bad := "case,activity,timestamp\nc1,a,2026-03-02T09:00:00Z\nc1,,2026-03-02T10:00:00Z\n"
	p := servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "text/csv", []byte(bad), nil), http.StatusUnprocessableEntity)
	require.Equal(t, `line 3, column "activity": no activity`, p.Detail)
	list := getJSON[apiv1.EventLogList](e, "admin", "/api/v1/logs")
	require.Empty(t, list.Logs)
	// skip_bad_rows imports the rest and reports the skipped row.
	l := e.importLog("admin", "skip_bad_rows=true", []byte(bad))
	require.Equal(t, 1, l.Events)
	require.Equal(t, 1, l.Report.Skipped)
	require.Equal(t, 3, l.Report.Problems[0].Line)

	// An ambiguous day/month asks for the format.
	amb := "case,activity,timestamp\nc1,a,03/04/2026 09:00\nc1,b,05/06/2026 10:00\n"
	p = servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "text/csv", []byte(amb), nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, "ambiguous")
	l = e.importLog("admin", "time_layout="+url.QueryEscape("dd/MM/yyyy HH:mm")+"&time_zone=Europe/Berlin", []byte(amb))
	require.Equal(t, time.Date(2026, 4, 3, 7, 0, 0, 0, time.UTC), l.First.UTC(), "09:00 in Berlin in April is 07:00 UTC")

	// Not an event log; an unknown zone; a media type that is not a file.
	p = servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "text/csv", []byte("\x00\x01\x02"), nil), http.StatusUnprocessableEntity)
	require.NotEmpty(t, p.Detail)
	servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs?time_zone=Mars/Olympus", "text/csv", []byte(smallLog), nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "image/png", []byte(smallLog), nil), http.StatusUnsupportedMediaType)
	servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs?id=not-a-uuid", "text/csv", []byte(smallLog), nil), http.StatusBadRequest)
}

// A gzipped XES file with start and complete events imports with working
// times; the preview shows its mapping and first events.
func TestLogGzippedXESAndPreview(t *testing.T) {
	e := newEnv(t)
	xes := `<?xml version="1.0"?><log xes.version="1.0">
<trace><string key="concept:name" value="t1"/>
<event><string key="concept:name" value="fix"/><string key="lifecycle:transition" value="start"/><date key="time:timestamp" value="2026-03-29T00:30:00+01:00"/></event>
<event><string key="concept:name" value="fix"/><string key="lifecycle:transition" value="complete"/><date key="time:timestamp" value="2026-03-29T03:30:00+02:00"/></event>
</trace></log>`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(xes))
	require.NoError(t, zw.Close())

	pv := servertest.DecodeStrict[apiv1.LogPreview](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs/preview", "application/gzip", gz.Bytes(), nil), http.StatusOK)
	require.Equal(t, []any{"xes", true, "concept:name"}, []any{pv.Format, pv.Gzipped, pv.Mapping.Activity[0]})
	require.Len(t, pv.Events, 2)
	require.True(t, pv.Complete)

	l := servertest.DecodeStrict[apiv1.EventLog](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "application/gzip", gz.Bytes(), nil), http.StatusCreated)
	require.Equal(t, 1, l.Events, "the start and its completion are one activity instance")
	require.Equal(t, 2, l.Report.Read)
	acts := getJSON[apiv1.LogActivities](e, "admin", "/api/v1/logs/"+l.ID+"/activities")
	// 00:30+01:00 is 23:30 UTC, 03:30+02:00 is 01:30 UTC: across the
	// change to summer time, two hours of work.
	require.Equal(t, 2*3600.0, acts.Activities[0].Work.P50)

	// The preview of the start of a larger gzipped log, cut mid-stream (the
	// web UI sends a file's first MiB), shows what it read.
	var big strings.Builder
	big.WriteString("case,activity,timestamp\n")
	for i := range 20000 {
		fmt.Fprintf(&big, "c%d,step %d,2026-03-02T09:%02d:%02dZ\n", i/4, i%4, i%60, i%60)
	}
	var bgz bytes.Buffer
	zw = gzip.NewWriter(&bgz)
	_, _ = zw.Write([]byte(big.String()))
	require.NoError(t, zw.Close())
	pv = servertest.DecodeStrict[apiv1.LogPreview](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs/preview?all=false", "application/gzip", bgz.Bytes()[:bgz.Len()/2], nil), http.StatusOK)
	require.Len(t, pv.Events, 20)
	p := servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs/preview", "application/gzip", gz.Bytes()[:gz.Len()-12], nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, "the file ends in the middle")

	// The preview of a CSV without a timestamp column says what is missing.
	pv = servertest.DecodeStrict[apiv1.LogPreview](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs/preview", "text/csv", []byte("case,activity,when\nc1,a,x\n"), nil), http.StatusOK)
	require.NotEmpty(t, pv.Error)
	require.Equal(t, []string{"case", "activity", "when"}, pv.Columns)
}

// A client-chosen id makes a retry safe; an import already running under
// it, or a second import while the slots are busy, is refused.
func TestLogImportRetryAndBusy(t *testing.T) {
	e := newEnv(t)
	const id = "5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"
	first := e.importLog("admin", "id="+id, []byte(smallLog))
	require.Equal(t, id, first.ID)
	again := servertest.DecodeStrict[apiv1.EventLog](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs?id="+id, "text/csv", []byte(smallLog), nil), http.StatusOK)
	require.Equal(t, first.ID, again.ID)
	require.Len(t, getJSON[apiv1.EventLogList](e, "admin", "/api/v1/logs").Logs, 1)

	// An import running under an id: a second one is a 409, and getLog
	// shows its progress.
	const running = "0e4b9e62-3a55-4f7d-9a0b-6f9d8c7b6a54"
	_, err := e.st.CreateEventLog(context.Background(), store.CreateEventLogParams{ID: running, Name: "r", Actor: "admin", At: time.Now()})
	require.NoError(t, err)
	prog := &importProgress{}
	prog.bytes.Store(4096)
	prog.events.Store(120)
	e.srv.logs.mu.Lock()
	e.srv.logs.running[running] = prog
	e.srv.logs.mu.Unlock()
	servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs?id="+running, "text/csv", []byte(smallLog), nil), http.StatusConflict)
	got := getJSON[apiv1.EventLog](e, "admin", "/api/v1/logs/"+running)
	require.Equal(t, apiv1.LogImporting, got.Status)
	require.Equal(t, &apiv1.LogProgress{Bytes: 4096, Events: 120}, got.Progress)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/logs/"+running+"/summary", nil, nil), http.StatusConflict)
	servertest.ProblemOf(t, e.Do("admin", http.MethodDelete, "/api/v1/logs/"+running, nil, nil), http.StatusConflict)

	// All slots busy: 429 with Retry-After.
	e.srv.logs.imports <- struct{}{}
	p := servertest.ProblemOf(t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs", "text/csv", []byte(smallLog), nil), http.StatusTooManyRequests)
	require.Equal(t, 30, p.RetryAfter)
	<-e.srv.logs.imports
}

// Rename and delete are audited; a deleted log is gone from the views.
func TestLogRenameAndDelete(t *testing.T) {
	e := newEnv(t)
	e.Actor("ida", store.RoleImprover)
	l := e.importLog("ida", "name=first", []byte(smallLog))
	base := "/api/v1/logs/" + l.ID
	getJSON[apiv1.LogSummary](e, "ida", base+"/summary") // loaded into the cache
	// Improvers import and read; owners and admins rename and delete.
	servertest.ProblemOf(t, e.Do("ida", http.MethodPatch, base, apiv1.RenameLogRequest{Name: "x"}, nil), http.StatusForbidden)
	res := e.Do("admin", http.MethodPatch, base, apiv1.RenameLogRequest{Name: "  Helpdesk  "}, nil)
	require.Equal(t, "Helpdesk", servertest.DecodeStrict[apiv1.EventLog](t, res, http.StatusOK).Name)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPatch, base, apiv1.RenameLogRequest{Name: "   "}, nil), http.StatusUnprocessableEntity)
	res = e.Do("admin", http.MethodDelete, base, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	servertest.ProblemOf(t, e.Do("ida", http.MethodGet, base+"/summary", nil, nil), http.StatusNotFound)
	for _, action := range []string{"log.rename", "log.delete"} {
		entries, err := e.st.ListAudit(context.Background(), store.AuditFilter{Action: action})
		require.NoError(t, err)
		require.Len(t, entries, 1, action)
	}
	_, ok := e.srv.logs.cache.entries[l.ID]
	require.False(t, ok, "a deleted log leaves the cache")
}

// The cache keeps the most recently used logs within its bound of events.
func TestLogCacheBound(t *testing.T) {
	c := newLogCache(20)
	for i := range 3 {
		c.put(&loadedLog{id: fmt.Sprint(i), events: 8})
	}
	require.Equal(t, 16, c.used)
	require.NotContains(t, c.entries, "0")
	c.put(&loadedLog{id: "big", events: 21})
	require.NotContains(t, c.entries, "big", "a log over the bound is not kept")
}

// Views of a log not yet loaded, asked for at once: one load is shared,
// every view answers, within the view slots (the race detector runs this
// package).
func TestLogViewsConcurrently(t *testing.T) {
	e := newEnv(t)
	l := e.importLog("admin", "", []byte(smallLog))
	paths := []string{"summary", "variants", "map", "activities", "handoffs", "cases?variant=1"}
	var wg sync.WaitGroup
	codes := make(chan int, 4*len(paths))
	for range 4 {
		for _, p := range paths {
			wg.Go(func() {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/logs/"+l.ID+"/"+p, nil)
				req.Header.Set("Authorization", "Bearer "+e.Tokens["admin"])
				rec := httptest.NewRecorder()
				e.H.ServeHTTP(rec, req)
				codes <- rec.Code
			})
		}
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		require.Equal(t, http.StatusOK, c)
	}
	require.Len(t, e.srv.logs.cache.entries, 1)
	require.Empty(t, e.srv.logs.views, "every view gave its slot back")
}
