package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	tally "github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	contribtally "go.temporal.io/sdk/contrib/tally"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/postgres"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/web"
	"github.com/flowlab/flowlab/worker"
	"github.com/flowlab/flowlab/workflows"
)

// openStore opens the store a database URL names: postgres://… or
// postgresql://… for PostgreSQL, sqlite:PATH (or a bare file path) for the
// embedded SQLite store. It applies the migrations when migrate is set.
func openStore(ctx context.Context, url string, migrate bool) (store.Store, error) {
	var (
		st  store.Store
		err error
	)
	switch {
	case url == "":
		return nil, usageError{errors.New("a database URL is required (--database-url or FLOWLAB_DATABASE_URL)")}
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		st, err = postgres.Open(ctx, url)
	default:
		st, err = sqlite.Open(ctx, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:"))
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("migrate store: %w", err)
		}
	}
	return st, nil
}

// slogAdapter lets the Temporal SDK log through slog at warn level and above
// by default, so the console stays readable.
func sdkLogger(l *slog.Logger) sdklog.Logger { return sdklog.NewStructuredLogger(l) }

// reopenWindow reads FLOWLAB_REOPEN_WINDOW (a duration like 7d or 72h;
// default 7d): a case reopened within it of its close did not resolve the
// customer's problem at first contact. The server and the worker must
// agree on it, so both read it from the same place.
func reopenWindow() (time.Duration, error) {
	s := envOr("FLOWLAB_REOPEN_WINDOW", "")
	if s == "" {
		return pilotdata.DefaultReopenWindow, nil
	}
	d, err := flow.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("FLOWLAB_REOPEN_WINDOW=%q: want a positive duration like 7d or 72h", s)
	}
	return d.D(), nil
}

// webhookAllow reads FLOWLAB_WEBHOOK_ALLOW: the operator's own internal
// receivers a flow's webhook may reach (CIDR prefixes, addresses, host
// names, comma-separated; decision 0021), and makes it the allow-list
// flow validation uses, so publishing and the worker agree.
func webhookAllow() (*flow.WebhookAllow, error) {
	allow, err := flow.ParseWebhookAllow(envOr("FLOWLAB_WEBHOOK_ALLOW", ""))
	if err != nil {
		return nil, fmt.Errorf("FLOWLAB_WEBHOOK_ALLOW: %w", err)
	}
	flow.SetDefaultWebhookAllow(allow)
	return allow, nil
}

// newWorker assembles the Temporal worker over the store. stopTimeout is
// how long a stopping worker lets running activities finish before it
// cancels them; metrics (may be nil) receives the task, escalation and
// SLA counters.
func newWorker(c client.Client, st store.Store, logger *slog.Logger, webhook string, metrics *obs.Metrics, stopTimeout time.Duration) (sdkworker.Worker, error) {
	window, err := reopenWindow()
	if err != nil {
		return nil, err
	}
	allow, err := webhookAllow()
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(webhook); webhook != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return nil, fmt.Errorf("--notify-webhook (FLOWLAB_NOTIFY_WEBHOOK) %q: want an http:// or https:// URL", webhook)
	}
	acts := &activities.Activities{
		WebhookAllow: allow,
		Store:        st,
		Logger:       logger,
		WebhookURL:   webhook,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
		ReopenWindow: window,
		Metrics:      metrics,
	}
	failpoints, err := failpointInterceptors(logger)
	if err != nil {
		return nil, err
	}
	cache, err := workflowCacheSize()
	if err != nil {
		return nil, err
	}
	worker.SetWorkflowCacheSize(cache)
	return worker.New(c, acts, worker.Options{StopTimeout: stopTimeout, Interceptors: failpoints}), nil
}

// logLimits reads FLOWLAB_MAX_LOG_BYTES and FLOWLAB_MAX_LOG_EVENTS, the
// bounds of one event log import (unset: the API's defaults, 2 GiB and 5M
// events; an import holds about 100 bytes an event).
func logLimits() (int64, int, error) {
	var b int64
	var n int
	if s := strings.TrimSpace(envOr("FLOWLAB_MAX_LOG_BYTES", "")); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			return 0, 0, usageError{fmt.Errorf("FLOWLAB_MAX_LOG_BYTES=%q: want a positive whole number of bytes", s)}
		}
		b = v
	}
	if s := strings.TrimSpace(envOr("FLOWLAB_MAX_LOG_EVENTS", "")); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			return 0, 0, usageError{fmt.Errorf("FLOWLAB_MAX_LOG_EVENTS=%q: want a positive whole number of events", s)}
		}
		n = v
	}
	return b, n, nil
}

