package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// newWatchCmd is "watch list|add|remove": the watchlist of flows and steps
// to improve first (issue 21).
func newWatchCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "watch",
		Short: "The watchlist: flows and steps to improve first, with their alerts, open cycles and trend",
		Long: `watch lists, adds and removes the watchlist: the flows and steps a team singles
out for improvement first (the plans' "blacklist"). The KPI dashboard lists them
first, each with the alert rules on it, the open PDCA cycles improving its flow,
and its last 8 weeks (a flow's cycle time, a step's waiting, and the SLA breach
rate). Owners and admins add and remove.`,
		Example: `  flowlab watch add --flow complaint --step investigate --note "the longest wait"
  flowlab watch list`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("watch needs a subcommand: list, add or remove")}
		},
	}
	parent.AddCommand(newWatchListCmd(), newWatchAddCmd(), newWatchRemoveCmd())
	return parent
}

func newWatchListCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "The watchlist with each one's alerts, open cycles and latest week",
		Example: `  flowlab watch list -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.GetWatchlist(cmd.Context())
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				if len(out.Watches) == 0 {
					_, err := fmt.Fprintln(w, "(none)")
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tFLOW\tSTEP\tALERTS\tFIRING\tOPEN CYCLES\tLATEST WEEK")
				for _, wt := range out.Watches {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", wt.ID, wt.Flow, orDashCLI(wt.Step), len(wt.Alerts), wt.Firing, len(wt.OpenCycles), latestWeek(wt))
				}
				return tw.Flush()
			})
		},
	}
	cf.add(cmd)
	return cmd
}

// latestWeek is a watch's latest week with data, in words.
func latestWeek(w apiv1.Watch) string {
	what := "cycle time"
	if w.Measure == "waiting" {
		what = "waiting"
	}
	for i := len(w.Trend) - 1; i >= 0; i-- {
		wk := w.Trend[i]
		if wk.N == 0 || wk.MedianSeconds == nil {
			continue
		}
		s := fmt.Sprintf("%s: median %s %s (n = %d)", wk.Week, what, readable.Duration(*wk.MedianSeconds), wk.N)
		if wk.SLABreachRate != nil {
			s += fmt.Sprintf(", %.1f %% late", 100**wk.SLABreachRate)
		}
		return s
	}
	return fmt.Sprintf("no data in %d weeks", len(w.Trend))
}

func orDashCLI(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newWatchAddCmd() *cobra.Command {
	var cf clientFlags
	var req apiv1.WatchRequest
	cmd := &cobra.Command{
		Use:     "add",
		Short:   "Put a flow, or one of its task steps, on the watchlist (owners, admins)",
		Example: `  flowlab watch add --flow complaint --step investigate --note "the longest wait"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Flow == "" {
				return usageError{errors.New("--flow is required")}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.AddWatch(cmd.Context(), req)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "watching %s as %s (%d alert rules on it, %d open cycles)\n", watchWhat(out.Flow, out.Step), out.ID, len(out.Alerts), len(out.OpenCycles))
				return err
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&req.Flow, "flow", "", "the flow")
	cmd.Flags().StringVar(&req.Step, "step", "", "one of its task steps (empty: the whole flow)")
	cmd.Flags().StringVar(&req.Note, "note", "", "why it is watched")
	return cmd
}

func watchWhat(flowKey, step string) string {
	if step == "" {
		return "flow " + flowKey
	}
	return "step " + step + " of flow " + flowKey
}

func newWatchRemoveCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "remove WATCH_ID",
		Short:   "Take a flow or step off the watchlist",
		Example: `  flowlab watch remove 9b0e7a51-2c4d-4f3e-8a6b-1d2c3e4f5a6b`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.RemoveWatch(cmd.Context(), apiv1.WatchIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "no longer watching %s\n", watchWhat(out.Flow, out.Step))
				return err
			})
		},
	}
	cf.add(cmd)
	return cmd
}
