package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"

	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestServeHTTPDrainsRequestsInFlight ends the server's context (what
// SIGTERM does) while a request runs: the request completes, new
// connections are refused, and serveHTTP returns only after the request.
func TestServeHTTPDrainsRequestsInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, ln, h, discard(), 10*time.Second) }()

	type answer struct {
		body string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{string(b), err}
	}()
	<-entered
	cancel()

	// The listener closes at once; the request in flight goes on.
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 20*time.Millisecond, "a draining server accepts no new connections")
	select {
	case err := <-served:
		t.Fatalf("serveHTTP returned with a request in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	a := <-got
	require.NoError(t, a.err)
	require.Equal(t, "finished", a.body)
	require.NoError(t, <-served)
}

// TestServeHTTPDrainTimeout: a request that outlasts the drain timeout
// makes serveHTTP report it.
func TestServeHTTPDrainTimeout(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, ln, h, discard(), 200*time.Millisecond) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	err = <-served
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// slowActivity takes a while and reports whether it finished or was
// cancelled.
type slowActivity struct {
	started  chan struct{}
	finished atomic.Int32
	canceled atomic.Int32
}

func (s *slowActivity) Run(ctx context.Context) (string, error) {
	s.started <- struct{}{}
	select {
	case <-time.After(1500 * time.Millisecond):
		s.finished.Add(1)
		return "done", nil
	case <-ctx.Done():
		s.canceled.Add(1)
		return "", ctx.Err()
	}
}

func slowWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, "slow").Get(ctx, &out)
	return out, err
}

// TestWorkerStopLetsRunningActivitiesFinish stops a real worker (the
// worker command's runWorker, as SIGTERM does) while an activity runs:
// with a stop timeout the activity finishes; without one it is cancelled.
func TestWorkerStopLetsRunningActivitiesFinish(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx := context.Background()
	c, err := client.DialContext(ctx, client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace(),
		Logger: sdkLogger(sdkLoggerFor(discard()))})
	require.NoError(t, err)
	defer c.Close()
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	defer st.Close()

	for _, tc := range []struct {
		name        string
		stopTimeout time.Duration
		finished    bool
	}{{"with stop timeout", 10 * time.Second, true}, {"without", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWorker(c, st, discard(), "", nil, tc.stopTimeout)
			require.NoError(t, err)
			act := &slowActivity{started: make(chan struct{}, 1)}
			queue := workflows.TaskQueue // newWorker polls flowlab's queue
			w.RegisterWorkflowWithOptions(slowWorkflow, workflow.RegisterOptions{Name: "slow-" + tc.name})
			w.RegisterActivityWithOptions(act.Run, activity.RegisterOptions{Name: "slow"})

			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- runWorker(runCtx, w, c, obs.New(), nil, discard()) }()
			_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "slow-"+tc.name)
			require.NoError(t, err)
			select {
			case <-act.started:
			case <-time.After(20 * time.Second):
				t.Fatal("the activity did not start")
			}
			stop()
			require.NoError(t, <-ran)
			if tc.finished {
				// Stop returned only after the activity finished.
				require.EqualValues(t, 1, act.finished.Load(), "finished when Stop returned")
				require.EqualValues(t, 0, act.canceled.Load())
				return
			}
			require.Eventually(t, func() bool { return act.canceled.Load() == 1 }, 5*time.Second, 10*time.Millisecond, "cancelled")
			require.EqualValues(t, 0, act.finished.Load())
		})
	}
}

// TestWorkerOpsEndpoints runs a worker with its metrics listener: health,
// readiness, flowlab's and the Temporal SDK's metrics in one registry,
// and readiness falls when the worker stops.
func TestWorkerOpsEndpoints(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx := context.Background()
	m := obs.New()
	handler, closer := sdkMetrics(m, discard())
	defer closer.Close()
	c, err := client.DialContext(ctx, connExtras{logger: discard(), metrics: handler}.apply(
		client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, searchattr.Ensure(ctx, c, ts.GetDefaultNamespace(), searchattr.Types(workflows.SearchAttributes())))
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	defer st.Close()
	w, err := newWorker(c, st, discard(), "", m, time.Second)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- runWorker(runCtx, w, c, m, ln, discard()) }()

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	require.Eventually(t, func() bool { code, _ := get("/readyz"); return code == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	code, body := get("/healthz")
	require.Equal(t, http.StatusOK, code, body)

	// The SDK reports its polls and requests through the tally bridge
	// (once a second); flowlab's own collectors are in the same registry.
	require.Eventually(t, func() bool {
		_, body = get("/metrics")
		return strings.Contains(body, "temporal_request_total") && strings.Contains(body, "temporal_num_pollers")
	}, 10*time.Second, 100*time.Millisecond, "SDK metrics on /metrics")
	m.TasksOpened.WithLabelValues("complaint", "record", "customer_service").Inc()
	_, body = get("/metrics")
	for _, want := range []string{
		`flowlab_tasks_opened_total{department="customer_service",flow="complaint",step="record"} 1`,
		`namespace="` + ts.GetDefaultNamespace() + `"`,
		`task_queue="` + workflows.TaskQueue + `"`,
		"go_goroutines",
	} {
		require.True(t, strings.Contains(body, want), "/metrics lacks %s", want)
	}

	stop()
	require.NoError(t, <-ran)
	code, _ = get("/readyz")
	require.NotEqual(t, http.StatusOK, code, "a stopped worker is not ready")
}

func TestOpsHandlerReadiness(t *testing.T) {
	var fail atomic.Bool
	h := opsHandler(obs.New(), func(context.Context) error {
		if fail.Load() {
			return errors.New("Temporal: unavailable")
		}
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	fail.Store(true)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "Temporal: unavailable")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code, "alive even when not ready")
}

func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := execute(context.Background(), append([]string{"healthcheck"}, args...), &out, &errb)
		return code, errb.String()
	}
	code, msg := run(srv.URL + "/healthz")
	require.Equal(t, exitOK, code, msg)
	code, msg = run(srv.URL + "/readyz")
	require.Equal(t, exitError, code)
	require.Contains(t, msg, "503 Service Unavailable")
	code, msg = run("http://127.0.0.1:1/healthz", "--timeout", "1s")
	require.Equal(t, exitError, code)
	require.Contains(t, msg, "healthcheck:")
	code, _ = run()
	require.Equal(t, exitUsage, code)
}

// TestAPIMetricsIncludeSDK: the API process's /metrics carries the HTTP
// histograms and the Temporal SDK's metrics from one registry (server
// and dev wire it so).
func TestAPIMetricsIncludeSDK(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx := context.Background()
	m := obs.New()
	handler, closer := sdkMetrics(m, discard())
	defer closer.Close()
	c, err := client.DialContext(ctx, connExtras{logger: discard(), metrics: handler}.apply(
		client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}))
	require.NoError(t, err)
	defer c.Close()
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	defer st.Close()
	h, err := apiHandler(ctx, st, c, discard(), apiOptions{adminToken: testAdminToken, namespace: ts.GetDefaultNamespace(), metrics: m})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	var body string
	require.Eventually(t, func() bool {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, "temporal_request_latency_seconds")
	}, 10*time.Second, 100*time.Millisecond, "the SDK's metrics on the API's /metrics")
	require.True(t, strings.Contains(body, `flowlab_http_request_duration_seconds_count{code="200",method="GET",route="/healthz"} 1`), "the API's histograms in the same registry")
}
