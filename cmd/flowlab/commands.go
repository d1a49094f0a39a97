package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/api"
	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
)

var (
	caseStatuses = []string{apiv1.CaseStarting, apiv1.CaseActive, apiv1.CaseCompleted, apiv1.CaseCancelled, apiv1.CaseFailed}
	taskStatuses = []string{apiv1.TaskOpen, apiv1.TaskCompleted, apiv1.TaskCancelled, "any"}
	// channels are the default channels, for help and completion; the
	// server checks --channel against its own (FLOWLAB_CHANNELS).
	channels = api.DefaultChannels
)

var (
	caseCols = []string{"id", "flow", "version", "variant", "status", "step"}
	taskCols = []string{"id", "case_id", "step", "department", "status", "assignee", "escalation_level", "sla_due"}
)

func addClientCommands(root *cobra.Command) {
	for _, c := range []*cobra.Command{
		newStartCmd(), newCasesCmd(), newCaseCmd(), newEventCmd(), newCancelCmd(), newRestartCmd(), newCloseCmd(),
		newTasksCmd(), newTaskCmd(), newClaimCmd("claim"), newClaimCmd("unclaim"), newAssignCmd(), newCompleteCmd(),
		newFlowsCmd(), newFlowCmd(), newBottlenecksCmd(), newTokenCmd(), newOpenAPICmd(),
		newFeedbackCmd(), newReopenCmd(), newPilotCmd(), newImproveCmd(), newSpansCmd(), newLogCmd(), newPeopleCmd(), newNotificationsCmd(), newAlertCmd(), newWatchCmd(), newReportCmd(), newSimulateCmd(),
	} {
		c.GroupID = "client"
		root.AddCommand(c)
	}
}