// workflowCacheSize reads FLOWLAB_WORKFLOW_CACHE_SIZE: how many cases a
// worker process keeps in memory between their steps (0, unset: flowlab's
// default, worker.DefaultWorkflowCacheSize).
func workflowCacheSize() (int, error) {
	s := strings.TrimSpace(envOr("FLOWLAB_WORKFLOW_CACHE_SIZE", ""))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, usageError{fmt.Errorf("FLOWLAB_WORKFLOW_CACHE_SIZE=%q: want a positive whole number of workflows", s)}
	}
	return n, nil
}

// sdkMetricsSanitize makes metric and label names Prometheus names (as
// the SDK's own PrometheusSanitizeOptions do) but leaves label values as
// they are: a namespace "acme.a1b2c" stays that, not "acme_a1b2c".
var sdkMetricsSanitize = tally.SanitizeOptions{
	NameCharacters:       contribtally.PrometheusSanitizeOptions.NameCharacters,
	KeyCharacters:        contribtally.PrometheusSanitizeOptions.KeyCharacters,
	ValueCharacters:      tally.ValidCharacters{Ranges: []tally.SanitizeRange{{0, unicode.MaxRune}}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// sdkMetrics bridges the Temporal SDK's metrics (requests, polls, task
// latencies, schedule-to-start, sticky cache…) into the process registry
// through the SDK's tally handler, under the temporal_ prefix the SDK
// gives them. Close the returned closer at exit.
func sdkMetrics(m *obs.Metrics, logger *slog.Logger) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: m.Registry,
		// Histograms, unlike summaries, aggregate across workers.
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			logger.Warn("Temporal SDK metric not registered", "err", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:         reporter,
		Separator:              tallyprom.DefaultSeparator,
		SanitizeOptions:        &sdkMetricsSanitize,
		OmitCardinalityMetrics: true,
	}, time.Second)
	return contribtally.NewMetricsHandler(contribtally.NewPrometheusNamingScope(scope)), closer
}

// ensureSearchAttributes registers flowlab's search attributes (idempotent).
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return searchattr.Ensure(ctx, c, namespace, searchattr.Types(workflows.SearchAttributes()))
}

// serveHTTP serves h until ctx ends, then shuts down gracefully: it stops
// accepting connections, lets the requests in flight finish for up to
// drain, and only then returns.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, drain time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests in flight", "timeout", drain.String())
	shCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// apiOptions are the settings of the API handler besides its store and
// Temporal client.
type apiOptions struct {
	adminToken string
	temporalUI string
	namespace  string
	metrics    *obs.Metrics
	// dev: the API says so at GET /healthz (flowlab demo checks it).
	dev bool
	// sessionKey seals the web UI's sessions when FLOWLAB_SESSION_KEY is
	// not set (flowlab dev keeps one in its data dir).
	sessionKey string
	// listenAddr is where the server listens, the default base of the
	// links in notifications ("": FLOWLAB_ADDR; see notifyDispatcher).
	listenAddr string
}

// apiHandler seeds the built-in flows, starts cases left half-started by a
// crash, starts the reconciler of cases whose workflow ended and the
// dispatcher of notifications (until ctx ends), and builds the HTTP
// handler.
func apiHandler(ctx context.Context, st store.Store, c client.Client, logger *slog.Logger, o apiOptions) (http.Handler, error) {
	if err := api.SeedBuiltinFlows(ctx, st); err != nil {
		return nil, fmt.Errorf("seed built-in flows: %w", err)
	}
	window, err := reopenWindow()
	if err != nil {
		return nil, err
	}
	rate, burst, err := rateLimit()
	if err != nil {
		return nil, usageError{err}
	}
	channels, err := channelsSetting()
	if err != nil {
		return nil, err
	}
	web, err := webSettings()
	if err != nil {
		return nil, usageError{err}
	}
	logBytes, logEvents, err := logLimits()
	if err != nil {
		return nil, err
	}
	notifier, err := notifyDispatcher(st, logger, o.listenAddr)
	if err != nil {
		return nil, err
	}
	if web.SessionKey == "" {
		web.SessionKey = o.sessionKey
	}
	eng := engine.NewTemporal(c)
	if err := api.StartPending(ctx, st, eng); err != nil {
		logger.Warn("could not start pending cases; they will be retried at the next start", "err", err)
	}
	// Cases whose workflow ended unexpectedly are marked failed (decision
	// 0022); the reconciler stops with ctx.
	go api.RunReconciler(ctx, st, eng, logger, api.ReconcileInterval)
	// Offers not started in time go back to the pool, and waiting tasks
	// are assigned when a rule finds someone (decision 0036).
	go api.RunAssigner(ctx, st, logger, api.AssignInterval)
	// Notifications go out by email and chat webhooks (decision 0037).
	go notifier.Run(ctx, notifyInterval, nil)
	// Every alert rule has its Temporal Schedule, and no schedule outlives
	// its rule (decision 0040).
	go api.RunAlertScheduleSync(ctx, st, eng, logger, api.AlertScheduleSync)
	return server.New(server.Config{
		API: api.Config{
			Store:             st,
			Engine:            eng,
			AdminToken:        o.adminToken,
			Logger:            logger,
			TemporalUIURL:     o.temporalUI,
			TemporalNamespace: o.namespace,
			ReopenWindow:      window,
			Metrics:           o.metrics,
			RatePerSecond:     rate,
			RateBurst:         burst,
			Dev:               o.dev,
			Context:           ctx,
			Channels:          channels,
			Departments:       web.API.Departments,
			MaxLogBytes:       logBytes,
			MaxLogEvents:      logEvents,
		},
		BehindTLS:     web.BehindTLS,
		SessionKey:    web.SessionKey,
		SessionIdle:   web.SessionIdle,
		SessionMaxAge: web.SessionMaxAge,
	})
}

