// Package devserver runs a single-process Temporal server: on a SQLite file
// for `flowlab dev`, or on PostgreSQL for `flowlab temporal-server` (tests
// and small installs). It is built from the server module's public packages
// (temporal, config, the SQLite and PostgreSQL persistence plugins, the
// embedded schemas and the SQL schema tool).
package devserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Config configures the embedded server.
type Config struct {
	// DataDir holds the SQLite file (temporal.db) and the server's log
	// (temporal.log). Required unless PostgresURL is set.
	DataDir string
	// PostgresURL, when set, persists to PostgreSQL instead of SQLite:
	// postgres://user:password@host:port/database?sslmode=…. See
	// postgres.go for what Start does to the databases.
	PostgresURL string
	// VisibilityDatabase is the PostgreSQL database of the visibility
	// store. Default: the URL's database name + "_visibility".
	VisibilityDatabase string
	// NumHistoryShards: default 1 on SQLite, 4 on PostgreSQL. It can never
	// change for an existing database (the server refuses to start).
	NumHistoryShards int
	// LogFile receives the server's own logs. Default DataDir/temporal.log,
	// or stderr when DataDir is empty.
	LogFile string
	// Namespace is created at start when missing. Default "default".
	Namespace string
	// IP the frontend listens on. Default 127.0.0.1.
	IP string
	// FrontendPort of the gRPC frontend; 0 picks a free port.
	FrontendPort int
	// SearchAttributes are registered on the namespace when it is created.
	// For a namespace created by an earlier version use EnsureSearchAttributes
	// through a client.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own logs: debug, info, warn, error. Default warn.
	LogLevel string
	// MaxConns is the connection pool size of each store. Default on
	// SQLite 1: measured fastest with WAL (see
	// docs/decisions/0003-embedded-temporal.md); on PostgreSQL 20.
	MaxConns int
}

func (c *Config) validate() error {
	if c.DataDir == "" && c.PostgresURL == "" {
		return errors.New("devserver: DataDir or PostgresURL is required")
	}
	if c.LogFile == "" && c.DataDir != "" {
		c.LogFile = filepath.Join(c.DataDir, "temporal.log")
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.IP == "" {
		c.IP = "127.0.0.1"
	}
	if c.LogLevel == "" {
		c.LogLevel = "warn"
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1
		if c.PostgresURL != "" {
			c.MaxConns = 20
		}
	}
	if c.FrontendPort < 0 || c.FrontendPort > MaxPort {
		return fmt.Errorf("devserver: frontend port %d: want 1 to %d (0: any free port)", c.FrontendPort, MaxPort)
	}
	if c.NumHistoryShards <= 0 {
		c.NumHistoryShards = 1
		if c.PostgresURL != "" {
			c.NumHistoryShards = 4
		}
	}
	return nil
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	ns       string
}

// Start sets up the schema on first use, creates the namespace and starts
// the frontend, history, matching and worker services in this process.
func Start(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var (
		persistence config.Persistence
		mainStore   *config.SQL
	)
	if cfg.PostgresURL != "" {
		pg, err := setupPostgres(cfg)
		if err != nil {
			return nil, err
		}
		persistence, mainStore = pg.persistence(cfg.NumHistoryShards), pg.main
	} else {
		sqlCfg, err := setupSQLite(cfg)
		if err != nil {
			return nil, err
		}
		mainStore = sqlCfg
		persistence = config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: int32(cfg.NumHistoryShards),
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		}
	}

	ports, err := freePorts(cfg.FrontendPort, 8)
	if err != nil {
		return nil, err
	}
	hostPort := net.JoinHostPort(cfg.IP, strconv.Itoa(ports[0]))
	svc := func(grpc, membership int, bindIP string) config.Service {
		s := config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnLocalHost: bindIP == ""}}
		if bindIP != "" {
			s.RPC.BindOnIP = bindIP
		}
		return s
	}
	frontendIP := ""
	if cfg.IP != "127.0.0.1" && cfg.IP != "localhost" {
		frontendIP = cfg.IP
	}
	conf := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[7])),
				HandlerPath:   "/metrics",
			}},
		},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(ports[0], ports[1], frontendIP),
			"history":  svc(ports[2], ports[3], ""),
			"matching": svc(ports[4], ports[5], ""),
			"worker":   svc(ports[6], 0, ""),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	// The worker service needs a membership port too.
	w := conf.Services["worker"]
	wp, err := freePorts(0, 1)
	if err != nil {
		return nil, err
	}
	w.RPC.MembershipPort = wp[0]
	conf.Services["worker"] = w

	nsCfg, err := sqliteschema.NewNamespaceConfig("active", cfg.Namespace, false, cfg.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	// CreateNamespaces writes through the generic SQL persistence layer, so
	// it serves the PostgreSQL plugin as well as SQLite's.
	if err := sqliteschema.CreateNamespaces(mainStore, nsCfg); err != nil {
		return nil, fmt.Errorf("devserver: create namespace: %w", err)
	}

	// The server's own logs go to a file in the data dir, not the console.
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{
		Level:      cfg.LogLevel,
		OutputFile: cfg.LogFile,
	}))
	dc := dynamicconfig.StaticClient{
		// Search attributes added through the operator API at start (for a
		// namespace created by an older flowlab) are usable at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start: %w", err)
	}
	return &Server{srv: srv, hostPort: hostPort, ns: cfg.Namespace}, nil
}

