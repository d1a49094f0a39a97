package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
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
			out, err := c.CreateCase(cmd.Context(), apiv1.CreateCaseParams{IdempotencyKey: idem}, apiv1.CreateCaseRequest{
				Flow: pdcaFlow, Customer: pdcaCustomer, Channel: pdcaChannel,
				Attributes: map[string]any{"flow": flowKey, "metric": metric}})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if err := writeTable(w, []cycleRow{startedRow(out)}, cycleCols[:5]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "next: plan it in the improvement inbox: flowlab tasks --department improvement --case %s\n", cell(out.ID))
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
			params := apiv1.ListImprovementsParams{Status: status}
			list, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Improvement, string, error) {
				params.Cursor, params.Limit = cursor, limit
				l, err := c.ListImprovements(ctx, params)
				if err != nil {
					return nil, "", err
				}
				return l.Improvements, l.NextCursor, nil
			})
			if err != nil {
				return err
			}
			table := func(w io.Writer) error {
				rows := make([]cycleRow, 0, len(list))
				for _, it := range list {
					rows = append(rows, improvementRow(it))
				}
				return writeTable(w, rows, cycleCols)
			}
			if err := emitAnswer(cmd, cf.output, apiv1.ImprovementList{Improvements: list, NextCursor: next}, table); err != nil {
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

// cycleRow is the table row of an improvement cycle.
type cycleRow struct {
	ID      string `json:"id"`
	Flow    string `json:"flow"`
	Metric  string `json:"metric"`
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	Pilot   string `json:"pilot"`
	Winner  string `json:"winner"`
	Outcome string `json:"outcome"`
}

// startedRow is the table row of a PDCA case just started.
func startedRow(c *apiv1.Case) cycleRow {
	var attrs struct {
		Flow   string `json:"flow"`
		Metric string `json:"metric"`
	}
	_ = json.Unmarshal(c.Attributes, &attrs) // not strings: shown as "-"
	return cycleRow{ID: c.ID, Flow: attrs.Flow, Metric: attrs.Metric, Stage: c.Step, Status: c.Status}
}

// improvementRow is the table row of an improvement cycle.
func improvementRow(c apiv1.Improvement) cycleRow {
	return cycleRow{ID: c.CaseID, Flow: c.Flow, Metric: c.Metric, Stage: c.Stage,
		Status: c.Status, Pilot: c.PilotStatus, Winner: c.PilotWinner, Outcome: c.Outcome}
}
