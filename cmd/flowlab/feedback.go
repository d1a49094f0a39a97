package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// What customers say about a case and what they do (feedback, coming back),
// and the raw data behind every statistic (the span export).

var exportFormats = []string{"jsonl", "csv", "xes"}

func newFeedbackCmd() *cobra.Command {
	var cf clientFlags
	var csat, nps int
	var fcr bool
	cmd := &cobra.Command{
		Use:   "feedback CASE_ID",
		Short: "Record the customer's feedback on a case (CSAT, NPS, first-contact resolution)",
		Long: `feedback records what the customer said about a case
(POST /api/v1/cases/{id}/feedback): --csat 1–5, --nps 0–10 and
--resolved-first-contact=true|false; at least one. A later feedback replaces
the earlier one (all values, the ones not given become empty). Pilots compare
CSAT and first-contact resolution from it.`,
		Example: `  flowlab feedback 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 --csat 5 --nps 9 --resolved-first-contact=true
  flowlab feedback 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 --resolved-first-contact=false`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeCases(&cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body apiv1.FeedbackRequest
			if cmd.Flags().Changed("csat") {
				if csat < 1 || csat > 5 {
					return usageError{fmt.Errorf("--csat must be from 1 to 5, not %d", csat)}
				}
				body.CSAT = &csat
			}
			if cmd.Flags().Changed("nps") {
				if nps < 0 || nps > 10 {
					return usageError{fmt.Errorf("--nps must be from 0 to 10, not %d", nps)}
				}
				body.NPS = &nps
			}
			if cmd.Flags().Changed("resolved-first-contact") {
				body.ResolvedFirstContact = &fcr
			}
			if body == (apiv1.FeedbackRequest{}) {
				return usageError{errors.New("give at least one of --csat, --nps, --resolved-first-contact")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.PutCaseFeedback(cmd.Context(), apiv1.CaseIDParams{ID: args[0]}, body)
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"case_id", "csat", "nps", "resolved_first_contact", "updated_at"})
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&csat, "csat", 0, "customer satisfaction, 1 (very unhappy) to 5 (very happy)")
	cmd.Flags().IntVar(&nps, "nps", 0, "likelihood to recommend, 0 to 10")
	cmd.Flags().BoolVar(&fcr, "resolved-first-contact", false, "the customer says the problem was solved at the first contact (true or false)")
	for _, f := range []string{"csat", "nps"} {
		_ = cmd.RegisterFlagCompletionFunc(f, cobra.NoFileCompletions)
	}
	return cmd
}

func newReopenCmd() *cobra.Command {
	var cf clientFlags
	var reason string
	cmd := &cobra.Command{
		Use:   "reopen CASE_ID",
		Short: "Reopen a closed case: the customer came back",
		Long: `reopen starts a new case for a completed or cancelled one
(POST /api/v1/cases/{id}/reopen): same flow, customer, channel and
attributes, and the same version, variant and pilot, so the customer stays in
the pilot arm whose process failed them. A case reopened within 7 days of its
close counts as not resolved at the first contact. The answer is the new case.`,
		Example: `  flowlab reopen 6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33 --reason "the router drops the line again"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(reason) > 500 {
				return usageError{errors.New("--reason must be at most 500 characters")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.ReopenCase(cmd.Context(), apiv1.CaseIDParams{ID: args[0]}, apiv1.ReopenRequest{Reason: reason})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, append(append([]string(nil), caseCols...), "pilot_id", "reopened_from"))
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why the customer came back")
	_ = cmd.RegisterFlagCompletionFunc("reason", cobra.NoFileCompletions)
	return cmd
}

func newSpansCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "spans",
		Short: "Export the raw spans behind the statistics",
		Long: `spans gives the raw data every statistic is computed from: one row per step a
case went through, with its case's pilot, arm, customer, status, times and
feedback.`,
		Example: `  flowlab spans export --pilot a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a --format csv --out pilot.csv`,
		Args:    noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("spans needs a subcommand: export")}
		},
	}
	var cf clientFlags
	var flowKey, pilot, from, to, format, outFile string
	var version int
	export := &cobra.Command{
		Use:   "export",
		Short: "Stream spans as JSON lines, CSV or XES to stdout or a file",
		Long: `export streams every span entered in [--from, --to) of a flow, a flow version
or a pilot's cases (GET /api/v1/spans), in entered time order: JSON lines
(--format jsonl, the default: one object per line), CSV with a header row
(--format csv), or an XES event log (--format xes: one trace per case, a
schedule, start and complete event per step, for PM4Py, Disco or
flowlab log import). The export is written as it arrives, never held in memory,
so it can be of any size. With --out it goes to FILE (written under a
temporary name and renamed when complete), otherwise to stdout. Columns:
case_id, seq, flow, version, variant, pilot_id, arm, customer, step, kind,
department, entered_at, claimed_at, completed_at, outcome, sla_due, breached,
escalation_level, actor, case_status, case_created_at, case_closed_at, csat,
nps, resolved_first_contact.`,
		Example: `  flowlab spans export --flow complaint --from 2026-11-01T00:00:00Z > complaint.jsonl
  flowlab spans export --pilot a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a --format csv --out pilot.csv
  flowlab spans export --flow complaint --format xes --out complaint.xes
  flowlab spans export --flow complaint --version 2 | jq -s 'group_by(.step) | map({step: .[0].step, n: length})'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(exportFormats, format) {
				return usageError{fmt.Errorf("--format must be jsonl, csv or xes, not %q", format)}
			}
			if version < 0 {
				return usageError{fmt.Errorf("--version must be positive, not %d", version)}
			}
			if err := timeRange(from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			return exportSpans(cmd, c, apiv1.ExportSpansParams{Flow: flowKey, Version: version, Pilot: pilot, From: flagTime(from), To: flagTime(to), Format: format}, outFile)
		},
	}
	cf.addConnection(export)
	export.Flags().StringVar(&flowKey, "flow", "", "only spans of this flow")
	export.Flags().IntVar(&version, "version", 0, "only spans of this flow version")
	export.Flags().StringVar(&pilot, "pilot", "", "only spans of the cases assigned in this pilot")
	export.Flags().StringVar(&from, "from", "", "only spans entered at or after this RFC 3339 time")
	export.Flags().StringVar(&to, "to", "", "only spans entered before this RFC 3339 time")
	export.Flags().StringVar(&format, "format", "jsonl", "jsonl (one JSON object per line), csv or xes")
	export.Flags().StringVar(&outFile, "out", "", "write to this file instead of stdout")
	_ = export.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	_ = export.RegisterFlagCompletionFunc("pilot", completePilots(&cf))
	_ = export.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(exportFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = export.RegisterFlagCompletionFunc("version", cobra.NoFileCompletions)
	parent.AddCommand(export)
	return parent
}

// exportSpans copies the export to stdout or, through a temporary file
// renamed at the end, to outFile.
func exportSpans(cmd *cobra.Command, c *apiv1.Client, params apiv1.ExportSpansParams, outFile string) error {
	body, err := c.ExportSpans(cmd.Context(), params)
	if err != nil {
		return err
	}
	defer body.Close()
	if outFile == "" {
		if _, err := io.Copy(cmd.OutOrStdout(), body); err != nil {
			return fmt.Errorf("spans export cut short: %w", err)
		}
		return nil
	}
	dir, base := filepath.Split(outFile)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return fmt.Errorf("spans export: %w", err)
	}
	n, err := io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), outFile)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("spans export to %s: %w", outFile, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d bytes of %s to %s\n", n, strings.ToUpper(params.Format), outFile)
	return nil
}
