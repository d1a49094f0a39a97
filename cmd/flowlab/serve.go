package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/flowlab/flowlab/obs"
)

// Defaults of the shutdown timeouts; the compose file gives the containers
// a stop grace period longer than these.
const (
	defaultDrainTimeout      = 20 * time.Second
	defaultWorkerStopTimeout = 30 * time.Second
)

const databaseURLHelp = "store URL: postgres://… or sqlite:PATH (env FLOWLAB_DATABASE_URL)"

// process is what server and worker set up alike before their own work:
// validated flags, logger, metrics with the Temporal SDK's bridged in, the
// payload codec, the Temporal client on a prepared namespace.
type process struct {
	logger  *slog.Logger
	metrics *obs.Metrics
	client  client.Client
	closers []io.Closer
}

func (p *process) Close() {
	if p.client != nil {
		p.client.Close()
	}
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i].Close()
	}
}

// startProcess validates every flag before it connects anywhere, so a bad
// combination is a usage error rather than a failure halfway through.
func startProcess(ctx context.Context, tf *temporalFlags, lf *logFlags, pk *payloadKeyFlags) (*process, error) {
	logger, err := lf.logger()
	if err != nil {
		return nil, err
	}
	kc, err := pk.codec()
	if err != nil {
		return nil, err
	}
	retention, err := tf.retentionPeriod()
	if err != nil {
		return nil, err
	}
	if _, err := tf.clientOptions(connExtras{}); err != nil {
		return nil, err
	}
	p := &process{logger: logger, metrics: obs.New()}
	handler, closer := sdkMetrics(p.metrics, logger)
	p.closers = append(p.closers, closer)
	c, err := tf.dial(ctx, connExtras{logger: logger, metrics: handler, codec: kc})
	if err != nil {
		p.Close()
		return nil, err
	}
	p.client = c
	if err := prepareNamespace(ctx, c, tf.namespace, retention, logger); err != nil {
		p.Close()
		return nil, err
	}
	if kc != nil {
		logger.Info("payload encryption on")
	}
	return p, nil
}

