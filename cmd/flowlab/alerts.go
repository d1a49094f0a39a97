package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// newAlertCmd is "alert list|show|create|set|delete|ack|silence|history|
// metrics": KPI alert rules (decision 0040).
func newAlertCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "alert",
		Short: "KPI alert rules: thresholds and swings, evaluated by Temporal schedules",
		Long: `alert writes and reads KPI alert rules. A rule watches a metric ("flowlab alert
metrics") over a window ending at each evaluation, in a scope (flow, version,
step, department, channel), against a threshold (--above, --below) or a change
against the same hours of the previous weeks (--rise, --fall, as a fraction or
a percentage); below --min-sample observations it says "not enough data". It
fires once the condition has held for --pending and resolves when it no longer
holds; both changes notify its author, the people it names, the team leads of
its department, and its webhook, once. Each rule is evaluated by its own
Temporal Schedule (alert-<id>).`,
		Example: `  flowlab alert create --name "Investigation breaches" --metric sla_breach_rate \
    --flow complaint --step investigate --above 20% --window 1h --min-sample 10
  flowlab alert create --name "Slow first response" --metric first_response --rise 20% --window 1h
  flowlab alert list --state firing
  flowlab alert ack RULE_ID`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("alert needs a subcommand: list, show, create, set, delete, ack, silence, evaluate, history or metrics")}
		},
	}
	parent.AddCommand(newAlertListCmd(), newAlertShowCmd(), newAlertCreateCmd(), newAlertSetCmd(), newAlertDeleteCmd(),
		newAlertAckCmd(), newAlertSilenceCmd(), newAlertEvaluateCmd(), newAlertHistoryCmd(), newAlertMetricsCmd())
	return parent
}

var alertCols = []string{"id", "name", "state", "condition_text", "scope_text", "last.value_text", "last.n", "state_since"}

func newAlertListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var state, flowKey string
	var mine bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List alert rules and where they stand",
		Example: `  flowlab alert list
  flowlab alert list --state firing --mine`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			concerning := ""
			if mine {
				concerning = "me"
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.AlertRule, string, error) {
				out, err := c.ListAlertRules(ctx, apiv1.ListAlertRulesParams{State: state, Flow: flowKey, Concerning: concerning, Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.Rules, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.AlertRuleList{Rules: items, NextCursor: next}, items, next, pf.all, alertCols)
		},
	}
	cf.add(cmd)
	pf.add(cmd, "rules")
	cmd.Flags().StringVar(&state, "state", "", "only rules in this state: ok, pending, firing or resolved")
	cmd.Flags().StringVar(&flowKey, "flow", "", "only rules scoped to this flow")
	cmd.Flags().BoolVar(&mine, "mine", false, "only the rules whose scope touches you")
	return cmd
}

func newAlertShowCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "show RULE_ID",
		Short:   "Show an alert rule and its last evaluation",
		Example: `  flowlab alert show 2f1c7d0e-5b8a-4e61-9c3f-0a7b6d5e4c21`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetAlertRule(cmd.Context(), apiv1.AlertIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(alertCols, "window", "min_sample", "pending", "every", "department",
				"acknowledged_by", "silenced_until", "last.message", "schedule"))
		},
	}
	cf.add(cmd)
	return cmd
}

// alertFlags are the flags of a rule's definition.
type alertFlags struct {
	name, metric, flowKey, step, department, channel string
	version                                          int
	above, below, rise, fall                         string
	baselineWeeks                                    int
	window, pending, every, webhook                  string
	minSample                                        int
	notify                                           []string
}

