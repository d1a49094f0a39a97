// Package api is flowlab's HTTP API: a chi router serving JSON under
// /api/v1, authenticated by bearer tokens, with errors as RFC 9457
// problem+json documents. It reads and writes the store and drives case
// workflows through an engine.Engine.
//
// Routes (every /api/v1 route except the OpenAPI document needs
// "Authorization: Bearer <token>"). Each resource's route table sits in its
// handlers' file (caseRoutes in cases.go, taskRoutes in tasks.go, ...);
// apiRoutes joins them, and the router, the role checks, the audit test and
// the OpenAPI document are all built from it:
//
//	GET  /healthz                          liveness, no auth (looks at nothing)
//	GET  /readyz                           readiness: store ping and engine health, no auth
//	GET  /metrics                          Prometheus metrics, no auth
//	GET  /api/v1/openapi.json              the OpenAPI 3.1 document, no auth
//	POST /api/v1/tokens                    admin: create an actor and its token
//	GET  /api/v1/tokens                    admin: ?actor=&limit=&cursor= (no secrets, no hashes)
//	DELETE /api/v1/tokens/{id}             admin: revoke
//	GET  /api/v1/audit                     admin: ?actor=&action=&object=&case_id=&from=&to=&limit=&cursor=
//	POST /api/v1/cases                     start a case (Idempotency-Key)
//	GET  /api/v1/cases                     ?flow=&status=&from=&to=&limit=&cursor=
//	GET  /api/v1/cases/{id}                case, open tasks, spans, links
//	POST /api/v1/cases/{id}/cancel         admin, owner: 202
//	POST /api/v1/cases/{id}/restart        admin, owner: a failed case runs again from its step
//	POST /api/v1/cases/{id}/close          admin, owner: a failed case is closed (cancelled)
//	POST /api/v1/cases/{id}/events         admin, owner, those who serve the case: signal the awaited event, 202 (bounded, ADR 0022)
//	POST /api/v1/cases/{id}/feedback       {csat, nps, resolved_first_contact}: 201 first, 200 edit
//	GET  /api/v1/cases/{id}/feedback
//	POST /api/v1/cases/{id}/reopen         admin, owner, those who serve the case: a new case in the same arm, 201
//	GET  /api/v1/spans                     ?flow=&version=&pilot=&from=&to=&format=jsonl|csv (streamed)
//	POST /api/v1/pilots                    admin, improver: start a pilot and its workflow
//	GET  /api/v1/pilots                    ?flow=&status=&from=&to=&limit=&cursor=
//	GET  /api/v1/pilots/{id}               the row, plus live (the workflow's status) while it runs
//	POST /api/v1/pilots/{id}/stop          admin, improver: signal; 200 ended, 202 ending
//	POST /api/v1/pilots/{id}/evaluate      admin, improver: evaluate Update (Idempotency-Key)
//	POST /api/v1/pilots/{id}/promote       admin, improver: {"arm"}; stops a running pilot first
//	GET  /api/v1/pilots/{id}/results       live statistics, last look, per-step comparison
//	POST /api/v1/proposals                 {title, body, anonymous}: an open proposal, 201
//	GET  /api/v1/proposals                 ?status=&from=&to=&limit=&cursor=
//	GET  /api/v1/proposals/{id}
//	POST /api/v1/proposals/{id}/vote       one vote per actor: voted true|false and the count
//	POST /api/v1/proposals/{id}/adopt      admin, improver: {flow, metric}: a pdca case, then adopted, 201
//	POST /api/v1/proposals/{id}/decline    admin, improver: {reason}
//	GET  /api/v1/improvements              the PDCA cycles: stage, baseline, target, pilot, outcome
//	GET  /api/v1/kpis/improvement          adoption rate, improvements landed, against their targets
//	GET  /api/v1/kpis/service              ?from=&to=&channel=&flow=: CSAT, NPS, FCR, first response, on-time, complaint rate per ISO week and channel
//	GET  /api/v1/reports/monthly           ?flow=&month=&variant=: a flow's review pack of a month (ADR 0042)
//	GET  /api/v1/reports/quarterly         ?flow=&quarter=&variant=: of a quarter; public by default
//	GET  /api/v1/tasks                     ?department=&status=&assignee=&case_id=&from=&to=&limit=&cursor=
//	GET  /api/v1/tasks/{id}
//	POST /api/v1/tasks/{id}/claim          the task's department (admin: any)
//	POST /api/v1/tasks/{id}/unclaim        the claimant; a team lead of the department, admin: anyone's
//	POST /api/v1/tasks/{id}/assign         team lead of the department, admin: {"actor"}
//	POST /api/v1/tasks/{id}/complete       complete Update (Idempotency-Key)
//	GET  /api/v1/flows                     ?limit=&cursor=
//	GET  /api/v1/flows/{key}               ?version=
//	GET  /api/v1/flows/{key}/bottlenecks   ?version=&variant=&from=&to=
//	GET  /api/v1/flows/{key}/trend         ?version=&from=&to=: completed cases per ISO week, median/p90 cycle time, task SLA breach rate
//	POST /api/v1/flows/validate            YAML body: diagnostics, never stored
//	POST /api/v1/flows/{key}/versions      admin, owner: publish YAML as latest+1
//	GET  /api/v1/flows/{key}/versions      ?limit=&cursor=
//	GET  /api/v1/flows/{key}/versions/{v}  JSON, or the YAML with Accept: application/yaml
//	PUT  /api/v1/flows/{key}/default       admin, owner: {"version": N}
//	POST /api/v1/flows/{key}/versions/{v}/retire  admin, owner
//	POST /api/v1/flows/{key}/migrations    admin, owner: move active cases {"from","to","mapping","dry_run"}
//	GET  /api/v1/flows/{key}/diff          ?from=&to= (JSON, or Accept: text/plain)
//	GET  /api/v1/schema/flow.json          JSON Schema of the flow YAML, no auth
//	GET  /api/v1/flows/{key}/versions/{v}/graph.svg   ?heat=wait_p90|work_p90|share|breach|business_wait_p90|business_work_p90&warn=&alert=&variant=&from=&to=
//	GET  /api/v1/flows/{key}/versions/{v}/graph.json  nodes, edges, departments, per-step stats
//
// Lists answer {"<items>": [...], "next_cursor": "..."} (keyset pagination,
// limit 1-500, default 50); unknown query parameters are a 400 (ADR 0004).
//
// Every answer carries X-Request-Id (the client's when well-formed), which
// log lines and audit entries carry too; every change appends an audit
// entry (route.Audit); each actor is rate limited (429 with Retry-After);
// request latency is observed by route pattern into Config.Metrics
// (ADR 0011).
// Case workflows are named <flow key>-<case id>.
//
// New cases of a flow with a running pilot are assigned an arm
// (AssignArm) and get the arm's version; pilot workflows are named
// pilot-<id> (ADR 0008, 0009).
//
// An adopted proposal starts a case of the built-in flow pdca through the
// same path as POST /api/v1/cases, before the proposal is marked adopted
// (ADR 0010).
//
// cmd calls SeedBuiltinFlows and StartPending (which also restarts the
// workflows of running pilots) at boot.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/dotlayout"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/store"
)

