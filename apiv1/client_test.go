package apiv1_test

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// recorded is a request the test server received.
type recorded struct {
	Method, URI, Body string
	Header            http.Header
}

// recorder answers every request with answer and keeps what it received.
type recorder struct {
	mu     sync.Mutex
	reqs   []recorded
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{Method: r.Method, URI: r.URL.RequestURI(), Body: string(body), Header: r.Header.Clone()})
	n := len(rec.reqs)
	rec.mu.Unlock()
	rec.answer(n, w, r)
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func serve(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) (*recorder, *apiv1.Client) {
	t.Helper()
	rec := &recorder{answer: answer}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c := apiv1.NewClient(srv.URL+"/", "flk_test")
	c.HTTP = srv.Client()
	return rec, c
}

func answerJSON(status int, body string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestQueryParametersComeFromTheTags(t *testing.T) {
	rec, c := serve(t, answerJSON(http.StatusOK, `{"cases":[{"id":"c1","flow":"complaint"}],"next_cursor":"n2"}`))
	list, err := c.ListCases(context.Background(), apiv1.ListCasesParams{
		Flow:   "complaint",
		Status: apiv1.CaseActive,
		From:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		To:     time.Date(2026, 12, 1, 8, 30, 0, 500_000_000, time.FixedZone("", 3600)),
		Limit:  2,
		// Customer, Cursor and ID are zero: left out.
		Attr: []string{"severity:high", "vip:true"},
	})
	require.NoError(t, err)
	require.Equal(t, "n2", list.NextCursor)
	require.Len(t, list.Cases, 1)
	require.Equal(t, "c1", list.Cases[0].ID)

	reqs := rec.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodGet, reqs[0].Method)
	u, err := url.ParseRequestURI(reqs[0].URI)
	require.NoError(t, err)
	require.Equal(t, "/api/v1/cases", u.Path, "the base URL's trailing slash is not doubled")
	require.Equal(t, url.Values{
		"flow":   {"complaint"},
		"status": {"active"},
		"from":   {"2026-11-01T00:00:00Z"},
		"to":     {"2026-12-01T08:30:00.5+01:00"},
		"limit":  {"2"},
		"attr":   {"severity:high", "vip:true"},
	}, u.Query())
	require.Equal(t, "Bearer flk_test", reqs[0].Header.Get("Authorization"))
	require.Equal(t, "application/json, application/problem+json", reqs[0].Header.Get("Accept"))
	require.Empty(t, reqs[0].Body)
}

func TestPathParametersAreEscapedAndHeadersSent(t *testing.T) {
	rec, c := serve(t, answerJSON(http.StatusOK, `{"task":{"id":"t/1 x","status":"completed"},"case_status":"active","next":[]}`))
	c.UserAgent = "flowlab-test/1"
	res, err := c.CompleteTask(context.Background(),
		apiv1.CompleteParams{ID: "t/1 x", IdempotencyKey: "click-1"},
		apiv1.CompleteRequest{Outcome: "resolved", Data: map[string]any{"amount": 120}})
	require.NoError(t, err)
	require.Equal(t, "active", res.CaseStatus)
	require.Equal(t, apiv1.TaskCompleted, res.Task.Status)

	reqs := rec.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodPost, reqs[0].Method)
	require.Equal(t, "/api/v1/tasks/t%2F1%20x/complete", reqs[0].URI)
	require.Equal(t, "click-1", reqs[0].Header.Get("Idempotency-Key"))
	require.Equal(t, "flowlab-test/1", reqs[0].Header.Get("User-Agent"))
	require.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	require.JSONEq(t, `{"outcome":"resolved","data":{"amount":120}}`, reqs[0].Body)

	// An operation without a body sends none; one without a header
	// parameter value sends no such header.
	_, err = c.ClaimTask(context.Background(), apiv1.TaskIDParams{ID: "t2"})
	require.NoError(t, err)
	reqs = rec.requests()
	require.Equal(t, "/api/v1/tasks/t2/claim", reqs[1].URI)
	require.Empty(t, reqs[1].Body)
	require.Empty(t, reqs[1].Header.Get("Content-Type"))
	require.Empty(t, reqs[1].Header.Values("Idempotency-Key"))
}

func TestAnEmptyPathParameterSendsNothing(t *testing.T) {
	rec, c := serve(t, answerJSON(http.StatusOK, `{}`))
	_, err := c.GetCase(context.Background(), apiv1.CaseIDParams{})
	require.ErrorContains(t, err, "path parameter id")
	_, err = c.GetFlowVersion(context.Background(), apiv1.FlowVersionParams{Key: "complaint"})
	require.ErrorContains(t, err, "path parameter v")
	require.Empty(t, rec.requests())
}

