package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/readable"
)

// Event logs (issue 17; decisions 0028–0031): a process owner or an
// improvement team uploads the export of their helpdesk, previews how it
// reads, imports it with its progress shown, and reads the process as it
// really runs: the map, the variants and the bottlenecks.
var logPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/logs", Roles: authz.LogViewers, Handle: (*Web).logs},
	{Method: http.MethodGet, Pattern: "/logs/new", Roles: authz.LogImporters, Handle: (*Web).logNew},
	{Method: http.MethodPost, Pattern: "/logs/new", Roles: authz.LogImporters, Handle: (*Web).logImport},
	{Method: http.MethodPost, Pattern: "/logs/preview", Roles: authz.LogImporters, Handle: (*Web).logPreview},
	{Method: http.MethodGet, Pattern: "/logs/{id}", Roles: authz.LogViewers, Handle: (*Web).logPage},
	{Method: http.MethodGet, Pattern: "/logs/{id}/progress", Roles: authz.LogViewers, Handle: (*Web).logProgress},
	{Method: http.MethodGet, Pattern: "/logs/{id}/map.svg", Roles: authz.LogViewers, Handle: (*Web).logMapSVG},
	{Method: http.MethodGet, Pattern: "/logs/{id}/cases", Roles: authz.LogViewers, Handle: (*Web).logCases},
	{Method: http.MethodPost, Pattern: "/logs/{id}/draft-flow", Roles: authz.LogViewers, Handle: (*Web).logDraftFlow},
	{Method: http.MethodPost, Pattern: "/logs/{id}/rename", Roles: authz.LogKeepers, Handle: (*Web).logRename},
	{Method: http.MethodPost, Pattern: "/logs/{id}/delete", Roles: authz.LogKeepers, Handle: (*Web).logDelete},
}

// uploadDeadline is how long an upload may take: the API's longest import
// (api.MaxLogImportTimeout, 45 min) and a minute. The server's read
// timeout (30 s) would otherwise cut a big upload off.
const uploadDeadline = 46 * time.Minute

// logPath is the UI path of a log plus the given suffix.
func logPath(id string, suffix ...string) string {
	return UIPath + "/logs/" + url.PathEscape(id) + strings.Join(suffix, "")
}

// apiLogPath is the API path of a log plus the given suffix.
func apiLogPath(id string, suffix ...string) string {
	return "/api/v1/logs/" + url.PathEscape(id) + strings.Join(suffix, "")
}

func canKeepLogs(r *http.Request) bool {
	return authz.Allowed(authz.LogKeepers, actorOf(r.Context()).Role)
}

func canImportLogs(r *http.Request) bool {
	return authz.Allowed(authz.LogImporters, actorOf(r.Context()).Role)
}

// fmtBytes is a size with its unit: "950 B", "12.5 KB", "3.2 MB".
func fmtBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return readable.Number(float64(n)/1000) + " KB"
	case n < 1000*1000*1000:
		return readable.Number(float64(n)/1e6) + " MB"
	}
	return readable.Number(float64(n)/1e9) + " GB"
}

// ---- /ui/logs ----

type logRow struct {
	apiv1.EventLog
	CreatedByName string
}

type logsPage struct {
	Logs       []logRow
	NextCursor string
	CanImport  bool
}

func (s *Web) logs(w http.ResponseWriter, r *http.Request) error {
	q := url.Values{"limit": {"50"}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	list, err := apiGet[apiv1.EventLogList](s, r, "/api/v1/logs?"+q.Encode())
	if err != nil {
		return err
	}
	page := logsPage{NextCursor: list.NextCursor, CanImport: canImportLogs(r)}
	names := map[string]string{}
	for _, l := range list.Logs {
		n, ok := names[l.CreatedBy]
		if !ok {
			n = s.shortActorName(r, l.CreatedBy)
			names[l.CreatedBy] = n
		}
		page.Logs = append(page.Logs, logRow{EventLog: l, CreatedByName: n})
	}
	return s.render(w, r, pageView{Template: "logs", Title: "Event logs", Active: "logs", Data: page})
}

// shortActorName is an actor's name alone (the id when the API cannot
// say, the admin as such).
func (s *Web) shortActorName(r *http.Request, id string) string {
	if id == httpx.AdminActorID {
		return "the admin"
	}
	a, err := apiGet[apiv1.Actor](s, r, "/api/v1/actors/"+url.PathEscape(id))
	if err != nil || a.Name == "" {
		return id
	}
	return a.Name
}

// ---- /ui/logs/new: upload, preview, import ----

// logForm is the upload form's fields: the log's name and how to read
// the file (what is left empty is detected).
type logForm struct {
	Name                            string
	Case                            string
	Activity, Activity2             string
	Time, Start, Resource           string
	Group, Lifecycle                string
	Delimiter, TimeZone, TimeLayout string
	SkipBadRows                     bool
	ID                              string // the import's id (the page's script chooses it)
}

// readQuery is the API's reading options of the form.
func (f logForm) readQuery() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			q.Set(k, v)
		}
	}
	set("case", f.Case)
	for _, a := range []string{f.Activity, f.Activity2} {
		if a = strings.TrimSpace(a); a != "" {
			q.Add("activity", a)
		}
	}
	set("time", f.Time)
	set("start", f.Start)
	set("resource", f.Resource)
	set("group", f.Group)
	set("lifecycle", f.Lifecycle)
	set("delimiter", f.Delimiter)
	set("time_zone", f.TimeZone)
	set("time_layout", f.TimeLayout)
	return q
}