func newStartCmd() *cobra.Command {
	var cf clientFlags
	var flowKey, customer, channel, idem string
	var attrs []string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a case of a flow",
		Long: `start creates a case of the flow's default version and starts its workflow
(POST /api/v1/cases). Attributes are key=value; values that are JSON (numbers,
true, false, "quoted", {…}) keep their type. With --idempotency-key a retry
returns the same case instead of starting a second one.`,
		Example: `  flowlab start --flow complaint --customer C-1001 --channel phone --attr severity=primary
  flowlab start --customer C-1002 --attr amount=120 --idempotency-key crm-4711 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			a, err := keyValues(attrs)
			if err != nil {
				return err
			}
			out, err := c.CreateCase(cmd.Context(), apiv1.CreateCaseParams{IdempotencyKey: idem},
				apiv1.CreateCaseRequest{Flow: flowKey, Customer: customer, Channel: channel, Attributes: a})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, caseCols)
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&flowKey, "flow", "complaint", "flow key")
	cmd.Flags().StringVar(&customer, "customer", "", "customer id (required by the API)")
	cmd.Flags().StringVar(&channel, "channel", "phone", "contact channel, one of the server's FLOWLAB_CHANNELS (default "+strings.Join(channels, ", ")+"); another is refused with the list")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "case attribute key=value (repeatable)")
	cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: retrying with it never starts a second case")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = cmd.RegisterFlagCompletionFunc("channel", cobra.FixedCompletions(channels, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newCasesCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var flowKey, status, from, to, customer, id string
	var attrs []string
	cmd := &cobra.Command{
		Use:   "cases",
		Short: "List and search cases, newest first",
		Long: `cases lists cases newest first (GET /api/v1/cases), optionally of one flow,
in one status, or created in [--from, --to), and searches them: --customer
(exact), --id (a case id or its first 4 or more characters) and --attr
KEY=VALUE (the attribute KEY is the string VALUE, or the number or boolean
written so; up to 4, all must hold). The filters combine.`,
		Example: `  flowlab cases --flow complaint --status active
  flowlab cases --customer C-1042
  flowlab cases --attr severity=high --attr vip=true --status active
  flowlab cases --id 6f1c2b9e
  flowlab cases --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			params := apiv1.ListCasesParams{Flow: flowKey, Status: status, From: flagTime(from), To: flagTime(to), Customer: customer, ID: id}
			for _, a := range attrs {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return usageError{fmt.Errorf("--attr %q: expected KEY=VALUE, like severity=high", a)}
				}
				params.Attr = append(params.Attr, k+":"+v)
			}
			cases, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Case, string, error) {
				params.Cursor, params.Limit = cursor, limit
				l, err := c.ListCases(ctx, params)
				if err != nil {
					return nil, "", err
				}
				return l.Cases, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.CaseList{Cases: cases, NextCursor: next}, cases, next, pf.all,
				[]string{"id", "flow", "version", "status", "step", "customer", "channel", "created_at"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "cases")
	cmd.Flags().StringVar(&flowKey, "flow", "", "only cases of this flow")
	cmd.Flags().StringVar(&status, "status", "", "only cases in this status: "+strings.Join(caseStatuses, ", "))
	cmd.Flags().StringVar(&from, "from", "", "only cases created at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only cases created before this RFC 3339 time")
	cmd.Flags().StringVar(&customer, "customer", "", "only the cases of this customer (exact match)")
	cmd.Flags().StringVar(&id, "id", "", "only the case with this id, or whose id starts with it (4 or more characters)")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "only cases whose attribute KEY is VALUE, as KEY=VALUE (repeatable, up to 4; all must hold)")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(caseStatuses, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newCaseCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "case CASE_ID",
		Short: "Show a case: status, open tasks, spans",
		Long: `case shows one case (GET /api/v1/cases/{id}): its status and current step,
its open tasks, and the spans of the steps it went through with their waiting
and working seconds.`,
		Example: `  flowlab case 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33
  flowlab case 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 -o json | jq .spans`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeCases(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetCase(cmd.Context(), apiv1.CaseIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if err := writeTable(w, out, caseCols); err != nil {
					return err
				}
				fmt.Fprintf(w, "\ntasks:\n")
				if err := writeTable(w, out.Tasks, []string{"id", "step", "department", "status", "assignee", "sla_due"}); err != nil {
					return err
				}
				fmt.Fprintf(w, "\nspans:\n")
				if err := writeTable(w, out.Spans, []string{"seq", "step", "department", "outcome", "wait_seconds", "work_seconds", "breached"}); err != nil {
					return err
				}
				if u := out.Links.TemporalUI; u != "" {
					fmt.Fprintf(w, "\nTemporal UI: %s\n", u)
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	return cmd
}

func newEventCmd() *cobra.Command {
	var cf clientFlags
	var data []string
	cmd := &cobra.Command{
		Use:   "event CASE_ID NAME",
		Short: "Send an external event to a case (a wait step's event)",
		Long: `event delivers a named event with optional data to a case's workflow
(POST /api/v1/cases/{id}/events); a wait step waiting for that event moves on.
The API accepts it with 202 once the workflow has the signal.`,
		Example:           `  flowlab event 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 customer_replied --data accepted=true --data note="call back Monday"`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeCases(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			d, err := keyValues(data)
			if err != nil {
				return err
			}
			out, err := c.SendCaseEvent(cmd.Context(), apiv1.CaseIDParams{ID: args[0]}, apiv1.EventRequest{Name: args[1], Data: d})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "event"})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringArrayVar(&data, "data", nil, "event data key=value (repeatable)")
	return cmd
}

func newCancelCmd() *cobra.Command {
	return newCaseActionCmd("cancel", "Cancel a case (closes its open tasks)",
		`cancel asks a running case's workflow to stop (POST /api/v1/cases/{id}/cancel,
admins and owners); its open tasks are cancelled. The answer's status is
"cancelling" until the workflow has stopped.`)
}

func newRestartCmd() *cobra.Command {
	return newCaseActionCmd("restart", "Run a failed case again from the step it was at",
		`restart starts a new workflow run for a failed case (POST
/api/v1/cases/{id}/restart, admins and owners): a case whose workflow ended
unexpectedly (flowlab cases --status failed lists them, with the reason). The
new run starts at the step the case was at, with its last stored attributes;
the case SLA still counts from its creation (decision 0022).`)
}

func newCloseCmd() *cobra.Command {
	return newCaseActionCmd("close", "Close a failed case without running it again",
		`close ends a failed case without restarting it (POST
/api/v1/cases/{id}/close, admins and owners): it becomes cancelled.`)
}

// newCaseActionCmd is a command that POSTs to /api/v1/cases/{id}/VERB and
// shows the case's id and status.
func newCaseActionCmd(verb, short, long string) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:               verb + " CASE_ID",
		Short:             short,
		Long:              long,
		Example:           "  flowlab " + verb + " 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeCases(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var out any
			id := apiv1.CaseIDParams{ID: args[0]}
			switch verb {
			case "cancel":
				out, err = c.CancelCase(cmd.Context(), id)
			case "restart":
				out, err = c.RestartCase(cmd.Context(), id)
			default:
				out, err = c.CloseFailedCase(cmd.Context(), id)
			}
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "status"})
		},
	}
	cf.add(cmd)
	return cmd
}

func newTasksCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var dept, status, assignee, caseID, from, to string
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "List tasks (an inbox), ordered by SLA due time",
		Long: `tasks lists tasks (GET /api/v1/tasks) ordered by SLA due time, tasks without
an SLA last. Without --status only open tasks are listed; staff see only the
tasks of their departments. --assignee me lists the caller's own tasks.`,
		Example: `  flowlab tasks --department technical
  flowlab tasks --assignee me --status any --limit 20
  flowlab tasks --case 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 -o yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			params := apiv1.ListTasksParams{Department: dept, Status: status, Assignee: assignee, CaseID: caseID, From: flagTime(from), To: flagTime(to)}
			tasks, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Task, string, error) {
				params.Cursor, params.Limit = cursor, limit
				l, err := c.ListTasks(ctx, params)
				if err != nil {
					return nil, "", err
				}
				return l.Tasks, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.TaskList{Tasks: tasks, NextCursor: next}, tasks, next, pf.all, taskCols)
		},
	}
	cf.add(cmd)
	pf.add(cmd, "tasks")
	cmd.Flags().StringVar(&dept, "department", "", "only tasks of this department")
	cmd.Flags().StringVar(&status, "status", "", "open, completed, cancelled or any (default open)")
	cmd.Flags().StringVar(&assignee, "assignee", "", "actor id of the assignee, or me")
	cmd.Flags().StringVar(&caseID, "case", "", "only tasks of this case")
	cmd.Flags().StringVar(&from, "from", "", "only tasks opened at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only tasks opened before this RFC 3339 time")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(taskStatuses, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("case", completeCases(&cf))
	return cmd
}

func newTaskCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "task TASK_ID",
		Short: "Show a task: step, department, outcomes, form",
		Long: `task shows one task (GET /api/v1/tasks/{id}): where it stands, the outcomes
complete accepts and the form fields its --data fills.`,
		Example:           `  flowlab task b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTasks(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetTask(cmd.Context(), apiv1.TaskIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				cols := []string{"id", "case_id", "step", "department", "status", "assignee", "outcomes", "sla_due"}
				if err := writeTable(w, out, cols); err != nil {
					return err
				}
				if form := out.Form; len(form) > 0 {
					fmt.Fprintln(w, "\nform:")
					return writeTable(w, form, []string{"name", "type", "required", "options", "label"})
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	return cmd
}

func newClaimCmd(verb string) *cobra.Command {
	var cf clientFlags
	long := `claim assigns an open task to you (POST /api/v1/tasks/{id}/claim), so others
in the department see it is taken. You must work in the task's department.`
	if verb == "unclaim" {
		long = `unclaim gives a claimed task back to its department's inbox
(POST /api/v1/tasks/{id}/unclaim). Admins and the team leads of the task's
department (token create --lead) may release anyone's claim.`
	}
	cmd := &cobra.Command{
		Use:               verb + " TASK_ID",
		Short:             strings.ToUpper(verb[:1]) + verb[1:] + " a task",
		Long:              long,
		Example:           "  flowlab " + verb + " b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTasks(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			claim := c.ClaimTask
			if verb == "unclaim" {
				claim = c.UnclaimTask
			}
			out, err := claim(cmd.Context(), apiv1.TaskIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "step", "department", "status", "assignee", "claimed_at"})
		},
	}
	cf.add(cmd)
	return cmd
}