// FrontendHostPort is the address clients dial.
func (s *Server) FrontendHostPort() string { return s.hostPort }

// Namespace is the namespace the server created.
func (s *Server) Namespace() string { return s.ns }

// Dial returns a client of the server's namespace, waiting until the
// frontend answers.
func (s *Server) Dial(ctx context.Context, opts client.Options) (client.Client, error) {
	opts.HostPort = s.hostPort
	opts.Namespace = s.ns
	var lastErr error
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("devserver: dial %s: %w", s.hostPort, errors.Join(ctx.Err(), lastErr))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops every service.
func (s *Server) Stop() error { return s.srv.Stop() }

// setupSQLite creates the data dir and the schema of a new file, or forgets
// the membership records of an earlier run of an existing one.
func setupSQLite(cfg Config) (*config.SQL, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create data dir: %w", err)
	}
	dbPath := filepath.Join(cfg.DataDir, "temporal.db")
	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbPath,
		MaxConns:     cfg.MaxConns,
		MaxIdleConns: cfg.MaxConns,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("devserver: set up schema: %w", err)
		}
	} else if err := forgetMembership(dbPath); err != nil {
		return nil, err
	}
	return sqlCfg, nil
}

// MaxPort is the highest port a service of the server may listen on: the
// PostgreSQL schema keeps each host's gRPC port in a smallint column, so a
// port above 32767 fails the membership heartbeat at start.
const MaxPort = 32767

// freePorts returns n free TCP ports on loopback, at most MaxPort (the
// kernel's ephemeral range starts above it, so listening on port 0 would
// not do); first, when non-zero, is used as the first port.
func freePorts(first, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	if first != 0 {
		ports = append(ports, first)
	}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("devserver: find free port: no free port below 32768 after 1000 tries")
		}
		p := 10000 + rand.IntN(MaxPort-10000+1)
		if slices.Contains(ports, p) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, p)
	}
	return ports, nil
}

// forgetMembership removes the membership records an earlier run left
// behind. Only this process ever serves this file, so every record is stale;
// left in place, the new services route shards and task queues to the dead
// hosts until the records expire (about 40 s of failed requests measured
// after a kill -9).
func forgetMembership(dbPath string) error {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout%3d10000&_pragma=journal_mode%3dwal")
	if err != nil {
		return fmt.Errorf("devserver: open %s: %w", dbPath, err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("devserver: clear stale membership: %w", err)
	}
	return nil
}