// fill sets the mapping fields left empty to what the preview detected.
func (f *logForm) fill(m apiv1.LogMapping) {
	def := func(field *string, v string) {
		if strings.TrimSpace(*field) == "" {
			*field = v
		}
	}
	def(&f.Case, m.Case)
	if len(m.Activity) > 0 {
		def(&f.Activity, m.Activity[0])
	}
	if len(m.Activity) > 1 {
		def(&f.Activity2, m.Activity[1])
	}
	def(&f.Time, m.Time)
	def(&f.Start, m.Start)
	def(&f.Resource, m.Resource)
	def(&f.Group, m.Group)
	def(&f.Lifecycle, m.Lifecycle)
}

var logFormFields = map[string]func(*logForm, string){
	"name":        func(f *logForm, v string) { f.Name = v },
	"case":        func(f *logForm, v string) { f.Case = v },
	"activity":    func(f *logForm, v string) { f.Activity = v },
	"activity2":   func(f *logForm, v string) { f.Activity2 = v },
	"time":        func(f *logForm, v string) { f.Time = v },
	"start":       func(f *logForm, v string) { f.Start = v },
	"resource":    func(f *logForm, v string) { f.Resource = v },
	"group":       func(f *logForm, v string) { f.Group = v },
	"lifecycle":   func(f *logForm, v string) { f.Lifecycle = v },
	"delimiter":   func(f *logForm, v string) { f.Delimiter = v },
	"time_zone":   func(f *logForm, v string) { f.TimeZone = v },
	"time_layout": func(f *logForm, v string) { f.TimeLayout = v },
	"skip_bad_rows": func(f *logForm, v string) {
		f.SkipBadRows = v == "true" || v == "on"
	},
	"id": func(f *logForm, v string) { f.ID = v },
}

// logUpload is a multipart upload as it arrives: the form's fields (which
// come before the file: the form puts the file input last, the script
// appends the file last) and the file's part, read as a stream.
type logUpload struct {
	Form     logForm
	File     *multipart.Part // nil: no file chosen
	FileName string
	Sample   bool // the script sent only the file's first MiB
}

// readLogUpload reads the fields of a multipart upload up to its file.
// Fields after the file are not read (they would need the file buffered).
func readLogUpload(r *http.Request) (*logUpload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, httpx.BadRequest("the upload must be a multipart form (enctype=\"multipart/form-data\"): " + err.Error())
	}
	up := &logUpload{}
	for fields := 0; ; fields++ {
		if fields > 40 {
			return nil, httpx.BadRequest("the upload has too many fields")
		}
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return up, nil
		}
		if err != nil {
			return nil, httpx.BadRequest("the upload could not be read: " + err.Error())
		}
		name := part.FormName()
		if name == "file" {
			if part.FileName() == "" {
				// No file chosen: the browser sends an empty part.
				_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<16))
				continue
			}
			up.File, up.FileName = part, part.FileName()
			return up, nil
		}
		b, err := io.ReadAll(io.LimitReader(part, 4<<10+1))
		if err != nil {
			return nil, httpx.BadRequest("the upload could not be read: " + err.Error())
		}
		if len(b) > 4<<10 {
			return nil, httpx.BadRequest(fmt.Sprintf("the field %q is longer than 4 KiB", name))
		}
		v := string(b)
		if name == "sample" {
			up.Sample = v == "1"
			continue
		}
		if set, ok := logFormFields[name]; ok {
			set(&up.Form, v)
		}
	}
}

// extendUploadDeadlines lets the upload outlive the server's read and
// write timeouts, as the API does for its import route (a writer that
// cannot say is left alone).
func extendUploadDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	until := time.Now().Add(uploadDeadline)
	_ = rc.SetReadDeadline(until)
	_ = rc.SetWriteDeadline(until)
}