// newAssignCmd is "assign TASK_ID --to ACTOR_ID": a team lead (or an
// admin) gives a task, claimed or not, to an actor of its department.
func newAssignCmd() *cobra.Command {
	var cf clientFlags
	var to string
	cmd := &cobra.Command{
		Use:   "assign TASK_ID --to ACTOR_ID",
		Short: "Reassign a task to another actor of its department (team leads, admins)",
		Long: `assign gives an open task to an actor of its department, whoever holds it
now (POST /api/v1/tasks/{id}/assign): how a team lead moves a task someone
left claimed. Only team leads of the task's department (token create --lead)
and admins may. To only release it, use unclaim.`,
		Example:           "  flowlab assign b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10 --to 3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTasks(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(to) == "" {
				return usageError{errors.New("--to is required: the id of the actor who gets the task")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.AssignTask(cmd.Context(), apiv1.TaskIDParams{ID: args[0]}, apiv1.AssignRequest{Actor: to})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "step", "department", "status", "assignee", "claimed_at"})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&to, "to", "", "id of the actor who gets the task (GET /api/v1/actors/{id} names one)")
	_ = cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions)
	return cmd
}

func newCompleteCmd() *cobra.Command {
	var cf clientFlags
	var outcome, idem string
	var data []string
	cmd := &cobra.Command{
		Use:   "complete TASK_ID",
		Short: "Complete a task with an outcome; prints the case's next task(s)",
		Long: `complete finishes a task with one of its step's outcomes and the form data
(POST /api/v1/tasks/{id}/complete). The case's workflow checks both and moves
on; the answer is the case status and its open tasks. With --idempotency-key a
retry (after a timeout or a 503) completes nothing twice.`,
		Example: `  flowlab complete b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10 --outcome diagnosed
  flowlab complete b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10 --outcome recorded --data severity=primary --data summary="router down" --idempotency-key ui-991`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTasks(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if outcome == "" {
				return usageError{errors.New("--outcome is required")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			d, err := keyValues(data)
			if err != nil {
				return err
			}
			out, err := c.CompleteTask(cmd.Context(), apiv1.CompleteParams{ID: args[0], IdempotencyKey: idem}, apiv1.CompleteRequest{Outcome: outcome, Data: d})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(w, "completed; case status: %v\n", out.CaseStatus)
				if len(out.Next) > 0 {
					fmt.Fprintln(w, "next:")
					return writeTable(w, out.Next, []string{"id", "step", "department", "sla_due"})
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&outcome, "outcome", "", "the outcome: one of the step's outcomes (flowlab task ID lists them; a wrong one is refused with the list)")
	cmd.Flags().StringArrayVar(&data, "data", nil, "form field key=value (repeatable)")
	cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: a retry completes nothing twice")
	_ = cmd.RegisterFlagCompletionFunc("outcome", completeOutcomes(&cf))
	return cmd
}

func newFlowsCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "flows",
		Short: "List flows with their default and latest versions",
		Long:  `flows lists the flows the API knows (GET /api/v1/flows), ordered by key.`,
		Example: `  flowlab flows
  flowlab flows -o json | jq -r '.flows[].key'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			flows, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.FlowSummary, string, error) {
				l, err := c.ListFlows(ctx, apiv1.ListFlowsParams{Cursor: cursor, Limit: limit})
				if err != nil {
					return nil, "", err
				}
				return l.Flows, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.FlowList{Flows: flows, NextCursor: next}, flows, next, pf.all,
				[]string{"key", "name", "default_version", "latest_version", "versions"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "flows")
	return cmd
}

func newFlowCmd() *cobra.Command {
	var cf clientFlags
	var version int
	var source bool
	cmd := &cobra.Command{
		Use:   "flow KEY",
		Short: "Show a flow's definition: its steps, or its YAML source",
		Long: `flow shows the default version of a flow, or --version N
(GET /api/v1/flows/{key}): the table lists its steps with their department,
SLA and where each outcome leads; json and yaml give the API's answer (the
compiled definition, the source and the versions); --source prints the YAML
source as written.`,
		Example: `  flowlab flow complaint
  flowlab flow complaint --version 2 --source > complaint.v2.yaml`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 0 {
				return usageError{fmt.Errorf("--version must be positive, not %d", version)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetFlow(cmd.Context(), apiv1.FlowParams{Key: args[0], Version: version})
			if err != nil {
				return err
			}
			if source {
				src := out.Source
				if !strings.HasSuffix(src, "\n") {
					src += "\n"
				}
				_, err := io.WriteString(cmd.OutOrStdout(), src)
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writeFlow(w, out) })
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&version, "version", 0, "flow version (default: the default version)")
	cmd.Flags().BoolVar(&source, "source", false, "print the YAML source instead")
	_ = cmd.RegisterFlagCompletionFunc("version", cobra.NoFileCompletions)
	addFlowEditCommands(cmd)
	return cmd
}

// writeFlow prints a flow detail answer: a summary and its steps.
func writeFlow(w io.Writer, out *apiv1.FlowDetail) error {
	var def *flow.Definition
	if len(out.Definition) > 0 && string(out.Definition) != "null" {
		def = new(flow.Definition)
		if err := json.Unmarshal(out.Definition, def); err != nil {
			return fmt.Errorf("the flow's definition: %w", err)
		}
	}
	fmt.Fprintf(w, "%s v%d: %s\n", cell(out.Key), out.Version, cell(out.Name))
	var versions []string
	for _, v := range out.Versions {
		s := strconv.Itoa(v.Version)
		if v.IsDefault {
			s += " (default)"
		}
		versions = append(versions, s)
	}
	if len(versions) > 0 {
		fmt.Fprintf(w, "versions: %s\n", strings.Join(versions, ", "))
	}
	if def == nil {
		fmt.Fprintln(w)
		return writeTable(w, []any{}, nil)
	}
	deps := "-"
	if len(def.Departments) > 0 {
		deps = strings.Join(def.Departments, ", ")
	}
	fmt.Fprintf(w, "departments: %s\n", deps)
	if def.SLA != 0 {
		fmt.Fprintf(w, "case SLA: %s\n", def.SLA)
	}
	fmt.Fprintln(w)
	type stepRow struct {
		Step       string `json:"step"`
		Kind       string `json:"kind"`
		Department string `json:"department"`
		SLA        string `json:"sla"`
		Next       string `json:"next"`
		Name       string `json:"name"`
	}
	rows := make([]stepRow, 0, len(def.Steps))
	for _, st := range def.Steps {
		row := stepRow{Step: st.ID, Kind: string(st.Kind), Name: st.Name, Department: st.Department, Next: stepNext(st)}
		if st.SLA != 0 {
			row.SLA = st.SLA.String()
		}
		rows = append(rows, row)
	}
	return writeTable(w, rows, []string{"step", "kind", "department", "sla", "next", "name"})
}

// stepNext summarises where a step leads: outcome->step for tasks, the
// rules' and default targets for decisions, the event and timeout for
// waits, next otherwise.
func stepNext(st flow.Step) string {
	var parts []string
	for _, o := range st.Outcomes {
		parts = append(parts, o.Name+"->"+o.Next)
	}
	for i, r := range st.Rules {
		parts = append(parts, fmt.Sprintf("rule %d->%s", i+1, r.Next))
	}
	if st.Default != "" {
		parts = append(parts, "default->"+st.Default)
	}
	if n := st.Next; n != "" {
		if st.Event != "" {
			n = st.Event + "->" + n
		}
		parts = append(parts, n)
	}
	if st.OnTimeout != "" {
		parts = append(parts, "timeout->"+st.OnTimeout)
	}
	return strings.Join(parts, ", ")
}

func newBottlenecksCmd() *cobra.Command {
	var cf clientFlags
	var version int
	var variant, from, to string
	cmd := &cobra.Command{
		Use:   "bottlenecks FLOW",
		Short: "Where cases of a flow wait: per step waiting and working time, SLA breaches",
		Long: `bottlenecks reports, per step of one flow version, how long cases waited
before someone worked on them and how long the work took (p50/p90 seconds),
the SLA breach rate, escalations and the step's share of the total time, and
marks the bottleneck (GET /api/v1/flows/{key}/bottlenecks). --from/--to bound
the time steps were entered.`,
		Example: `  flowlab bottlenecks complaint
  flowlab bottlenecks complaint --version 1 --from 2026-11-01T00:00:00Z -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFlowArg(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			return showBottlenecks(cmd, c, apiv1.BottlenecksParams{Key: args[0], Version: version, Variant: variant, From: flagTime(from), To: flagTime(to)}, cf.output)
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&version, "version", 0, "flow version (default: the default version)")
	cmd.Flags().StringVar(&variant, "variant", "", "variant (default: all)")
	cmd.Flags().StringVar(&from, "from", "", "only steps entered at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only steps entered before this RFC 3339 time")
	return cmd
}

// showBottlenecks fetches a bottleneck view and prints it: JSON or YAML as
// is, or a table with the wait/work percentiles flattened and the
// bottleneck step marked.
func showBottlenecks(cmd *cobra.Command, c *apiv1.Client, params apiv1.BottlenecksParams, output string) error {
	out, err := c.GetFlowBottlenecks(cmd.Context(), params)
	if err != nil {
		return err
	}
	return emitAnswer(cmd, output, out, func(w io.Writer) error {
		fmt.Fprintf(w, "flow %v v%d, %d cases\n", out.Flow, out.Version, out.Cases)
		// Durations and rates with their units, as the web UI shows them
		// (decision 0024); -o json keeps the raw numbers.
		type stepRow struct {
			Step          string `json:"step"`
			Department    string `json:"department"`
			Cases         int    `json:"cases"`
			WaitP50       string `json:"wait_p50"`
			WaitP90       string `json:"wait_p90"`
			WorkP50       string `json:"work_p50"`
			WorkP90       string `json:"work_p90"`
			AssignP90     string `json:"wait_for_assignment_p90"`
			StartP90      string `json:"wait_to_start_p90"`
			SLABreachRate string `json:"sla_breach_rate"`
			Escalations   int    `json:"escalations"`
			Share         string `json:"share"`
			Bottleneck    string `json:"bottleneck"`
		}
		rows := make([]stepRow, 0, len(out.Steps))
		assigned := false
		for _, st := range out.Steps {
			row := stepRow{Step: st.Step, Department: st.Department, Cases: st.Cases,
				WaitP50: tableDuration(st.Wait.P50), WaitP90: tableDuration(st.Wait.P90),
				WorkP50: tableDuration(st.Work.P50), WorkP90: tableDuration(st.Work.P90),
				SLABreachRate: tablePercent(st.SLABreachRate), Escalations: st.Escalations, Share: tablePercent(st.Share)}
			if st.Kind == "task" {
				row.AssignP90, row.StartP90 = tableDuration(st.WaitAssign.P90), tableDuration(st.WaitStart.P90)
			}
			assigned = assigned || st.Assigned > 0
			if st.Bottleneck {
				row.Bottleneck = "<== bottleneck"
			}
			rows = append(rows, row)
		}
		cols := []string{"step", "department", "cases", "wait_p50", "wait_p90", "work_p50", "work_p90", "sla_breach_rate", "escalations", "share", "bottleneck"}
		if assigned {
			// Where rules assign tasks, the wait splits at the assignment
			// (decision 0036).
			cols = slices.Insert(cols, 5, "wait_for_assignment_p90", "wait_to_start_p90")
		}
		return writeTable(w, rows, cols)
	})
}

func newTokenCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens: create, list, revoke",
		Long: `token manages API tokens. A token belongs to a person (an actor with a role
and, for staff, the departments whose inboxes they work); a person may have
several (a laptop, a script), and whatever any of them does is that person's.`,
		Example: `  flowlab token create --name "Tech agent" --role staff --department technical
  flowlab token create --person me --expires-in 30d
  flowlab token list --person me
  flowlab token revoke 7c0e9a3b-2f1d-4e5a-8b6c-9d0e1f2a3b4c`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("token needs a subcommand: create, list or revoke")}
		},
	}
	var cf clientFlags
	var name, role, expires, person string
	var depts, leads []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token: for a new person (admins), or another for an existing one; shown once",
		Long: `create makes a new person with a role and departments and prints their token
(POST /api/v1/tokens, admins only); with --person (an actor id, or me) it gives
an existing person another token instead: anyone for themselves, admins for
anyone. The token is shown only this once: in table mode it alone goes to
stdout, so it can be captured.`,
		Example: `  flowlab token create --name "Tech agent" --role staff --department technical
  flowlab token create --name "Lea (lead)" --role staff --department customer_service --lead customer_service
  export FLOWLAB_TOKEN=$(flowlab token create --name "Ops script" --role owner --expires-in 720h)
  flowlab token create --person me --expires-in 30d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if person != "" {
				for _, f := range []string{"name", "role", "department", "lead"} {
					if cmd.Flags().Changed(f) {
						return usageError{fmt.Errorf("--%s describes a new person; with --person the token is for an existing one", f)}
					}
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				req := apiv1.CreateTokenRequest{Person: person}
				if expires != "" {
					req.ExpiresIn = &expires
				}
				out, err := c.CreateToken(cmd.Context(), req)
				if err != nil {
					return err
				}
				return printNewToken(cmd, cf.output, out)
			}
			if !contains(tokenRoles, role) {
				return usageError{fmt.Errorf("--role must be one of %s, not %q", strings.Join(tokenRoles, ", "), role)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			if depts == nil {
				depts = []string{}
			}
			req := apiv1.CreateTokenRequest{Name: name, Role: role, Departments: depts, Leads: leads}
			if expires != "" {
				req.ExpiresIn = &expires
			}
			out, err := c.CreateToken(cmd.Context(), req)
			if err != nil {
				return err
			}
			return printNewToken(cmd, cf.output, out)
		},
	}
	cf.add(create)
	create.Flags().StringVar(&name, "name", "", "actor name (required by the API)")
	create.Flags().StringVar(&role, "role", "staff", "role: "+strings.Join(tokenRoles, ", "))
	create.Flags().StringArrayVar(&depts, "department", nil, "department (repeatable; staff need one)")
	create.Flags().StringArrayVar(&leads, "lead", nil, "a department, among --department, the actor is the team lead of: it may release and reassign its tasks (repeatable)")
	create.Flags().StringVar(&expires, "expires-in", "", "lifetime, e.g. 720h or 30d (default: never expires)")
	_ = create.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(tokenRoles, cobra.ShellCompDirectiveNoFileComp))
	_ = create.RegisterFlagCompletionFunc("name", cobra.NoFileCompletions)
	_ = create.RegisterFlagCompletionFunc("expires-in", cobra.NoFileCompletions)
	_ = create.RegisterFlagCompletionFunc("department", completeDepartments(&cf))
	_ = create.RegisterFlagCompletionFunc("lead", completeDepartments(&cf))
	create.Flags().StringVar(&person, "person", "", "give this existing person (actor id, or me) another token")
	parent.AddCommand(create, newTokenListCmd(), newTokenRevokeCmd())
	return parent
}

// printNewToken shows a token created: who it is for on stderr, the token
// alone on stdout (table mode), so that it can be captured.
func printNewToken(cmd *cobra.Command, output string, out *apiv1.TokenResponse) error {
	return emitAnswer(cmd, output, out, func(w io.Writer) error {
		a := out.Actor
		deps, expiresAt := "-", "-"
		if len(a.Departments) > 0 {
			deps = strings.Join(a.Departments, ",")
		}
		if out.ExpiresAt != nil {
			expiresAt = out.ExpiresAt.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "token of actor %s (%s, role %s, departments %s), expires %s; it is shown only once:\n",
			cell(a.ID), cell(a.Name), cell(a.Role), deps, expiresAt)
		_, err := fmt.Fprintln(w, out.Token)
		return err
	})
}

func newTokenListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var person string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens, newest first: yours (--person me), or everyone's (admins)",
		Long: `list shows tokens with their person and status (active, expired, revoked),
