package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/readable"
)

// Pilots (ADR 0008, API in ADR 0009): start one, follow it, read its
// statistics, stop it, promote an arm.

var (
	pilotMetrics  = []string{"cycle_time", "sla_breach_rate", "fcr", "csat"}
	pilotUnits    = []string{"customer", "case"}
	pilotStatuses = []string{apiv1.PilotRunning, apiv1.PilotStopped, apiv1.PilotCompleted, apiv1.PilotPromoted}
	pilotArms     = []string{apiv1.ArmTreatment, apiv1.ArmControl}
)

func newPilotCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "pilot",
		Short: "Pilot a flow version against the current one on a share of new cases",
		Long: `pilot runs an A/B pilot of a flow: new cases of the flow are split between the
control version (by default the flow's default) and the treatment version, by
a hash of the customer (a customer stays in one arm) or of the case. A Pilot
workflow looks at the data every --evaluate-every with a group-sequential
design (so looking often does not manufacture a winner), stops the treatment
when a guardrail is breached, and concludes with a recommendation; the
improvement team then promotes the winning arm.`,
		Example: `  flowlab pilot start --flow complaint --treatment 2 --guardrail sla_breach_rate=0.1
  flowlab pilot status PILOT_ID
  flowlab pilot results PILOT_ID
  flowlab pilot promote PILOT_ID --arm treatment`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("pilot needs a subcommand: start, list, status, results, evaluate, stop or promote")}
		},
	}
	parent.AddCommand(newPilotStartCmd(), newPilotListCmd(), newPilotStatusCmd(), newPilotResultsCmd(),
		newPilotEvaluateCmd(), newPilotStopCmd(), newPilotPromoteCmd())
	return parent
}

// parseGuardrails parses --guardrail metric=max_worsening values.
func parseGuardrails(values []string) ([]apiv1.PilotGuardrail, error) {
	var out []apiv1.PilotGuardrail
	for _, v := range values {
		metric, raw, ok := strings.Cut(v, "=")
		metric = strings.TrimSpace(metric)
		if !ok || metric == "" || strings.TrimSpace(raw) == "" {
			return nil, usageError{fmt.Errorf("--guardrail %q: expected metric=max_worsening, like sla_breach_rate=0.1", v)}
		}
		if !contains(pilotMetrics, metric) {
			return nil, usageError{fmt.Errorf("--guardrail %q: the metric must be one of %s", v, strings.Join(pilotMetrics, ", "))}
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, usageError{fmt.Errorf("--guardrail %q: the maximum worsening must be a number >= 0 (relative for cycle_time: 0.2 is 20%% slower; proportion points for rates: 0.05; points for csat)", v)}
		}
		out = append(out, apiv1.PilotGuardrail{Metric: metric, MaxWorsening: f})
	}
	return out, nil
}

// durationFlag checks a flow duration flag like 14d, 36h or 90m.
func durationFlag(name, v string) error {
	if v == "" {
		return nil
	}
	d, err := flow.ParseDuration(v)
	if err != nil || d <= 0 {
		return usageError{fmt.Errorf("--%s must be a duration like 14d, 36h or 90m, not %q", name, v)}
	}
	return nil
}

