// Command flowlab runs and improves customer-service processes on Temporal.
//
//	flowlab dev                 everything in one process (embedded Temporal, SQLite)
//	flowlab server | worker     the production processes
//	flowlab migrate             apply database migrations
//	flowlab start|cases|case|event|cancel|feedback|reopen|tasks|task|claim|
//	        unclaim|assign|complete|flows|flow|bottlenecks|token create|openapi
//	                            client verbs
//	flowlab pilot start|list|status|results|evaluate|stop|promote
//	                            A/B pilots of a flow's versions
//	flowlab improve start|list  PDCA improvement cycles
//	flowlab spans export        the raw data behind every statistic
//	flowlab report monthly|quarterly
//	                            a flow's review pack as one printable HTML document
//	flowlab demo                drive cases with simulated agents
//
// Run flowlab --help for the manual.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// Exit codes scripts can rely on (documented in flowlab --help).
const (
	exitOK        = 0
	exitError     = 1 // anything else
	exitUsage     = 2 // bad flags or arguments
	exitAPIClient = 3 // the API refused the request (4xx)
	exitAPIServer = 4 // the API failed or could not be reached (5xx, network)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line args and returns the exit code; errors are
// written to stderr, with an API problem's field errors one per line.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "flowlab: "+describeError(err))
	return exitCode(err)
}

// exitCode classifies an error for scripts.
func exitCode(err error) int {
	var ue usageError
	var p *apiv1.Problem
	var te *apiv1.TransportError
	var de devStartError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &de):
		if de.usage {
			return exitUsage
		}
		return exitError
	case errors.As(err, &p):
		if p.Status >= 400 && p.Status < 500 {
			return exitAPIClient
		}
		return exitAPIServer
	case errors.As(err, &te):
		return exitAPIServer
	}
	return exitError
}

// describeError is the text shown for err: the error itself and, for an API
// problem, its field errors, request id and a hint.
func describeError(err error) string {
	var p *apiv1.Problem
	if !errors.As(err, &p) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(errorText(err))
	for _, fe := range p.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", fe.Field, fe.Message)
	}
	if p.RequestID != "" {
		fmt.Fprintf(&b, "\n  request id: %s", p.RequestID)
	}
	switch p.Status {
	case 401:
		b.WriteString("\n  hint: pass a valid token with --token or FLOWLAB_TOKEN (flowlab dev keeps one in .flowlab/admin-token)")
	case 503:
		b.WriteString("\n  hint: the API or its workflow engine is unavailable; retrying later is safe (use --idempotency-key where offered)")
	}
	return b.String()
}

// problemText is how the command line shows an API problem: its status,
// title and detail ("404 Not Found: task \"x\" not found").
func problemText(p *apiv1.Problem) string {
	if p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Title)
}

// errorText is err's message with the API problem it wraps, if any, shown
// as problemText (with its status).
func errorText(err error) string {
	msg := err.Error()
	var p *apiv1.Problem
	if errors.As(err, &p) {
		if i := strings.LastIndex(msg, p.Error()); i >= 0 {
			msg = msg[:i] + problemText(p) + msg[i+len(p.Error()):]
		}
	}
	return msg
}

type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

