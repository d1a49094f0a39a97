package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/flowlab/flowlab/devserver"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/workflows"
)

func newTemporalServerCmd() *cobra.Command {
	var (
		dbURL      string
		visibility string
		ip         string
		port       int
		namespace  string
		shards     int
		logLevel   string
	)
	cmd := &cobra.Command{
		Use:   "temporal-server",
		Short: "Run a single-process Temporal server on PostgreSQL (tests and small installs)",
		Long: `temporal-server runs the Temporal server flowlab is built with (frontend,
history, matching and worker services) in one process, persisting to
PostgreSQL. It is meant for tests and small installs; a large one runs
Temporal's own server images.

At every start it creates the database (--database-url) and the visibility
database (--visibility-database) when missing, brings both schemas to the
newest version this binary ships, creates the namespace with flowlab's
search attributes when missing, and registers any search attribute missing
from an existing namespace. Run one temporal-server per database: the
process forgets the cluster membership records it finds there, which
belong to an earlier run of itself.

flowlab server and flowlab worker connect to it with --temporal-address.`,
		Example: `  flowlab temporal-server --database-url postgres://temporal:secret@127.0.0.1:5432/temporal --port 7233
  TEMPORAL_ADDRESS=127.0.0.1:7233 flowlab worker --database-url postgres://flowlab:secret@127.0.0.1:5432/flowlab`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Read here, not as the flag's default: --help would print the
			// URL's password.
			dbURL = flagOrEnv(dbURL, "TEMPORAL_DATABASE_URL")
			if dbURL == "" {
				return usageError{errors.New("a PostgreSQL URL is required (--database-url or TEMPORAL_DATABASE_URL)")}
			}
			if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
				return usageError{fmt.Errorf("--database-url: want postgres://user:password@host:port/database, got %q", redactURL(dbURL))}
			}
			if port < 0 || port > devserver.MaxPort {
				// Temporal's PostgreSQL schema keeps service ports in a smallint.
				return usageError{fmt.Errorf("--port: want 1 to %d (0: any free port), got %d", devserver.MaxPort, port)}
			}
			if shards < 1 {
				return usageError{fmt.Errorf("--history-shards: must be at least 1, got %d", shards)}
			}
			ts, err := devserver.Start(devserver.Config{
				PostgresURL:        dbURL,
				VisibilityDatabase: visibility,
				IP:                 ip,
				FrontendPort:       port,
				Namespace:          namespace,
				NumHistoryShards:   shards,
				SearchAttributes:   searchattr.Types(workflows.SearchAttributes()),
				LogLevel:           logLevel,
			})
			if err != nil {
				return err
			}
			defer func() { _ = ts.Stop() }()
			dialCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
			c, err := ts.Dial(dialCtx, client.Options{Logger: sdkLogger(newLogger("warn"))})
			cancel()
			if err != nil {
				return err
			}
			defer c.Close()
			if err := ensureSearchAttributes(ctx, c, ts.Namespace()); err != nil {
				return fmt.Errorf("register search attributes: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "temporal-server: frontend on %s (namespace %s)\n", ts.FrontendHostPort(), ts.Namespace())
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", "", "PostgreSQL URL of Temporal's database (default: env TEMPORAL_DATABASE_URL)")
	cmd.Flags().StringVar(&visibility, "visibility-database", "", "database of the visibility store (default: the URL's database name + _visibility)")
	cmd.Flags().StringVar(&ip, "ip", "127.0.0.1", "IP address the frontend listens on")
	cmd.Flags().IntVar(&port, "port", 7233, "gRPC port of the frontend (0: any free port)")
	cmd.Flags().StringVar(&namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "namespace to create (env TEMPORAL_NAMESPACE)")
	cmd.Flags().IntVar(&shards, "history-shards", 4, "history shards; fixed when the database is first set up")
	cmd.Flags().StringVar(&logLevel, "log-level", "warn", "level of the server's logs on stderr: debug, info, warn, error")
	return cmd
}

// redactURL hides a URL's password in messages.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return s
	}
	if user, _, hasPw := strings.Cut(userinfo, ":"); hasPw {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return s
}