// channelsSetting reads FLOWLAB_CHANNELS: the comma-separated contact
// channels cases may be started with; unset means the server's default
// (api.DefaultChannels).
func channelsSetting() ([]string, error) {
	raw := strings.TrimSpace(envOr("FLOWLAB_CHANNELS", ""))
	if raw == "" {
		return nil, nil
	}
	var out []string
	for _, c := range strings.Split(raw, ",") {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
			return nil, usageError{fmt.Errorf("FLOWLAB_CHANNELS %q: an empty channel name; want names separated by commas, like phone,chat,email", raw)}
		case len(c) > 50:
			return nil, usageError{fmt.Errorf("FLOWLAB_CHANNELS: channel %q is longer than 50 characters", c[:50]+"…")}
		case !slices.Contains(out, c):
			out = append(out, c)
		}
	}
	return out, nil
}

// webSettings reads the settings of sessions and tokens (decision 0023):
// FLOWLAB_BEHIND_TLS (true: cookies are Secure; set it when a proxy
// terminates TLS), FLOWLAB_SESSION_KEY (32+ characters, the same on every
// server process; unset: random per process), FLOWLAB_SESSION_IDLE and
// FLOWLAB_SESSION_MAX (durations like 30m or 12h; defaults 1h and 12h) and
// FLOWLAB_DEPARTMENTS (comma-separated department names tokens may carry
// besides those of the published flows).
func webSettings() (server.Config, error) {
	var c server.Config
	if s := strings.TrimSpace(envOr("FLOWLAB_BEHIND_TLS", "")); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return c, fmt.Errorf("FLOWLAB_BEHIND_TLS=%q: want true or false", s)
		}
		c.BehindTLS = b
	}
	c.SessionKey = envOr("FLOWLAB_SESSION_KEY", "")
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		return c, errors.New("FLOWLAB_SESSION_KEY: want at least 32 characters (e.g. openssl rand -base64 32)")
	}
	// In a fixed order, so that with both wrong the same one is named.
	for _, set := range []struct {
		name string
		dst  *time.Duration
	}{{"FLOWLAB_SESSION_IDLE", &c.SessionIdle}, {"FLOWLAB_SESSION_MAX", &c.SessionMaxAge}} {
		if s := strings.TrimSpace(envOr(set.name, "")); s != "" {
			d, err := flow.ParseDuration(s)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive duration like 30m or 12h", set.name, s)
			}
			*set.dst = d.D()
		}
	}
	for _, d := range strings.Split(envOr("FLOWLAB_DEPARTMENTS", ""), ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.API.Departments = append(c.API.Departments, d)
		}
	}
	var err error
	c.OIDC, err = oidcSettings()
	return c, err
}