never the token itself (GET /api/v1/tokens). Admins see every token, or one
person's with --person; anyone else their own with --person me.`,
		Example: `  flowlab token list --person me
  flowlab token list --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Token, string, error) {
				out, err := c.ListTokens(ctx, apiv1.ListTokensParams{Actor: person, Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.Tokens, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			type row struct {
				ID        string     `json:"id"`
				Person    string     `json:"person"`
				Name      string     `json:"name"`
				Status    string     `json:"status"`
				CreatedAt time.Time  `json:"created_at"`
				ExpiresAt *time.Time `json:"expires_at"`
			}
			rows := make([]row, 0, len(items))
			for _, t := range items {
				rows = append(rows, row{ID: t.ID, Person: t.Actor.ID, Name: t.Actor.Name, Status: t.Status, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
			}
			return printList(cmd, args, cf.output, apiv1.TokenList{Tokens: items, NextCursor: next}, rows, next, pf.all,
				[]string{"id", "name", "person", "status", "created_at", "expires_at"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "tokens")
	cmd.Flags().StringVar(&person, "person", "", "only this person's tokens (actor id, or me)")
	return cmd
}

func newTokenRevokeCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke a token (yours, or any as an admin); it gets 401 at once",
		Long: `revoke ends a token (DELETE /api/v1/tokens/{id}): from now on it gets 401, and
