package devserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	schematool "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// Embedded schema names (directories of go.temporal.io/server/schema).
const (
	pgTemporalSchema   = "postgresql/v12/temporal"
	pgVisibilitySchema = "postgresql/v12/visibility"
)

// postgresStores are the two SQL stores of a server on PostgreSQL.
type postgresStores struct {
	main, visibility *config.SQL
}

func (p postgresStores) persistence(shards int) config.Persistence {
	return config.Persistence{
		DefaultStore:     "postgres",
		VisibilityStore:  "postgres-visibility",
		NumHistoryShards: int32(shards),
		DataStores: map[string]config.DataStore{
			"postgres":            {SQL: p.main},
			"postgres-visibility": {SQL: p.visibility},
		},
	}
}

// setupPostgres prepares the two databases of a server on PostgreSQL, the
// way Temporal's own sql tool does for a new cluster, and idempotently, so
// it runs at every start:
//
//  1. each database is created when missing (needs CREATEDB; a database that
//     exists is left alone, so a role without it works on databases an
//     operator made);
//  2. the schema version tables are created when missing and the version set
//     to 0.0 unless it is already higher (the tool's setup-schema -v 0.0);
//  3. every embedded versioned schema change above the recorded version is
//     applied (the tool's update-schema), so a newer server module upgrades
//     the schema and an up-to-date one does nothing;
//  4. the cluster membership records of an earlier run are removed: this
//     process is the only one serving the database, so every record is
//     stale (see forgetMembership).
func setupPostgres(cfg Config) (postgresStores, error) {
	main, err := postgresConfig(cfg.PostgresURL, cfg.MaxConns)
	if err != nil {
		return postgresStores{}, err
	}
	vis := *main
	vis.ConnectAttributes = cloneMap(main.ConnectAttributes)
	vis.DatabaseName = cfg.VisibilityDatabase
	if vis.DatabaseName == "" {
		vis.DatabaseName = main.DatabaseName + "_visibility"
	}
	logger := log.NewNoopLogger()
	for _, s := range []struct {
		cfg    *config.SQL
		schema string
	}{{main, pgTemporalSchema}, {&vis, pgVisibilitySchema}} {
		if err := createDatabase(*s.cfg, logger); err != nil {
			return postgresStores{}, err
		}
		if err := upgradeSchema(s.cfg, s.schema, logger); err != nil {
			return postgresStores{}, err
		}
	}
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindMain, main, resolver.NewNoopResolver(), logger, metrics.NoopMetricsHandler)
	if err != nil {
		return postgresStores{}, fmt.Errorf("devserver: connect to %s: %w", main.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()
	if err := db.Exec("DELETE FROM cluster_membership"); err != nil {
		return postgresStores{}, fmt.Errorf("devserver: clear stale membership: %w", err)
	}
	return postgresStores{main: main, visibility: &vis}, nil
}

// postgresConfig turns a postgres:// URL into the server's SQL config; the
// URL's query parameters (sslmode, …) become connect attributes.
func postgresConfig(raw string, maxConns int) (*config.SQL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("devserver: database URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("devserver: database URL: scheme %q, want postgres://", u.Scheme)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return nil, errors.New("devserver: database URL: name one database, as in postgres://user@host:5432/temporal")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "5432"
	}
	attrs := map[string]string{}
	for k, vs := range u.Query() {
		if len(vs) > 0 {
			attrs[k] = vs[len(vs)-1]
		}
	}
	password, _ := u.User.Password()
	return &config.SQL{
		PluginName:        pgplugin.PluginNamePGX,
		User:              u.User.Username(),
		Password:          password,
		ConnectAddr:       net.JoinHostPort(host, port),
		ConnectProtocol:   "tcp",
		DatabaseName:      name,
		ConnectAttributes: attrs,
		MaxConns:          maxConns,
		MaxIdleConns:      maxConns,
	}, nil
}

// createDatabase creates cfg's database through the maintenance database
// "postgres" unless it exists.
func createDatabase(cfg config.SQL, logger log.Logger) error {
	name := cfg.DatabaseName
	err := sqltool.DoCreateDatabase(&cfg, "postgres", logger)
	var pgErr *pgconn.PgError
	if err == nil || (errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database
		return nil
	}
	// Without CREATEDB, or without access to "postgres", the database may
	// still exist: the schema step says so when it cannot connect.
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return nil
	}
	return fmt.Errorf("devserver: create database %s: %w", name, err)
}

// upgradeSchema brings cfg's database to the embedded schema's newest
// version (setup-schema -v 0.0, then update-schema).
func upgradeSchema(cfg *config.SQL, schemaName string, logger log.Logger) error {
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("devserver: connect to %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	if err := schematool.NewSetupSchemaTask(conn, &schematool.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return fmt.Errorf("devserver: schema version tables of %s: %w", cfg.DatabaseName, err)
	}
	if err := schematool.NewUpdateSchemaTask(conn, &schematool.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run(); err != nil {
		return fmt.Errorf("devserver: upgrade schema of %s: %w", cfg.DatabaseName, err)
	}
	return nil
}

// SchemaVersions are the newest PostgreSQL schema versions this server
// module ships (main store, visibility store).
func SchemaVersions() (main, visibility string) {
	return pgschema.Version, pgschema.VisibilityVersion
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