const rootLong = `flowlab runs customer-service processes (complaints, returns and exchanges,
appointments) as durable Temporal workflows. Each flow is a versioned YAML
definition of steps; flowlab routes each step's human task to a department's
inbox, watches its SLA, escalates overdue tasks, and measures where cases wait
(the bottleneck view), so a process can be changed and the change measured.

The same binary is the server and the client.

RUNNING FLOWLAB
  1. Locally, everything in one process (embedded Temporal, SQLite, worker, API):

       flowlab dev                       # state in ./.flowlab, API on 127.0.0.1:8080

  2. In production, as separate processes sharing PostgreSQL and a Temporal cluster:

       flowlab migrate                   # once per release
       flowlab server --addr :8080       # the HTTP API, behind your load balancer
       flowlab worker                    # Temporal workers; run as many as you need

     docker compose up --build runs this topology (see the README's
     "Production deployment").

CLIENT COMMANDS
  The other commands call the HTTP API of a running flowlab (--server). They
  authenticate with --token; without one they use the admin token flowlab dev
  keeps in $FLOWLAB_DATA/admin-token. Every client command but spans export
  (JSON lines or CSV) takes --output/-o table|json|yaml: table for people, json
  or yaml (the API's answer, keys in a stable order) for scripts. List commands
  (cases, tasks, flows, pilot list, improve list) show one page; --limit sets
  its size, --cursor continues where a page ended (the command to run is
  printed on stderr as "next: …"), --all fetches every page (at most 100).

IMPROVING A PROCESS
  Measure where cases wait (bottlenecks), pilot a revised flow version
  against the current one on a share of new cases (pilot start), read the
  statistics with their uncertainty (pilot results), and promote the winner
  (pilot promote); the customers' feedback (feedback) and returns (reopen)
  feed CSAT and first-contact resolution. improve start opens a PDCA cycle
  that runs the same steps as tasks of the improvement department; spans
  export streams the raw data, so every number can be recomputed.

ENVIRONMENT
  FLOWLAB_SERVER        API base URL for client commands (default http://127.0.0.1:8080)
  FLOWLAB_TOKEN         API token for client commands
  FLOWLAB_DATA          flowlab dev's state directory (default .flowlab); client
                        commands read the dev admin token from it
  FLOWLAB_DATABASE_URL  store of server, worker and migrate: postgres://… or sqlite:PATH
  FLOWLAB_ADMIN_TOKEN   admin token accepted by server and dev (at least 16 characters)
  TEMPORAL_ADDRESS      Temporal frontend host:port of server and worker (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE    Temporal namespace of server and worker (default "default"),
                        registered at start when missing
  TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME
                        TLS and mTLS to Temporal (PEM files; cert and key go together)
  TEMPORAL_API_KEY      API key for Temporal Cloud (turns TLS on)
  FLOWLAB_PAYLOAD_KEY   AES-256 keys that encrypt workflow payloads, ID:BASE64 entries
                        separated by commas or newlines, newest first (or a file:
                        FLOWLAB_PAYLOAD_KEY_FILE); server, worker and dev must agree
  FLOWLAB_LOG_FORMAT    text (default) or json; FLOWLAB_LOG_LEVEL debug|info|warn|error
  FLOWLAB_METRICS_ADDR  worker: listen address of /metrics, /healthz, /readyz
                        (and /debug/pprof/ with FLOWLAB_DEBUG_PPROF=1)
  FLOWLAB_RATE_LIMIT    server and dev: requests per second per actor (default 50;
                        "off" disables), with bursts of FLOWLAB_RATE_BURST (default 100)
  FLOWLAB_CHANNELS      server and dev: the contact channels cases may start with, comma-
                        separated (default phone,chat,wechat,app,email,social)
  FLOWLAB_WORKFLOW_CACHE_SIZE
                        worker and dev: cases kept in memory between steps (default 500;
                        each takes about 75 KiB, an evicted one replays its history)
  FLOWLAB_SMTP_URL      server and dev: the mail server of email notifications, e.g.
                        smtp://user:pass@host:587?from=flowlab@example.com (unset: no email)
  FLOWLAB_PUBLIC_URL    server and dev: the web UI's address in notifications' links
                        (default http:// and the listening address)
  Also read: FLOWLAB_ADDR (listen address), FLOWLAB_TEMPORAL_UI, FLOWLAB_NOTIFY_WEBHOOK,
  FLOWLAB_REOPEN_WINDOW, FLOWLAB_SHUTDOWN_TIMEOUT, FLOWLAB_WORKER_STOP_TIMEOUT,
  TEMPORAL_NAMESPACE_RETENTION; each command's --help names the variable of each flag.

EXIT CODES
  0  success
  1  any other error (e.g. a local file could not be written, flow validate
     found errors, flow migrate refused some cases)
  2  usage: unknown command or flag, wrong arguments, invalid flag value, no token
  3  the API refused the request: 4xx (400 bad input, 401 bad token, 403 not
     allowed, 404 not found, 409 conflict, 413 too large, 422 invalid)
  4  the API failed or could not be reached: 5xx, connection refused, timeout
  Errors go to stderr: the problem's status, title and detail, then each
  invalid field on its own line.

SHELL COMPLETION
  source <(flowlab completion bash)     # or zsh, fish, powershell; see flowlab completion --help`

const rootExample = `  # run flowlab locally and drive 30 simulated cases through it
  flowlab dev &
  flowlab demo --cases 30

  # work a case by hand
  flowlab start --flow complaint --customer C-1001 --channel phone
  flowlab tasks --department customer_service
  flowlab claim TASK_ID
  flowlab complete TASK_ID --outcome recorded --data severity=primary --data summary="router down"
  flowlab case CASE_ID
  flowlab bottlenecks complaint

  # pilot the one-stop complaint flow (v2) against the current one, then promote it
  flowlab pilot start --flow complaint --treatment 2 --guardrail sla_breach_rate=0.1
  flowlab demo --cases 200
  flowlab pilot results PILOT_ID
  flowlab pilot promote PILOT_ID --arm treatment

  # or run it as a PDCA cycle worked in the improvement inbox
  flowlab improve start --flow complaint --metric cycle_time

  # scripts: JSON answers and exit codes
  flowlab cases --status active --all -o json | jq -r '.cases[].id'`

// newRootCmd builds the command tree writing to stdout and stderr (cobra's
// completion commands keep the writer they were created with).
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "flowlab",
		Short:         "Run and improve customer-service processes on Temporal",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noSubcommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.AddGroup(
		&cobra.Group{ID: "run", Title: "Run flowlab:"},
		&cobra.Group{ID: "client", Title: "Client commands (call the API):"},
	)
	for _, c := range []*cobra.Command{newDevCmd(), newServerCmd(), newWorkerCmd(), newMigrateCmd(), newTemporalServerCmd(), newHealthcheckCmd()} {
		c.GroupID = "run"
		root.AddCommand(c)
	}
	addClientCommands(root)
	root.AddCommand(newAuditCmd())
	root.AddCommand(newGraphLayoutCmd())
	demo := newDemoCmd()
	demo.GroupID = "client"
	root.AddCommand(demo)
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "completion":
			c.Example = `  source <(flowlab completion bash)
  flowlab completion zsh > "${fpath[1]}/_flowlab"
  flowlab completion fish > ~/.config/fish/completions/flowlab.fish
  flowlab completion powershell | Out-String | Invoke-Expression`
			for _, sh := range c.Commands() {
				sh.Example = "  flowlab completion " + sh.Name()
			}
		case "help":
			c.Example = "  flowlab help tasks"
		}
	}
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

// noSubcommand is the Args of a command that only groups subcommands: an
// unknown subcommand is a usage error, with cobra's suggestions.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg)
}

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
