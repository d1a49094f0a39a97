package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/server/api"
	"github.com/spf13/cobra"
)

// apiPath joins escaped path segments under /api/v1.
func apiPath(segments ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segments {
		b.WriteString("/")
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

var (
	caseStatuses = []string{"starting", "active", "completed", "cancelled", "failed"}
	taskStatuses = []string{"open", "completed", "cancelled", "any"}
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
		newFeedbackCmd(), newReopenCmd(), newPilotCmd(), newImproveCmd(), newSpansCmd(),
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
			h := idempotencyHeader(idem)
			var out map[string]any
			body := map[string]any{"flow": flowKey, "customer": customer, "channel": channel, "attributes": a}
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("cases"), body, h, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, caseCols)
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
			q := url.Values{"flow": {flowKey}, "status": {status}, "from": {from}, "to": {to}, "customer": {customer}, "id": {id}}
			for _, a := range attrs {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return usageError{fmt.Errorf("--attr %q: expected KEY=VALUE, like severity=high", a)}
				}
				q.Add("attr", k+":"+v)
			}
			out, next, err := fetchList(cmd.Context(), c, apiPath("cases"), q, "cases", pf)
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, out, "cases", next, pf.all,
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodGet, apiPath("cases", args[0]), nil, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				if err := writeTable(w, out, caseCols); err != nil {
					return err
				}
				for _, sec := range []struct {
					key  string
					cols []string
				}{
					{"tasks", []string{"id", "step", "department", "status", "assignee", "sla_due"}},
					{"spans", []string{"seq", "step", "department", "outcome", "wait_seconds", "work_seconds", "breached"}},
				} {
					if rows, ok := out[sec.key].([]any); ok {
						fmt.Fprintf(w, "\n%s:\n", sec.key)
						if err := writeTable(w, rows, sec.cols); err != nil {
							return err
						}
					}
				}
				if links, ok := out["links"].(map[string]any); ok {
					if u, _ := links["temporal_ui"].(string); u != "" {
						fmt.Fprintf(w, "\nTemporal UI: %s\n", u)
					}
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
			var out map[string]any
			body := map[string]any{"name": args[1], "data": d}
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("cases", args[0], "events"), body, nil, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, []string{"id", "event"})
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("cases", args[0], verb), map[string]any{}, nil, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, []string{"id", "status"})
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
			q := url.Values{"department": {dept}, "status": {status}, "assignee": {assignee}, "case_id": {caseID}, "from": {from}, "to": {to}}
			out, next, err := fetchList(cmd.Context(), c, apiPath("tasks"), q, "tasks", pf)
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, out, "tasks", next, pf.all, taskCols)
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodGet, apiPath("tasks", args[0]), nil, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				cols := []string{"id", "case_id", "step", "department", "status", "assignee", "outcomes", "sla_due"}
				if err := writeTable(w, out, cols); err != nil {
					return err
				}
				if form, ok := out["form"].([]any); ok && len(form) > 0 {
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("tasks", args[0], verb), map[string]any{}, nil, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, []string{"id", "step", "department", "status", "assignee", "claimed_at"})
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("tasks", args[0], "assign"), map[string]any{"actor": to}, nil, &out); err != nil {
				return err
			}
			return render(cmd, cf.output, out, []string{"id", "step", "department", "status", "assignee", "claimed_at"})
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
			h := idempotencyHeader(idem)
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("tasks", args[0], "complete"), map[string]any{"outcome": outcome, "data": d}, h, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(w, "completed; case status: %v\n", out["case_status"])
				if next, ok := out["next"].([]any); ok && len(next) > 0 {
					fmt.Fprintln(w, "next:")
					return writeTable(w, next, []string{"id", "step", "department", "sla_due"})
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
			out, next, err := fetchList(cmd.Context(), c, apiPath("flows"), nil, "flows", pf)
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, out, "flows", next, pf.all,
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
			q := url.Values{}
			if version > 0 {
				q.Set("version", strconv.Itoa(version))
			}
			var out map[string]any
			if err := c.get(cmd.Context(), apiPath("flows", args[0]), q, &out); err != nil {
				return err
			}
			if source {
				src, _ := out["source"].(string)
				if !strings.HasSuffix(src, "\n") {
					src += "\n"
				}
				_, err := io.WriteString(cmd.OutOrStdout(), src)
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error { return writeFlow(w, out) })
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
func writeFlow(w io.Writer, out map[string]any) error {
	def, _ := out["definition"].(map[string]any)
	fmt.Fprintf(w, "%s v%s: %s\n", cell(out["key"]), cell(out["version"]), cell(out["name"]))
	var versions []string
	if vs, ok := out["versions"].([]any); ok {
		for _, v := range vs {
			m, _ := v.(map[string]any)
			s := cell(m["version"])
			if d, _ := m["is_default"].(bool); d {
				s += " (default)"
			}
			versions = append(versions, s)
		}
	}
	if len(versions) > 0 {
		fmt.Fprintf(w, "versions: %s\n", strings.Join(versions, ", "))
	}
	if def != nil {
		fmt.Fprintf(w, "departments: %s\n", strings.ReplaceAll(cell(def["departments"]), ",", ", "))
		if sla := cell(def["sla"]); sla != "-" {
			fmt.Fprintf(w, "case SLA: %s\n", sla)
		}
	}
	fmt.Fprintln(w)
	steps, _ := def["steps"].([]any)
	rows := make([]any, 0, len(steps))
	for _, s := range steps {
		st, _ := s.(map[string]any)
		if st == nil {
			continue
		}
		row := map[string]any{"step": st["id"], "kind": st["kind"], "name": st["name"], "department": st["department"], "sla": st["sla"], "next": stepNext(st)}
		rows = append(rows, row)
	}
	return writeTable(w, rows, []string{"step", "kind", "department", "sla", "next", "name"})
}

// stepNext summarises where a step leads: outcome->step for tasks, the
// rules' and default targets for decisions, the event and timeout for
// waits, next otherwise.
func stepNext(st map[string]any) string {
	var parts []string
	str := func(v any) string { s, _ := v.(string); return s }
	for _, o := range asList(st["outcomes"]) {
		parts = append(parts, str(o["name"])+"->"+str(o["next"]))
	}
	for i, r := range asList(st["rules"]) {
		parts = append(parts, fmt.Sprintf("rule %d->%s", i+1, str(r["next"])))
	}
	if d := str(st["default"]); d != "" {
		parts = append(parts, "default->"+d)
	}
	if n := str(st["next"]); n != "" {
		if e := str(st["event"]); e != "" {
			n = e + "->" + n
		}
		parts = append(parts, n)
	}
	if t := str(st["on_timeout"]); t != "" {
		parts = append(parts, "timeout->"+t)
	}
	return strings.Join(parts, ", ")
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
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
			q := url.Values{}
			if version > 0 {
				q.Set("version", strconv.Itoa(version))
			}
			for k, v := range map[string]string{"variant": variant, "from": from, "to": to} {
				if v != "" {
					q.Set(k, v)
				}
			}
			path := apiPath("flows", args[0], "bottlenecks")
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			return showBottlenecks(cmd, c, path, cf.output)
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&version, "version", 0, "flow version (default: the default version)")
	cmd.Flags().StringVar(&variant, "variant", "", "variant (default: all)")
	cmd.Flags().StringVar(&from, "from", "", "only steps entered at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only steps entered before this RFC 3339 time")
	return cmd
}