// oidcSettings reads the single sign-on of the web UI (decision 0038):
// nil without FLOWLAB_OIDC_ISSUER (sign-in with a token); with it, the
// client id, the redirect URL and the role map are required.
func oidcSettings() (*web.OIDCConfig, error) {
	issuer := strings.TrimSpace(envOr("FLOWLAB_OIDC_ISSUER", ""))
	if issuer == "" {
		for _, name := range []string{"FLOWLAB_OIDC_CLIENT_ID", "FLOWLAB_OIDC_CLIENT_SECRET", "FLOWLAB_OIDC_REDIRECT_URL", "FLOWLAB_OIDC_ROLE_MAP"} {
			if envOr(name, "") != "" {
				return nil, fmt.Errorf("%s is set but FLOWLAB_OIDC_ISSUER is not: set the issuer to turn single sign-on on, or unset %s", name, name)
			}
		}
		return nil, nil
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return nil, fmt.Errorf("FLOWLAB_OIDC_ISSUER=%q: want the provider's https URL (http only on localhost)", issuer)
	}
	c := &web.OIDCConfig{Issuer: issuer,
		ClientID:     strings.TrimSpace(envOr("FLOWLAB_OIDC_CLIENT_ID", "")),
		ClientSecret: envOr("FLOWLAB_OIDC_CLIENT_SECRET", ""),
		RedirectURL:  strings.TrimSpace(envOr("FLOWLAB_OIDC_REDIRECT_URL", "")),
		ProviderName: strings.TrimSpace(envOr("FLOWLAB_OIDC_PROVIDER_NAME", u.Hostname())),
		GroupsClaim:  strings.TrimSpace(envOr("FLOWLAB_OIDC_GROUPS_CLAIM", "groups")),
	}
	if c.ClientID == "" {
		return nil, errors.New("FLOWLAB_OIDC_CLIENT_ID: required with FLOWLAB_OIDC_ISSUER (the client registered at the provider)")
	}
	r, err := url.Parse(c.RedirectURL)
	switch {
	case c.RedirectURL == "":
		return nil, fmt.Errorf("FLOWLAB_OIDC_REDIRECT_URL: required with FLOWLAB_OIDC_ISSUER, e.g. https://flowlab.example.com%s", web.OIDCCallbackPath)
	case err != nil || r.Host == "" || (r.Scheme != "https" && !(r.Scheme == "http" && isLoopback(r.Hostname()))) ||
		r.Path != web.OIDCCallbackPath || r.RawQuery != "" || r.Fragment != "":
		return nil, fmt.Errorf("FLOWLAB_OIDC_REDIRECT_URL=%q: want flowlab's own https URL ending in %s (http only on localhost), no query", c.RedirectURL, web.OIDCCallbackPath)
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	rm := envOr("FLOWLAB_OIDC_ROLE_MAP", "")
	if strings.TrimSpace(rm) == "" {
		return nil, errors.New("FLOWLAB_OIDC_ROLE_MAP: required with FLOWLAB_OIDC_ISSUER, e.g. \"support=staff:customer_service; owners=owner; admins=admin\"")
	}
	if c.RoleMap, err = web.ParseRoleMap(rm); err != nil {
		return nil, fmt.Errorf("FLOWLAB_OIDC_ROLE_MAP: %w", err)
	}
	switch jit := strings.TrimSpace(envOr("FLOWLAB_OIDC_JIT", "on")); jit {
	case "on":
		c.Register = true
	case "registered":
	default:
		return nil, fmt.Errorf("FLOWLAB_OIDC_JIT=%q: want on (create a person at first sign-in) or registered (only people registered with their email)", jit)
	}
	return c, nil
}

// isLoopback reports whether host is this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rateLimit reads FLOWLAB_RATE_LIMIT (requests per second per actor; "off"
// disables the limit) and FLOWLAB_RATE_BURST; unset means the server's
// defaults (0).
func rateLimit() (perSecond float64, burst int, err error) {
	if s := strings.TrimSpace(envOr("FLOWLAB_RATE_LIMIT", "")); s != "" {
		if strings.EqualFold(s, "off") {
			perSecond = -1
		} else if perSecond, err = strconv.ParseFloat(s, 64); err != nil || perSecond <= 0 || math.IsInf(perSecond, 0) || math.IsNaN(perSecond) {
			return 0, 0, fmt.Errorf("FLOWLAB_RATE_LIMIT=%q: want a positive number of requests per second, or off", s)
		}
	}
	if s := strings.TrimSpace(envOr("FLOWLAB_RATE_BURST", "")); s != "" {
		if burst, err = strconv.Atoi(s); err != nil || burst <= 0 {
			return 0, 0, fmt.Errorf("FLOWLAB_RATE_BURST=%q: want a positive whole number of requests", s)
		}
	}
	return perSecond, burst, nil
}

// newLogger is a text logger on stderr at level (info when level is not
// one); processes with flags use logFlags instead.
func newLogger(level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
}
