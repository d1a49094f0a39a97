package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// pageWith is e.page with extra request headers (the editor script's
// fragment requests).
func (e *testEnv) pageWith(as, method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.sessionFor(e.tokens[as])})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// ownerEnv is a test env with an admin, an owner, an improver and a
// staff member.
func ownerEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	e.Actor("ivan", store.RoleImprover)
	e.Actor("sam", store.RoleStaff, "customer_service")
	return e
}

// requirePage checks a rendered HTML page: status, media type, no inline
// script or style (the content security policy forbids them).
func requirePage(t *testing.T, res *httptest.ResponseRecorder, status int) string {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Equal(t, "text/html; charset=utf-8", res.Header().Get("Content-Type"))
	body := res.Body.String()
	require.NotContains(t, body, "<script>", "no inline script")
	require.NotContains(t, body, " style=", "no inline style")
	return body
}

// testids lists the data-testid values of a page.
func testids(body string) map[string]int {
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`data-testid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		out[m[1]]++
	}
	return out
}

var flowGetPages = []struct {
	path   string
	writer bool // for owners and admins only
	testid string
}{
	{"/ui/flows", false, "flows"},
	{"/ui/flows/complaint", false, "heatmap"},
	{"/ui/flows/complaint?version=2&heat=share", false, "legend"},
	{"/ui/flows/complaint/diff", false, "diff-text"},
	{"/ui/flows/complaint/diff?from=2&to=1", false, "diff-text"},
	{"/ui/flows/complaint/edit", true, "yaml"},
	{"/ui/flows/complaint/edit?version=2", true, "publish"},
	{"/ui/flows/new", true, "publish"},
	{"/ui/flows/complaint/migrate", true, "mapping"},
}

func TestUIOwnerPagesByRole(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	for _, p := range flowGetPages {
		for _, as := range []string{"admin", "olga", "ivan", "sam"} {
			res := e.page(as, http.MethodGet, p.path, nil)
			switch {
			case as == "sam" || as == "ivan" && p.writer:
				body := requirePage(t, res, http.StatusForbidden)
				require.Contains(t, body, `data-testid="error"`, "%s as %s", p.path, as)
			default:
				body := requirePage(t, res, http.StatusOK)
				require.Contains(t, testids(body), p.testid, "%s as %s", p.path, as)
			}
		}
	}

	// Improvers read flows, without the controls that change them.
	writerControls := []string{"new-flow", "make-default", "retire", "edit-link", "migrate-link"}
	flowsOwner := testids(requirePage(t, e.page("olga", http.MethodGet, "/ui/flows", nil), http.StatusOK))
	flowsImprover := testids(requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows", nil), http.StatusOK))
	pageOwner := testids(requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint", nil), http.StatusOK))
	pageImprover := testids(requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint", nil), http.StatusOK))
	for _, id := range writerControls {
		require.NotContains(t, flowsImprover, id)
		require.NotContains(t, pageImprover, id)
		require.True(t, flowsOwner[id] > 0 || pageOwner[id] > 0, "owners see %s", id)
	}
	require.Contains(t, pageImprover, "diff-link")

	// Their posts are refused as well (the page table's roles, then the API).
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/ui/flows/complaint/default", url.Values{"version": {"2"}}},
		{"/ui/flows/complaint/versions/2/retire", url.Values{}},
		{"/ui/flows/complaint/versions", url.Values{"yaml": {"key: complaint"}}},
		{"/ui/flows/new", url.Values{"yaml": {"key: x"}}},
		{"/ui/flows/validate", url.Values{"yaml": {"key: x"}}},
		{"/ui/flows/complaint/migrate", url.Values{"from": {"1"}, "to": {"2"}}},
	} {
		for _, as := range []string{"ivan", "sam"} {
			requirePage(t, e.page(as, http.MethodPost, post.path, post.form), http.StatusForbidden)
		}
	}
	d := e.Do("olga", http.MethodGet, "/api/v1/flows/complaint", nil, nil)
	require.Contains(t, d.Body.String(), `"default_version":1`, "nothing changed")
}

func TestUIOwnerNotFound(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	for _, path := range []string{
		"/ui/flows/nope", "/ui/flows/nope/edit", "/ui/flows/nope/diff", "/ui/flows/nope/migrate",
		"/ui/flows/nope/versions/1/graph.svg",
		"/ui/flows/complaint?version=9", "/ui/flows/complaint/edit?version=9", "/ui/flows/complaint/diff?from=1&to=9",
		"/ui/flows/complaint/migrate?from=9&to=1", "/ui/flows/complaint/versions/9/graph.svg",
	} {
		body := requirePage(t, e.page("olga", http.MethodGet, path, nil), http.StatusNotFound)
		require.Contains(t, body, `data-testid="error"`, path)
	}
	for _, path := range []string{"/ui/flows/complaint?version=x", "/ui/flows/complaint/diff?from=0", "/ui/flows/complaint/versions/1/graph.svg?heat=nope"} {
		requirePage(t, e.page("olga", http.MethodGet, path, nil), http.StatusBadRequest)
	}
	requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/nope/versions/1/retire", url.Values{}), http.StatusNotFound)
}

// xssYAML is a flow whose name, description and step name are markup.
const xssYAML = `key: xss
name: "<script>alert(1)</script>"
description: "Desc <script>alert(1)</script>"
departments: [customer_service]
steps:
  - id: handle
    kind: task
    name: "<script>alert(1)</script> step"
    department: customer_service
    sla: 1h
    outcomes:
      - name: done
        next: closed
  - id: closed
    kind: end
`

func TestUIOwnerEscapesFlowContent(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/xss/versions", "application/yaml", []byte(xssYAML), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	// A second version, so the diff and migration pages have both.
	v2 := strings.Replace(xssYAML, "name: done", "name: finished", 1)
	res = e.SendRaw("olga", http.MethodPost, "/api/v1/flows/xss/versions", "application/yaml", []byte(v2), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	for _, path := range []string{"/ui/flows", "/ui/flows/xss", "/ui/flows/xss?heat=none", "/ui/flows/xss/edit", "/ui/flows/xss/diff?from=1&to=2", "/ui/flows/xss/migrate?from=2&to=1"} {
		body := requirePage(t, e.page("olga", http.MethodGet, path, nil), http.StatusOK)
		require.NotContains(t, body, "<script>alert(1)", path)
		require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", path)
	}
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/xss", nil), http.StatusOK)
	require.Contains(t, body, `Desc &lt;script&gt;alert(1)&lt;/script&gt;`)
	editor := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/xss/edit", nil), http.StatusOK)
	require.Contains(t, editor, `name: &#34;&lt;script&gt;alert(1)&lt;/script&gt; step&#34;`, "the step name in the YAML")
	require.Equal(t, xssYAML, textareaOf(t, editor), "the editor holds the default version's YAML exactly")
}

