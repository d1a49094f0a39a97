package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

func newLogCompareCmd() *cobra.Command {
	var cf clientFlags
	var flowKey, from, to, afterFrom, afterTo string
	var version int
	var maps []string
	cmd := &cobra.Command{
		Use:   "compare LOG_ID --flow FLOW",
		Short: "The as-is log beside a flow version's cases, step by step, with the change and its 95 % interval",
		Long: `compare sets the imported log (how the process ran before) beside the spans
of a flow version (how it runs in flowlab) through a mapping from the log's
activities to the flow's steps: proposed by name, or given with --map
ACTIVITY=STEP (repeatable). Per step: cases, waiting and working p90 and the
rework rate, before and after, and the change: durations as the after/before
ratio with its 95 % interval (Hodges–Lehmann on log durations), rework as the
difference of the two rates. Decision 0034.`,
		Example: `  flowlab log compare LOG_ID --flow complaint --version 2
  flowlab log compare LOG_ID --flow complaint --map "Resolve ticket=investigate" --map "Closed=notify_customer" -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if flowKey == "" {
				return usageError{fmt.Errorf("--flow is required: the flow whose cases are the after side")}
			}
			for _, f := range []struct{ name, v string }{{"from", from}, {"to", to}, {"after-from", afterFrom}, {"after-to", afterTo}} {
				if err := timeFlag(f.name, f.v); err != nil {
					return err
				}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.CompareLogWithFlow(cmd.Context(), apiv1.CompareLogParams{ID: args[0], Flow: flowKey, Version: version, Map: maps,
				From: flagTime(from), To: flagTime(to), AfterFrom: flagTime(afterFrom), AfterTo: flagTime(afterTo)})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error { return writeComparison(w, out) })
		},
	}
	cf.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&flowKey, "flow", "", "the flow whose cases are the after side (required)")
	fl.IntVar(&version, "version", 0, "its version (default: the flow's default)")
	fl.StringArrayVar(&maps, "map", nil, "ACTIVITY=STEP: the log's activity the step replaces (repeatable; default: by name)")
	fl.StringVar(&from, "from", "", "only the log's cases whose first event is at or after this RFC 3339 time")
	fl.StringVar(&to, "to", "", "only the log's cases whose first event is before this RFC 3339 time")
	fl.StringVar(&afterFrom, "after-from", "", "only spans entered at or after this RFC 3339 time")
	fl.StringVar(&afterTo, "after-to", "", "only spans entered before this RFC 3339 time")
	_ = cmd.RegisterFlagCompletionFunc("flow", completeFlows(&cf))
	return cmd
}

// writeComparison is the comparison as a table, durations and rates with
// their units (decision 0024).
func writeComparison(w io.Writer, out *apiv1.LogComparison) error {
	fmt.Fprintf(w, "log %s against %s v%d (%d spans)\n", out.LogID, out.Flow, out.Version, out.Spans)
	if out.SpansTruncated {
		fmt.Fprintln(w, "more spans matched than are compared at once: the earliest were used; narrow --after-from/--after-to")
	}
	ct := out.Cycle
	fmt.Fprintf(w, "cycle time p50: before %s (%d cases), after %s (%d cases), ratio %s\n", readable.Duration(ct.Before.P50), ct.Before.N,
		readable.Duration(ct.After.P50), ct.After.N, ratioCell(ct.Ratio))
	type row struct {
		Step       string `json:"step"`
		Activities string `json:"activities"`
		Cases      string `json:"cases"`
		WaitP90    string `json:"wait_p90"`
		WaitRatio  string `json:"wait_ratio"`
		WorkP90    string `json:"work_p90"`
		WorkRatio  string `json:"work_ratio"`
		Rework     string `json:"rework"`
		ReworkDiff string `json:"rework_change"`
	}
	rows := []row{}
	dur := func(q apiv1.LogQuantiles) string {
		if q.N == 0 {
			return "–"
		}
		return readable.Duration(q.P90)
	}
	for _, st := range out.Steps {
		rows = append(rows, row{Step: st.Step, Activities: strings.Join(st.Activities, ", "),
			Cases:   fmt.Sprintf("%d → %d", st.Before.Cases, st.After.Cases),
			WaitP90: dur(st.Before.Wait) + " → " + dur(st.After.Wait), WaitRatio: ratioCell(st.WaitRatio),
			WorkP90: dur(st.Before.Work) + " → " + dur(st.After.Work), WorkRatio: ratioCell(st.WorkRatio),
			Rework:     fmt.Sprintf("%.1f %% → %.1f %%", st.Before.Rework*100, st.After.Rework*100),
			ReworkDiff: diffCell(st.ReworkDiff)})
	}
	if err := writeTable(w, rows, []string{"step", "activities", "cases", "wait_p90", "wait_ratio", "work_p90", "work_ratio", "rework", "rework_change"}); err != nil {
		return err
	}
	if len(out.UnmappedActivities) > 0 {
		fmt.Fprintf(w, "not mapped: %s\n", strings.Join(out.UnmappedActivities, ", "))
	}
	return nil
}

// ratioCell is a ratio of durations with its interval: "×0.12 [0.10, 0.15]".
func ratioCell(c apiv1.CompareChange) string {
	if c.Estimate == nil || c.Low == nil || c.High == nil {
		return "–"
	}
	return fmt.Sprintf("×%s [%s, %s]", readable.Number(*c.Estimate), readable.Number(*c.Low), readable.Number(*c.High))
}

// diffCell is a difference of rates in percentage points with its interval.
func diffCell(c apiv1.CompareChange) string {
	if c.Estimate == nil || c.Low == nil || c.High == nil {
		return "–"
	}
	return fmt.Sprintf("%+.1f pp [%+.1f, %+.1f]", *c.Estimate*100, *c.Low*100, *c.High*100)
}
