package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// helpdeskCSV is a small helpdesk export: cases are registered, triaged,
// wait about two days for "Resolve ticket" (the bottleneck) and are
// closed; every third case is triaged twice (rework), so there are two
// variants.
func helpdeskCSV(cases int) string {
	var b strings.Builder
	b.WriteString("Case ID,Activity,Resource,Department,Complete Timestamp\n")
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	for i := range cases {
		t := t0.Add(time.Duration(i) * 37 * time.Minute)
		row := func(act, res string, after time.Duration) {
			t = t.Add(after)
			fmt.Fprintf(&b, "T-%03d,%s,%s,helpdesk,%s\n", i+1, act, res, t.Format("2006-01-02 15:04:05"))
		}
		row("Register ticket", "ann", 0)
		row("Triage", "bob", time.Duration(10+i%7)*time.Minute)
		if i%3 == 0 {
			row("Ask customer", "bob", 20*time.Minute)
			row("Triage", "bob", 3*time.Hour)
		}
		row("Resolve ticket", "cid", 46*time.Hour+time.Duration(i%5)*time.Hour)
		row("Close ticket", "ann", 15*time.Minute)
	}
	return b.String()
}

// upload posts a multipart form (fields in order, then the file when
// name is set) to a UI path as the named actor.
func (e *testEnv) upload(as, path string, fields [][2]string, name, file string, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		require.NoError(e.t, mw.WriteField(f[0], f[1]))
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		require.NoError(e.t, err)
		_, err = fw.Write([]byte(file))
		require.NoError(e.t, err)
	}
	require.NoError(e.t, mw.Close())
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.sessionFor(e.tokens[as])})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// importLog imports the CSV through the upload form as who and returns
// the log's page path.
func (e *testEnv) importLog(t *testing.T, who, name, csv string) string {
	t.Helper()
	res := e.upload(who, "/ui/logs/new", [][2]string{{"name", name}, {"time_zone", "UTC"}}, "helpdesk.csv", csv, nil)
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	loc := res.Header().Get("Location")
	require.True(t, strings.HasPrefix(loc, "/ui/logs/"), loc)
	return loc
}