web UI sessions signed in with it end. The id is the one token list shows, not
the token itself. Revoking a revoked token changes nothing.`,
		Example: "  flowlab token revoke 7c0e9a3b-2f1d-4e5a-8b6c-9d0e1f2a3b4c",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.RevokeToken(cmd.Context(), apiv1.TokenIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "status", "revoked_at"})
		},
	}
	cf.add(cmd)
	return cmd
}

func newOpenAPICmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the API's OpenAPI 3.1 document",
		Long: `openapi prints the OpenAPI 3.1 document the server generates from its
routes and types (GET /api/v1/openapi.json): JSON by default, -o yaml as YAML,
-o table as a list of the operations.`,
		Example: `  flowlab openapi > flowlab-openapi.json
  flowlab openapi -o table`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.clientMaybeAnonymous()
			if err != nil {
				return err
			}
			raw, err := c.GetOpenAPI(cmd.Context())
			if err != nil {
				return err
			}
			// The document has no Go type: JSON and YAML show it whole.
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return fmt.Errorf("the OpenAPI document: %w", err)
			}
			return emit(cmd, cf.output, doc, func(w io.Writer) error { return writeOperations(w, raw) })
		},
	}
	cf.addWithDefault(cmd, "json")
	return cmd
}

// openAPIDoc is what the operations table shows of an OpenAPI document.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths map[string]map[string]json.RawMessage `json:"paths"`
}

// writeOperations lists an OpenAPI document's operations.
func writeOperations(w io.Writer, raw []byte) error {
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("the OpenAPI document: %w", err)
	}
	fmt.Fprintf(w, "%s %s (OpenAPI %s)\n\n", cell(doc.Info.Title), cell(doc.Info.Version), cell(doc.OpenAPI))
	keys := make([]string, 0, len(doc.Paths))
	for k := range doc.Paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type opRow struct {
		Method  string `json:"method"`
		Path    string `json:"path"`
		Summary string `json:"summary"`
	}
	var rows []opRow
	for _, p := range keys {
		for _, m := range []string{"get", "put", "post", "patch", "delete", "head", "options"} {
			raw, ok := doc.Paths[p][m]
			if !ok {
				continue
			}
			var op struct {
				Summary     *string `json:"summary"`
				OperationID string  `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				continue
			}
			summary := op.OperationID
			if op.Summary != nil {
				summary = *op.Summary
			}
			rows = append(rows, opRow{Method: strings.ToUpper(m), Path: p, Summary: summary})
		}
	}
	return writeTable(w, rows, []string{"method", "path", "summary"})
}