// Config configures the API (server.Config adds the web UI's sessions).
type Config struct {
	// Store is the persistence layer. Required.
	Store store.Store
	// Engine drives case workflows. Required.
	Engine engine.Engine
	// AdminToken (FLOWLAB_ADMIN_TOKEN) authenticates as the built-in admin
	// actor {ID "admin", Role admin}. Empty disables it.
	AdminToken string
	// Logger receives request failures. Default: slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies. Default: 1 MiB.
	MaxBodyBytes int64
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// TemporalUIURL, when set, adds a temporal_ui link to case responses
	// ("http://localhost:8233").
	TemporalUIURL string
	// TemporalNamespace is used in Temporal UI links. Default: "default".
	TemporalNamespace string
	// EngineTimeout bounds each call to the engine.Engine (a complete Update
	// waits for the workflow to come to rest); when it expires the client
	// gets 503 and may retry with the same Idempotency-Key. Default: 30s.
	EngineTimeout time.Duration
	// MigrationMaxCases bounds the cases one migration request handles
	// (POST /api/v1/flows/{key}/migrations); the report says when more
	// remain. Default: DefaultMigrationMaxCases (10000).
	MigrationMaxCases int
	// ExactSpans is how many spans a bottleneck report (the endpoint, the
	// graph's heat overlay, the owner's step table) computes exactly from
	// the raw spans; above it the report merges the store's span rollups,
	// quantiles within analytics.SketchRelativeAccuracy (decision 0017).
	// Default: DefaultExactSpans (20000); negative: always the rollups.
	ExactSpans int
	// PilotStopWait bounds how long stopping (and promoting a running)
	// pilot waits for the Pilot workflow to end the pilot's row after the
	// stop signal; a stop that takes longer answers 202. Default: 2s.
	PilotStopWait time.Duration
	// Metrics receives the latency of every request (by route pattern,
	// method and status) and is served at GET /metrics. cmd passes the
	// process's registry, so the worker's and the Temporal SDK's metrics
	// are served with it. Default: a new obs.New().
	Metrics *obs.Metrics
	// Dev marks the process as a flowlab dev: GET /healthz says
	// "mode": "dev", which flowlab demo requires before it creates tokens
	// and cases (decision 0025). Production servers leave it false.
	Dev bool
	// Context is the process's lifetime: background work the API starts
	// (the dev's history fill, decision 0044) stops when it ends.
	// Default: context.Background().
	Context context.Context
	// historyFill is what a history job runs (demohistory.Fill; tests
	// replace it).
	historyFill historyFill
	// Channels are the contact channels a case may be started with
	// (FLOWLAB_CHANNELS); POST /api/v1/cases refuses any other with the
	// list. Default: DefaultChannels.
	Channels []string
	// RatePerSecond and RateBurst bound each actor's requests: a token
	// bucket per actor id refilled at RatePerSecond, holding RateBurst; a
	// request over it gets 429 with Retry-After. RatePerSecond 0 is
	// httpx.DefaultRatePerSecond (50), negative disables the limit; RateBurst 0
	// is httpx.DefaultRateBurst (100).
	RatePerSecond float64
	RateBurst     int
	// ReopenWindow: a case reopened within this time of its close counts
	// as not resolved at first contact in pilot results. It must equal the
	// worker's (activities.Activities.ReopenWindow), which the Pilot
	// workflow's decisions use. Default: 7 days.
	ReopenWindow time.Duration
	// Departments (FLOWLAB_DEPARTMENTS) are department names a token may
	// carry besides those the published flows use, for a team whose flow
	// is not published yet (decision 0023).
	Departments []string
	// GraphLimits bound the graphs graph.svg draws; a larger one is
	// refused (422) before its layout. A zero field is its
	// flowgraph.DefaultLimits value (150 steps, 450 transitions, 64 KiB
	// of labels).
	GraphLimits flowgraph.Limits
	// GraphLayout bounds the Graphviz layouts of graph.svg, which run in
	// child processes of this binary (decision 0019): a deadline (10s),
	// a few at once, a wait for a slot (5s, then 503), output and memory
	// bounds, a cache. Zero fields take dotlayout's defaults.
	GraphLayout dotlayout.Config
	// MaxLogBytes bounds an event log upload as sent (gzipped or not):
	// DefaultMaxLogBytes (2 GiB) when zero. MaxLogEvents bounds its events
	// (DefaultMaxLogEvents, 5M): an import holds about 100 bytes an event.
	MaxLogBytes  int64
	MaxLogEvents int
	// LogImports is how many imports (and whole-file previews) run at
	// once; more are a 429 (DefaultLogImports, 1). LogImportTimeout bounds
	// each (DefaultLogImportTimeout, 30 min).
	LogImports       int
	LogImportTimeout time.Duration
	// LogCacheEvents bounds the events of the loaded logs kept for their
	// views (DefaultLogCacheEvents, 4M; about 150 bytes an event).
	LogCacheEvents int
	// AlertMinEvery is the shortest evaluation interval an alert rule
	// may ask for (DefaultAlertMinEvery, 1 min; tests lower it).
	AlertMinEvery time.Duration
	// ReviewMaxCases bounds the case rows one review pack reads
	// (ReviewMaxCases, 1M; tests lower it): a period holding more is
	// refused (decision 0042).
	ReviewMaxCases int
}

