package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/readable"
)

// Pilots (ADR 0008, API in ADR 0009): start one, follow it, read its
// statistics, stop it, promote an arm.

var (
	pilotMetrics  = []string{"cycle_time", "sla_breach_rate", "fcr", "csat"}
	pilotUnits    = []string{"customer", "case"}
	pilotStatuses = []string{"running", "stopped", "completed", "promoted"}
	pilotArms     = []string{"treatment", "control"}
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
func parseGuardrails(values []string) ([]map[string]any, error) {
	var out []map[string]any
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
		out = append(out, map[string]any{"metric": metric, "max_worsening": f})
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
			body := map[string]any{"flow": flowKey, "treatment": treatment}
			if control > 0 {
				body["control"] = control
			}
			if cmd.Flags().Changed("share") {
				body["share"] = share
			}
			if cmd.Flags().Changed("min-cases") {
				body["min_cases_per_arm"] = minCases
			}
			for k, v := range map[string]string{"unit": unit, "primary_metric": metric, "max_duration": maxDuration, "evaluate_every": every} {
				if v != "" {
					body[k] = v
				}
			}
			if len(g) > 0 {
				body["guardrails"] = g
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("pilots"), body, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				if err := writePilot(w, out); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "new %s cases are now split; follow it with: flowlab pilot status %s\n", cell(out["flow"]), cell(out["id"]))
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
			q := url.Values{"flow": {flowKey}, "status": {status}, "from": {from}, "to": {to}}
			out, next, err := fetchList(cmd.Context(), c, apiPath("pilots"), q, "pilots", pf)
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, out, "pilots", next, pf.all,
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodGet, apiPath("pilots", args[0]), nil, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error { return writePilot(w, out) })
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
func showPilotResults(cmd *cobra.Command, c *apiClient, id, output string) error {
	var out map[string]any
	if err := c.do(cmd.Context(), http.MethodGet, apiPath("pilots", id, "results"), nil, nil, &out); err != nil {
		return err
	}
	return emit(cmd, output, out, func(w io.Writer) error { return writePilotResults(w, out) })
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("pilots", args[0], "evaluate"), nil, idempotencyHeader(idem), &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error { return writePilot(w, out) })
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
			body := map[string]any{}
			if reason != "" {
				body["reason"] = reason
			}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("pilots", args[0], "stop"), body, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				if err := writePilot(w, out); err != nil {
					return err
				}
				if str(out["status"]) == "running" {
					fmt.Fprintln(cmd.ErrOrStderr(), "the pilot was asked to stop and ends in a moment; check with: flowlab pilot status "+cell(out["id"]))
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
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("pilots", args[0], "promote"), map[string]any{"arm": arm}, nil, &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				version := out["treatment"]
				if arm == "control" {
					version = out["control"]
				}
				fmt.Fprintf(w, "promoted the %s arm: v%s is now the default version of %s\n\n", arm, cell(version), cell(out["flow"]))
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
		return completionList(cmd, cf, apiPath("pilots"), url.Values{"limit": {"100"}}, "pilots", prefix, func(m map[string]any) (string, string) {
			return str(m["id"]), fmt.Sprintf("%s v%s vs v%s, %s", str(m["flow"]), cell(m["control"]), cell(m["treatment"]), str(m["status"]))
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

// number formats a float without trailing zeros.
func number(v any) string {
	f, ok := v.(float64)
	if !ok {
		return cell(v)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// pilotSummary is "complaint v1 vs v2, 50% of new customers to v2".
func pilotSummary(p map[string]any) string {
	unit := str(p["unit"])
	if unit == "" {
		unit = "customer"
	}
	return fmt.Sprintf("%s v%s vs v%s, %s%% of new %ss to v%s", cell(p["flow"]), cell(p["control"]), cell(p["treatment"]),
		number(p["share"]), unit, cell(p["treatment"]))
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

func guardrailsText(v any) string {
	var parts []string
	for _, g := range asList(v) {
		f, _ := g["max_worsening"].(float64)
		parts = append(parts, guardrailText(str(g["metric"]), f))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// firstText is the first non-empty string of vs.
func firstText(vs ...any) any {
	for _, v := range vs {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return nil
}

// writePilot prints a pilot: what it compares, how, and where it stands.
func writePilot(w io.Writer, p map[string]any) error {
	live, _ := p["live"].(map[string]any)
	res, _ := p["results"].(map[string]any)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%s\n", k, cell(v)) }
	row("pilot", p["id"])
	row("flow", p["flow"])
	row("control vs treatment", fmt.Sprintf("v%s vs v%s", cell(p["control"]), cell(p["treatment"])))
	row("share", fmt.Sprintf("%s%% of new %ss to v%s", number(p["share"]), firstText(p["unit"], "customer"), cell(p["treatment"])))
	row("primary metric", p["primary_metric"])
	row("guardrails", guardrailsText(p["guardrails"]))
	row("plan", fmt.Sprintf("%s cases per arm, at most %s, a look every %s", cell(p["min_cases_per_arm"]), cell(p["max_duration"]), cell(p["evaluate_every"])))
	row("status", p["status"])
	looks := any(float64(len(asList(p["looks"]))))
	if live != nil {
		looks = live["looks"]
	}
	row("looks", looks)
	lastDecision := firstText(live["last_decision"], res["decision"])
	row("last decision", lastDecision)
	row("winner", firstText(p["winner"], live["winner"]))
	if pa := str(p["promoted_arm"]); pa != "" {
		row("promoted", pa)
	}
	rec := firstText(p["recommendation"], live["recommendation"])
	if rec == nil && str(res["recommendation"]) != "" {
		rec = "at the last look: " + str(res["recommendation"])
	}
	row("recommendation", rec)
	row("stop reason", firstText(p["stop_reason"], live["reason"]))
	row("next look", live["next_look"])
	row("started", p["created_at"])
	if p["ended_at"] != nil {
		row("ended", p["ended_at"])
	}
	if id := str(p["pdca_case_id"]); id != "" {
		row("improvement cycle", id)
	}
	return tw.Flush()
}

// humanSeconds formats a duration in seconds for people: the one display
// definition the web UI uses too (readable.Duration, decision 0024).
func humanSeconds(s float64) string { return readable.Duration(s) }

// tableDuration is a duration in seconds as a table cell, with its unit
// (readable.Duration); "-" when missing.
func tableDuration(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "-"
	}
	return readable.Duration(f)
}

// tablePercent is a 0–1 rate as a table cell in percent; "-" when missing.
func tablePercent(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "-"
	}
	return percent(f)
}

// change formats a signed change in seconds: +10 min, −40 min, 0 s.
func change(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "-"
	}
	if f > 0 {
		return "+" + humanSeconds(f)
	}
	return humanSeconds(f)
}

func num(v any) float64 { f, _ := v.(float64); return f }

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
func writePilotResults(w io.Writer, r map[string]any) error {
	fmt.Fprintf(w, "pilot %s: %s v%s (control) vs v%s (treatment), %s\n", cell(r["pilot_id"]), cell(r["flow"]),
		cell(r["control"]), cell(r["treatment"]), cell(r["status"]))
	final := ""
	if b, _ := r["final"].(bool); b {
		final = ", final"
	}
	fmt.Fprintf(w, "computed %s: look %s, information fraction %.2f%s\n\n", cell(r["computed_at"]), cell(r["look"]), num(r["fraction"]), final)

	arms, _ := r["arms"].(map[string]any)
	var armRows []any
	for _, arm := range []string{"control", "treatment"} {
		a, _ := arms[arm].(map[string]any)
		if a == nil {
			continue
		}
		row := map[string]any{"arm": arm, "version": "v" + cell(r[arm]), "n": a["n"], "closed": a["closed"]}
		if num(a["cycle_n"]) > 0 {
			row["median_cycle"] = humanSeconds(num(a["median_cycle_seconds"]))
			row["p90_cycle"] = humanSeconds(num(a["p90_cycle_seconds"]))
		}
		if num(a["closed"]) > 0 {
			row["sla_breach"] = fmt.Sprintf("%s (%s/%s)", percent(num(a["sla_breach_rate"])), cell(a["sla_breached"]), cell(a["closed"]))
		}
		if num(a["fcr_n"]) > 0 {
			row["fcr"] = fmt.Sprintf("%s (n=%s)", percent(num(a["fcr_rate"])), cell(a["fcr_n"]))
		}
		if num(a["csat_n"]) > 0 {
			row["csat"] = fmt.Sprintf("%.2f (n=%s)", num(a["csat_mean"]), cell(a["csat_n"]))
		}
		armRows = append(armRows, row)
	}
	if err := writeTable(w, armRows, []string{"arm", "version", "n", "closed", "median_cycle", "p90_cycle", "sla_breach", "fcr", "csat"}); err != nil {
		return err
	}

	fmt.Fprintln(w)
	var metricRows []any
	var primary map[string]any
	for _, m := range asList(r["metrics"]) {
		metric, unit := str(m["metric"]), str(m["unit"])
		row := map[string]any{"metric": metric, "verdict": m["verdict"]}
		if b, _ := m["primary"].(bool); b {
			row["primary"] = "yes"
			primary = m
		}
		if str(m["verdict"]) != "insufficient data" {
			row["control"] = metricValue(metric, num(m["control"]))
			row["treatment"] = metricValue(metric, num(m["treatment"]))
			row["effect"] = effectValue(unit, num(m["effect"]))
			row["95%_ci"] = effectValue(unit, num(m["ci_low"])) + " .. " + effectValue(unit, num(m["ci_high"]))
			row["p"] = pValue(num(m["p"]))
		}
		row["cases"] = fmt.Sprintf("%s/%s", cell(m["n_control"]), cell(m["n_treatment"]))
		metricRows = append(metricRows, row)
	}
	if err := writeTable(w, metricRows, []string{"metric", "primary", "control", "treatment", "effect", "95%_ci", "p", "cases", "verdict"}); err != nil {
		return err
	}
	fmt.Fprintln(w, "(effect: treatment vs control; cycle_time relative to the control median, rates in percentage points, csat in points; cases: control/treatment)")
	if primary != nil && num(primary["boundary"]) > 0 {
		crossed := "not crossed: not shown yet"
		if b, _ := primary["crossed"].(bool); b {
			crossed = "crossed"
		}
		fmt.Fprintf(w, "primary metric %s: |z| %.2f against the boundary %.2f at this look (%s)\n",
			cell(primary["metric"]), math.Abs(num(primary["statistic"])), num(primary["boundary"]), crossed)
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	srm, _ := r["srm"].(map[string]any)
	srmText := "not checked"
	if b, _ := srm["checked"].(bool); b {
		srmText = fmt.Sprintf("p=%s, ok", pValue(num(srm["p"])))
		if mm, _ := srm["mismatch"].(bool); mm {
			srmText = fmt.Sprintf("p=%s, MISMATCH: the arms' sizes do not match the share; do not trust the results until the assignment is explained", pValue(num(srm["p"])))
		}
	}
	fmt.Fprintf(tw, "sample ratio:\t%s\n", srmText)
	guards := asList(r["guardrails"])
	if len(guards) == 0 {
		fmt.Fprintf(tw, "guardrails:\t-\n")
	}
	for i, g := range guards {
		label := ""
		if i == 0 {
			label = "guardrails:"
		}
		state := "ok"
		if b, _ := g["breached"].(bool); b {
			state = "BREACHED"
		}
		fmt.Fprintf(tw, "%s\t%s: %s (p=%s): %s\n", label, guardrailText(str(g["metric"]), num(g["max_worsening"])), state, pValue(num(g["p"])), cell(g["reason"]))
	}
	fmt.Fprintf(tw, "decision:\t%s\n", cell(r["decision"]))
	fmt.Fprintf(tw, "winner:\t%s\n", cell(firstText(r["winner"], "none (no significant difference yet)")))
	fmt.Fprintf(tw, "recommendation:\t%s\n", cell(r["recommendation"]))
	needed := "unknown (no data or no effect yet)"
	if n := num(r["cases_needed_for_80_power"]); n > 0 {
		needed = cell(n)
		if more := num(r["cases_still_needed"]); more > 0 {
			needed += fmt.Sprintf(" (%s more in the smaller arm)", cell(more))
		}
	}
	fmt.Fprintf(tw, "cases per arm for 80%% power:\t%s\n", needed)
	if ll, _ := r["last_look"].(map[string]any); ll != nil {
		fmt.Fprintf(tw, "last stored look:\t%s: %s\n", cell(ll["look"]), cell(ll["decision"]))
	}
	if notes, _ := r["notes"].([]any); len(notes) > 0 {
		for i, n := range notes {
			label := ""
			if i == 0 {
				label = "notes:"
			}
			fmt.Fprintf(tw, "%s\t%s\n", label, cell(n))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	steps := asList(r["steps"])
	if len(steps) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nper step (median waiting time; change: treatment - control):")
	var stepRows []any
	for _, s := range steps {
		row := map[string]any{"step": s["step"], "change": change(s["wait_p50_change"]), "work_change": change(s["work_p50_change"])}
		for _, arm := range []string{"control", "treatment"} {
			if st, _ := s[arm].(map[string]any); st != nil {
				wait, _ := st["wait"].(map[string]any)
				row[arm+"_wait_p50"] = humanSeconds(num(wait["p50"]))
			}
		}
		stepRows = append(stepRows, row)
	}
	return writeTable(w, stepRows, []string{"step", "control_wait_p50", "treatment_wait_p50", "change", "work_change"})
}
