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
	// maxCycleDetails bounds the case details improve list fetches when a
	// list answer carries no attributes.
	maxCycleDetails = 50
)

var cycleCols = []string{"id", "flow", "metric", "stage", "status", "pilot", "winner"}

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
				if err := writeTable(w, cycleRow(out), cycleCols); err != nil {
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
		Long: `list shows the PDCA improvement cycles, newest first (GET /api/v1/cases?flow=pdca):
the flow under improvement and the metric, the stage (the cycle's current
step: plan, do, check, act...), the case status, and its pilot's status and
winner once it has one.`,
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
			q := url.Values{"flow": {pdcaFlow}, "status": {status}}
			out, next, err := fetchList(cmd.Context(), c, apiPath("cases"), q, "cases", pf)
			if err != nil {
				return err
			}
			table := func(w io.Writer) error {
				list, _ := out["cases"].([]any)
				var rows []any
				details := 0
				for _, it := range list {
					m, _ := it.(map[string]any)
					if m == nil {
						continue
					}
					if _, ok := m["attributes"].(map[string]any); !ok && details < maxCycleDetails && str(m["id"]) != "" {
						// An answer without attributes: read the case itself.
						details++
						var d map[string]any
						if err := c.do(cmd.Context(), http.MethodGet, apiPath("cases", str(m["id"])), nil, nil, &d); err != nil {
							return err
						}
						m = d
					}
					rows = append(rows, cycleRow(m))
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

// cycleRow is the table row of a pdca case.
func cycleRow(c map[string]any) map[string]any {
	attrs, _ := c["attributes"].(map[string]any)
	stage := c["step"]
	if str(stage) == "" {
		stage = "-"
	}
	return map[string]any{"id": c["id"], "flow": attrs["flow"], "metric": attrs["metric"], "stage": stage,
		"status": c["status"], "pilot": attrs["pilot_status"], "winner": attrs["pilot_winner"]}
}
