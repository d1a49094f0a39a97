package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/report"
)

// newReportCmd is "report monthly|quarterly": a flow's review pack as one
// self-contained HTML document (decision 0042).
func newReportCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "report",
		Short: "A flow's monthly or quarterly review pack as one printable HTML document",
		Long: `report writes a flow's review pack for a calendar month or quarter (UTC) as one
self-contained HTML document: the service KPIs against their targets with
their trend, the cycle time, the bottleneck table and heat map, what changed
(versions, defaults, promotions, migrations), the pilots and their results,
the improvement cycles, the proposals and their adoption rate, the alerts
that fired and how long they lasted, and the follow-up calls. Its style,
charts and heat maps are inline: it opens anywhere without a network, and
prints (Ctrl+P) to A4 with a page per section.

The figures are the API's (GET /api/v1/reports/monthly or /quarterly, which
computes each with the code of the route that shows it elsewhere); -o json
or yaml gives that answer instead of the document. The public variant, for
customers, leaves out people, alert rules, proposals, bottlenecks and
migrations; the quarterly pack is public unless --variant internal.
Owners, improvers and admins may ask for it.`,
		Example: `  flowlab report monthly --flow complaint --month 2026-11 --file complaint-2026-11.html
  flowlab report monthly --flow complaint --month 2026-11 --public > complaint-public.html
  flowlab report quarterly --flow complaint --quarter 2026-Q4 --file complaint-2026-Q4.html
  flowlab report monthly --flow returns-exchange --month 2026-11 -o json | jq .figures.kpis.csat`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("report needs a subcommand: monthly or quarterly")}
		},
	}
	parent.AddCommand(newReportPeriodCmd(apiv1.ReviewMonthly), newReportPeriodCmd(apiv1.ReviewQuarterly))
	return parent
}

// reportFormats are the forms report writes the pack in.
var reportFormats = []string{"html", "json", "yaml"}

func newReportPeriodCmd(kind string) *cobra.Command {
	var cf clientFlags
	var flowKey, period, variant, output, file string
	var public bool
	periodFlag, example, defaultVariant := "month", "2026-11", apiv1.ReviewInternal
	short := "A flow's review pack of a calendar month"
	if kind == apiv1.ReviewQuarterly {
		periodFlag, example, defaultVariant = "quarter", "2026-Q4", apiv1.ReviewPublic
		short = "A flow's review pack of a calendar quarter (public by default)"
	}
	cmd := &cobra.Command{
		Use:   kind,
		Short: short,
		Example: fmt.Sprintf(`  flowlab report %[1]s --flow complaint --%[2]s %[3]s --file review.html
  flowlab report %[1]s --flow complaint --%[2]s %[3]s --variant internal -o json`, kind, periodFlag, example),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(reportFormats, output) {
				msg := fmt.Sprintf("--output must be html, json or yaml, not %q", output)
				if strings.Contains(output, ".") || strings.Contains(output, "/") {
					msg += fmt.Sprintf(" (to write the document to a file: --file %s)", output)
				}
				return usageError{errors.New(msg)}
			}
			if flowKey == "" {
				return usageError{errors.New("--flow is required: the key of the flow (flowlab flows lists them)")}
			}
			if period == "" {
				return usageError{fmt.Errorf("--%s is required: the calendar %s, like %s", periodFlag, periodFlag, example)}
			}
			if public {
				if cmd.Flags().Changed("variant") && variant != apiv1.ReviewPublic {
					return usageError{errors.New("--public and --variant " + variant + " contradict each other")}
				}
				variant = apiv1.ReviewPublic
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var pack *apiv1.ReviewPack
			if kind == apiv1.ReviewQuarterly {
				pack, err = c.GetQuarterlyReview(ctx, apiv1.QuarterlyReviewParams{Flow: flowKey, Quarter: period, Variant: variant})
			} else {
				pack, err = c.GetMonthlyReview(ctx, apiv1.MonthlyReviewParams{Flow: flowKey, Month: period, Variant: variant})
			}
			if err != nil {
				return err
			}
			write := func(w io.Writer) error {
				if output != "html" {
					doc, err := document(pack)
					if err != nil {
						return err
					}
					if output == "yaml" {
						return writeYAML(w, doc)
					}
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					enc.SetEscapeHTML(false)
					if err := enc.Encode(doc); err != nil {
						return fmt.Errorf("write JSON: %w", err)
					}
					return nil
				}
				graphs, err := report.FetchGraphs(ctx, *pack, func(ctx context.Context, q apiv1.GraphSVGParams) ([]byte, error) {
					return c.GetFlowGraphSVG(ctx, q)
				})
				if err != nil {
					return err
				}
				return report.Render(w, *pack, report.Options{Graphs: graphs})
			}
			if file == "" {
				return write(cmd.OutOrStdout())
			}
			n, err := writeFileAtomically(file, write)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d KiB): %s %s review of %s, %s\n", file, (n+1023)>>10, pack.Period, pack.Kind, pack.Flow, pack.Variant)
			return nil
		},
	}
	cf.addConnection(cmd)
	fl := cmd.Flags()
	fl.StringVar(&flowKey, "flow", "", "the flow's key (required)")
	fl.StringVar(&period, periodFlag, "", fmt.Sprintf("the calendar %s in UTC, like %s (required)", periodFlag, example))
	fl.StringVar(&variant, "variant", defaultVariant, "internal (everything) or public (for customers: no people, alert rules, proposals, bottlenecks or migrations)")
	fl.BoolVar(&public, "public", false, "the public variant (--variant public)")
	fl.StringVarP(&output, "output", "o", "html", "html (the document), json or yaml (the API's answer)")
	fl.StringVar(&file, "file", "", "write to this file instead of standard output")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(reportFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("variant", cobra.FixedCompletions([]string{apiv1.ReviewInternal, apiv1.ReviewPublic}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// writeFileAtomically writes path through write into a temporary file
// beside it and renames it into place, so that a failure leaves no half
// document; it returns the bytes written.
func writeFileAtomically(path string, write func(io.Writer) error) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	cw := &countingWriter{w: tmp}
	if err := write(cw); err != nil {
		_ = tmp.Close()
		return 0, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return cw.n, nil
}
