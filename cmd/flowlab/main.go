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
	os.Exit(exitCode(err))
}

// exitCode classifies an error for scripts.
func exitCode(err error) int {
	var ue usageError
	var ae *apiError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae):
		if ae.Status >= 400 && ae.Status < 500 {
			return exitAPIClient
		}
		return exitAPIServer
	}
	return exitError
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
	markArgErrorsAsUsage(root)
	return root
}

// markArgErrorsAsUsage makes wrong positional arguments exit with the usage
// code, like wrong flags do.
func markArgErrorsAsUsage(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markArgErrorsAsUsage(sub)
	}
}

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