func newPilotStartCmd() *cobra.Command {
	var cf clientFlags
	var flowKey, unit, metric, maxDuration, every string
	var control, treatment, minCases int
	var share float64
	var guardrails []string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a pilot of a flow version against the current one",
		Long: `start pilots version --treatment of a flow against --control (default: the
flow's default version) on --share percent of new cases (POST /api/v1/pilots).
The assignment hashes the --unit: customer (default; a customer stays in one
arm for the pilot's life) or case. The --metric decides the pilot (cycle_time,
sla_breach_rate, fcr or csat); each --guardrail metric=max_worsening stops the
treatment when it makes that metric significantly worse by more than the
margin: relative for cycle_time (0.2: the median 20% slower), proportion
points for rates (0.1: 10 points), points for csat. The pilot plans
--min-cases per arm, looks every --evaluate-every and concludes at the latest
after --max-duration. At most one pilot per flow runs at a time.`,
		Example: `  flowlab pilot start --flow complaint --treatment 2
  flowlab pilot start --flow complaint --control 1 --treatment 2 --share 30 --unit customer \
      --metric cycle_time --guardrail sla_breach_rate=0.1 --guardrail csat=0.3 \
      --min-cases 200 --max-duration 14d --evaluate-every 1h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flowKey == "" {
				return usageError{errors.New("--flow is required")}
			}
			if treatment < 1 {
				return usageError{errors.New("--treatment is required: the flow version to pilot (see flowlab flow versions FLOW)")}
			}
			if control < 0 {
				return usageError{fmt.Errorf("--control must be positive, not %d", control)}
			}
			if cmd.Flags().Changed("share") && !(share > 0 && share < 100) {
				return usageError{fmt.Errorf("--share must be above 0 and below 100 (percent of new cases to the treatment), not %v", share)}
			}
			if unit != "" && !contains(pilotUnits, unit) {
				return usageError{fmt.Errorf("--unit must be customer or case, not %q", unit)}
			}
			if metric != "" && !contains(pilotMetrics, metric) {
				return usageError{fmt.Errorf("--metric must be one of %s, not %q", strings.Join(pilotMetrics, ", "), metric)}
			}
			if cmd.Flags().Changed("min-cases") && (minCases < 2 || minCases > 1000000) {
				return usageError{fmt.Errorf("--min-cases must be from 2 to 1000000, not %d", minCases)}
			}
			if err := durationFlag("max-duration", maxDuration); err != nil {
				return err
			}
			if err := durationFlag("evaluate-every", every); err != nil {
				return err
			}
			g, err := parseGuardrails(guardrails)
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := apiv1.StartPilotRequest{Flow: flowKey, Treatment: treatment, Control: control, Unit: unit, PrimaryMetric: metric,
				MaxDuration: maxDuration, EvaluateEvery: every, Guardrails: g}
			if cmd.Flags().Changed("share") {
				body.Share = &share
			}
			if cmd.Flags().Changed("min-cases") {
				body.MinCasesPerArm = &minCases
			}
			out, err := c.StartPilot(cmd.Context(), body)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if err := writePilot(w, out); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "new %s cases are now split; follow it with: flowlab pilot status %s\n", cell(out.Flow), cell(out.ID))
				return nil
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&flowKey, "flow", "", "flow key (required)")
	cmd.Flags().IntVar(&treatment, "treatment", 0, "treatment version: the candidate (required)")
	cmd.Flags().IntVar(&control, "control", 0, "control version (default: the flow's default version)")
	cmd.Flags().Float64Var(&share, "share", 50, "percent of new units assigned to the treatment, above 0 and below 100")
	cmd.Flags().StringVar(&unit, "unit", "", "what the assignment hashes: customer (default) or case")
	cmd.Flags().StringVar(&metric, "metric", "", "primary metric that decides: "+strings.Join(pilotMetrics, ", ")+" (default cycle_time)")
	cmd.Flags().StringArrayVar(&guardrails, "guardrail", nil, "metric=max_worsening that stops the treatment when breached, e.g. sla_breach_rate=0.1 (repeatable)")
	cmd.Flags().IntVar(&minCases, "min-cases", 100, "planned cases per arm before deciding (2–1000000)")
	cmd.Flags().StringVar(&maxDuration, "max-duration", "", "longest run, like 14d, 36h or 90m (default 14d); the last look concludes either way")
	cmd.Flags().StringVar(&every, "evaluate-every", "", "evaluation period, like 1h (default 1h)")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = cmd.RegisterFlagCompletionFunc("unit", cobra.FixedCompletions(pilotUnits, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("metric", cobra.FixedCompletions(pilotMetrics, cobra.ShellCompDirectiveNoFileComp))
	for _, f := range []string{"treatment", "control", "share", "guardrail", "min-cases", "max-duration", "evaluate-every"} {
		_ = cmd.RegisterFlagCompletionFunc(f, cobra.NoFileCompletions)
	}
	return cmd
}

func newPilotListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var flowKey, status, from, to string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List pilots, newest first",
		Long: `list shows pilots newest first (GET /api/v1/pilots), optionally of one flow,
in one status (running, stopped, completed, promoted), or created in
[--from, --to).`,
		Example: `  flowlab pilot list --flow complaint
  flowlab pilot list --status running -o json | jq -r '.pilots[].id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if status != "" && !contains(pilotStatuses, status) {
				return usageError{fmt.Errorf("--status must be one of %s, not %q", strings.Join(pilotStatuses, ", "), status)}
			}
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			params := apiv1.ListPilotsParams{Flow: flowKey, Status: status, From: flagTime(from), To: flagTime(to)}
			pilots, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Pilot, string, error) {
				params.Cursor, params.Limit = cursor, limit
				l, err := c.ListPilots(ctx, params)
				if err != nil {
					return nil, "", err
				}
				return l.Pilots, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.PilotList{Pilots: pilots, NextCursor: next}, pilots, next, pf.all,
				[]string{"id", "flow", "control", "treatment", "share", "unit", "primary_metric", "status", "winner", "created_at"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "pilots")
	cmd.Flags().StringVar(&flowKey, "flow", "", "only pilots of this flow")
	cmd.Flags().StringVar(&status, "status", "", "only pilots in this status: "+strings.Join(pilotStatuses, ", "))
	cmd.Flags().StringVar(&from, "from", "", "only pilots created at or after this RFC 3339 time")
	cmd.Flags().StringVar(&to, "to", "", "only pilots created before this RFC 3339 time")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(pilotStatuses, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newPilotStatusCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "status PILOT_ID",
		Short: "Show a pilot: arms, status, looks, decision, next look",
		Long: `status shows one pilot (GET /api/v1/pilots/{id}): the flow, control and
treatment versions and the share, its status, how many looks the Pilot
workflow made and its last decision, the winner and recommendation once it
concluded, why it stopped, and when it looks next.`,
		Example: `  flowlab pilot status a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a
  flowlab pilot status a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a -o json | jq .live`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePilots(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetPilot(cmd.Context(), apiv1.PilotIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writePilot(w, out) })
		},
	}
	cf.add(cmd)
	return cmd
}

func newPilotResultsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "results PILOT_ID",
		Short: "A pilot's statistics: per arm, per metric, guardrails, decision, per step",
		Long: `results evaluates a pilot now from its current cases, without storing anything
(GET /api/v1/pilots/{id}/results), so the numbers equal a recomputation from
flowlab spans export --pilot ID. The table shows, per arm, the cases, how
many closed, the median and p90 cycle time, the SLA breach rate, first-contact
resolution and mean CSAT (each with the cases it rests on); per metric the
effect of the treatment with its 95% confidence interval and p-value; the
sample-ratio check; the guardrails; the decision, winner and recommendation;
the cases per arm needed for 80% power; then, per step, the median waiting
time in each arm and the change in waiting and working time. json and yaml
give the API's answer as is.`,
		Example: `  flowlab pilot results a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a
  flowlab pilot results a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a -o json | jq '.metrics[] | select(.primary)'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePilots(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			return showPilotResults(cmd, c, args[0], cf.output)
		},
	}
	cf.add(cmd)
	return cmd
}

// showPilotResults fetches a pilot's results and prints them.
func showPilotResults(cmd *cobra.Command, c *apiv1.Client, id, output string) error {
	out, err := c.GetPilotResults(cmd.Context(), apiv1.PilotIDParams{ID: id})
	if err != nil {
		return err
	}
	return emitAnswer(cmd, output, out, func(w io.Writer) error { return writePilotResults(w, out) })
}

func newPilotEvaluateCmd() *cobra.Command {
	var cf clientFlags
	var idem string
	cmd := &cobra.Command{
		Use:   "evaluate PILOT_ID",
		Short: "Make the pilot look at its data now (it may conclude or stop)",
		Long: `evaluate asks the Pilot workflow for a look now (POST /api/v1/pilots/{id}/evaluate),