var textareaRe = regexp.MustCompile(`(?s)<textarea id="yaml"[^>]*>\n(.*?)</textarea>`)

// textareaOf is the text of the editor's textarea.
func textareaOf(t *testing.T, body string) string {
	t.Helper()
	m := textareaRe.FindStringSubmatch(body)
	require.NotNil(t, m, "no editor in the page")
	return html.UnescapeString(m[1])
}

var diagnosticRe = regexp.MustCompile(`data-testid="diagnostic" data-line="(\d+)" data-column="(\d+)" data-severity="([a-z]+)"`)

// diagnosticsOf lists the diagnostics of a page as "line:column severity".
func diagnosticsOf(body string) []string {
	var out []string
	for _, m := range diagnosticRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+":"+m[2]+" "+m[3])
	}
	return out
}

// brokenYAML has an unknown target on line 9 and a duplicate step id.
const brokenYAML = `key: broken
name: Broken
departments: [customer_service]
steps:
  - id: handle
    kind: task
    department: customer_service
    outcomes:
      - {name: done, next: nowhere}
  - id: handle
    kind: end
`

func TestUIOwnerValidate(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	api := servertest.ValidationOf(t, e.SendRaw("olga", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(brokenYAML), nil))
	require.False(t, api.Valid)
	var want []string
	for _, d := range api.Diagnostics {
		want = append(want, strconv.Itoa(d.Line)+":"+strconv.Itoa(d.Column)+" "+d.Severity)
	}
	require.NotEmpty(t, want)

	// The Validate button: the whole editor again, YAML kept, each
	// diagnostic at its line with its code and message.
	form := url.Values{"yaml": {strings.ReplaceAll(brokenYAML, "\n", "\r\n")}, "key": {""}, "new": {"1"}, "next": {"1"}}
	body := requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/validate", form), http.StatusOK)
	require.Equal(t, want, diagnosticsOf(body))
	require.Equal(t, brokenYAML, textareaOf(t, body))
	for _, d := range api.Diagnostics {
		require.Contains(t, body, `<code class="code-name">`+d.Code+`</code>`)
		require.Contains(t, body, html.EscapeString(d.Message))
		if d.Line > 0 {
			require.Contains(t, body, `<a href="#yaml" class="pos" data-line="`+strconv.Itoa(d.Line)+`"`)
		}
	}
	require.Contains(t, testids(body), "invalid")
	require.Contains(t, body, `name="new" value="1"`, "still the new-flow editor")

	// While typing: the diagnostics fragment alone.
	res := e.pageWith("olga", http.MethodPost, "/ui/flows/validate", form, http.Header{"X-Flowlab-Fragment": {"1"}})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	frag := res.Body.String()
	require.NotContains(t, frag, "<html")
	require.NotContains(t, frag, "<textarea")
	require.Equal(t, want, diagnosticsOf(frag))

	// A valid definition says so.
	res = e.pageWith("olga", http.MethodPost, "/ui/flows/validate", url.Values{"yaml": {newFlowYAML}}, http.Header{"X-Flowlab-Fragment": {"1"}})
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, testids(res.Body.String()), "valid")
	require.Empty(t, diagnosticsOf(res.Body.String()))
}