type logOption struct {
	Value, Label string
}

var logDelimiters = []logOption{
	{"", "Detect"}, {"comma", "Comma ,"}, {"semicolon", "Semicolon ;"}, {"tab", "Tab"}, {"pipe", "Pipe |"},
}

// logPreviewView is a preview as the page shows it.
type logPreviewView struct {
	apiv1.LogPreview
	FileName string
	Sample   bool
	// MappingJSON is the detected mapping for the page's script, which
	// fills the fields left empty.
	MappingJSON string
	ColumnsJSON string
	HasStart    bool
	HasGroup    bool
}

type logNewPage struct {
	Form        logForm
	Delimiters  []logOption
	Preview     *logPreviewView
	Error       string // a refusal in words
	FieldErrors map[string]string
	// ChooseAgain: the page was sent without its script; the file must be
	// chosen again to import it.
	ChooseAgain string
	// Fragment: the preview is rendered alone for the page's script.
	Fragment bool
}

func newLogNewPage(f logForm) logNewPage {
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	return logNewPage{Form: f, Delimiters: logDelimiters, FieldErrors: map[string]string{}}
}

func (s *Web) logNew(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, pageView{Template: "log_new", Title: "Import an event log", Active: "logs", Data: newLogNewPage(logForm{})})
}

// logPreview streams the chosen file (or, from the page's script, its
// first MiB) to the API's preview and shows the result: the whole page
// (no script) or the preview's fragment (the script).
func (s *Web) logPreview(w http.ResponseWriter, r *http.Request) error {
	extendUploadDeadlines(w)
	up, err := readLogUpload(r)
	if err != nil {
		return err
	}
	page := newLogNewPage(up.Form)
	fragment := isFragmentRequest(r)
	page.Fragment = fragment
	status := http.StatusOK
	if up.File == nil {
		page.Error = "Choose the file to preview."
		status = http.StatusUnprocessableEntity
	} else {
		q := up.Form.readQuery()
		q.Set("rows", "20")
		res, err := s.callAPI(r, http.MethodPost, "/api/v1/logs/preview?"+q.Encode(), io.Reader(up.File),
			http.Header{"Content-Type": {"application/octet-stream"}})
		if err != nil {
			return err
		}
		// The API stops after the first rows: the rest of the file is
		// read and dropped, so the browser gets the answer, not a reset
		// connection.
		_, _ = io.Copy(io.Discard, up.File)
		if p := res.Problem(); p != nil {
			page.Error, page.FieldErrors = logProblemWords(p)
			status = p.Status
		} else {
			var pv apiv1.LogPreview
			if err := res.Decode(&pv); err != nil {
				return err
			}
			v := &logPreviewView{LogPreview: pv, FileName: up.FileName, Sample: up.Sample}
			m, _ := json.Marshal(pv.Mapping)
			v.MappingJSON = string(m)
			c, _ := json.Marshal(pv.Columns)
			v.ColumnsJSON = string(c)
			for _, e := range pv.Events {
				v.HasStart = v.HasStart || e.Start != nil
				v.HasGroup = v.HasGroup || e.Group != ""
			}
			page.Preview = v
			page.Form.fill(pv.Mapping)
			if !fragment {
				page.ChooseAgain = up.FileName
			}
		}
	}
	if fragment {
		w.Header().Set("X-Flowlab-Status", strconv.Itoa(status))
		return s.renderFragment(w, r, "log_new", "preview", page)
	}
	return s.render(w, r, pageView{Template: "log_new", Title: "Import an event log", Active: "logs", Status: status, Data: page})
}

// rowProblem is the API's words for a bad row: "line 5, column "Time":
// cannot parse …".
var rowProblem = regexp.MustCompile(`^(?:trace (\d+), event (\d+) \()?line (\d+)\)?(?:, column "((?:[^"\\]|\\.)*)")?: (.*)$`)