as its timer would: the look is stored and acted on, so the pilot may
conclude or stop its treatment. With --idempotency-key a retry looks once.
Only a running pilot can be evaluated.`,
		Example: `  flowlab pilot evaluate a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a
  flowlab pilot evaluate a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a --idempotency-key look-2026-03-02`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePilots(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.EvaluatePilot(cmd.Context(), apiv1.EvaluatePilotParams{ID: args[0], IdempotencyKey: idem})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writePilot(w, out) })
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: a retry with the same key looks once")
	return cmd
}

func newPilotStopCmd() *cobra.Command {
	var cf clientFlags
	var reason string
	cmd := &cobra.Command{
		Use:   "stop PILOT_ID",
		Short: "Stop a running pilot; new cases get the flow's default again",
		Long: `stop asks the Pilot workflow to end the pilot (POST /api/v1/pilots/{id}/stop);
new cases of the flow get its default version again, running cases keep
theirs. The server waits up to 2 seconds for the pilot to end; if it has not,
the answer still says running and the pilot ends a moment later.`,
		Example:           `  flowlab pilot stop a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a --reason "customers complain about the new form"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePilots(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(reason) > 500 {
				return usageError{errors.New("--reason must be at most 500 characters")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.StopPilot(cmd.Context(), apiv1.PilotIDParams{ID: args[0]}, apiv1.StopPilotRequest{Reason: reason})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if err := writePilot(w, out); err != nil {
					return err
				}
				if out.Status == apiv1.PilotRunning {
					fmt.Fprintln(cmd.ErrOrStderr(), "the pilot was asked to stop and ends in a moment; check with: flowlab pilot status "+cell(out.ID))
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why (default: stopped by <you>)")
	_ = cmd.RegisterFlagCompletionFunc("reason", cobra.NoFileCompletions)
	return cmd
}

func newPilotPromoteCmd() *cobra.Command {
	var cf clientFlags
	var arm string
	cmd := &cobra.Command{
		Use:   "promote PILOT_ID --arm treatment|control",
		Short: "Make an arm's version the flow's default (stops a running pilot first)",
		Long: `promote makes the version of --arm the flow's default
(POST /api/v1/pilots/{id}/promote): new cases get it, running cases keep
theirs; the pilot is marked promoted, with an audit entry. A running pilot is
stopped first. Promoting the same arm again changes nothing.`,
		Example:           `  flowlab pilot promote a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a --arm treatment`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePilots(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if arm == "" {
				return usageError{errors.New("--arm is required: treatment or control")}
			}
			if !contains(pilotArms, arm) {
				return usageError{fmt.Errorf("--arm must be treatment or control, not %q", arm)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.PromotePilot(cmd.Context(), apiv1.PilotIDParams{ID: args[0]}, apiv1.PromotePilotRequest{Arm: arm})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				version := out.Treatment
				if arm == apiv1.ArmControl {
					version = out.Control
				}
				fmt.Fprintf(w, "promoted the %s arm: v%d is now the default version of %s\n\n", arm, version, cell(out.Flow))
				return writePilot(w, out)
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&arm, "arm", "", "the arm whose version becomes the default: treatment or control")
	_ = cmd.RegisterFlagCompletionFunc("arm", cobra.FixedCompletions(pilotArms, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// completePilots completes the ids of pilots (running first, then the
// newest) as the first argument.
func completePilots(cf *clientFlags) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completionList(cmd, cf, prefix, func(ctx context.Context, c *apiv1.Client) ([]cobra.Completion, error) {
			l, err := c.ListPilots(ctx, apiv1.ListPilotsParams{Limit: 100})
			if err != nil {
				return nil, err
			}
			out := make([]cobra.Completion, 0, len(l.Pilots))
			for _, p := range l.Pilots {
				out = append(out, cobra.CompletionWithDesc(p.ID, fmt.Sprintf("%s v%d vs v%d, %s", p.Flow, p.Control, p.Treatment, p.Status)))
			}
			return out, nil
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

// number formats a float without trailing zeros.
func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pilotSummary is "complaint v1 vs v2, 50% of new customers to v2".
func pilotSummary(p apiv1.Pilot) string {
	return fmt.Sprintf("%s v%d vs v%d, %s%% of new %ss to v%d", cell(p.Flow), p.Control, p.Treatment,
		number(p.Share), firstText(p.Unit, "customer"), p.Treatment)
}

// guardrailText describes one guardrail in its metric's unit.
func guardrailText(metric string, max float64) string {
	switch metric {
	case "cycle_time":
		return fmt.Sprintf("cycle_time at most %s%% slower", strconv.FormatFloat(max*100, 'f', -1, 64))
	case "sla_breach_rate", "fcr":
		return fmt.Sprintf("%s at most %s points worse", metric, strconv.FormatFloat(max*100, 'f', -1, 64))
	}
	return fmt.Sprintf("%s at most %s points worse", metric, strconv.FormatFloat(max, 'f', -1, 64))
}

func guardrailsText(gs []apiv1.PilotGuardrail) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, guardrailText(g.Metric, g.MaxWorsening))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// firstText is the first non-empty string of vs ("" when none is).
func firstText(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// writePilot prints a pilot: what it compares, how, and where it stands.
func writePilot(w io.Writer, p *apiv1.Pilot) error {
	live := p.Live
	if live == nil {
		live = &apiv1.PilotLive{}
	}
	res := p.Results
	if res == nil {
		res = &experiment.Evaluation{}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%s\n", k, cell(v)) }
	row("pilot", p.ID)
	row("flow", p.Flow)
	row("control vs treatment", fmt.Sprintf("v%d vs v%d", p.Control, p.Treatment))
	row("share", fmt.Sprintf("%s%% of new %ss to v%d", number(p.Share), firstText(p.Unit, "customer"), p.Treatment))
	row("primary metric", p.PrimaryMetric)
	row("guardrails", guardrailsText(p.Guardrails))
	row("plan", fmt.Sprintf("%d cases per arm, at most %s, a look every %s", p.MinCasesPerArm, cell(p.MaxDuration), cell(p.EvaluateEvery)))
	row("status", p.Status)
	looks := len(p.Looks)
	if p.Live != nil {
		looks = p.Live.Looks
	}
	row("looks", looks)
	row("last decision", firstText(live.LastDecision, res.Decision))
	row("winner", firstText(p.Winner, live.Winner))
	if p.PromotedArm != "" {
		row("promoted", p.PromotedArm)
	}
	rec := firstText(p.Recommendation, live.Recommendation)
	if rec == "" && res.Recommendation != "" {
		rec = "at the last look: " + res.Recommendation
	}
	row("recommendation", rec)
	row("stop reason", firstText(p.StopReason, live.Reason))
	row("next look", live.NextLook)
	row("started", p.CreatedAt)
	if p.EndedAt != nil {
		row("ended", p.EndedAt)
	}
	if p.PDCACaseID != "" {
		row("improvement cycle", p.PDCACaseID)
	}
	return tw.Flush()
}

// humanSeconds formats a duration in seconds for people: the one display
// definition the web UI uses too (readable.Duration, decision 0024).
func humanSeconds(s float64) string { return readable.Duration(s) }

// tableDuration is a duration in seconds as a table cell, with its unit
// (readable.Duration); "-" when missing.
func tableDuration(f float64) string { return readable.Duration(f) }

// tablePercent is a 0–1 rate as a table cell in percent.
func tablePercent(f float64) string { return percent(f) }

// change formats a signed change in seconds: +10 min, −40 min, 0 s.
// (v is a float64, or a *float64 of an answer; nil: "-").
func change(v any) string {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case *float64:
		if t == nil {
			return "-"
		}
		f = *t
	default:
		return "-"
	}
	if f > 0 {
		return "+" + humanSeconds(f)
	}
	return humanSeconds(f)
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// metricValue formats an arm's value of a metric.
func metricValue(metric string, v float64) string {
	switch metric {
	case "cycle_time":
		return humanSeconds(v)
	case "sla_breach_rate", "fcr":
		return percent(v)
	}
	return fmt.Sprintf("%.2f", v)
}

// effectValue formats an effect (or a CI bound) in its unit.
func effectValue(unit string, v float64) string {
	switch unit {
	case "relative":
		return fmt.Sprintf("%+.1f%%", v*100)
	case "proportion":
		return fmt.Sprintf("%+.1f pts", v*100)
	}
	return fmt.Sprintf("%+.2f", v)
}

func pValue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// writePilotResults prints a results answer for an improvement team.
func writePilotResults(w io.Writer, r *apiv1.PilotResults) error {
	fmt.Fprintf(w, "pilot %s: %s v%d (control) vs v%d (treatment), %s\n", cell(r.PilotID), cell(r.Flow),
		r.Control, r.Treatment, cell(r.Status))
	final := ""
	if r.Final {
		final = ", final"
	}
	fmt.Fprintf(w, "computed %s: look %d, information fraction %.2f%s\n\n", cell(r.ComputedAt), r.Look, r.Fraction, final)

	type armRow struct {
		Arm         string `json:"arm"`
		Version     string `json:"version"`
		N           int    `json:"n"`
		Closed      int    `json:"closed"`
		MedianCycle string `json:"median_cycle"`
		P90Cycle    string `json:"p90_cycle"`
		SLABreach   string `json:"sla_breach"`
		FCR         string `json:"fcr"`
		CSAT        string `json:"csat"`
		// Perceived is the follow-up calls' perceived-improvement rate
		// (decision 0041).
		Perceived string `json:"perceived"`
	}
	var armRows []armRow
	for _, arm := range []string{apiv1.ArmControl, apiv1.ArmTreatment} {
		a, ok := r.Arms[arm]
		if !ok {
			continue
		}
		version := r.Control
		if arm == apiv1.ArmTreatment {
			version = r.Treatment
		}
		row := armRow{Arm: arm, Version: "v" + strconv.Itoa(version), N: a.N, Closed: a.Closed}
		if a.CycleN > 0 {
			row.MedianCycle = humanSeconds(a.MedianCycleSeconds)
			row.P90Cycle = humanSeconds(a.P90CycleSeconds)
		}
		if a.Closed > 0 {
			row.SLABreach = fmt.Sprintf("%s (%d/%d)", percent(a.SLABreachRate), a.SLABreached, a.Closed)
		}
		if a.FCRKnown > 0 {
			row.FCR = fmt.Sprintf("%s (n=%d)", percent(a.FCRRate), a.FCRKnown)
		}
		if a.CSATN > 0 {
			row.CSAT = fmt.Sprintf("%.2f (n=%d)", a.CSATMean, a.CSATN)
		}
		if a.PerceivedN > 0 {
			row.Perceived = fmt.Sprintf("%s (%d/%d)", percent(a.PerceivedRate), a.PerceivedYes, a.PerceivedN)
		}
		armRows = append(armRows, row)
	}
	if err := writeTable(w, armRows, []string{"arm", "version", "n", "closed", "median_cycle", "p90_cycle", "sla_breach", "fcr", "csat", "perceived"}); err != nil {
		return err
	}

	fmt.Fprintln(w)
	type metricRow struct {
		Metric    string `json:"metric"`
		Primary   string `json:"primary"`
		Control   string `json:"control"`
		Treatment string `json:"treatment"`
		Effect    string `json:"effect"`
		CI        string `json:"95%_ci"`
		P         string `json:"p"`
		Cases     string `json:"cases"`
		Verdict   string `json:"verdict"`
	}
	var metricRows []metricRow
	var primary *experiment.MetricResult
	for i, m := range r.Metrics {
		metric, unit := string(m.Metric), m.Unit
		row := metricRow{Metric: metric, Verdict: m.Verdict}
		if m.Primary {
			row.Primary = "yes"
			primary = &r.Metrics[i]
		}
		if m.Verdict != "insufficient data" {
			row.Control = metricValue(metric, m.Control)
			row.Treatment = metricValue(metric, m.Treatment)
			row.Effect = effectValue(unit, m.Effect)
			row.CI = effectValue(unit, m.CILow) + " .. " + effectValue(unit, m.CIHigh)
			row.P = pValue(m.P)
		}
		row.Cases = fmt.Sprintf("%d/%d", m.NControl, m.NTreatment)
		metricRows = append(metricRows, row)
	}
	if err := writeTable(w, metricRows, []string{"metric", "primary", "control", "treatment", "effect", "95%_ci", "p", "cases", "verdict"}); err != nil {
		return err
	}
	fmt.Fprintln(w, "(effect: treatment vs control; cycle_time relative to the control median, rates in percentage points, csat in points; cases: control/treatment)")
	if primary != nil && primary.Boundary > 0 {
		crossed := "not crossed: not shown yet"
		if primary.Crossed {
			crossed = "crossed"
		}
		fmt.Fprintf(w, "primary metric %s: |z| %.2f against the boundary %.2f at this look (%s)\n",
			cell(string(primary.Metric)), math.Abs(primary.Statistic), primary.Boundary, crossed)
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	srmText := "not checked"
	if r.SRM.Checked {
		srmText = fmt.Sprintf("p=%s, ok", pValue(r.SRM.P))
		if r.SRM.Mismatch {
			srmText = fmt.Sprintf("p=%s, MISMATCH: the arms' sizes do not match the share; do not trust the results until the assignment is explained", pValue(r.SRM.P))
		}
	}
	fmt.Fprintf(tw, "sample ratio:\t%s\n", srmText)
	if len(r.Guardrails) == 0 {
		fmt.Fprintf(tw, "guardrails:\t-\n")
	}
	for i, g := range r.Guardrails {
		label := ""
		if i == 0 {
			label = "guardrails:"
		}
		state := "ok"
		if g.Breached {
			state = "BREACHED"
		}
		fmt.Fprintf(tw, "%s\t%s: %s (p=%s): %s\n", label, guardrailText(string(g.Metric), g.MaxWorsening), state, pValue(g.P), cell(g.Reason))
	}
	fmt.Fprintf(tw, "decision:\t%s\n", cell(r.Decision))
	fmt.Fprintf(tw, "winner:\t%s\n", cell(firstText(r.Winner, "none (no significant difference yet)")))
	fmt.Fprintf(tw, "recommendation:\t%s\n", cell(r.Recommendation))
	needed := "unknown (no data or no effect yet)"
	if n := r.CasesNeededFor80Power; n > 0 {
		needed = strconv.Itoa(n)
		if more := r.CasesStillNeeded; more > 0 {
			needed += fmt.Sprintf(" (%d more in the smaller arm)", more)
		}
	}
	fmt.Fprintf(tw, "cases per arm for 80%% power:\t%s\n", needed)
	if ll := r.LastLook; ll != nil {
		fmt.Fprintf(tw, "last stored look:\t%d: %s\n", ll.Look, cell(ll.Decision))
	}
	for i, n := range r.Notes {
		label := ""
		if i == 0 {
			label = "notes:"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, cell(n))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Steps) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nper step (median waiting time; change: treatment - control):")
	type stepRow struct {
		Step             string `json:"step"`
		ControlWaitP50   string `json:"control_wait_p50"`
		TreatmentWaitP50 string `json:"treatment_wait_p50"`
		Change           string `json:"change"`
		WorkChange       string `json:"work_change"`
	}
	var stepRows []stepRow
	for _, s := range r.Steps {
		row := stepRow{Step: s.Step, Change: change(s.WaitP50Change), WorkChange: change(s.WorkP50Change)}
		if s.Control != nil {
			row.ControlWaitP50 = humanSeconds(s.Control.Wait.P50)
		}
		if s.Treatment != nil {
			row.TreatmentWaitP50 = humanSeconds(s.Treatment.Wait.P50)
		}
		stepRows = append(stepRows, row)
	}
	return writeTable(w, stepRows, []string{"step", "control_wait_p50", "treatment_wait_p50", "change", "work_change"})
}