func newServerCmd() *cobra.Command {
	var (
		tf         temporalFlags
		lf         logFlags
		pk         payloadKeyFlags
		dbURL      string
		addr       string
		temporalUI string
		drain      string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the HTTP API (production; needs Temporal and PostgreSQL)",
		Long: `server serves the HTTP API, the web UI, /healthz, /readyz and /metrics (the
API's and the Temporal SDK's Prometheus metrics). At start it registers the
Temporal namespace when missing and flowlab's search attributes; where
Temporal refuses (Temporal Cloud, a locked-down cluster) it warns and goes
on, and the operator creates them. On SIGTERM it stops accepting
connections and lets the requests in flight finish (--shutdown-timeout).

Each flag can be given by the environment variable its help names.
FLOWLAB_ADMIN_TOKEN sets the admin token (at least 16 characters);
FLOWLAB_REOPEN_WINDOW (default 7d) must match the workers'. Payload
encryption: FLOWLAB_PAYLOAD_KEY or --payload-key-file, the same keys as the
workers'.`,
		Example: `  FLOWLAB_DATABASE_URL=postgres://flowlab:secret@db:5432/flowlab \
  TEMPORAL_ADDRESS=temporal:7233 FLOWLAB_ADMIN_TOKEN=… flowlab server --addr :8080

  # Temporal Cloud
  TEMPORAL_ADDRESS=acme.a1b2c.tmprl.cloud:7233 TEMPORAL_NAMESPACE=acme.a1b2c \
  TEMPORAL_API_KEY=… flowlab server --addr :8080 --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			drainTimeout, err := timeoutFlag("--shutdown-timeout (FLOWLAB_SHUTDOWN_TIMEOUT)", drain, false)
			if err != nil {
				return err
			}
			if _, err := webhookAllow(); err != nil {
				return err
			}
			p, err := startProcess(ctx, &tf, &lf, &pk)
			if err != nil {
				return err
			}
			defer p.Close()
			st, err := openStore(ctx, flagOrEnv(dbURL, "FLOWLAB_DATABASE_URL"), false)
			if err != nil {
				return err
			}
			defer st.Close()
			h, err := apiHandler(ctx, st, p.client, p.logger, apiOptions{
				adminToken: envOr("FLOWLAB_ADMIN_TOKEN", ""),
				temporalUI: temporalUI,
				namespace:  tf.namespace,
				metrics:    p.metrics,
			})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageError{fmt.Errorf("listen on %s: %w", addr, err)}
			}
			p.logger.Info("flowlab server listening", "addr", ln.Addr().String(), "temporal", tf.address, "namespace", tf.namespace)
			return serveHTTP(ctx, ln, h, p.logger, drainTimeout)
		},
	}
	tf.add(cmd)
	lf.add(cmd)
	pk.add(cmd)
	cmd.Flags().StringVar(&dbURL, "database-url", "", databaseURLHelp)
	cmd.Flags().StringVar(&addr, "addr", envOr("FLOWLAB_ADDR", "127.0.0.1:8080"), "HTTP listen address (env FLOWLAB_ADDR)")
	cmd.Flags().StringVar(&temporalUI, "temporal-ui", envOr("FLOWLAB_TEMPORAL_UI", ""), "Temporal UI base URL, for links from cases (env FLOWLAB_TEMPORAL_UI)")
	cmd.Flags().StringVar(&drain, "shutdown-timeout", envOr("FLOWLAB_SHUTDOWN_TIMEOUT", defaultDrainTimeout.String()), "how long a stopping server lets requests in flight finish (env FLOWLAB_SHUTDOWN_TIMEOUT)")
	return cmd
}

func newWorkerCmd() *cobra.Command {
	var (
		tf          temporalFlags
		lf          logFlags
		pk          payloadKeyFlags
		dbURL       string
		webhook     string
		metricsAddr string
		stopTimeout string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a Temporal worker for cases (production; scale horizontally)",
		Long: `worker runs the case and pilot workflows and their activities. Run as many
as the load needs: they share the task queue. With --metrics-addr it serves
/metrics (task, escalation and SLA counters and the Temporal SDK's metrics),
/healthz (the process runs) and /readyz (the worker polls and Temporal
answers). On SIGTERM it stops taking new tasks and lets running activities
finish for up to --stop-timeout before cancelling them; Temporal retries a
cancelled activity on another worker.

Each flag can be given by the environment variable its help names.
FLOWLAB_REOPEN_WINDOW (default 7d) must match the server's. Payload
encryption: FLOWLAB_PAYLOAD_KEY or --payload-key-file, the same keys as the
server's.`,
		Example: `  FLOWLAB_DATABASE_URL=postgres://… TEMPORAL_ADDRESS=temporal:7233 flowlab worker --metrics-addr :9090

  # mTLS to a self-hosted Temporal
  flowlab worker --tls-ca ca.pem --tls-cert worker.pem --tls-key worker.key --tls-server-name temporal.internal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			stop, err := timeoutFlag("--stop-timeout (FLOWLAB_WORKER_STOP_TIMEOUT)", stopTimeout, true)
			if err != nil {
				return err
			}
			var opsLn net.Listener
			if metricsAddr != "" {
				ln, err := net.Listen("tcp", metricsAddr)
				if err != nil {
					return usageError{fmt.Errorf("--metrics-addr: listen on %s: %w", metricsAddr, err)}
				}
				defer ln.Close()
				opsLn = ln
			}
			p, err := startProcess(ctx, &tf, &lf, &pk)
			if err != nil {
				return err
			}
			defer p.Close()
			st, err := openStore(ctx, flagOrEnv(dbURL, "FLOWLAB_DATABASE_URL"), false)
			if err != nil {
				return err
			}
			defer st.Close()
			w, err := newWorker(p.client, st, p.logger, webhook, p.metrics, stop)
			if err != nil {
				return err
			}
			return runWorker(ctx, w, p.client, p.metrics, opsLn, p.logger)
		},
	}
	tf.add(cmd)
	lf.add(cmd)
	pk.add(cmd)
	cmd.Flags().StringVar(&dbURL, "database-url", "", databaseURLHelp)
	cmd.Flags().StringVar(&webhook, "notify-webhook", envOr("FLOWLAB_NOTIFY_WEBHOOK", ""), "URL that receives notifications and escalations as JSON POSTs (env FLOWLAB_NOTIFY_WEBHOOK)")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", envOr("FLOWLAB_METRICS_ADDR", ""), "listen address of /metrics, /healthz and /readyz, e.g. :9090; empty: none (env FLOWLAB_METRICS_ADDR)")
	cmd.Flags().StringVar(&stopTimeout, "stop-timeout", envOr("FLOWLAB_WORKER_STOP_TIMEOUT", defaultWorkerStopTimeout.String()), "how long a stopping worker lets running activities finish before cancelling them (env FLOWLAB_WORKER_STOP_TIMEOUT)")
	return cmd
}

// runWorker starts w, serves the operations endpoints on opsLn (when not
// nil) and, when ctx ends, stops w: no new tasks, running activities get
// the worker's stop timeout to finish.
func runWorker(ctx context.Context, w sdkworker.Worker, c client.Client, m *obs.Metrics, opsLn net.Listener, logger *slog.Logger) error {
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	var running atomic.Bool
	running.Store(true)
	opsDone := make(chan error, 1)
	if opsLn != nil {
		opsCtx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			opsDone <- serveHTTP(opsCtx, opsLn, opsHandler(m, func(ctx context.Context) error {
				if !running.Load() {
					return errors.New("the worker is stopping")
				}
				if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
					return fmt.Errorf("Temporal: %w", err)
				}
				return nil
			}), logger, time.Second)
		}()
		logger.Info("worker metrics listening", "addr", opsLn.Addr().String())
		defer func() {
			cancel()
			<-opsDone
		}()
	}
	logger.Info("flowlab worker running")
	select {
	case <-ctx.Done():
	case err := <-opsDone:
		w.Stop()
		return fmt.Errorf("metrics listener: %w", err)
	}
	running.Store(false)
	logger.Info("stopping worker: no new tasks; running activities may finish")
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// opsHandler serves a worker's /metrics, /healthz (the process answers)
// and /readyz (ready says it can work).
func opsHandler(m *obs.Metrics, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	if envOr("FLOWLAB_DEBUG_PPROF", "") == "1" {
		// Profiles for an investigation (go tool pprof URL/debug/pprof/heap);
		// off by default: they show the process's insides.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready: "+err.Error()+"\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}

func newMigrateCmd() *cobra.Command {
	var dbURL string
	cmd := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the embedded database migrations (idempotent)",
		Example: `  flowlab migrate --database-url postgres://flowlab:secret@127.0.0.1:5432/flowlab`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), flagOrEnv(dbURL, "FLOWLAB_DATABASE_URL"), true)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", "", databaseURLHelp)
	return cmd
}

func newHealthcheckCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck URL",
		Short: "Exit 0 when URL answers 2xx (container health checks; the image has no curl)",
		Example: `  flowlab healthcheck http://127.0.0.1:8080/healthz
  flowlab healthcheck http://127.0.0.1:9090/readyz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
			if err != nil {
				return usageError{fmt.Errorf("healthcheck URL: %w", err)}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				return fmt.Errorf("healthcheck: %s answered %s", args[0], resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}

// flagOrEnv is a secret-bearing flag's value, or its environment
// variable's when the flag is not given. Such flags take no default from
// the environment, so --help never prints a password or key.
func flagOrEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

// timeoutFlag parses a duration flag's value (a Go duration like 30s or
// 1m30s); zero is allowed only when zeroOK.
func timeoutFlag(name, v string, zeroOK bool) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		want := "a positive duration like 30s"
		if zeroOK {
			want = "a duration like 30s, or 0"
		}
		return 0, usageError{fmt.Errorf("%s %q: want %s", name, v, want)}
	}
	return d, nil
}
