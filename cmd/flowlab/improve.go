package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// PDCA improvement cycles are cases of the built-in pdca flow (ADR 0008):
// Plan from the data, Do a pilot, Check its results, Act.

const (
	pdcaFlow     = "pdca"
	pdcaCustomer = "improvement-team"
	pdcaChannel  = "app"
)

var cycleCols = []string{"id", "flow", "metric", "stage", "status", "pilot", "winner", "outcome"}

func newImproveCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "improve",
		Short: "PDCA improvement cycles: plan, pilot, check, act",
		Long: `improve opens and lists PDCA improvement cycles. A cycle is a case of the
built-in pdca flow: a baseline of the metric from the last 30 days' data, a
Plan task for the improvement department (problem, target, hypothesis, the
candidate version), a pilot of the candidate on a share of new cases (Do),
a Check task with the pilot's results against the target, and an Act task:
standardise (the candidate becomes the flow's default) or plan again.
Work the cycle's tasks with flowlab tasks --department improvement.`,
		Example: `  flowlab improve start --flow complaint --metric cycle_time
  flowlab improve list`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("improve needs a subcommand: start or list")}
		},
	}
	parent.AddCommand(newImproveStartCmd(), newImproveListCmd())
	return parent
}

func newImproveStartCmd() *cobra.Command {
	var cf clientFlags
	var flowKey, metric, idem string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Open a PDCA cycle to improve one metric of a flow",
		Long: `start opens a PDCA improvement cycle for --flow, aimed at --metric
(cycle_time, sla_breach_rate, fcr or csat): it starts a case of the pdca flow
(POST /api/v1/cases, customer "improvement-team", channel "app", attributes
flow and metric). The cycle computes the metric's baseline, then waits in
the improvement department's inbox for its Plan task. With --idempotency-key
a retry opens no second cycle.`,
		Example: `  flowlab improve start --flow complaint --metric cycle_time
  flowlab improve start --flow returns-exchange --metric csat -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flowKey == "" {
				return usageError{errors.New("--flow is required: the flow to improve")}
			}
			if !contains(pilotMetrics, metric) {
				return usageError{fmt.Errorf("--metric must be one of %s, not %q", strings.Join(pilotMetrics, ", "), metric)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := map[string]any{"flow": pdcaFlow, "customer": pdcaCustomer, "channel": pdcaChannel,
				"attributes": map[string]any{"flow": flowKey, "metric": metric}}
			var out map[string]any
			if err := c.do(cmd.Context(), http.MethodPost, apiPath("cases"), body, idempotencyHeader(idem), &out); err != nil {
				return err
			}
			return emit(cmd, cf.output, out, func(w io.Writer) error {
				if err := writeTable(w, startedRow(out), cycleCols[:5]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "next: plan it in the improvement inbox: flowlab tasks --department improvement --case %s\n", cell(out["id"]))
				return nil
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&flowKey, "flow", "", "the flow to improve (required)")
	cmd.Flags().StringVar(&metric, "metric", "cycle_time", "the metric to improve: "+strings.Join(pilotMetrics, ", "))
	cmd.Flags().StringVar(&idem, "idempotency-key", "", "Idempotency-Key header: retrying with it never opens a second cycle")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = cmd.RegisterFlagCompletionFunc("metric", cobra.FixedCompletions(pilotMetrics, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newImproveListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List PDCA cycles: the flow and metric each improves, its stage, its pilot",
		Long: `list shows the PDCA improvement cycles, newest first (GET /api/v1/improvements):
the flow under improvement and the metric, the stage (the cycle's current
step: plan, do, check, act..., closed once it ends), the case status, its
pilot's status and winner, and the outcome (standardised, abandoned, not
standardised, replanned, in progress).`,
		Example: `  flowlab improve list
  flowlab improve list --status active -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			if status != "" && !contains(caseStatuses, status) {
				return usageError{fmt.Errorf("--status must be one of %s, not %q", strings.Join(caseStatuses, ", "), status)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, next, err := fetchList(cmd.Context(), c, apiPath("improvements"), url.Values{"status": {status}}, "improvements", pf)
			if err != nil {
				return err
			}
			table := func(w io.Writer) error {
				list, _ := out["improvements"].([]any)
				rows := make([]any, 0, len(list))
				for _, it := range list {
					if m, _ := it.(map[string]any); m != nil {
						rows = append(rows, cycleRow(m))
					}
				}
				return writeTable(w, rows, cycleCols)
			}
			if err := emit(cmd, cf.output, out, table); err != nil {
				return err
			}
			if cf.output == "table" {
				printNext(cmd, args, next, pf.all)
			}
			return nil
		},
	}
	cf.add(cmd)
	pf.add(cmd, "cycles")
	cmd.Flags().StringVar(&status, "status", "", "only cycles in this case status: "+strings.Join(caseStatuses, ", "))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(caseStatuses, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// startedRow is the table row of a PDCA case just started.
func startedRow(c map[string]any) map[string]any {
	attrs, _ := c["attributes"].(map[string]any)
	stage := c["step"]
	if str(stage) == "" {
		stage = "-"
	}
	return map[string]any{"id": c["id"], "flow": attrs["flow"], "metric": attrs["metric"], "stage": stage, "status": c["status"]}
}

// cycleRow is the table row of an improvement cycle.
func cycleRow(c map[string]any) map[string]any {
	return map[string]any{"id": c["case_id"], "flow": c["flow"], "metric": c["metric"], "stage": c["stage"],
		"status": c["status"], "pilot": c["pilot_status"], "winner": c["pilot_winner"], "outcome": c["outcome"]}
}