func TestUILogPagesByRole(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	loc := e.importLog(t, "olga", "Helpdesk March", helpdeskCSV(12))
	logURL, _, _ := strings.Cut(loc, "?")
	id := strings.TrimPrefix(logURL, "/ui/logs/")

	pages := []struct {
		path   string
		testid string
	}{
		{"/ui/logs", "logs"},
		{"/ui/logs/new", "upload-form"},
		{logURL, "activities"},
		{logURL + "?view=performance&activities=50&paths=50", "log-map"},
		{logURL + "/cases?variant=1", "log-cases"},
	}
	for _, p := range pages {
		for _, as := range []string{"admin", "olga", "ivan", "sam"} {
			res := e.page(as, http.MethodGet, p.path, nil)
			if as == "sam" {
				body := requirePage(t, res, http.StatusForbidden)
				require.Contains(t, body, `data-testid="error"`, "%s as %s", p.path, as)
				continue
			}
			body := requirePage(t, res, http.StatusOK)
			require.Contains(t, testids(body), p.testid, "%s as %s", p.path, as)
		}
	}

	// The nav: Logs for those who may read logs, not for staff.
	for as, want := range map[string]bool{"admin": true, "olga": true, "ivan": true, "sam": false} {
		body := e.page(as, http.MethodGet, "/ui/kpis", nil).Body.String()
		require.Equal(t, want, strings.Contains(body, `href="/ui/logs"`), "nav for %s", as)
	}
	// The list: the log, its counts; the import button for importers.
	list := e.page("ivan", http.MethodGet, "/ui/logs", nil).Body.String()
	require.Contains(t, list, "Helpdesk March")
	require.Contains(t, list, `data-testid="import-log"`)
	require.Contains(t, list, "helpdesk.csv")

	// Rename and delete: keepers only (the improver sees neither).
	improverPage := testids(e.page("ivan", http.MethodGet, logURL, nil).Body.String())
	require.NotContains(t, improverPage, "rename")
	require.NotContains(t, improverPage, "delete")
	require.Equal(t, http.StatusForbidden, e.page("ivan", http.MethodPost, logURL+"/delete", url.Values{}).Code)
	ownerPage := testids(e.page("olga", http.MethodGet, logURL, nil).Body.String())
	require.Contains(t, ownerPage, "rename")
	require.Contains(t, ownerPage, "delete")

	res := e.page("olga", http.MethodPost, logURL+"/rename", url.Values{"name": {"Helpdesk, March 2025"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "Renamed to Helpdesk, March 2025.")
	res = e.page("olga", http.MethodPost, logURL+"/rename", url.Values{"name": {"  "}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "Not renamed")

	// The progress endpoint answers the log (ready) or "waiting".
	res = e.page("olga", http.MethodGet, logURL+"/progress", nil)
	require.Equal(t, http.StatusOK, res.Code)
	var prog logProgressJSON
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &prog))
	require.Equal(t, apiv1.LogReady, prog.Status)
	require.Positive(t, prog.Events)
	res = e.page("olga", http.MethodGet, "/ui/logs/5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f/progress", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), `"waiting"`)

	res = e.page("olga", http.MethodPost, logURL+"/delete", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/logs?"), res.Header().Get("Location"))
	require.Contains(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "Deleted the log")
	require.Equal(t, http.StatusNotFound, e.page("olga", http.MethodGet, logURL, nil).Code, id)
}

func TestUILogImportShowsTheProcess(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	loc := e.importLog(t, "ivan", "Helpdesk", helpdeskCSV(30))
	body := requirePage(t, e.page("ivan", http.MethodGet, loc, nil), http.StatusOK)
	require.Contains(t, body, "Imported Helpdesk: 30 cases, 140 events.")
	ids := testids(body)
	for _, id := range []string{"summary", "cycle-chart", "log-map", "map-counts", "activities", "bottleneck", "variants", "filters"} {
		require.Contains(t, ids, id)
	}
	stat := func(name string) string {
		i := strings.Index(body, `data-testid="stat-`+name+`">`)
		require.Positive(t, i, name)
		rest := body[i+len(`data-testid="stat-`+name+`">`):]
		return html.UnescapeString(rest[:strings.Index(rest, "<")])
	}
	require.Equal(t, "30", stat("cases"))
	require.Equal(t, "140", stat("events"))
	require.Equal(t, "5", stat("activities"))
	require.Equal(t, "2", stat("variants"))
	require.Contains(t, stat("cycle-p50"), " d", "the cycle time has its unit")
	// The bottleneck is Resolve ticket, marked in words and colour.
	require.Regexp(t, `data-testid="activity-row" data-activity="Resolve ticket" class="bottleneck"`, body)
	require.Contains(t, body, `Bottleneck: <strong>Resolve ticket</strong>`)
	require.Contains(t, body, "5 of 5 activities")
	// Handoffs between people (one department: none between departments).
	require.Contains(t, body, `<td class="wrap">ann</td><td class="wrap">bob</td><td class="num">30</td><td class="num">30</td>`)
	require.Contains(t, body, `<td class="wrap">cid</td><td class="wrap">ann</td><td class="num">30</td><td class="num">30</td>`)
	require.NotContains(t, body, `data-testid="handoffs-departments"`)
	// Variants: rank 1 has the 20 cases without rework, linking to them.
	require.Regexp(t, `(?s)data-testid="variant-row" data-rank="1">.*?>20</a>.*?66.7 %`, body)
	require.Contains(t, body, html.EscapeString("/cases?variant=2"))
	cases := requirePage(t, e.page("ivan", http.MethodGet, strings.SplitN(loc, "?", 2)[0]+"/cases?variant=2", nil), http.StatusOK)
	require.Equal(t, 10, testids(cases)["log-case-row"], "variant 2 has the 10 cases with rework")
	require.Contains(t, cases, "T-001")

	// The map image is the API's SVG.
	logURL := strings.SplitN(loc, "?", 2)[0]
	for _, view := range []string{"frequency", "performance"} {
		res := e.page("ivan", http.MethodGet, logURL+"/map.svg?view="+view+"&activities=100&paths=100", nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.Contains(t, res.Header().Get("Content-Type"), "image/svg+xml")
		require.Contains(t, res.Body.String(), "Resolve ticket")
	}
	// Filters reach every part: only cases with "Ask customer".
	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"?contains=Ask+customer", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="filtered"`)
	require.Contains(t, body, `data-testid="stat-cases">10<`)
	require.Contains(t, body, "1 variant of 10 cases")
	// A business calendar (a flow's): business figures beside the elapsed
	// ones.
	res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/helpdesk/versions", "application/yaml", []byte(`key: helpdesk
version: 1
calendar: office
calendars:
  - id: office
    timezone: UTC
    hours: {mon: 09:00-17:00, tue: 09:00-17:00, wed: 09:00-17:00, thu: 09:00-17:00, fri: 09:00-17:00}
departments: [customer_service]
steps:
  - id: a
    kind: task
    department: customer_service
    sla: 4h
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"?calendar=helpdesk", nil), http.StatusOK)
	require.NotContains(t, body, `data-testid="filter-error"`)
	require.Contains(t, body, `data-testid="calendar-note"`)
	require.Contains(t, body, "in business hours")
	require.Contains(t, body, " business</span>")
	// A filter the API refuses is shown, and the page shows the whole log.
	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"?variant=9", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="filter-error"`)
	require.Contains(t, body, "2 variants")
	require.Contains(t, body, `data-testid="stat-cases">30<`)
}

func TestUILogUploadRefusalsAndPreview(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	good := helpdeskCSV(3)

	// The preview (no script): the mapping detected, prefilling the
	// fields; the first rows; the file must be chosen again.
	res := e.upload("olga", "/ui/logs/preview", [][2]string{{"time_zone", "UTC"}}, "helpdesk.csv", good, nil)
	body := requirePage(t, res, http.StatusOK)
	ids := testids(body)
	for _, id := range []string{"preview", "preview-mapping", "preview-events", "choose-again"} {
		require.Contains(t, ids, id)
	}
	require.Contains(t, body, `<code data-field="case">Case ID</code>`)
	require.Contains(t, body, `<code data-field="time">Complete Timestamp</code>`)
	require.Contains(t, body, `id="f-case" name="case" type="text" value="Case ID"`)
	require.Contains(t, body, `id="f-group" name="group" type="text" value="Department"`)
	require.Contains(t, body, "Register ticket")

	// The script's preview: the fragment alone.
	res = e.upload("olga", "/ui/logs/preview", [][2]string{{"sample", "1"}}, "helpdesk.csv", good, http.Header{"X-Flowlab-Fragment": {"1"}})
	require.Equal(t, http.StatusOK, res.Code)
	require.NotContains(t, res.Body.String(), "<html")
	require.Contains(t, res.Body.String(), `data-testid="preview"`)
	require.Contains(t, res.Body.String(), "first MiB")

	// A preview that cannot read on says why.
	res = e.upload("olga", "/ui/logs/preview", [][2]string{{"case", "Ticket"}}, "helpdesk.csv", good, nil)
	body = requirePage(t, res, http.StatusOK)
	require.Contains(t, body, `data-testid="preview-error"`)

	// A bad row: the line and the column in words, the fields kept.
	bad := strings.Replace(good, "2025-03-03 09:10:00", "03/03/2025 nine o'clock", 1)
	require.NotEqual(t, good, bad)
	res = e.upload("olga", "/ui/logs/new", [][2]string{{"name", "Broken"}, {"resource", "Resource"}, {"time_zone", "UTC"}}, "helpdesk.csv", bad, nil)
	body = requirePage(t, res, http.StatusUnprocessableEntity)
	require.Contains(t, body, `data-testid="upload-error"`)
	msg := html.UnescapeString(body)
	require.Contains(t, msg, "The file cannot be read at line 3, column “Complete Timestamp”")
	require.Contains(t, msg, "Skip bad rows")
	require.Contains(t, body, `value="Broken"`)
	require.Contains(t, body, `id="f-resource" name="resource" type="text" value="Resource"`)
	// The script gets the same words as JSON.
	res = e.upload("olga", "/ui/logs/new", [][2]string{{"id", "0e6f3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"}}, "helpdesk.csv", bad,
		http.Header{"Accept": {"application/json"}, "X-Flowlab-Fragment": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
	var out logImportResult
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Contains(t, out.Error, "line 3, column “Complete Timestamp”")
	// Skipping bad rows imports the others.
	res = e.upload("olga", "/ui/logs/new", [][2]string{{"skip_bad_rows", "true"}, {"id", "0e6f3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"}}, "helpdesk.csv", bad,
		http.Header{"Accept": {"application/json"}, "X-Flowlab-Fragment": {"1"}})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	out = logImportResult{}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.True(t, strings.HasPrefix(out.Location, "/ui/logs/0e6f3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b?"), out.Location)
	require.Contains(t, e.page("olga", http.MethodGet, out.Location, nil).Body.String(), "1 bad rows were skipped")

	// A bad time zone is shown at its field; no file is asked for.
	res = e.upload("olga", "/ui/logs/new", [][2]string{{"time_zone", "Mars/Olympus"}}, "helpdesk.csv", good, nil)
	body = requirePage(t, res, http.StatusBadRequest)
	require.Contains(t, body, `id="f-time_zone-error"`)
	require.Contains(t, body, "Mars/Olympus")
	res = e.upload("olga", "/ui/logs/new", [][2]string{{"name", "x"}}, "", "", nil)
	body = requirePage(t, res, http.StatusUnprocessableEntity)
	require.Contains(t, body, "Choose the file to import.")

	// Staff may not upload.
	res = e.upload("sam", "/ui/logs/new", nil, "helpdesk.csv", good, nil)
	require.Equal(t, http.StatusForbidden, res.Code)
}

func TestUILogUploadTooLargeAndBusy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(a *api.Config, _ *Config) { a.MaxLogBytes = 2000 })
	e.Actor("olga", store.RoleOwner)
	res := e.upload("olga", "/ui/logs/new", [][2]string{{"name", "Big"}}, "helpdesk.csv", helpdeskCSV(40), nil)
	body := html.UnescapeString(requirePage(t, res, http.StatusRequestEntityTooLarge))
	require.Contains(t, body, "The file is too large for this server.")
	require.Contains(t, body, "2000 bytes")
	require.Contains(t, body, `value="Big"`, "the fields are kept")

	// A log still importing (left by another server): its page says so
	// and reloads; its progress says importing.
	_, err := e.st.CreateEventLog(context.Background(), store.CreateEventLogParams{ID: "7d3c1b2a-0f9e-4d8c-b7a6-5e4d3c2b1a09",
		Name: "Half", Source: "half.csv", Format: "csv", Mapping: json.RawMessage(`{}`), Actor: e.actors["olga"].ID, At: time.Now()})
	require.NoError(t, err)
	body = requirePage(t, e.page("olga", http.MethodGet, "/ui/logs/7d3c1b2a-0f9e-4d8c-b7a6-5e4d3c2b1a09", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="log-importing"`)
	require.Contains(t, body, `<meta http-equiv="refresh" content="3">`)
	res = e.page("olga", http.MethodGet, "/ui/logs/7d3c1b2a-0f9e-4d8c-b7a6-5e4d3c2b1a09/progress", nil)
	require.Contains(t, res.Body.String(), `"status":"importing"`)

	// All import slots taken: a 429 in words.
	p := httpx.NewProblem(http.StatusTooManyRequests, "busy", "Imports busy", "all import slots are taken")
	p.RetryAfter = 30
	msg, _ := logProblemWords(p)
	require.Equal(t, "Another event log is being imported on this server right now; try again in about 30 s.", msg)
}