// showBottlenecks fetches a bottleneck view (path includes the query) and
// prints it: JSON or YAML as is, or a table with the wait/work percentiles
// flattened and the bottleneck step marked.
func showBottlenecks(cmd *cobra.Command, c *apiClient, path, output string) error {
	var out map[string]any
	if err := c.do(cmd.Context(), http.MethodGet, path, nil, nil, &out); err != nil {
		return err
	}
	return emit(cmd, output, out, func(w io.Writer) error {
		fmt.Fprintf(w, "flow %v v%v, %v cases\n", out["flow"], cell(out["version"]), cell(out["cases"]))
		rows, _ := out["steps"].([]any)
		flat := make([]any, 0, len(rows))
		for _, r := range rows {
			m, _ := r.(map[string]any)
			if m == nil {
				continue
			}
			f := map[string]any{}
			for k, v := range m {
				f[k] = v
			}
			// Durations and rates with their units, as the web UI shows
			// them (decision 0024); -o json keeps the raw numbers.
			for _, part := range []string{"wait", "work"} {
				if q, ok := m[part].(map[string]any); ok {
					for _, p := range []string{"p50", "p90", "p95"} {
						f[part+"_"+p] = tableDuration(q[p])
					}
				}
			}
			for _, k := range []string{"sla_breach_rate", "share"} {
				f[k] = tablePercent(m[k])
			}
			if b, _ := m["bottleneck"].(bool); b {
				f["bottleneck"] = "<== bottleneck"
			} else {
				f["bottleneck"] = ""
			}
			flat = append(flat, f)
		}
		return writeTable(w, flat, []string{"step", "department", "cases", "wait_p50", "wait_p90", "work_p50", "work_p90", "sla_breach_rate", "escalations", "share", "bottleneck"})
	})
}

func newTokenCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens",
		Long: `token manages the API tokens of actors. Each token belongs to an actor with a
role (admin, owner, staff, improver) and, for staff, the departments whose
inboxes they work.`,
		Example: `  flowlab token create --name "Tech agent" --role staff --department technical`,
		Args:    noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("token needs a subcommand: create")}
		},
	}
	var cf clientFlags
	var name, role, expires string
	var depts, leads []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an actor and its API token (admin); the token is shown once",
		Long: `create makes a new actor with a role and departments and prints its token
(POST /api/v1/tokens, admins only). The token is shown only this once: in
table mode it alone goes to stdout, so it can be captured.`,
		Example: `  flowlab token create --name "Tech agent" --role staff --department technical
  flowlab token create --name "Lea (lead)" --role staff --department customer_service --lead customer_service
  export FLOWLAB_TOKEN=$(flowlab token create --name "Ops script" --role owner --expires-in 720h)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			body := map[string]any{"name": name, "role": role, "departments": depts}
			if len(leads) > 0 {
				body["leads"] = leads
			}
			if expires != "" {
				body["expires_in"] = expires
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("tokens"), body, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				actor, _ := out["actor"].(map[string]any)
				fmt.Fprintf(cmd.ErrOrStderr(), "token of actor %s (%s, role %s, departments %s), expires %s; it is shown only once:\n",
					cell(actor["id"]), cell(actor["name"]), cell(actor["role"]), cell(actor["departments"]), cell(out["expires_at"]))
				_, err := fmt.Fprintln(w, out["token"])
				return err
			})
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
	parent.AddCommand(create)
	return parent
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodGet, apiPath("openapi.json"), nil, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error { return writeOperations(w, out) })
		},
	}
	cf.addWithDefault(cmd, "json")
	return cmd
}

// writeOperations lists an OpenAPI document's operations.
func writeOperations(w io.Writer, doc map[string]any) error {
	info, _ := doc["info"].(map[string]any)
	fmt.Fprintf(w, "%s %s (OpenAPI %s)\n\n", cell(info["title"]), cell(info["version"]), cell(doc["openapi"]))
	paths, _ := doc["paths"].(map[string]any)
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rows []any
	for _, p := range keys {
		item, _ := paths[p].(map[string]any)
		for _, m := range []string{"get", "put", "post", "patch", "delete", "head", "options"} {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			summary := op["summary"]
			if summary == nil {
				summary = op["operationId"]
			}
			rows = append(rows, map[string]any{"method": strings.ToUpper(m), "path": p, "summary": summary})
		}
	}
	return writeTable(w, rows, []string{"method", "path", "summary"})
}

// idempotencyHeader is the Idempotency-Key header of a request, when the
// user gave one.
func idempotencyHeader(key string) map[string]string {
	if key == "" {
		return nil
	}
	return map[string]string{"Idempotency-Key": key}
}
