// Command flowlab runs and improves customer-service processes on Temporal.
//
//	flowlab dev                 everything in one process (embedded Temporal, SQLite)
//	flowlab server | worker     the production processes
//	flowlab migrate             apply database migrations
//	flowlab start|tasks|claim|complete|bottlenecks|demo   client verbs
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes scripts can rely on.
const (
	exitOK        = 0
	exitError     = 1 // anything else
	exitUsage     = 2 // bad flags or arguments
	exitAPIClient = 3 // the API refused the request (4xx)
	exitAPIServer = 4 // the API failed or could not be reached (5xx, network)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		os.Exit(exitOK)
	}
	fmt.Fprintln(os.Stderr, "flowlab:", err)
	var ue usageError
	var ae *apiError
	switch {
	case errors.As(err, &ue):
		os.Exit(exitUsage)
	case errors.As(err, &ae):
		if ae.Status >= 400 && ae.Status < 500 {
			os.Exit(exitAPIClient)
		}
		os.Exit(exitAPIServer)
	}
	os.Exit(exitError)
}

type usageError struct{ error }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "flowlab",
		Short: "Run and improve customer-service processes on Temporal",
		Long: `flowlab runs service processes (complaints, returns, appointments) as durable
Temporal workflows, routes their human tasks to departments, escalates overdue
steps, and measures where cases wait.

Start everything locally with:

  flowlab dev

then, in another shell, work a case with the client verbs (they read the
dev admin token from .flowlab/admin-token when --token is not given):

  flowlab start --flow complaint --customer C-1001 --channel phone
  flowlab tasks --department technical
  flowlab claim TASK_ID
  flowlab complete TASK_ID --outcome resolved
  flowlab bottlenecks complaint`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.AddCommand(newDevCmd(), newServerCmd(), newWorkerCmd(), newMigrateCmd())
	addClientCommands(root)
	root.AddCommand(newDemoCmd())
	return root
}

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