// Variants come a page at a time: 25 variants (case i is triaged i+1
// times) are 20 on the first page and 5 on the next, the filters kept.
func TestUILogVariantPages(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	var b strings.Builder
	b.WriteString("Case ID,Activity,Complete Timestamp\n")
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	for i := range 25 {
		at := t0.Add(time.Duration(i) * time.Hour)
		fmt.Fprintf(&b, "C%d,Register,%s\n", i, at.Format(time.RFC3339))
		for j := 0; j <= i; j++ {
			at = at.Add(time.Minute)
			fmt.Fprintf(&b, "C%d,Triage,%s\n", i, at.Format(time.RFC3339))
		}
	}
	loc := e.importLog(t, "olga", "Many variants", b.String())
	logURL := strings.SplitN(loc, "?", 2)[0]
	body := requirePage(t, e.page("olga", http.MethodGet, logURL+"?view=performance&excludes=Close", nil), http.StatusOK)
	require.Equal(t, 20, testids(body)["variant-row"])
	m := regexp.MustCompile(`href="([^"]+)" data-testid="variants-next"`).FindStringSubmatch(body)
	require.NotNil(t, m, "a link to the next variants")
	next := html.UnescapeString(m[1])
	require.Contains(t, next, "excludes=Close", "the filters are kept")
	require.Contains(t, next, "view=performance", "the map's settings are kept")
	body = requirePage(t, e.page("olga", http.MethodGet, next, nil), http.StatusOK)
	require.Equal(t, 5, testids(body)["variant-row"])
	require.NotContains(t, testids(body), "variants-next")
}