// logProblemWords is an import's or a preview's refusal as a person reads
// it, and the fields it names.
func logProblemWords(p *httpx.Problem) (string, map[string]string) {
	fields := map[string]string{}
	for _, fe := range p.Errors {
		field := fe.Field
		switch field {
		case "activity[0]", "activity[1]":
			field = "activity"
		}
		if _, ok := fields[field]; !ok {
			fields[field] = fe.Message
		}
	}
	detail := p.Detail
	switch {
	case p.Status == http.StatusRequestEntityTooLarge:
		return "The file is too large for this server. " + upperFirst(detail) + ".", fields
	case p.Status == http.StatusTooManyRequests:
		msg := "Another event log is being imported on this server right now; try again in a minute."
		if p.RetryAfter > 0 {
			msg = fmt.Sprintf("Another event log is being imported on this server right now; try again in about %s.", readable.Duration(float64(p.RetryAfter)))
		}
		return msg, fields
	case p.Status == http.StatusUnprocessableEntity && p.Type == httpx.ProblemBase+"bad-event-log":
		if m := rowProblem.FindStringSubmatch(detail); m != nil {
			where := "line " + m[3]
			if m[1] != "" {
				where = fmt.Sprintf("trace %s, event %s (line %s)", m[1], m[2], m[3])
			}
			if m[4] != "" {
				col, err := strconv.Unquote(`"` + m[4] + `"`)
				if err != nil {
					col = m[4]
				}
				where += ", column “" + col + "”"
			}
			return "The file cannot be read at " + where + ": " + m[5] + ". Correct that row and import again, or tick “Skip bad rows” to import without the rows that cannot be read.", fields
		}
		return "The file cannot be read: " + detail + ".", fields
	case len(fields) > 0:
		var parts []string
		for f, m := range fields {
			parts = append(parts, logFieldLabel(f)+": "+m)
		}
		return "Check the fields: " + strings.Join(parts, "; ") + ".", fields
	}
	if detail == "" {
		detail = p.Title
	}
	return upperFirst(detail) + ".", fields
}

