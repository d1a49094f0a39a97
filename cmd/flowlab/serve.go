package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
)

// temporalFlags are the connection settings of server and worker.
type temporalFlags struct {
	address   string
	namespace string
}

func (f *temporalFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.address, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	cmd.Flags().StringVar(&f.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (env TEMPORAL_NAMESPACE)")
}

func (f *temporalFlags) dial(cmd *cobra.Command) (client.Client, error) {
	c, err := client.DialContext(cmd.Context(), client.Options{
		HostPort:  f.address,
		Namespace: f.namespace,
		Logger:    sdkLogger(newLogger("warn")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", f.address, err)
	}
	return c, nil
}

func newServerCmd() *cobra.Command {
	var (
		tf         temporalFlags
		dbURL      string
		addr       string
		logLevel   string
		temporalUI string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the HTTP API (production; needs Temporal and PostgreSQL)",
		Example: `  FLOWLAB_DATABASE_URL=postgres://flowlab:secret@db:5432/flowlab \
  TEMPORAL_ADDRESS=temporal:7233 FLOWLAB_ADMIN_TOKEN=… flowlab server --addr :8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger := newLogger(logLevel)
			st, err := openStore(ctx, dbURL, false)
			if err != nil {
				return err
			}
			defer st.Close()
			c, err := tf.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := ensureSearchAttributes(ctx, c, tf.namespace); err != nil {
				logger.Warn("could not register search attributes; register them with the operator API", "err", err)
			}
			h, err := apiHandler(ctx, st, c, logger, envOr("FLOWLAB_ADMIN_TOKEN", ""), temporalUI)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageError{fmt.Errorf("listen on %s: %w", addr, err)}
			}
			logger.Info("flowlab server listening", "addr", ln.Addr().String())
			return serveHTTP(ctx, ln, h, logger)
		},
	}
	tf.add(cmd)
	cmd.Flags().StringVar(&dbURL, "database-url", envOr("FLOWLAB_DATABASE_URL", ""), "store URL: postgres://… or sqlite:PATH (env FLOWLAB_DATABASE_URL)")
	cmd.Flags().StringVar(&addr, "addr", envOr("FLOWLAB_ADDR", "127.0.0.1:8080"), "HTTP listen address (env FLOWLAB_ADDR)")
	cmd.Flags().StringVar(&logLevel, "log-level", envOr("FLOWLAB_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&temporalUI, "temporal-ui", envOr("FLOWLAB_TEMPORAL_UI", ""), "Temporal UI base URL, for links from cases (env FLOWLAB_TEMPORAL_UI)")
	return cmd
}

func newWorkerCmd() *cobra.Command {
	var (
		tf       temporalFlags
		dbURL    string
		logLevel string
		webhook  string
	)
	cmd := &cobra.Command{
		Use:     "worker",
		Short:   "Run a Temporal worker for cases (production; scale horizontally)",
		Example: `  FLOWLAB_DATABASE_URL=postgres://… TEMPORAL_ADDRESS=temporal:7233 flowlab worker`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger := newLogger(logLevel)
			st, err := openStore(ctx, dbURL, false)
			if err != nil {
				return err
			}
			defer st.Close()
			c, err := tf.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			w, err := newWorker(c, st, logger, webhook)
			if err != nil {
				return err
			}
			if err := w.Start(); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			logger.Info("flowlab worker running", "temporal", tf.address, "namespace", tf.namespace)
			<-ctx.Done()
			w.Stop()
			return nil
		},
	}
	tf.add(cmd)
	cmd.Flags().StringVar(&dbURL, "database-url", envOr("FLOWLAB_DATABASE_URL", ""), "store URL: postgres://… or sqlite:PATH (env FLOWLAB_DATABASE_URL)")
	cmd.Flags().StringVar(&logLevel, "log-level", envOr("FLOWLAB_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&webhook, "notify-webhook", envOr("FLOWLAB_NOTIFY_WEBHOOK", ""), "URL that receives notifications and escalations as JSON POSTs")
	return cmd
}

func newMigrateCmd() *cobra.Command {
	var dbURL string
	cmd := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the embedded database migrations (idempotent)",
		Example: `  flowlab migrate --database-url postgres://flowlab:secret@127.0.0.1:5432/flowlab`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), dbURL, true)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", envOr("FLOWLAB_DATABASE_URL", ""), "store URL: postgres://… or sqlite:PATH (env FLOWLAB_DATABASE_URL)")
	return cmd
}