// A slow upload outlives the server's read and write timeouts (the upload
// routes extend their deadlines, as the API's import does), and is
// streamed into the API as it arrives: while it is still being sent, the
// progress endpoint shows the import running with the bytes read so far.
func TestUILogSlowUploadOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.ReadTimeout = 400 * time.Millisecond
	srv.Config.WriteTimeout = 400 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	const id = "2f1e0d9c-8b7a-4695-a4b3-c2d1e0f9a8b7"
	cookie := &http.Cookie{Name: sessionCookie, Value: e.sessionFor(e.tokens["olga"])}

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	half := make(chan struct{})
	go func() {
		_ = mw.WriteField("name", "Slow")
		_ = mw.WriteField("id", id)
		fw, _ := mw.CreateFormFile("file", "slow.csv")
		csv := helpdeskCSV(2000) // ~500 KB: the reader sniffs the first 64 KiB
		chunks := 6
		step := len(csv)/chunks + 1
		for i, n := 0, 0; i < len(csv); i, n = i+step, n+1 {
			if n == chunks/2 {
				close(half)
			}
			time.Sleep(200 * time.Millisecond) // 1.2 s in all: three times the timeouts
			_, _ = io.WriteString(fw, csv[i:min(i+step, len(csv))])
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/ui/logs/new", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(cookie)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	type answer struct {
		res *http.Response
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := client.Do(req)
		done <- answer{res, err}
	}()

	<-half
	var prog logProgressJSON
	deadline := time.Now().Add(time.Second)
	for prog.Status != apiv1.LogImporting && time.Now().Before(deadline) {
		preq, err := http.NewRequest(http.MethodGet, srv.URL+"/ui/logs/"+id+"/progress", nil)
		require.NoError(t, err)
		preq.AddCookie(cookie)
		pres, err := client.Do(preq)
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(pres.Body).Decode(&prog))
		pres.Body.Close()
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, apiv1.LogImporting, prog.Status, "the import runs while the file is still being sent")
	require.Positive(t, prog.Bytes)

	a := <-done
	require.NoError(t, a.err)
	defer a.res.Body.Close()
	require.Equal(t, http.StatusSeeOther, a.res.StatusCode)
	require.True(t, strings.HasPrefix(a.res.Header.Get("Location"), "/ui/logs/"+id+"?"), a.res.Header.Get("Location"))
}
