package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// newSimulateCmd is "simulate [list|show]": what-if simulations (issue 22,
// decision 0045).
func newSimulateCmd() *cobra.Command {
	var cf clientFlags
	var (
		flowKey, draft, from, to string
		logID                    string
		version, current         int
		staff                    []string
		volume                   float64
		days, reps               int
		seed                     uint64
		noWait                   bool
		timeout                  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Predict a change's effect before piloting it",
		Long: `simulate asks the server to simulate a flow as it runs now (its default
version, or --current, with the staffing seen in its history) against a
proposal: another version (--version), a draft (--draft FILE), staffing
changes (--staff), another volume (--volume). Both are calibrated from the
same window of history (--from, --to; default the last 8 weeks), or from an
imported event log (--log, for a flow drafted from it that has no history
yet), and run with
the same seeds, 7 days of warm-up and --days days measured, --replications
times: every figure is a mean with its 95 % interval, and the change is
computed run by run.

--staff is DEPARTMENT+N@FROM-TO[:DAYS], e.g. technical+1@9-17 (one more
person in technical from 09:00 to 17:00 UTC, Monday to Friday) or
customer_service-2@8-12:sat,sun.

It waits for the result, showing progress (--no-wait: print the simulation's
id and return; "flowlab simulate show ID" later).`,
		Example: `  flowlab simulate --flow complaint --staff technical+1@9-17
  flowlab simulate --flow complaint --version 2 --days 56
  flowlab simulate --flow complaint --draft complaint.v3.yaml -o json
  flowlab simulate list --flow complaint`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flowKey == "" {
				return usageError{errors.New("--flow is required")}
			}
			req := apiv1.CreateSimulationRequest{Flow: flowKey}
			if version > 0 {
				req.Version = &version
			}
			if current > 0 {
				req.Current = &current
			}
			if draft != "" {
				b, err := os.ReadFile(draft)
				if err != nil {
					return usageError{fmt.Errorf("--draft: %w", err)}
				}
				src := string(b)
				req.Definition = &src
			}
			for _, s := range staff {
				ch, err := parseStaffChange(s)
				if err != nil {
					return usageError{fmt.Errorf("--staff %q: %w", s, err)}
				}
				req.Staff = append(req.Staff, ch)
			}
			if logID != "" {
				req.Log = &logID
			}
			if cmd.Flags().Changed("volume") {
				req.Volume = &volume
			}
			if err := setWindow(&req, from, to); err != nil {
				return err
			}
			if cmd.Flags().Changed("days") {
				req.Days = &days
			}
			if cmd.Flags().Changed("replications") {
				req.Replications = &reps
			}
			if cmd.Flags().Changed("seed") {
				req.Seed = &seed
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			x, err := c.CreateSimulation(ctx, req)
			if err != nil {
				return err
			}
			if noWait {
				fmt.Fprintf(cmd.OutOrStdout(), "simulation %s is running: flowlab simulate show %s\n", x.ID, x.ID)
				return nil
			}
			x, err = waitSimulation(ctx, cmd, c, x)
			if err != nil {
				return err
			}
			return showSimulation(cmd, cf.output, x)
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&flowKey, "flow", "", "the flow to simulate (required)")
	cmd.Flags().IntVar(&version, "version", 0, "the proposal: this version (default: the default version)")
	cmd.Flags().IntVar(&current, "current", 0, "compare with this version (default: the default version)")
	cmd.Flags().StringVar(&draft, "draft", "", "the proposal: a flow definition in this YAML file, not published")
	cmd.Flags().StringArrayVar(&staff, "staff", nil, "a staffing change DEPARTMENT+N@FROM-TO[:DAYS] (repeatable)")
	cmd.Flags().Float64Var(&volume, "volume", 1, "the proposal's arrivals as a factor of the observed")
	cmd.Flags().StringVar(&logID, "log", "", "calibrate from this imported event log instead of the flow's history (flowlab log list)")
	cmd.Flags().StringVar(&from, "from", "", "start of the calibration window (date or RFC 3339; default 8 weeks before --to)")
	cmd.Flags().StringVar(&to, "to", "", "end of the calibration window (default now)")
	cmd.Flags().IntVar(&days, "days", 28, "days simulated after the 7-day warm-up (7–366)")
	cmd.Flags().IntVar(&reps, "replications", 20, "independent runs (2–200)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed (same request and seed, same figures)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "print the simulation's id and return without waiting")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up waiting after this long")
	cmd.AddCommand(newSimulateListCmd(), newSimulateShowCmd(), newSimulateBacktestCmd())
	return cmd
}

var staffRe = regexp.MustCompile(`^([A-Za-z0-9_.-]+)([+-][0-9]+)@([0-9]{1,2})-([0-9]{1,2})(?::([a-z,]+))?$`)

// parseStaffChange reads DEPARTMENT+N@FROM-TO[:DAYS].
func parseStaffChange(s string) (apiv1.StaffChange, error) {
	m := staffRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return apiv1.StaffChange{}, errors.New("write DEPARTMENT+N@FROM-TO[:DAYS], e.g. technical+1@9-17 or customer_service-2@8-12:sat,sun")
	}
	delta, err := strconv.Atoi(m[2])
	if err != nil {
		return apiv1.StaffChange{}, fmt.Errorf("people %q: %w", m[2], err)
	}
	fromH, _ := strconv.Atoi(m[3])
	toH, _ := strconv.Atoi(m[4])
	ch := apiv1.StaffChange{Department: m[1], Delta: delta, FromHour: fromH, ToHour: toH}
	if m[5] != "" {
		ch.Days = strings.Split(m[5], ",")
	}
	return ch, nil
}

// simPoll is how often a waiting simulate asks for progress.
var simPoll = 500 * time.Millisecond

// waitSimulation polls a simulation until it finishes, showing progress on
// stderr: a bar on a terminal, else a line every 5 s.
func waitSimulation(ctx context.Context, cmd *cobra.Command, c *apiv1.Client, x *apiv1.Simulation) (*apiv1.Simulation, error) {
	errw := cmd.ErrOrStderr()
	f, isFile := errw.(*os.File)
	var bar *progressbar.ProgressBar
	if isFile && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(1000, progressbar.OptionSetWriter(errw), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
	}
	var lastLine time.Time
	for x.Status == "running" {
		if bar != nil {
			bar.Describe(x.Stage)
			_ = bar.Set(int(x.Progress * 1000))
		} else if time.Since(lastLine) >= progressEvery {
			lastLine = time.Now()
			fmt.Fprintf(errw, "simulation %s: %.0f %%, %s\n", x.ID, x.Progress*100, x.Stage)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("simulation %s did not finish in time (it goes on: flowlab simulate show %s): %w", x.ID, x.ID, ctx.Err())
		case <-time.After(simPoll):
		}
		y, err := c.GetSimulation(ctx, apiv1.SimulationIDParams{ID: x.ID})
		if err != nil {
			return nil, err
		}
		x = y
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if x.Status == "failed" {
		return nil, fmt.Errorf("simulation %s failed: %s", x.ID, x.Error)
	}
	return x, nil
}

func newSimulateBacktestCmd() *cobra.Command {
	var cf clientFlags
	var (
		flowKey, from, to string
		current, holdout  int
		reps              int
		timeout           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Check the simulation against history: predict the last days from the days before",
		Long: `backtest calibrates the simulation on a flow's history in the window (--from,
--to; default the last 8 weeks) without its last --holdout days, predicts
those days with the current version (--current, default the default
version), and compares the prediction with what happened to the cases created
in them: the errors of the median and 90th percentile of cycle time
(predicted ÷ observed − 1; the target is within ±15 %) and of the SLA breach
rate (in points).`,
		Example: `  flowlab simulate backtest --flow complaint --holdout 14
  flowlab simulate backtest --flow complaint --from 2026-09-01 --to 2026-12-01 --holdout 28 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flowKey == "" {
				return usageError{errors.New("--flow is required")}
			}
			req := apiv1.CreateSimulationRequest{Flow: flowKey, HoldoutDays: &holdout, Replications: &reps}
			if current > 0 {
				req.Current = &current
			}
			if err := setWindow(&req, from, to); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			x, err := c.CreateSimulation(ctx, req)
			if err != nil {
				return err
			}
			if x, err = waitSimulation(ctx, cmd, c, x); err != nil {
				return err
			}
			return showSimulation(cmd, cf.output, x)
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&flowKey, "flow", "", "the flow to check (required)")
	cmd.Flags().IntVar(&current, "current", 0, "the version that ran (default: the default version)")
	cmd.Flags().IntVar(&holdout, "holdout", 14, "days at the window's end to predict (7–183)")
	cmd.Flags().StringVar(&from, "from", "", "start of the window (date or RFC 3339; default 8 weeks before --to)")
	cmd.Flags().StringVar(&to, "to", "", "end of the window (default now)")
	cmd.Flags().IntVar(&reps, "replications", 20, "independent runs (2–200)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up waiting after this long")
	return cmd
}

// setWindow sets a request's calibration window from --from and --to
// ("": the server's default).
func setWindow(req *apiv1.CreateSimulationRequest, from, to string) error {
	for _, t := range []struct {
		name, v string
		dst     **time.Time
	}{{"from", from, &req.From}, {"to", to, &req.To}} {
		if t.v == "" {
			continue
		}
		at, err := parseWhen(t.v)
		if err != nil {
			return usageError{fmt.Errorf("--%s: %w", t.name, err)}
		}
		*t.dst = &at
	}
	return nil
}

// parseWhen reads a date (2026-10-01, 00:00 UTC) or an RFC 3339 time.
func parseWhen(v string) (time.Time, error) {
	if at, err := time.Parse(time.RFC3339, v); err == nil {
		return at, nil
	}
	at, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: give a date (2026-10-01) or an RFC 3339 time", v)
	}
	return at, nil
}

func newSimulateListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	var flowKey, pilot string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List simulations, newest first",
		Example: `  flowlab simulate list --flow complaint`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.Simulation, string, error) {
				out, err := c.ListSimulations(ctx, apiv1.ListSimulationsParams{Flow: flowKey, Pilot: pilot, Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.Simulations, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			return printList(cmd, args, cf.output, apiv1.SimulationList{Simulations: items, NextCursor: next}, items, next, pf.all,
				[]string{"id", "flow", "status", "progress", "created_by", "created_at", "error"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "simulations")
	cmd.Flags().StringVar(&flowKey, "flow", "", "only simulations of this flow")
	cmd.Flags().StringVar(&pilot, "pilot", "", "only the prediction of this pilot")
	return cmd
}

func newSimulateShowCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "show SIMULATION_ID",
		Short:   "Show a simulation: its progress, then the comparison",
		Example: `  flowlab simulate show 4f6c1d2e-8a9b-4c3d-9e1f-2a3b4c5d6e7f`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			x, err := c.GetSimulation(cmd.Context(), apiv1.SimulationIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return showSimulation(cmd, cf.output, x)
		},
	}
	cf.add(cmd)
	return cmd
}

func showSimulation(cmd *cobra.Command, output string, x *apiv1.Simulation) error {
	return emitAnswer(cmd, output, x, func(w io.Writer) error { return writeSimulation(w, x) })
}

// writeSimulation is the comparison as a reader wants it: the two sides'
// figures with their intervals, and the change.
func writeSimulation(w io.Writer, x *apiv1.Simulation) error {
	if x.Status != "succeeded" || x.Result == nil {
		msg := fmt.Sprintf("simulation %s of %s: %s", x.ID, x.Flow, x.Status)
		if x.Status == "running" {
			msg += fmt.Sprintf(", %.0f %% (%s)", x.Progress*100, x.Stage)
		}
		if x.Error != "" {
			msg += ": " + x.Error
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	r := x.Result
	if r.Backtest != nil {
		return writeBacktest(w, x)
	}
	fmt.Fprintf(w, "simulation %s of %s: %d days after a 7-day warm-up from %s, %d replications, seed %d\n",
		x.ID, x.Flow, r.Days, r.Start.Format(time.DateOnly), r.Replications, r.Seed)
	fmt.Fprintf(w, "calibrated from %s to %s: %s cases (%.1f a day), %s spans\n\n", r.Calibration.From.Format(time.DateOnly),
		r.Calibration.To.Format(time.DateOnly), readable.Number(float64(r.Calibration.Cases)), r.Calibration.CasesPerDay, readable.Number(float64(r.Calibration.Spans)))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\tcurrent: %s\tproposed: %s\tchange\n", r.Current.Label, r.Proposed.Label)
	for i, q := range r.Current.Cycle {
		change := ""
		switch q.Q {
		case 0.5:
			change = fraction(r.Change.CycleMedian)
		case 0.9:
			change = fraction(r.Change.CycleP90)
		}
		fmt.Fprintf(tw, "cycle time p%.0f\t%s\t%s\t%s\n", q.Q*100, seconds(q.Seconds), seconds(r.Proposed.Cycle[i].Seconds), change)
	}
	fmt.Fprintf(tw, "SLA breach rate\t%s\t%s\t%s\n", share(r.Current.SLABreachRate), share(r.Proposed.SLABreachRate), points(r.Change.SLABreachRate))
	fmt.Fprintf(tw, "case on time\t%s\t%s\t\n", share(r.Current.CaseOnTime), share(r.Proposed.CaseOnTime))
	fmt.Fprintf(tw, "escalated\t%s\t%s\t\n", share(r.Current.Escalated), share(r.Proposed.Escalated))
	fmt.Fprintf(tw, "cases closed a run\t%s\t%s\t\n", count(r.Current.Done), count(r.Proposed.Done))
	for _, d := range apiv1.PairSimDepartments(r.Current.Departments, r.Proposed.Departments) {
		fmt.Fprintf(tw, "utilisation %s\t%s\t%s\t\n", d.Name, department(d.Current), department(d.Proposed))
	}
	for _, st := range apiv1.PairSimSteps(r.Current.Steps, r.Proposed.Steps) {
		if st.Department == "" {
			continue
		}
		fmt.Fprintf(tw, "wait at %s (median)\t%s\t%s\t\n", st.Name, stepWait(st.Current), stepWait(st.Proposed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nassumed where the history said nothing:")
		for _, n := range r.Notes {
			what := n.Step
			if what == "" {
				what = n.Department
			}
			fmt.Fprintf(w, "  %s: %s\n", what, n.Text)
		}
	}
	return nil
}

// seconds is a duration figure with its interval, e.g. "5.2 h (4.9 h–5.5 h)".
func seconds(f apiv1.SimFigure) string {
	if f.Mean == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%s–%s)", readable.Duration(*f.Mean), readable.Duration(*f.Lo), readable.Duration(*f.Hi))
}

// share is a fraction figure as percentages with its interval.
func share(f apiv1.SimFigure) string {
	if f.Mean == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f %% (%.1f–%.1f %%)", *f.Mean*100, *f.Lo*100, *f.Hi*100)
}

// fraction is a relative change with its interval, e.g. "−20.1 % (−24.0 to −16.2 %)".
func fraction(f apiv1.SimFigure) string {
	if f.Mean == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f %% (%+.1f to %+.1f %%)", *f.Mean*100, *f.Lo*100, *f.Hi*100)
}

// points is an absolute change of a rate in percentage points.
func points(f apiv1.SimFigure) string {
	if f.Mean == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f points (%+.1f to %+.1f)", *f.Mean*100, *f.Lo*100, *f.Hi*100)
}

// count is a count figure with its interval.
func count(f apiv1.SimFigure) string {
	if f.Mean == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%s–%s)", readable.Number(math.Round(*f.Mean)), readable.Number(math.Round(*f.Lo)), readable.Number(math.Round(*f.Hi)))
}

func stepWait(s *apiv1.SimStep) string {
	if s == nil {
		return "(not in this version)"
	}
	return seconds(s.WaitMedian)
}

func department(d *apiv1.SimDepartment) string {
	if d == nil {
		return "(not in this version)"
	}
	return fmt.Sprintf("%s (%s person-h/week)", share(d.Utilisation), readable.Number(d.PersonHoursWeek))
}

// writeBacktest is a backtest's prediction beside what happened.
func writeBacktest(w io.Writer, x *apiv1.Simulation) error {
	r, bt := x.Result, x.Result.Backtest
	fmt.Fprintf(w, "backtest %s of %s: calibrated from %s to %s (%s cases), predicted %d days from %s with %s, %d replications\n\n",
		x.ID, x.Flow, r.Calibration.From.Format(time.DateOnly), bt.Split.Format(time.DateOnly), readable.Number(float64(r.Calibration.Cases)),
		bt.HoldoutDays, bt.Split.Format(time.DateOnly), r.Current.Label, r.Replications)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\tpredicted\tobserved\terror\n")
	fmt.Fprintf(tw, "cases closed\t%s\t%s of %s created\t\n", count(r.Current.Done), readable.Number(float64(bt.Observed.Closed)), readable.Number(float64(bt.Observed.Cases)))
	fmt.Fprintf(tw, "cycle time median\t%s\t%s\t%s\n", seconds(r.Current.Cycle[2].Seconds), observedSeconds(bt.Observed.CycleMedian), ratioError(bt.CycleMedianError, 0.15))
	fmt.Fprintf(tw, "cycle time p90\t%s\t%s\t%s\n", seconds(r.Current.Cycle[4].Seconds), observedSeconds(bt.Observed.CycleP90), ratioError(bt.CycleP90Error, 0))
	obsRate := "—"
	if bt.Observed.SLABreachRate != nil {
		obsRate = fmt.Sprintf("%.1f %%", *bt.Observed.SLABreachRate*100)
	}
	rateErr := "—"
	if bt.BreachRateError != nil {
		rateErr = fmt.Sprintf("%+.1f points", *bt.BreachRateError*100)
	}
	fmt.Fprintf(tw, "SLA breach rate\t%s\t%s\t%s\n", share(r.Current.SLABreachRate), obsRate, rateErr)
	return tw.Flush()
}

func observedSeconds(v *float64) string {
	if v == nil {
		return "—"
	}
	return readable.Duration(*v)
}

// ratioError is predicted ÷ observed − 1 as a percentage, with whether it
// meets target (when target > 0).
func ratioError(v *float64, target float64) string {
	if v == nil {
		return "—"
	}
	s := fmt.Sprintf("%+.1f %%", *v*100)
	if target > 0 {
		if math.Abs(*v) <= target {
			s += fmt.Sprintf(" (within ±%.0f %%)", target*100)
		} else {
			s += fmt.Sprintf(" (outside ±%.0f %%)", target*100)
		}
	}
	return s
}