// DefaultMaxBodyBytes is the default of Config.MaxBodyBytes.
const DefaultMaxBodyBytes = 1 << 20

func (c *Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Engine == nil {
		errs = append(errs, errors.New("Engine is required"))
	}
	if c.EngineTimeout < 0 {
		errs = append(errs, errors.New("EngineTimeout must not be negative"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("MaxBodyBytes must not be negative"))
	}
	if c.ReopenWindow < 0 {
		errs = append(errs, errors.New("ReopenWindow must not be negative"))
	}
	if c.PilotStopWait < 0 {
		errs = append(errs, errors.New("PilotStopWait must not be negative"))
	}
	if c.RateBurst < 0 {
		errs = append(errs, errors.New("RateBurst must not be negative"))
	}
	if c.MaxLogBytes < 0 || c.MaxLogEvents < 0 || c.LogImports < 0 || c.LogImportTimeout < 0 || c.LogCacheEvents < 0 {
		errs = append(errs, errors.New("the event log bounds (MaxLogBytes, MaxLogEvents, LogImports, LogImportTimeout, LogCacheEvents) must not be negative"))
	}
	if c.LogImportTimeout > MaxLogImportTimeout {
		errs = append(errs, fmt.Errorf("LogImportTimeout must be at most %s", MaxLogImportTimeout))
	}
	if c.MigrationMaxCases < 0 {
		errs = append(errs, errors.New("MigrationMaxCases must not be negative"))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("AdminToken must be at least 16 characters"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: config: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Config) setDefaults() {
	if len(c.Channels) == 0 {
		c.Channels = DefaultChannels
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Context == nil {
		c.Context = context.Background()
	}
	if c.historyFill == nil {
		c.historyFill = demohistory.Fill
	}
	c.Logger = slog.New(httpx.RequestIDLogHandler{Handler: c.Logger.Handler()})
	if c.Metrics == nil {
		c.Metrics = obs.New()
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = httpx.DefaultRatePerSecond
	}
	if c.RateBurst == 0 {
		c.RateBurst = httpx.DefaultRateBurst
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.EngineTimeout == 0 {
		c.EngineTimeout = 30 * time.Second
	}
	if c.MigrationMaxCases == 0 {
		c.MigrationMaxCases = DefaultMigrationMaxCases
	}
	if c.ExactSpans == 0 {
		c.ExactSpans = DefaultExactSpans
	}
	if c.ReviewMaxCases <= 0 {
		c.ReviewMaxCases = ReviewMaxCases
	}
	if c.PilotStopWait == 0 {
		c.PilotStopWait = 2 * time.Second
	}
	if c.ReopenWindow == 0 {
		c.ReopenWindow = ReopenWindow
	}
	if c.TemporalNamespace == "" {
		c.TemporalNamespace = "default"
	}
	if c.GraphLimits.Steps <= 0 {
		c.GraphLimits.Steps = flowgraph.DefaultLimits.Steps
	}
	if c.GraphLimits.Edges <= 0 {
		c.GraphLimits.Edges = flowgraph.DefaultLimits.Edges
	}
	if c.GraphLimits.LabelBytes <= 0 {
		c.GraphLimits.LabelBytes = flowgraph.DefaultLimits.LabelBytes
	}
	if c.MaxLogBytes == 0 {
		c.MaxLogBytes = DefaultMaxLogBytes
	}
	if c.MaxLogEvents == 0 {
		c.MaxLogEvents = DefaultMaxLogEvents
	}
	if c.LogImports == 0 {
		c.LogImports = DefaultLogImports
	}
	if c.LogImportTimeout == 0 {
		c.LogImportTimeout = DefaultLogImportTimeout
	}
	if c.LogCacheEvents == 0 {
		c.LogCacheEvents = DefaultLogCacheEvents
	}
	c.TemporalUIURL = strings.TrimSuffix(c.TemporalUIURL, "/")
}

// API holds the API's dependencies; its methods are the handlers.
type API struct {
	cfg   Config
	store store.Store
	eng   engine.Engine
	log   *slog.Logger
	now   func() time.Time
	doc   []byte // the OpenAPI document

	metrics *obs.Metrics
	auth    *httpx.Authenticator
	limiter *httpx.RateLimiter // nil: no rate limit

	inproc http.Handler // the API router the web UI calls in process
	// graphs lays out graph.svg's drawings in child processes.
	graphs *dotlayout.Renderer
	// attrSearches holds a slot per attribute search under way: SQLite
	// tests those row by row, each for up to caseSearchTimeout on a
	// connection of its pool, so only a few may run at once.
	attrSearches chan struct{}
	// logs are the event log imports under way and the loaded logs.
	logs *logState
	// history is the dev's history fill (decision 0044).
	history *historyState
}

// New returns the API of cfg; Mount serves it.
func New(cfg Config) (*API, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	s := &API{cfg: cfg, store: cfg.Store, eng: cfg.Engine, log: cfg.Logger, now: cfg.Now, doc: doc,
		metrics: cfg.Metrics}
	s.auth = &httpx.Authenticator{Store: cfg.Store, AdminToken: cfg.AdminToken, Now: cfg.Now, Log: cfg.Logger}
	if cfg.RatePerSecond > 0 {
		s.limiter = httpx.NewRateLimiter(cfg.RatePerSecond, cfg.RateBurst)
	}
	s.inproc = s.inprocRoutes()
	s.graphs = dotlayout.New(cfg.GraphLayout)
	s.attrSearches = make(chan struct{}, maxAttrSearches)
	s.logs = newLogState(cfg)
	s.history = &historyState{}
	return s, nil
}

// engineCtx bounds a call to the engine.
func (s *API) engineCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.EngineTimeout)
}

// Mount serves the route table on r: each route behind bearer
// authentication and the rate limit unless it is public, and its role
// check when it has roles.
func (s *API) Mount(r chi.Router) {
	for _, rt := range apiRoutes {
		var mw []func(http.Handler) http.Handler
		if !rt.Public {
			mw = append(mw, s.auth.Middleware, s.limiter.Middleware(s.log))
		}
		if len(rt.Roles) > 0 {
			mw = append(mw, httpx.RequireRole(s.log, rt.Roles...))
		}
		r.With(mw...).Method(rt.Method, rt.Pattern, httpx.Handle(s.log, s.withRouteParams(rt)))
	}
}

// Patterns are the route table's patterns, the metrics' route labels.
func Patterns() []string {
	out := make([]string, 0, len(apiRoutes))
	for _, rt := range apiRoutes {
		out = append(out, rt.Pattern)
	}
	return out
}

// InProcess is the API router the web UI calls in process: the same route
// table and handlers, with the actor WebSessions put in the context.
func (s *API) InProcess() http.Handler { return s.inproc }

// Log is the API's logger (it adds the request id to every record).
func (s *API) Log() *slog.Logger { return s.log }

// Limiter is the per-actor rate limit (nil when off), which the web UI's
// page loads share.
func (s *API) Limiter() *httpx.RateLimiter { return s.limiter }

// Metrics is the registry the API's latencies go to.
func (s *API) Metrics() *obs.Metrics { return s.metrics }

// Config is the API's configuration with its defaults filled in.
func (s *API) Config() Config { return s.cfg }

// withRouteParams decodes the route's parameters (a 400 for unknown or
// invalid ones) into the request context for paramsOf, then runs its
// handler.
func (s *API) withRouteParams(rt route) httpx.HandlerFunc {
	t := rt.paramsType()
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.DecodeParams(r, t)
		if err != nil {
			return err
		}
		return rt.Handle(s, w, r.WithContext(httpx.WithParams(r.Context(), p.Interface())))
	}
}