func TestAProblemAnswerIsAProblem(t *testing.T) {
	_, c := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, `{"type":"https://flowlab.dev/problems/validation","title":"Invalid input","status":422,`+
			`"detail":"outcome: is required (and 1 more)","instance":"`+r.URL.Path+`","request_id":"req-0001",`+
			`"errors":[{"field":"outcome","message":"is required"},{"field":"data.summary","message":"is required"}]}`)
	})
	_, err := c.CompleteTask(context.Background(), apiv1.CompleteParams{ID: "t1"}, apiv1.CompleteRequest{})
	var p *apiv1.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, &apiv1.Problem{
		Type: "https://flowlab.dev/problems/validation", Title: "Invalid input", Status: 422,
		Detail: "outcome: is required (and 1 more)", Instance: "/api/v1/tasks/t1/complete", RequestID: "req-0001",
		Errors:     []apiv1.FieldError{{Field: "outcome", Message: "is required"}, {Field: "data.summary", Message: "is required"}},
		RetryAfter: 7,
	}, p)
	require.Equal(t, "validation", p.Slug())
	require.True(t, apiv1.IsProblem(err, 404, 422))
	require.False(t, apiv1.IsProblem(err, 404))
}

func TestAnErrorThatIsNotAProblemDocument(t *testing.T) {
	for _, c := range []struct {
		name, ctype, body string
		status            int
		detail            string
	}{
		{"html of a proxy", "text/html", "<html><body>bad gateway</body></html>", http.StatusBadGateway, ""},
		{"plain text", "text/plain", "upstream connect error\n", http.StatusServiceUnavailable, "upstream connect error"},
		{"empty", "", "", http.StatusForbidden, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, cl := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				if c.ctype != "" {
					w.Header().Set("Content-Type", c.ctype)
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			})
			_, err := cl.ListFlows(context.Background(), apiv1.ListFlowsParams{})
			var p *apiv1.Problem
			require.ErrorAs(t, err, &p)
			require.Equal(t, c.status, p.Status)
			require.Equal(t, http.StatusText(c.status), p.Title)
			require.Equal(t, c.detail, p.Detail)
		})
	}
}

func TestASuccessThatIsNotJSONIsABadGateway(t *testing.T) {
	_, c := serve(t, answerJSON(http.StatusOK, "<html>"))
	_, err := c.ListFlows(context.Background(), apiv1.ListFlowsParams{})
	var p *apiv1.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, http.StatusBadGateway, p.Status)
	require.Contains(t, p.Detail, "not JSON")
}

func tooMany(retryAfter, detail string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", retryAfter)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"title":"Too many requests","status":429,"detail":"`+detail+`"}`)
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	rec, c := serve(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			tooMany("1", "slow down")(w)
			return
		}
		answerJSON(http.StatusCreated, `{"id":"c1","status":"starting"}`)(n, w, nil)
	})
	start := time.Now()
	cs, err := c.CreateCase(context.Background(), apiv1.CreateCaseParams{IdempotencyKey: "crm-1"},
		apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-1"})
	require.NoError(t, err)
	require.Equal(t, "c1", cs.ID)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "the Retry-After is waited for")
	reqs := rec.requests()
	require.Len(t, reqs, 2, "the 429 is sent again after Retry-After")
	require.Equal(t, reqs[0].Body, reqs[1].Body, "the retry sends the same body")
	require.JSONEq(t, `{"flow":"complaint","customer":"C-1"}`, reqs[1].Body)
	require.Equal(t, "crm-1", reqs[1].Header.Get("Idempotency-Key"))
}

func TestRateLimitBeyondTheBudgetIsReported(t *testing.T) {
	rec, c := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { tooMany("120", "slow down")(w) })
	c.RateWait = 5 * time.Second
	start := time.Now()
	_, err := c.ListTasks(context.Background(), apiv1.ListTasksParams{})
	var p *apiv1.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, http.StatusTooManyRequests, p.Status)
	require.Equal(t, "slow down", p.Detail)
	require.Equal(t, 120, p.RetryAfter)
	require.Len(t, rec.requests(), 1, "a Retry-After longer than the budget is not waited for")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestRateLimitWaitsAddUpToTheBudget(t *testing.T) {
	rec, c := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { tooMany("1", "again")(w) })
	c.RateWait = 2 * time.Second
	_, err := c.ListTasks(context.Background(), apiv1.ListTasksParams{})
	require.True(t, apiv1.IsProblem(err, http.StatusTooManyRequests), "%v", err)
	require.Len(t, rec.requests(), 3, "two waits of 1s fit a budget of 2s, a third does not")

	rec, c = serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { tooMany("1", "again")(w) })
	c.RateWait = -1
	_, err = c.ListTasks(context.Background(), apiv1.ListTasksParams{})
	require.True(t, apiv1.IsProblem(err, http.StatusTooManyRequests), "%v", err)
	require.Len(t, rec.requests(), 1, "a negative RateWait never waits")
}