func upperFirst(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var logFieldLabels = map[string]string{
	"case": "Case id column", "activity": "Activity column", "time": "Time column", "start": "Start time column",
	"resource": "Resource column", "group": "Group column", "lifecycle": "Lifecycle column", "delimiter": "Delimiter",
	"time_zone": "Time zone", "time_layout": "Time format", "name": "Name", "id": "Import id", "source": "File name",
}

func logFieldLabel(f string) string {
	if l, ok := logFieldLabels[f]; ok {
		return l
	}
	return f
}

// logImportResult is the answer to the page's script.
type logImportResult struct {
	Location string            `json:"location,omitempty"`
	Error    string            `json:"error,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// wantsJSON reports a request of the page's script, which reads the
// answer itself.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// logImport streams the file part of the upload into the API's import,
// with the form's reading options as its parameters; then goes to the
// log's page, or shows the refusal on the form, its fields kept.
func (s *Web) logImport(w http.ResponseWriter, r *http.Request) error {
	extendUploadDeadlines(w)
	up, err := readLogUpload(r)
	if err != nil {
		return err
	}
	refuse := func(status int, msg string, fields map[string]string) error {
		if wantsJSON(r) {
			httpx.WriteJSON(s.log, w, r, status, logImportResult{Error: msg, Fields: fields})
			return nil
		}
		page := newLogNewPage(up.Form)
		page.Error, page.FieldErrors = msg, fields
		if page.FieldErrors == nil {
			page.FieldErrors = map[string]string{}
		}
		return s.render(w, r, pageView{Template: "log_new", Title: "Import an event log", Active: "logs", Status: status, Data: page})
	}
	if up.File == nil {
		return refuse(http.StatusUnprocessableEntity, "Choose the file to import.", map[string]string{"file": "choose a file"})
	}
	q := up.Form.readQuery()
	if n := strings.TrimSpace(up.Form.Name); n != "" {
		q.Set("name", n)
	}
	q.Set("source", up.FileName)
	if up.Form.SkipBadRows {
		q.Set("skip_bad_rows", "true")
	}
	if up.Form.ID != "" {
		q.Set("id", up.Form.ID)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/logs?"+q.Encode(), io.Reader(up.File),
		http.Header{"Content-Type": {"application/octet-stream"}})
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
			return p
		}
		msg, fields := logProblemWords(p)
		return refuse(p.Status, msg, fields)
	}
	var l apiv1.EventLog
	if err := res.Decode(&l); err != nil {
		return err
	}
	flash := fmt.Sprintf("Imported %s: %d cases, %d events.", l.Name, l.Cases, l.Events)
	if l.Report != nil && l.Report.Skipped > 0 {
		flash += fmt.Sprintf(" %d bad rows were skipped.", l.Report.Skipped)
	}
	loc := withFlash(r, logPath(l.ID), flash, "")
	if wantsJSON(r) {
		httpx.WriteJSON(s.log, w, r, http.StatusOK, logImportResult{Location: loc})
		return nil
	}
	http.Redirect(w, r, loc, http.StatusSeeOther)
	return nil
}

// logProgressJSON is how far an import has come, for the page's script.
type logProgressJSON struct {
	Status string `json:"status"` // waiting (not begun here yet), importing, ready
	Bytes  int64  `json:"bytes"`
	Events int    `json:"events"`
	Cases  int    `json:"cases"`
}

func (s *Web) logProgress(w http.ResponseWriter, r *http.Request) error {
	res, err := s.callAPI(r, http.MethodGet, apiLogPath(chi.URLParam(r, "id")), nil, nil)
	if err != nil {
		return err
	}
	out := logProgressJSON{Status: "waiting"}
	if res.Status == http.StatusNotFound {
		httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
		return nil
	}
	var l apiv1.EventLog
	if err := res.Decode(&l); err != nil {
		return err
	}
	out.Status, out.Events, out.Cases = l.Status, l.Events, l.Cases
	if l.Progress != nil {
		out.Bytes, out.Events = l.Progress.Bytes, l.Progress.Events
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// ---- /ui/logs/{id} ----

// logFilters are the log page's filters, as the form shows them and as
// the API's query takes them.
type logFilters struct {
	From, To    string // dates, "to" included
	Variant     string
	Attr, Value string
	Contains    []string
	Excludes    []string
	Calendar    string
	api         url.Values
}

// Active reports whether any filter is set.
func (f logFilters) Active() bool { return len(f.api) > 0 }

// parseLogFilters reads the filters of a page's query; bad ones are
// reported in errs and left out.
func parseLogFilters(q url.Values, errs map[string]string) logFilters {
	var f logFilters
	var from, to time.Time
	f.From, f.To, from, to = periodParams(q, errs)
	f.api = periodQuery(from, to)
	if v := strings.TrimSpace(q.Get("variant")); v != "" {
		f.Variant = v
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			errs["variant"] = fmt.Sprintf("must be a variant's rank (1 or more), got %q", v)
		} else {
			f.api.Set("variant", v)
		}
	}
	f.Attr, f.Value = strings.TrimSpace(q.Get("attr")), strings.TrimSpace(q.Get("value"))
	if f.Attr != "" {
		f.api.Set("attr", f.Attr)
		f.api.Set("value", f.Value)
	} else if f.Value != "" {
		errs["attr"] = "name the attribute whose value it is"
	}
	for _, name := range []string{"contains", "excludes"} {
		var vals []string
		for _, v := range q[name] {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
				f.api.Add(name, v)
			}
		}
		if name == "contains" {
			f.Contains = vals
		} else {
			f.Excludes = vals
		}
	}
	if c := strings.TrimSpace(q.Get("calendar")); c != "" {
		f.Calendar = c
		f.api.Set("calendar", c)
	}
	return f
}

// query is the API query of the filters plus extra key-value pairs.
func (f logFilters) query(kv ...string) url.Values {
	q := url.Values{}
	for k, vs := range f.api {
		q[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// pageQuery is the page's own query of the filters (dates as the form
// has them) plus extra pairs.
func (f logFilters) pageQuery(kv ...string) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("from", f.From)
	set("to", f.To)
	set("variant", f.Variant)
	set("attr", f.Attr)
	set("value", f.Value)
	for _, v := range f.Contains {
		q.Add("contains", v)
	}
	for _, v := range f.Excludes {
		q.Add("excludes", v)
	}
	set("calendar", f.Calendar)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// hiddenField is a form's hidden input.
type hiddenField struct{ Name, Value string }

func hiddenOf(q url.Values, skip ...string) []hiddenField {
	var out []hiddenField
	for k, vs := range q {
		if slices.Contains(skip, k) {
			continue
		}
		for _, v := range vs {
			out = append(out, hiddenField{k, v})
		}
	}
	slices.SortFunc(out, func(a, b hiddenField) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
	return out
}

// cycleBar is one bar of the cycle-time distribution.
type cycleBar struct {
	Label      string
	Cases      int
	X, Y, H, W float64
	LabelX     float64
}

// cycleChart is the cycle-time distribution drawn as an inline SVG.
type cycleChart struct {
	Width, Height float64
	Base          float64 // the bars' baseline
	Bars          []cycleBar
	Max           int
}

func cycleChartOf(bs []apiv1.LogBucket) *cycleChart {
	if len(bs) == 0 {
		return nil
	}
	c := &cycleChart{Height: 140, Base: 118}
	for _, b := range bs {
		c.Max = max(c.Max, b.Cases)
	}
	slot := 100.0
	c.Width = slot * float64(len(bs))
	for i, b := range bs {
		h := 0.0
		if c.Max > 0 {
			h = 100 * float64(b.Cases) / float64(c.Max)
		}
		c.Bars = append(c.Bars, cycleBar{Label: "≤ " + readable.Duration(b.UpTo), Cases: b.Cases,
			X: float64(i)*slot + 6, W: slot - 12, H: h, Y: c.Base - h, LabelX: float64(i)*slot + slot/2})
	}
	return c
}

type logMapView struct {
	apiv1.LogMap
	View              string
	Activities, Paths int
	ImgURL            string
	Alt               string
	Hidden            []hiddenField // the filters, kept when the map's settings change
}

// handoffRows is how many handoff pairs of each kind the log page lists.
const handoffRows = 10

type logPageData struct {
	Log         apiv1.EventLog
	CreatedBy   string // the importer's name
	Summary     *apiv1.LogSummary
	Filters     logFilters
	FieldErrors map[string]string
	FilterError string
	Hidden      []hiddenField // the map's settings, kept when the filters change
	Chart       *cycleChart
	Map         *logMapView
	Activities  *apiv1.LogActivities
	Bottleneck  *apiv1.LogActivity
	Variants    *apiv1.LogVariantList
	VariantsURL string // the next page of variants
	// Handoffs are the most frequent handoffs between resources and
	// between groups (at most handoffRows each), and per case.
	Handoffs *apiv1.LogHandoffs
	Calendar bool
	Flows    []apiv1.FlowSummary
	CanKeep  bool
	// CanPublish: the actor may publish flows, so a draft opens in the
	// flow editor (otherwise it is shown read-only).
	CanPublish bool
	// DraftHidden are the filters, kept by the draft form.
	DraftHidden []hiddenField
	Importing   bool
	Path        string
}

// VariantCasesURL is the cases page of a variant, with the page's other
// filters.
func (p logPageData) VariantCasesURL(rank int) string {
	return logPath(p.Log.ID, "/cases?") + p.Filters.pageQuery("variant", strconv.Itoa(rank)).Encode()
}

// sliderParam reads a 0–100 slider, its default when absent or bad.
func sliderParam(q url.Values, name string, def int, errs map[string]string) int {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100 {
		errs[name] = fmt.Sprintf("must be a percentage from 0 to 100, got %q", v)
		return def
	}
	return n
}

func (s *Web) logPage(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	l, err := apiGet[apiv1.EventLog](s, r, apiLogPath(id))
	if err != nil {
		return err
	}
	page := logPageData{Log: l, CanKeep: canKeepLogs(r), FieldErrors: map[string]string{}, Path: logPath(l.ID),
		CreatedBy: s.shortActorName(r, l.CreatedBy)}
	if l.Status != apiv1.LogReady {
		page.Importing = true
		return s.render(w, r, pageView{Template: "log", Title: l.Name, Active: "logs", Data: page})
	}
	q := r.URL.Query()
	page.Filters = parseLogFilters(q, page.FieldErrors)

	// The summary first: a filter the API refuses is shown at its field
	// and the page shows the whole log.
	sum, err := apiGet[apiv1.LogSummary](s, r, apiLogPath(id, "/summary?")+page.Filters.query().Encode())
	if err != nil {
		var p *httpx.Problem
		if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity && p.Status != http.StatusBadRequest {
			return err
		}
		msg, fields := logProblemWords(p)
		for f, m := range fields {
			page.FieldErrors[f] = m
		}
		page.FilterError = "The filters were not applied. " + msg
		page.Filters = logFilters{api: url.Values{}}
		if sum, err = apiGet[apiv1.LogSummary](s, r, apiLogPath(id, "/summary")); err != nil {
			return err
		}
	}
	page.Summary = &sum
	page.Calendar = sum.Calendar != ""
	page.CanPublish = authz.Allowed(authz.FlowEditors, actorOf(r.Context()).Role)
	page.DraftHidden = hiddenOf(page.Filters.pageQuery(), "calendar")
	page.Chart = cycleChartOf(sum.CycleTime.Buckets)

	// The map: its settings and the drawing.
	mv := &logMapView{View: q.Get("view")}
	if mv.View != apiv1.LogMapPerformance {
		mv.View = apiv1.LogMapFrequency
	}
	mv.Activities = sliderParam(q, "activities", 100, page.FieldErrors)
	mv.Paths = sliderParam(q, "paths", 100, page.FieldErrors)
	mq := page.Filters.query("activities", strconv.Itoa(mv.Activities), "paths", strconv.Itoa(mv.Paths))
	if mv.LogMap, err = apiGet[apiv1.LogMap](s, r, apiLogPath(id, "/map?")+mq.Encode()); err != nil {
		return err
	}
	mq.Set("view", mv.View)
	mv.ImgURL = logPath(id, "/map.svg?") + mq.Encode()
	mv.Hidden = hiddenOf(page.Filters.pageQuery())
	what := "how often cases go each way"
	if mv.View == apiv1.LogMapPerformance {
		what = "the median time of each path"
	}
	mv.Alt = fmt.Sprintf("Process map of %s: %d of %d activities and %d of %d paths, coloured by %s; the tables below have the numbers.",
		l.Name, mv.LogMap.Activities, mv.ActivitiesTotal, mv.LogMap.Paths, mv.PathsTotal, what)
	page.Map = mv
	page.Hidden = []hiddenField{{"view", mv.View}, {"activities", strconv.Itoa(mv.Activities)}, {"paths", strconv.Itoa(mv.Paths)}}

	// Activities: waiting, working, share, the bottleneck.
	acts, err := apiGet[apiv1.LogActivities](s, r, apiLogPath(id, "/activities?")+page.Filters.query().Encode())
	if err != nil {
		return err
	}
	page.Activities = &acts
	for i := range acts.Activities {
		if acts.Activities[i].Bottleneck {
			page.Bottleneck = &acts.Activities[i]
		}
	}

	// Handoffs: the busiest pairs of people and of departments.
	ho, err := apiGet[apiv1.LogHandoffs](s, r, apiLogPath(id, "/handoffs?")+page.Filters.query().Encode())
	if err != nil {
		return err
	}
	ho.Resources, ho.Groups = ho.Resources[:min(len(ho.Resources), handoffRows)], ho.Groups[:min(len(ho.Groups), handoffRows)]
	page.Handoffs = &ho

	// Variants, a page at a time.
	vq := page.Filters.query("limit", "20", "cursor", q.Get("vcursor"))
	vars, err := apiGet[apiv1.LogVariantList](s, r, apiLogPath(id, "/variants?")+vq.Encode())
	if err != nil {
		return err
	}
	page.Variants = &vars
	if vars.NextCursor != "" {
		nq := page.Filters.pageQuery("vcursor", vars.NextCursor)
		for _, h := range page.Hidden {
			nq.Set(h.Name, h.Value)
		}
		page.VariantsURL = logPath(id) + "?" + nq.Encode() + "#variants-h"
	}

	// The flows whose calendars the filter offers.
	if fl, err := apiGet[apiv1.FlowList](s, r, "/api/v1/flows?limit=100"); err == nil {
		page.Flows = fl.Flows
	}
	return s.render(w, r, pageView{Template: "log", Title: l.Name, Active: "logs", Data: page})
}

// logMapSVG serves the API's map.svg to the page's <img>; a map too large
// to draw is an image that says so.
func (s *Web) logMapSVG(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	in := r.URL.Query()
	q := url.Values{}
	for _, name := range []string{"from", "to", "variant", "attr", "value", "contains", "excludes", "calendar", "activities", "paths", "view"} {
		for _, v := range in[name] {
			q.Add(name, v)
		}
	}
	res, err := s.callAPI(r, http.MethodGet, apiLogPath(id, "/map.svg?")+q.Encode(), nil, nil)
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
			return p
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "no-store")
		if ra := res.Header.Get("Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(p.Status)
		_, _ = w.Write(messageSVG(p.Title, p.Detail))
		return nil
	}
	w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Body)
	return nil
}

// ---- /ui/logs/{id}/cases ----

type logCasesPage struct {
	Log         apiv1.EventLog
	Filters     logFilters
	Cases       apiv1.LogCaseList
	NextURL     string
	BackURL     string
	Calendar    bool
	FieldErrors map[string]string
}

func (s *Web) logCases(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	l, err := apiGet[apiv1.EventLog](s, r, apiLogPath(id))
	if err != nil {
		return err
	}
	page := logCasesPage{Log: l, FieldErrors: map[string]string{}}
	q := r.URL.Query()
	page.Filters = parseLogFilters(q, page.FieldErrors)
	if len(page.FieldErrors) > 0 {
		for f, m := range page.FieldErrors {
			return httpx.BadParam(f, m)
		}
	}
	cq := page.Filters.query("limit", "50", "cursor", q.Get("cursor"))
	if page.Cases, err = apiGet[apiv1.LogCaseList](s, r, apiLogPath(id, "/cases?")+cq.Encode()); err != nil {
		return err
	}
	if page.Cases.NextCursor != "" {
		page.NextURL = logPath(id, "/cases?") + page.Filters.pageQuery("cursor", page.Cases.NextCursor).Encode()
	}
	// Back to the log with the filters the variant's link came with.
	page.BackURL = logPath(id)
	if pq := page.Filters.pageQuery("variant", ""); len(pq) > 0 {
		page.BackURL += "?" + pq.Encode()
	}
	title := "Cases of " + l.Name
	if page.Filters.Variant != "" {
		title = "Cases of variant " + page.Filters.Variant + " of " + l.Name
	}
	return s.render(w, r, pageView{Template: "log_cases", Title: title, Active: "logs", Data: page})
}

// ---- /ui/logs/{id}/draft-flow ----

// logDraftPage shows a drafted flow read-only, to an actor who may not
// publish flows.
type logDraftPage struct {
	Log     apiv1.EventLog
	Draft   apiv1.DraftFlow
	BackURL string
}

// logDraftFlow drafts a flow from the log (decision 0032) with the form's
// key, coverage (a percentage) and the page's filters, and opens it in the
// editor of a new flow; an actor who may not publish flows sees it
// read-only.
func (s *Web) logDraftFlow(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	errs := map[string]string{}
	filters := parseLogFilters(r.PostForm, errs)
	back := logPath(id)
	if pq := filters.pageQuery(); len(pq) > 0 {
		back += "?" + pq.Encode()
	}
	for _, m := range errs {
		return refusedTo(w, r, back, "No draft: "+m)
	}
	req := apiv1.DraftFlowRequest{Key: strings.TrimSpace(r.PostFormValue("key"))}
	if c := strings.TrimSpace(r.PostFormValue("coverage")); c != "" {
		pct, err := strconv.ParseFloat(c, 64)
		if err != nil || pct <= 0 || pct > 100 {
			return refusedTo(w, r, back, fmt.Sprintf("No draft: the coverage must be a percentage above 0 and at most 100, not %q.", c))
		}
		req.Coverage = pct / 100
	}
	q := filters.query("calendar", "")
	res, err := s.callAPI(r, http.MethodPost, apiLogPath(id, "/draft-flow?")+q.Encode(), req, nil)
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Status == http.StatusUnprocessableEntity || p.Status == http.StatusConflict || p.Status == http.StatusBadRequest {
			return refusedTo(w, r, back, "No draft: "+problemText(p))
		}
		return p
	}
	var d apiv1.DraftFlow
	if err := res.Decode(&d); err != nil {
		return err
	}
	if authz.Allowed(authz.FlowEditors, actorOf(r.Context()).Role) {
		p := editPage{IsNew: true, NextVersion: 1, Key: d.Key, YAML: d.YAML, Validated: true, Valid: true}
		for _, dg := range d.Diagnostics {
			p.Diagnostics = append(p.Diagnostics, diagnostic{Line: dg.Line, Column: dg.Column, Severity: dg.Severity,
				Code: dg.Code, Message: dg.Message, Field: dg.Path})
			if dg.Severity == string(flow.SeverityError) {
				p.Valid = false
			}
		}
		return s.renderEditor(w, r, http.StatusOK, p)
	}
	l, err := apiGet[apiv1.EventLog](s, r, apiLogPath(id))
	if err != nil {
		return err
	}
	return s.render(w, r, pageView{Template: "log_draft", Title: "Flow drafted from " + l.Name, Active: "logs",
		Data: logDraftPage{Log: l, Draft: d, BackURL: back}})
}

// ---- rename, delete ----

func (s *Web) logRename(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	name := strings.TrimSpace(r.PostFormValue("name"))
	res, err := s.callAPI(r, http.MethodPatch, apiLogPath(id), apiv1.RenameLogRequest{Name: name}, nil)
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Status == http.StatusUnprocessableEntity || p.Status == http.StatusConflict || p.Status == http.StatusBadRequest {
			return refusedTo(w, r, logPath(id), "Not renamed: "+problemText(p))
		}
		return p
	}
	var l apiv1.EventLog
	if err := res.Decode(&l); err != nil {
		return err
	}
	return redirectTo(w, r, logPath(id), "Renamed to "+l.Name+".")
}

func (s *Web) logDelete(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	res, err := s.callAPI(r, http.MethodDelete, apiLogPath(id), nil, nil)
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Status == http.StatusConflict {
			return refusedTo(w, r, logPath(id), "Not deleted: "+problemText(p))
		}
		return p
	}
	var l apiv1.EventLog
	if err := res.Decode(&l); err != nil {
		return err
	}
	return redirectTo(w, r, UIPath+"/logs", fmt.Sprintf("Deleted the log %s (%d cases, %d events).", l.Name, l.Cases, l.Events))
}
