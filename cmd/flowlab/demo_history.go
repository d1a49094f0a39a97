package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// Bounds of demo --history (the server checks them too).
const (
	minHistoryDays = 1
	maxHistoryDays = 366
)

// historyPoll is how often demo --history asks how far the fill has come.
var historyPoll = time.Second

// parseHistoryDays reads --history: days as "90d", or a duration of whole
// days ("2160h").
func parseHistoryDays(s string) (int, error) {
	s = strings.TrimSpace(s)
	days := 0
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("--history %q: give days, like 90d", s)
		}
		days = v
	} else {
		d, err := time.ParseDuration(s)
		if err != nil || d%(24*time.Hour) != 0 {
			return 0, fmt.Errorf("--history %q: give days, like 90d", s)
		}
		days = int(d / (24 * time.Hour))
	}
	if days < minHistoryDays || days > maxHistoryDays {
		return 0, fmt.Errorf("--history must be %dd to %dd, not %s", minHistoryDays, maxHistoryDays, s)
	}
	return days, nil
}

// runHistory asks a flowlab dev to fill days of simulated history and
// follows the fill until it ends, with a progress bar on a terminal and a
// line every 5 s otherwise. A fill already running is followed instead.
func (d *demo) runHistory(ctx context.Context, cmd *cobra.Command, days int, seed uint64) (*apiv1.DemoHistoryJob, error) {
	_, err := d.c.StartDemoHistory(ctx, apiv1.DemoHistoryRequest{Days: days, Seed: int64(seed)})
	var p *apiv1.Problem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusConflict:
		fmt.Fprintln(d.out, "demo: a history fill is already running on this server; following it")
	case errors.As(err, &p) && p.Status == http.StatusNotFound:
		return nil, fmt.Errorf("demo: %s has no history fill (it is not a flowlab dev, or an older one): %w", d.c.BaseURL, err)
	case err != nil:
		return nil, fmt.Errorf("demo: start the history fill: %w", err)
	default:
		fmt.Fprintf(d.out, "demo: simulating %d days of operation of the built-in flows (seed %d); the server writes them\n", days, seed)
	}
	errw := cmd.ErrOrStderr()
	f, isFile := errw.(*os.File)
	var bar *progressbar.ProgressBar
	if isFile && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(1, progressbar.OptionSetWriter(errw), progressbar.OptionSetDescription("simulating"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	lastLine := start
	tick := time.NewTicker(historyPoll)
	defer tick.Stop()
	for {
		j, err := d.c.GetDemoHistory(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo: how far is the history fill: %w", err)
		}
		if j.Status != apiv1.HistoryRunning {
			if bar != nil {
				_ = bar.Finish()
			}
			switch j.Status {
			case apiv1.HistoryDone:
				return j, nil
			case apiv1.HistoryIdle:
				return nil, errors.New("demo: the server has no history fill (was it restarted?)")
			default:
				return nil, fmt.Errorf("demo: the history fill %s: %s", j.Status, j.Error)
			}
		}
		if bar != nil && j.Cases > 0 {
			bar.ChangeMax(j.Cases)
			bar.Describe("writing cases")
			_ = bar.Set(j.Done)
		} else if now := time.Now(); bar == nil && now.Sub(lastLine) >= progressEvery {
			lastLine = now
			if j.Cases > 0 {
				fmt.Fprintf(errw, "demo: %s of %s cases written (%.0f %%), %s so far\n", readable.Number(float64(j.Done)),
					readable.Number(float64(j.Cases)), 100*float64(j.Done)/float64(j.Cases), readable.Duration(now.Sub(start).Seconds()))
			} else {
				fmt.Fprintf(errw, "demo: simulating, %s so far\n", readable.Duration(now.Sub(start).Seconds()))
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("demo: stopped following the history fill (it goes on in the server; flowlab demo --history again follows it): %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// printHistory says what the history holds and where to look.
func printHistory(cmd *cobra.Command, j *apiv1.DemoHistoryJob) {
	out := cmd.OutOrStdout()
	span := ""
	if j.From != nil && j.To != nil {
		span = fmt.Sprintf(" from %s to %s", j.From.Format(time.DateOnly), j.To.Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(out, "simulated history%s: %s cases (%s new, %s from an earlier fill), %s tasks, %s with customer feedback, %s proposals\n",
		span, readable.Number(float64(j.Cases)), readable.Number(float64(j.Created)), readable.Number(float64(j.Existing)),
		readable.Number(float64(j.Tasks)), readable.Number(float64(j.Feedback)), readable.Number(float64(j.Proposals)))
	if j.Foreign > 0 {
		fmt.Fprintf(out, "  %d cases left out: their id or key is another case's (not touched)\n", j.Foreign)
	}
	for _, f := range j.Flows {
		fmt.Fprintf(out, "  %-18s v%d  %s cases\n", f.Flow, f.Version, readable.Number(float64(f.Cases)))
	}
	if j.PilotID != "" {
		fmt.Fprintf(out, "  pilot %s: complaint v1 against v2, completed (flowlab pilot results %s)\n", j.PilotID, j.PilotID)
	}
	fmt.Fprintln(out, "Every case is closed and marked simulated (attribute simulated, customer sim-…).")
}

// demoHistory is demo --history: fill the past, then print sign-ins.
func demoHistory(ctx context.Context, cmd *cobra.Command, d *demo, days int, seed uint64) error {
	j, err := d.runHistory(ctx, cmd, days, seed)
	if err != nil {
		return err
	}
	printHistory(cmd, j)
	if err := d.printSignIns(ctx); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "demo: the KPIs: %s/ui/kpis; a flow's heat map and trend: %s/ui/flows/complaint\n",
		strings.TrimSuffix(d.c.BaseURL, "/"), strings.TrimSuffix(d.c.BaseURL, "/"))
	return nil
}

// runDemoHistory is the RunE of demo --history.
func runDemoHistory(cmd *cobra.Command, cf clientFlags, history string, seed uint64, timeout time.Duration, notDev bool, tokenTTL time.Duration) error {
	for _, f := range []string{"cases", "flow", "time-scale", "arrival-ms", "feedback"} {
		if cmd.Flags().Changed(f) {
			return usageError{fmt.Errorf("--history fills the past; --%s drives live cases and does not go with it", f)}
		}
	}
	days, err := parseHistoryDays(history)
	if err != nil {
		return usageError{err}
	}
	if tokenTTL < time.Minute || tokenTTL > maxDemoTokenTTL {
		return usageError{fmt.Errorf("--token-ttl must be between 1m and %s, not %s", maxDemoTokenTTL, tokenTTL)}
	}
	if !cmd.Flags().Changed("timeout") {
		timeout = historyTimeout
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	if err := checkDemoTarget(ctx, c, notDev, cmd.ErrOrStderr()); err != nil {
		return err
	}
	d := &demo{c: c, out: cmd.ErrOrStderr(), tokenTTL: tokenTTL}
	return demoHistory(ctx, cmd, d, days, seed)
}

// historyTimeout is --timeout's default with --history: the server's own
// bound of a fill.
const historyTimeout = time.Hour