func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	rec, c := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { tooMany("30", "wait")(w) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListTasks(ctx, apiv1.ListTasksParams{})
	require.True(t, apiv1.IsProblem(err, http.StatusTooManyRequests), "%v", err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Len(t, rec.requests(), 1)
}

func TestATransportFailureIsWrappedAndNamesTheServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	c := apiv1.NewClient(base, "")
	_, err = c.GetHealth(context.Background())
	var te *apiv1.TransportError
	require.ErrorAs(t, err, &te)
	require.Equal(t, base, te.BaseURL)
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "the cause is kept")
	require.Equal(t, base+"/healthz", ue.URL)
	require.True(t, strings.HasPrefix(err.Error(), "cannot reach "+base+": "), err.Error())
	require.False(t, apiv1.IsProblem(err))
}

func TestAnonymousCallsSendNoAuthorization(t *testing.T) {
	rec, c := serve(t, answerJSON(http.StatusOK, `{"status":"ok","mode":"dev"}`))
	c.Token = ""
	h, err := c.GetHealth(context.Background())
	require.NoError(t, err)
	require.Equal(t, apiv1.Health{Status: "ok", Mode: "dev"}, *h)
	require.Equal(t, "/healthz", rec.requests()[0].URI)
	require.Empty(t, rec.requests()[0].Header.Values("Authorization"))
}

func TestOtherRepresentations(t *testing.T) {
	rec, c := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/flows/complaint/versions" && r.Method == http.MethodPost:
			answerJSON(http.StatusCreated, `{"key":"complaint","version":3}`)(0, w, r)
		case strings.HasPrefix(r.Header.Get("Accept"), "application/yaml"):
			_, _ = io.WriteString(w, "key: complaint\n")
		case strings.HasPrefix(r.Header.Get("Accept"), "text/csv"):
			_, _ = io.WriteString(w, "case_id,step\nc1,record\n")
		case strings.HasPrefix(r.Header.Get("Accept"), "text/plain"):
			_, _ = io.WriteString(w, "1 step changed\n")
		default:
			answerJSON(http.StatusOK, `{"openapi":"3.1.0"}`)(0, w, r)
		}
	})
	ctx := context.Background()
	v, err := c.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "complaint"}, []byte("key: complaint\n"))
	require.NoError(t, err)
	require.Equal(t, 3, v.Version)
	reqs := rec.requests()
	require.Equal(t, "application/yaml", reqs[0].Header.Get("Content-Type"))
	require.Equal(t, "key: complaint\n", reqs[0].Body)

	y, err := c.GetFlowVersionYAML(ctx, apiv1.FlowVersionParams{Key: "complaint", V: "3"})
	require.NoError(t, err)
	require.Equal(t, "key: complaint\n", string(y))
	require.Equal(t, "/api/v1/flows/complaint/versions/3", rec.requests()[1].URI)

	rc, err := c.ExportSpans(ctx, apiv1.ExportSpansParams{Format: "csv", Flow: "complaint"})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, "case_id,step\nc1,record\n", string(b))
	require.Equal(t, "/api/v1/spans?flow=complaint&format=csv", rec.requests()[2].URI)

	txt, err := c.DiffFlowVersionsText(ctx, apiv1.FlowDiffParams{Key: "complaint", From: 1, To: 2})
	require.NoError(t, err)
	require.Equal(t, "1 step changed\n", string(txt))
	require.Equal(t, "text/plain, application/problem+json", rec.requests()[3].Header.Get("Accept"))

	doc, err := c.GetOpenAPI(ctx)
	require.NoError(t, err)
	require.JSONEq(t, `{"openapi":"3.1.0"}`, string(doc))
}

func TestCallOptions(t *testing.T) {
	rec, c := serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		status := http.StatusCreated
		if n > 1 {
			status = http.StatusOK // the same content again
		}
		answerJSON(status, `{"key":"complaint","version":3}`)(n, w, r)
	})
	ctx := context.Background()
	var status int
	_, err := c.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "complaint"}, []byte("key: complaint\n"), apiv1.WithStatus(&status))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, status)
	_, err = c.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "complaint"}, []byte("key: complaint\n"),
		apiv1.WithStatus(&status), apiv1.WithHeader("X-Request-Id", "r-1"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "r-1", rec.requests()[1].Header.Get("X-Request-Id"))
	require.Empty(t, rec.requests()[0].Header.Get("X-Request-Id"))
}

// A redirect the HTTP client does not follow is not the operation's
// answer: it is a problem with the redirect's status.
func TestAnUnfollowedRedirectIsAProblem(t *testing.T) {
	_, c := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/signin", http.StatusFound)
	})
	c.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, err := c.ListTasks(context.Background(), apiv1.ListTasksParams{})
	var p *apiv1.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, http.StatusFound, p.Status)
	require.Equal(t, "Found", p.Title)
}

func TestParseFraction(t *testing.T) {
	ParseFraction := apiv1.ParseFraction
	for in, want := range map[string]float64{"20%": 0.2, " 20 % ": 0.2, "0.2": 0.2, "30": 30, "-1": -1, "12.5%": 0.125} {
		got, err := ParseFraction(in)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "twenty", "NaN", "Inf%"} {
		if _, err := ParseFraction(in); err == nil {
			t.Errorf("ParseFraction(%q): no error", in)
		}
	}
}