func (f *alertFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "the rule's name")
	fl.StringVar(&f.metric, "metric", "", "the metric (flowlab alert metrics)")
	fl.StringVar(&f.flowKey, "flow", "", "scope: a flow")
	fl.IntVar(&f.version, "version", 0, "scope: a version of the flow")
	fl.StringVar(&f.step, "step", "", "scope: a step of the flow (task metrics)")
	fl.StringVar(&f.department, "department", "", "scope: a department (task metrics)")
	fl.StringVar(&f.channel, "channel", "", "scope: a channel (case metrics)")
	fl.StringVar(&f.above, "above", "", "fire above this threshold (a rate as 20% or 0.2)")
	fl.StringVar(&f.below, "below", "", "fire below this threshold")
	fl.StringVar(&f.rise, "rise", "", "fire on a rise of at least this much against the baseline (20% or 0.2)")
	fl.StringVar(&f.fall, "fall", "", "fire on a fall of at least this much against the baseline")
	fl.IntVar(&f.baselineWeeks, "baseline-weeks", 0, "--rise/--fall: the baseline is the same hours of this many weeks before (default 4)")
	fl.StringVar(&f.window, "window", "", "the window, like 1h or 1d")
	fl.IntVar(&f.minSample, "min-sample", 0, "fewer observations is \"not enough data\"")
	fl.StringVar(&f.pending, "pending", "", "how long the condition must hold before it fires, like 5m")
	fl.StringVar(&f.every, "every", "", "how often it is evaluated (default 1m)")
	fl.StringVar(&f.webhook, "webhook", "", "a URL that gets a POST when it fires and resolves")
	fl.StringSliceVar(&f.notify, "notify", nil, "actor ids told besides the author and the department's team leads")
}

// condition is the one condition flag given ("" op: none).
func (f *alertFlags) condition() (apiv1.AlertCondition, error) {
	var c apiv1.AlertCondition
	for _, o := range []struct{ op, v string }{{"above", f.above}, {"below", f.below}, {"rise", f.rise}, {"fall", f.fall}} {
		if o.v == "" {
			continue
		}
		if c.Op != "" {
			return c, usageError{fmt.Errorf("give one of --above, --below, --rise and --fall, not --%s and --%s", c.Op, o.op)}
		}
		v, err := apiv1.ParseFraction(o.v)
		if err != nil {
			return c, usageError{fmt.Errorf("--%s: %w", o.op, err)}
		}
		c = apiv1.AlertCondition{Op: o.op, Value: v, BaselineWeeks: f.baselineWeeks}
	}
	return c, nil
}

func (f *alertFlags) scope() apiv1.AlertScope {
	return apiv1.AlertScope{Flow: f.flowKey, Version: f.version, Step: f.step, Department: f.department, Channel: f.channel}
}

func newAlertCreateCmd() *cobra.Command {
	var cf clientFlags
	var f alertFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an alert rule (owners, improvers, admins)",
		Example: `  flowlab alert create --name "Investigation breaches" --metric sla_breach_rate \
    --flow complaint --step investigate --above 20% --window 1h --min-sample 10 --webhook https://chat.example.com/hook`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cond, err := f.condition()
			if err != nil {
				return err
			}
			if cond.Op == "" {
				return usageError{errors.New("give the condition: --above, --below, --rise or --fall")}
			}
			if f.name == "" || f.metric == "" || f.window == "" {
				return usageError{errors.New("--name, --metric and --window are required")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.CreateAlertRule(cmd.Context(), apiv1.AlertRuleRequest{Name: f.name, Metric: f.metric, Scope: f.scope(), Condition: cond,
				Window: f.window, MinSample: f.minSample, Pending: f.pending, Every: f.every, WebhookURL: f.webhook, Notify: f.notify})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(alertCols, "every", "schedule"))
		},
	}
	cf.add(cmd)
	f.add(cmd)
	return cmd
}