func TestUIOwnerPublish(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	src := e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/versions/2", nil, http.Header{"Accept": {"application/yaml"}}).Body.String()
	require.Contains(t, src, "\nversion: 2\n")

	// The editor warns that the YAML's version is not the next one.
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint/edit?version=2", nil), http.StatusOK)
	require.Equal(t, src, textareaOf(t, body))
	require.Contains(t, testids(body), "version-hint")
	versionLine, _ := topLevelLine(src, "version")

	// Unchanged, it is version 2 already: nothing published.
	res := e.page("olga", http.MethodPost, "/ui/flows/complaint/versions", url.Values{"yaml": {src}, "base": {"2"}, "next": {"3"}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	require.Contains(t, res.Header().Get("Location"), "/ui/flows/complaint?version=2&flash="+url.QueryEscape("Nothing new"))

	// Edited but still saying version 2: the 409 at the version line, the
	// YAML kept.
	src = strings.Replace(src, "name: Complaint (one-stop, 3 steps)", "name: Complaint (one-stop, revised)", 1)
	res = e.page("olga", http.MethodPost, "/ui/flows/complaint/versions", url.Values{"yaml": {src}, "base": {"2"}, "next": {"3"}})
	body = requirePage(t, res, http.StatusConflict)
	require.Equal(t, []string{strconv.Itoa(versionLine) + ":1 error"}, diagnosticsOf(body))
	require.Contains(t, body, "the next version is 3")
	require.Equal(t, src, textareaOf(t, body))

	// An error of the definition: 422, at its line, the YAML kept.
	bad := strings.Replace(src, "version: 2\n", "", 1)
	bad = strings.Replace(bad, "next: route", "next: nowhere", 1)
	api := servertest.ValidationOf(t, e.SendRaw("olga", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(bad), nil))
	require.False(t, api.Valid)
	res = e.page("olga", http.MethodPost, "/ui/flows/complaint/versions", url.Values{"yaml": {bad}})
	body = requirePage(t, res, http.StatusUnprocessableEntity)
	var want []string
	for _, d := range api.Diagnostics {
		if d.Severity == "error" {
			want = append(want, strconv.Itoa(d.Line)+":"+strconv.Itoa(d.Column)+" error")
			require.Contains(t, body, `<code class="code-name">`+d.Code+`</code>`)
		}
	}
	require.Equal(t, want, diagnosticsOf(body))
	require.Equal(t, bad, textareaOf(t, body))

	// Fixed: published as version 3, back on the flow page.
	good := strings.Replace(src, "version: 2\n", "version: 3\n", 1)
	res = e.page("olga", http.MethodPost, "/ui/flows/complaint/versions", url.Values{"yaml": {good}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	loc, err := url.Parse(res.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/ui/flows/complaint", loc.Path)
	require.Equal(t, "3", loc.Query().Get("version"))
	require.Contains(t, loc.Query().Get("flash"), "Published version 3")
	body = requirePage(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil), http.StatusOK)
	require.Contains(t, body, `data-testid="version-row" data-version="3"`)
	require.Contains(t, body, "Published version 3")

	// The same YAML again publishes nothing.
	res = e.page("olga", http.MethodPost, "/ui/flows/complaint/versions", url.Values{"yaml": {good}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, res.Header().Get("Location"), url.QueryEscape("Nothing new"))
}

func TestUIOwnerNewFlow(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	// The key of an existing flow is refused.
	res := e.page("olga", http.MethodPost, "/ui/flows/new", url.Values{"yaml": {strings.Replace(newFlowYAML, "key: my_flow", "key: complaint", 1)}})
	body := requirePage(t, res, http.StatusConflict)
	require.Contains(t, body, `a flow with the key &#34;complaint&#34; exists`)
	require.Contains(t, body, `aria-invalid="true" aria-describedby="key-error"`)

	// A key in the form that the YAML does not say: at the key line.
	res = e.page("olga", http.MethodPost, "/ui/flows/new", url.Values{"key": {"other"}, "yaml": {newFlowYAML}})
	body = requirePage(t, res, http.StatusUnprocessableEntity)
	require.Equal(t, []string{"1:1 error"}, diagnosticsOf(body))
	require.Contains(t, body, `value="other"`)

	// The starting YAML publishes as it is; the key comes from it.
	res = e.page("olga", http.MethodPost, "/ui/flows/new", url.Values{"yaml": {newFlowYAML}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/flows/my_flow?version=1&flash="), res.Header().Get("Location"))
	list := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows", nil), http.StatusOK)
	require.Contains(t, list, `data-testid="flow-row" data-flow="my_flow"`)
}

func TestUIOwnerDefaultAndRetire(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	// Retiring the default is refused: the page again with the API's reason.
	body := requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/versions/1/retire", url.Values{}), http.StatusConflict)
	require.Contains(t, body, `data-testid="action-error"`)
	require.Contains(t, body, "make another version the default first")

	res := e.page("olga", http.MethodPost, "/ui/flows/complaint/default", url.Values{"version": {"2"}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	require.Contains(t, res.Header().Get("Location"), "/ui/flows/complaint?flash=")
	res = e.page("olga", http.MethodPost, "/ui/flows/complaint/versions/1/retire", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())

	body = requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint", nil), http.StatusOK)
	require.Contains(t, body, "· v2</span>", "the default is shown")
	row1 := regexp.MustCompile(`(?s)data-version="1">.*?</tr>`).FindString(body)
	require.Contains(t, row1, ">retired<")
	require.NotContains(t, row1, "make-default", "a retired version cannot become the default")

	// A retired version cannot become the default: 409 with the reason.
	body = requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/default", url.Values{"version": {"1"}}), http.StatusConflict)
	require.Contains(t, body, "is retired")
	requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/default", url.Values{"version": {"x"}}), http.StatusBadRequest)
}

func TestUIOwnerGraph(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	servertest.RecordGraphSpans(t, e.st)
	q := servertest.GraphWindow()
	q.Set("heat", "wait_p90")
	q.Set("warn", "30m")
	res := e.page("ivan", http.MethodGet, "/ui/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "image/svg+xml", res.Header().Get("Content-Type"))
	api := e.Do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil, nil)
	require.Equal(t, api.Body.String(), res.Body.String(), "the API's SVG")

	// The page's image asks for the same heat map, period and thresholds.
	body := requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint?version=1&heat=breach&warn=5&alert=20%25&from=2025-02-28&to=2025-03-07", nil), http.StatusOK)
	img := regexp.MustCompile(`<img src="([^"]+)" alt="([^"]+)" data-testid="heatmap">`).FindStringSubmatch(body)
	require.NotNil(t, img)
	u, err := url.Parse(html.UnescapeString(img[1]))
	require.NoError(t, err)
	require.Equal(t, "/ui/flows/complaint/versions/1/graph.svg", u.Path)
	require.Equal(t, url.Values{"heat": {"breach"}, "warn": {"5"}, "alert": {"20%"}, "from": {"2025-02-28T00:00:00Z"}, "to": {"2025-03-08T00:00:00Z"}}, u.Query())
	require.Contains(t, img[2], "white to red by SLA breach rate")
	res = e.page("ivan", http.MethodGet, u.String(), nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "image/svg+xml", res.Header().Get("Content-Type"))
	legend := regexp.MustCompile(`(?s)data-testid="legend".*?</aside>`).FindString(body)
	require.Contains(t, legend, "≥ 5%")
	require.Contains(t, legend, "≥ 20%")

	// A bad threshold is shown at its field; the image leaves it out.
	body = requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint?heat=wait_p90&warn=soon", nil), http.StatusOK)
	require.Contains(t, body, `<span class="field-error" id="warn-error">must be a duration`)
	require.NotContains(t, regexp.MustCompile(`<img src="[^"]+"`).FindString(body), "warn=")
	body = requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint?from=2025-03-09&to=2025-03-01", nil), http.StatusOK)
	require.Contains(t, body, `id="to-error">must not be before from`)

	// Without heat, the legend names the departments in graph.svg's colours.
	body = requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint?heat=none", nil), http.StatusOK)
	require.NotContains(t, regexp.MustCompile(`<img src="[^"]+"`).FindString(body), "heat=")
	var g apiv1.Graph
	require.NoError(t, json.Unmarshal(e.Do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.json", nil, nil).Body.Bytes(), &g))
	legend = regexp.MustCompile(`(?s)data-testid="legend".*?</aside>`).FindString(body)
	for _, d := range g.Departments {
		require.Contains(t, legend, `fill="`+d.Colour+`"/></svg>`+readable.Name(d.Name), "departments by name")
	}
}

var (
	stepRowRe = regexp.MustCompile(`(?s)<tr data-testid="step-row" data-step="([a-z_]+)"[^>]*>(.*?)</tr>`)
	valueRe   = regexp.MustCompile(`data-value="([^"]*)"`)
)

func TestUIOwnerStepTableMatchesBottlenecks(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	servertest.RecordGraphSpans(t, e.st)
	for _, period := range []string{"", "&from=2025-03-02&to=2025-03-03"} {
		body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint?version=1"+period, nil), http.StatusOK)
		q := url.Values{"version": {"1"}}
		if period != "" {
			q.Set("from", "2025-03-02T00:00:00Z")
			q.Set("to", "2025-03-04T00:00:00Z")
		}
		res := e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?"+q.Encode(), nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var rep apiv1.Bottlenecks
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &rep))
		require.NotEmpty(t, rep.Steps)

		rows := stepRowRe.FindAllStringSubmatch(body, -1)
		require.Len(t, rows, len(rep.Steps), period)
		bottlenecks := 0
		for i, row := range rows {
			st := rep.Steps[i]
			require.Equal(t, st.Step, row[1])
			var got []float64
			for _, v := range valueRe.FindAllStringSubmatch(row[2], -1) {
				f, err := strconv.ParseFloat(html.UnescapeString(v[1]), 64)
				require.NoError(t, err)
				got = append(got, f)
			}
			want := []float64{float64(st.Cases), st.Wait.P50, st.Wait.P90, st.Wait.P95, st.Work.P50, st.Work.P90, st.Work.P95,
				st.SLABreachRate, float64(st.Escalations), st.Share}
			require.Equal(t, want, got, "step %s", st.Step)
			require.Contains(t, row[2], fmtSeconds(st.Wait.P90))
			require.Contains(t, row[2], fmtPct(st.Share))
			if st.Bottleneck {
				bottlenecks++
				require.Contains(t, row[0], `class="bottleneck"`)
				require.Contains(t, row[2], `data-testid="bottleneck"`)
				require.Contains(t, body, `Bottleneck: <strong>`+st.Step+`</strong>`)
			} else {
				require.NotContains(t, row[2], `data-testid="bottleneck"`)
			}
		}
		require.Equal(t, 1, bottlenecks, period)
	}
}

func TestUIOwnerDiff(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	body := requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint/diff?from=1&to=2", nil), http.StatusOK)
	res := e.Do("ivan", http.MethodGet, "/api/v1/flows/complaint/diff?from=1&to=2", nil, nil)
	var d struct {
		Added, Removed  []string
		HandoffsRemoved []json.RawMessage `json:"handoffs_removed"`
		Changed         []struct {
			Step   string
			Fields []struct{ Field string }
		}
	}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.NotEmpty(t, d.Removed)
	for _, id := range d.Added {
		require.Contains(t, body, `data-testid="diff-added" data-step="`+id+`"`)
	}
	for _, id := range d.Removed {
		require.Contains(t, body, `data-testid="diff-removed" data-step="`+id+`"`)
	}
	for _, c := range d.Changed {
		require.Contains(t, body, `data-testid="diff-changed" data-step="`+c.Step+`"`)
		for _, f := range c.Fields {
			require.Contains(t, body, `data-field="`+f.Field+`"`)
		}
	}
	require.Equal(t, len(d.HandoffsRemoved), testids(body)["handoff-removed"])
	require.Contains(t, body, `<span class="line del">- step record (task, customer_service)</span>`)
	require.Contains(t, body, `<span class="line add">&#43; step submit (task, customer_service)</span>`)

	// Defaults: the default version against the latest; a version
	// against itself is no change.
	body = requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint/diff", nil), http.StatusOK)
	require.Contains(t, body, `<option value="1" selected>v1 (default)</option>`)
	require.Contains(t, body, `<option value="2" selected>v2</option>`)
	body = requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint/diff?from=2&to=2", nil), http.StatusOK)
	require.Contains(t, testids(body), "diff-empty")
}

func TestUIOwnerMigrate(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	cases := []apiv1.Case{e.StartCase(), e.StartCase(), e.StartCase()}
	e.CompleteRecord(cases[2].ID) // waits at investigate, which v2 lacks

	// The form: each waiting step of v1, mapped where v2 has the same id.
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint/migrate?from=1&to=2", nil), http.StatusOK)
	rows := regexp.MustCompile(`data-testid="mapping-row" data-step="([a-z_]+)"`).FindAllStringSubmatch(body, -1)
	var steps []string
	for _, r := range rows {
		steps = append(steps, r[1])
	}
	require.Equal(t, []string{"record", "investigate", "crisis_investigate", "feedback", "review", "notify_customer"}, steps)
	require.Contains(t, body, `<option value="feedback" selected>`)
	require.Equal(t, 1, strings.Count(body, " selected>feedback"), "only same-id steps are prefilled")
	require.Contains(t, body, "3 open cases run on v1")

	// A step v2 does not have: 422 at that row, nothing changed.
	form := url.Values{"from": {"1"}, "to": {"2"}, "map.record": {"nope"}, "action": {"preview"}}
	body = requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/migrate", form), http.StatusUnprocessableEntity)
	require.Contains(t, body, `aria-invalid="true" aria-describedby="map-record-error"`)
	require.Contains(t, body, `&#34;nope&#34; is not a step of version 2`)

	// Preview: the per-case report, nothing moved.
	form.Set("map.record", "submit")
	body = requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/migrate", form), http.StatusOK)
	ids := testids(body)
	require.Contains(t, ids, "migrate-preview")
	require.Contains(t, ids, "migrate")
	require.Contains(t, body, `<span class="value" data-testid="would-migrate">2</span>`)
	require.Contains(t, body, `data-case="`+cases[0].ID+`" data-status="would_migrate"`)
	require.Contains(t, body, `data-case="`+cases[2].ID+`" data-status="refused"`)
	require.Contains(t, body, `<input type="hidden" name="map.record" value="submit">`)
	require.Equal(t, "record", e.OpenTask(cases[0].ID).Step)

	// Migrate: the same mapping for real.
	form.Set("action", "migrate")
	body = requirePage(t, e.page("olga", http.MethodPost, "/ui/flows/complaint/migrate", form), http.StatusOK)
	require.Contains(t, testids(body), "migrate-report")
	require.Contains(t, body, `<span class="value" data-testid="migrated">2</span>`)
	require.Contains(t, body, `data-case="`+cases[1].ID+`" data-status="migrated"`)
	require.Contains(t, body, `data-case="`+cases[2].ID+`" data-status="refused"`)
	require.Equal(t, "submit", e.OpenTask(cases[0].ID).Step)
	require.Contains(t, body, "1 open case runs on v1", "the counts after the migration")
}

var trendRowRe = regexp.MustCompile(`(?s)<tr data-testid="trend-week" data-week="([0-9W-]+)">(.*?)</tr>`)

// trendRows reads the trend table: per week, the data-value cells (n,
// median, p90, breach rate; "" for null).
func trendRows(t *testing.T, body string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range trendRowRe.FindAllStringSubmatch(body, -1) {
		for _, v := range valueRe.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], html.UnescapeString(v[1]))
		}
	}
	return out
}

func trendValue(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func TestUIOwnerTrend(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	e.SeedCases(servertest.TrendCases()...)
	for _, version := range []string{"", "1"} {
		path := "/ui/flows/complaint?from=2026-03-02&to=2026-03-22"
		q := url.Values{"from": {"2026-03-02T00:00:00Z"}, "to": {"2026-03-23T00:00:00Z"}}
		if version != "" {
			path += "&version=1&trend=version"
			q.Set("version", version)
		}
		body := requirePage(t, e.page("olga", http.MethodGet, path, nil), http.StatusOK)
		res := e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/trend?"+q.Encode(), nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var tr apiv1.FlowTrend
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &tr))
		require.Len(t, tr.Weeks, 3)

		// The table says what the trend endpoint says.
		rows := trendRows(t, body)
		require.Len(t, rows, len(tr.Weeks), version)
		for _, wk := range tr.Weeks {
			want := []string{strconv.Itoa(wk.N), trendValue(wk.MedianSeconds), trendValue(wk.P90Seconds), trendValue(wk.SLABreachRate)}
			require.Equal(t, want, rows[wk.Week], "%s v%s", wk.Week, version)
		}
		require.Contains(t, body, "median "+fmtSeconds(*tr.Overall.MedianSeconds))

		// The chart is drawn from the same query.
		img := regexp.MustCompile(`<img src="([^"]+)" alt="[^"]*" data-testid="trend-chart"`).FindStringSubmatch(body)
		require.NotNil(t, img)
		u, err := url.Parse(html.UnescapeString(img[1]))
		require.NoError(t, err)
		require.Equal(t, "/ui/flows/complaint/trend.svg", u.Path)
		require.Equal(t, q, u.Query())
		chart := e.page("ivan", http.MethodGet, u.String(), nil)
		require.Equal(t, http.StatusOK, chart.Code, chart.Body.String())
		require.Equal(t, "image/svg+xml", chart.Header().Get("Content-Type"))
		require.Contains(t, chart.Body.String(), "<svg")
		require.Contains(t, chart.Body.String(), "case SLA 6h")
	}

	// A period longer than the trend covers: a note, the rest of the page.
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint?from=2020-01-01&to=2026-03-22", nil), http.StatusOK)
	ids := testids(body)
	require.Contains(t, ids, "trend-note")
	require.NotContains(t, ids, "trend-chart")
	require.Contains(t, ids, "heatmap")

	requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/nope/trend.svg", nil), http.StatusNotFound)
	requirePage(t, e.page("sam", http.MethodGet, "/ui/flows/complaint/trend.svg", nil), http.StatusForbidden)
}

// TestUIOwnerWaitSplitAtAssignment: where rules assigned tasks, the flow
// page splits each task step's waiting at the assignment, with the API's
// figures; without any assignment the section is not there.
func TestUIOwnerWaitSplitAtAssignment(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint?version=1", nil), http.StatusOK)
	require.NotContains(t, body, `data-testid="assign-split"`)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := range 3 {
		entered := at.Add(time.Duration(i) * time.Minute)
		assigned := entered.Add(time.Duration(10*(i+1)) * time.Second) // 10, 20, 30 s for assignment
		claimed := assigned.Add(time.Minute)                           // then a minute to start
		require.NoError(t, e.st.RecordSpan(t.Context(), store.Span{CaseID: fmt.Sprintf("split-%d", i), Seq: 1, Flow: "complaint", Version: 1,
			Step: "record", Kind: "task", Department: "customer_service", EnteredAt: entered, AssignedAt: &assigned, ClaimedAt: &claimed,
			CompletedAt: claimed.Add(time.Minute), Outcome: "recorded"}))
	}
	body = requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint?version=1", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="assign-split"`)
	var rep apiv1.Bottlenecks
	require.NoError(t, json.Unmarshal(e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?version=1", nil, nil).Body.Bytes(), &rep))
	row := regexp.MustCompile(`(?s)<tr data-testid="split-row" data-step="record">(.*?)</tr>`).FindStringSubmatch(body)
	require.NotNil(t, row, body)
	var got []float64
	for _, v := range valueRe.FindAllStringSubmatch(row[1], -1) {
		f, err := strconv.ParseFloat(v[1], 64)
		require.NoError(t, err)
		got = append(got, f)
	}
	st := rep.Steps[0]
	require.Equal(t, "record", st.Step)
	require.Equal(t, []float64{3, 20, 28, 60, 60}, got, "independently: assignment waits 10, 20, 30 s (p50 20, p90 28), a minute to start")
	require.Equal(t, []float64{float64(st.Assigned), st.WaitAssign.P50, st.WaitAssign.P90, st.WaitStart.P50, st.WaitStart.P90}, got)
	require.Contains(t, row[1], fmtSeconds(st.WaitStart.P50))
}