func newAlertSetCmd() *cobra.Command {
	var cf clientFlags
	var f alertFlags
	cmd := &cobra.Command{
		Use:   "set RULE_ID",
		Short: "Change an alert rule: the flags given",
		Long: `set changes the flags given of a rule (PATCH /api/v1/alerts/{id}) at the revision
it reads first: a rule someone changed in between is refused (409), read it again.
A scope flag replaces the whole scope; its state stays.`,
		Example: `  flowlab alert set RULE_ID --window 2h --min-sample 20`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			c, err := cf.client()
			if err != nil {
				return err
			}
			cur, err := c.GetAlertRule(cmd.Context(), apiv1.AlertIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			req := apiv1.UpdateAlertRuleRequest{Revision: cur.Revision}
			str := func(name string, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			req.Name, req.Metric, req.Window = str("name", f.name), str("metric", f.metric), str("window", f.window)
			req.Pending, req.Every, req.WebhookURL = str("pending", f.pending), str("every", f.every), str("webhook", f.webhook)
			if fl.Changed("min-sample") {
				req.MinSample = &f.minSample
			}
			if fl.Changed("notify") {
				req.Notify = f.notify
			}
			for _, s := range []string{"flow", "version", "step", "department", "channel"} {
				if fl.Changed(s) {
					sc := f.scope()
					req.Scope = &sc
				}
			}
			cond, err := f.condition()
			if err != nil {
				return err
			}
			if cond.Op != "" {
				req.Condition = &cond
			}
			changed := false
			for _, n := range []string{"name", "metric", "flow", "version", "step", "department", "channel", "above", "below", "rise", "fall",
				"baseline-weeks", "window", "min-sample", "pending", "every", "webhook", "notify"} {
				changed = changed || fl.Changed(n)
			}
			if !changed {
				return usageError{errors.New("nothing to change: give a flag of the rule's definition")}
			}
			out, err := c.UpdateAlertRule(cmd.Context(), apiv1.AlertIDParams{ID: args[0]}, req)
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(alertCols, "every", "revision"))
		},
	}
	cf.add(cmd)
	f.add(cmd)
	return cmd
}

func newAlertDeleteCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "delete RULE_ID",
		Short:   "Delete an alert rule, its history and its schedule",
		Example: `  flowlab alert delete RULE_ID`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.DeleteAlertRule(cmd.Context(), apiv1.AlertIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "deleted alert rule %s (%s) and its schedule %s\n", out.ID, out.Name, out.Schedule)
				return err
			})
		},
	}
	cf.add(cmd)
	return cmd
}

func newAlertAckCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "ack RULE_ID",
		Short:   "Acknowledge a firing rule: someone is on it",
		Example: `  flowlab alert ack RULE_ID`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.AcknowledgeAlert(cmd.Context(), apiv1.AlertIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(alertCols, "acknowledged_by", "acknowledged_at"))
		},
	}
	cf.add(cmd)
	return cmd
}

func newAlertSilenceCmd() *cobra.Command {
	var cf clientFlags
	var forD string
	var lift bool
	cmd := &cobra.Command{
		Use:   "silence RULE_ID",
		Short: "Silence a rule for a while (its changes are recorded, told to nobody), or lift its silence",
		Example: `  flowlab alert silence RULE_ID --for 2h
  flowlab alert silence RULE_ID --lift`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (forD == "") == !lift {
				return usageError{errors.New("give --for DURATION or --lift")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.SilenceAlert(cmd.Context(), apiv1.AlertIDParams{ID: args[0]}, apiv1.SilenceAlertRequest{For: forD})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(alertCols, "silenced_until"))
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&forD, "for", "", "silence for this long, like 2h (at most 30d)")
	cmd.Flags().BoolVar(&lift, "lift", false, "lift the silence")
	return cmd
}

func newAlertHistoryCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	cmd := &cobra.Command{
		Use:     "history RULE_ID",
		Short:   "A rule's state changes, newest first",
		Example: `  flowlab alert history RULE_ID`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.AlertEvent, string, error) {
				out, err := c.ListAlertEvents(ctx, apiv1.ListAlertEventsParams{ID: args[0], Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.Events, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.AlertEventList{Events: items, NextCursor: next}, items, next, pf.all,
				[]string{"at", "from", "to", "value_text", "n", "message", "notified", "silenced"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "changes")
	return cmd
}

func newAlertMetricsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "metrics",
		Short:   "The metrics a rule may watch, their units and scopes",
		Example: `  flowlab alert metrics`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetAlertMetrics(cmd.Context())
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, out, out.Metrics, "", true, []string{"name", "title", "unit", "source", "scopes", "sample"})
		},
	}
	cf.add(cmd)
	return cmd
}

func newAlertEvaluateCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "evaluate RULE_ID",
		Short: "Evaluate a rule now, beside its interval (it runs on a worker within moments)",
		Example: `  flowlab alert evaluate RULE_ID
  flowlab alert show RULE_ID`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.EvaluateAlert(cmd.Context(), apiv1.AlertIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "evaluation of %s (%s) started by schedule %s; flowlab alert show %s for its outcome\n", out.ID, out.Name, out.Schedule, out.ID)
				return err
			})
		},
	}
	cf.add(cmd)
	return cmd
}
