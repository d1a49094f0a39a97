package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// flowlab log: import an event log of the helpdesk a team uses today and
// see its process (issue 17). Every figure comes from the API, computed as
// decision 0029 defines it.

func newLogCmd() *cobra.Command {
	parent := &cobra.Command{
		Use:   "log",
		Short: "Import an event log (CSV, XES) and discover its process",
		Long: `log imports the event log export of a helpdesk, CRM or ticketing system (CSV or
XES, either gzipped) and shows what it says about the process as it really
runs: its variants, the process map with where cases wait, per-activity
waiting and working time, rework, ping-pong and handoffs. Every view takes
the same filters and, with --calendar FLOW, counts durations in that flow's
business calendar too.`,
		Example: `  flowlab log import helpdesk.csv --name "Helpdesk 2010-2014"
  flowlab log import export.csv --time-zone Europe/Amsterdam --time-format "dd-MM-yyyy HH:mm" --dry-run
  flowlab log list
  flowlab log show LOG_ID
  flowlab log variants LOG_ID --limit 10
  flowlab log map LOG_ID --activities 80 --paths 50
  flowlab log activities LOG_ID --calendar complaint -o json
  flowlab log draft-flow LOG_ID --key helpdesk > helpdesk.yaml`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{errors.New("log needs a subcommand: import, list, show, variants, cases, map, activities, handoffs, draft-flow, compare, rename or delete")}
		},
	}
	parent.AddCommand(newLogImportCmd(), newLogListCmd(), newLogShowCmd(), newLogVariantsCmd(), newLogCasesCmd(), newLogMapCmd(),
		newLogActivitiesCmd(), newLogHandoffsCmd(), newLogDraftFlowCmd(), newLogCompareCmd(), newLogRenameCmd(), newLogDeleteCmd())
	return parent
}

// readFlags say how to read a log file.
type readFlags struct {
	mapping                       apiv1.LogMapping
	join, delimiter, zone, layout string
}

func (f *readFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.mapping.Case, "case", "", "the case id's column (CSV) or attribute key (XES); default: detected (Case ID, case:concept:name, ...)")
	fl.StringArrayVar(&f.mapping.Activity, "activity", nil, "the activity's column; give it twice to join two (concept:name and lifecycle:transition)")
	fl.StringVar(&f.mapping.Time, "time", "", "the (completion) timestamp's column")
	fl.StringVar(&f.mapping.Start, "start", "", "the start timestamp's column")
	fl.StringVar(&f.mapping.Resource, "resource", "", "the resource's column")
	fl.StringVar(&f.mapping.Group, "group", "", "the department or group's column")
	fl.StringVar(&f.mapping.Lifecycle, "lifecycle", "", "the lifecycle column")
	fl.StringVar(&f.join, "activity-join", "", "what joins two activity columns' values (default +)")
	fl.StringVar(&f.delimiter, "delimiter", "", "the CSV delimiter: comma, semicolon, tab or pipe (default: detected)")
	fl.StringVar(&f.zone, "time-zone", "", "the IANA zone naive timestamps are read in (default UTC)")
	fl.StringVar(&f.layout, "time-format", "", `the timestamp layout: iso8601, epoch-s, epoch-ms or a pattern such as "dd/MM/yyyy HH:mm:ss" (default: detected)`)
	_ = cmd.RegisterFlagCompletionFunc("delimiter", cobra.FixedCompletions([]string{"comma", "semicolon", "tab", "pipe"}, cobra.ShellCompDirectiveNoFileComp))
}

func (f *readFlags) check() error {
	if len(f.mapping.Activity) > 2 {
		return usageError{errors.New("--activity may be given at most twice")}
	}
	switch f.delimiter {
	case "", "comma", "semicolon", "tab", "pipe":
	default:
		return usageError{fmt.Errorf("--delimiter must be comma, semicolon, tab or pipe, not %q", f.delimiter)}
	}
	return nil
}

// progressReader counts the bytes of the file read (sent); Seek starts
// the count again, for a retried upload.
type progressReader struct {
	f *os.File
	n *atomic.Int64
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.n.Add(int64(n))
	return n, err
}

func (p progressReader) Seek(off int64, whence int) (int64, error) {
	pos, err := p.f.Seek(off, whence)
	p.n.Store(pos)
	return pos, err
}

func newLogImportCmd() *cobra.Command {
	var cf clientFlags
	var rf readFlags
	var name string
	var skip, dryRun bool
	var rows int
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an event log file (CSV or XES, either gzipped)",
		Long: `import sends the file to the server, which reads it as a stream and stores the
log all or nothing: a bad row stops it with its line and column (unless
--skip-bad-rows), and a failed or interrupted import leaves nothing: run the
command again. --dry-run reads the whole file and shows the detected mapping,
the timestamp layout, the first rows as parsed, the counts and the problems,
storing nothing. On a terminal a progress bar shows the bytes sent, the events
read, the rate and the time left; otherwise a line every few seconds.`,
		Example: `  flowlab log import helpdesk.csv.gz --name Helpdesk
  flowlab log import bpi.xes --activity concept:name --activity lifecycle:transition
  flowlab log import export.csv --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			if rows < 1 || rows > 200 {
				return usageError{fmt.Errorf("--rows must be from 1 to 200, not %d", rows)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open the log: %w", err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return fmt.Errorf("open the log: %w", err)
			}
			if st.IsDir() {
				return usageError{fmt.Errorf("%s is a directory, not an event log file", args[0])}
			}
			var sent atomic.Int64
			body := progressReader{f: f, n: &sent}
			if dryRun {
				p := apiv1.PreviewLogParams{Case: rf.mapping.Case, Activity: rf.mapping.Activity, Time: rf.mapping.Time, Start: rf.mapping.Start,
					Resource: rf.mapping.Resource, Group: rf.mapping.Group, Lifecycle: rf.mapping.Lifecycle, ActivityJoin: rf.join,
					Delimiter: rf.delimiter, TimeZone: rf.zone, TimeLayout: rf.layout, Rows: rows, All: "true"}
				var out *apiv1.LogPreview
				err := withProgress(cmd, st.Size(), &sent, nil, func(ctx context.Context) error {
					var err error
					out, err = c.PreviewLog(ctx, p, body)
					return err
				})
				if err != nil {
					return err
				}
				return printPreview(cmd, cf.output, out)
			}
			id := uuid.NewString()
			p := apiv1.ImportLogParams{ID: id, Name: name, Source: filepath.Base(args[0]), Case: rf.mapping.Case, Activity: rf.mapping.Activity,
				Time: rf.mapping.Time, Start: rf.mapping.Start, Resource: rf.mapping.Resource, Group: rf.mapping.Group, Lifecycle: rf.mapping.Lifecycle,
				ActivityJoin: rf.join, Delimiter: rf.delimiter, TimeZone: rf.zone, TimeLayout: rf.layout}
			if skip {
				p.SkipBadRows = "true"
			}
			events := func(ctx context.Context) (int, bool) {
				l, err := c.GetLog(ctx, apiv1.LogIDParams{ID: id})
				if err != nil || l.Progress == nil {
					return 0, false
				}
				return l.Progress.Events, true
			}
			var out *apiv1.EventLog
			err = withProgress(cmd, st.Size(), &sent, events, func(ctx context.Context) error {
				var err error
				out, err = c.ImportLog(ctx, p, body)
				return err
			})
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(w, "imported %s (%s): %s cases, %s events", out.Name, out.ID, readable.Number(float64(out.Cases)), readable.Number(float64(out.Events)))
				if out.First != nil && out.Last != nil {
					fmt.Fprintf(w, ", %s to %s", out.First.Format(time.DateTime), out.Last.Format(time.DateTime))
				}
				fmt.Fprintln(w, " (UTC)")
				if out.Report != nil && out.Report.Skipped > 0 {
					fmt.Fprintf(w, "skipped %d bad rows; the first:\n", out.Report.Skipped)
					writeProblems(w, out.Report.Problems)
				}
				fmt.Fprintf(w, "next: flowlab log show %s\n", out.ID)
				return nil
			})
		},
	}
	cf.add(cmd)
	rf.add(cmd)
	cmd.Flags().StringVar(&name, "name", "", "the log's name (default: the file's name)")
	cmd.Flags().BoolVar(&skip, "skip-bad-rows", false, "skip rows without case, activity or a parseable timestamp, and report the count and the first ten")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "read the whole file and show how it would import; store nothing")
	cmd.Flags().IntVar(&rows, "rows", 10, "--dry-run: rows to show as parsed (1–200)")
	return cmd
}

// progressEvery is how often a plain progress line is written, and
// progressPoll how often the server is asked how many events it read.
var (
	progressEvery = 5 * time.Second
	progressPoll  = time.Second
)

// withProgress runs send while it shows how far the upload has come:
// sent of size bytes and, when events is set, the events the server has
// read. On a terminal it is a progress bar; otherwise a line every 5 s.
func withProgress(cmd *cobra.Command, size int64, sent *atomic.Int64, events func(context.Context) (int, bool), send func(context.Context) error) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- send(ctx) }()

	errw := cmd.ErrOrStderr()
	f, isFile := errw.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	var bar *progressbar.ProgressBar
	if tty {
		bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(errw), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("sending"), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30), progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	tick := time.NewTicker(min(250*time.Millisecond, progressEvery))
	defer tick.Stop()
	lastLine, lastPoll := start, start
	n, polled := 0, false
	for {
		select {
		case err := <-done:
			if bar != nil {
				_ = bar.Finish()
			}
			return err
		case now := <-tick.C:
			b := sent.Load()
			if events != nil && now.Sub(lastPoll) >= progressPoll {
				lastPoll = now
				pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
				if e, ok := events(pctx); ok {
					n, polled = e, true
				}
				pcancel()
			}
			phase := "sending"
			if b >= size {
				phase = "writing the log"
			}
			desc := phase
			if polled {
				desc = fmt.Sprintf("%s, %s events read", phase, readable.Number(float64(n)))
			}
			if bar != nil {
				bar.Describe(desc)
				_ = bar.Set64(b)
				continue
			}
			if now.Sub(lastLine) >= progressEvery {
				lastLine = now
				fmt.Fprintln(errw, progressLine(desc, b, size, now.Sub(start)))
			}
		}
	}
}

// progressLine is a plain progress line: bytes of size, the rate and the
// time left at that rate.
func progressLine(desc string, b, size int64, elapsed time.Duration) string {
	pct := 100.0
	if size > 0 {
		pct = float64(b) / float64(size) * 100
	}
	rate := float64(b) / elapsed.Seconds()
	line := fmt.Sprintf("%s: %s of %s (%.0f %%), %s/s", desc, mib(b), mib(size), pct, mib(int64(rate)))
	if rate > 0 && b < size {
		line += ", about " + readable.Duration(float64(size-b)/rate) + " left"
	}
	return line
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func writeProblems(w io.Writer, ps []apiv1.LogProblem) {
	for _, p := range ps {
		where := fmt.Sprintf("line %d", p.Line)
		if p.Trace > 0 {
			where = fmt.Sprintf("trace %d, event %d (line %d)", p.Trace, p.Event, p.Line)
		}
		if p.Column != "" {
			where += ", column " + p.Column
		}
		fmt.Fprintf(w, "  %s: %s\n", where, p.Message)
	}
}

func printPreview(cmd *cobra.Command, output string, out *apiv1.LogPreview) error {
	return emitAnswer(cmd, output, out, func(w io.Writer) error {
		gz := ""
		if out.Gzipped {
			gz = ", gzipped"
		}
		fmt.Fprintf(w, "format: %s%s; timestamps: %s in %s\n", out.Format, gz, out.Layout, out.TimeZone)
		m := out.Mapping
		fmt.Fprintf(w, "mapping: case=%q activity=%q time=%q start=%q resource=%q group=%q lifecycle=%q\n",
			m.Case, strings.Join(m.Activity, " + "), m.Time, m.Start, m.Resource, m.Group, m.Lifecycle)
		fmt.Fprintf(w, "columns: %s\n", strings.Join(out.Columns, ", "))
		fmt.Fprintf(w, "read %s events, %d bad rows (whole file: %v)\n", readable.Number(float64(out.Read)), out.Bad, out.Complete)
		if out.Error != "" {
			fmt.Fprintf(w, "cannot read on: %s\n", out.Error)
		}
		if len(out.Problems) > 0 {
			fmt.Fprintln(w, "problems:")
			writeProblems(w, out.Problems)
		}
		type row struct {
			Line     int    `json:"line"`
			Case     string `json:"case"`
			Activity string `json:"activity"`
			Time     string `json:"time"`
			Start    string `json:"start"`
			Resource string `json:"resource"`
		}
		rows := []row{}
		for _, e := range out.Events {
			r := row{Line: e.Line, Case: e.Case, Activity: e.Activity, Time: e.Time.Format(time.RFC3339), Resource: e.Resource}
			if e.Start != nil {
				r.Start = e.Start.Format(time.RFC3339)
			}
			rows = append(rows, r)
		}
		return writeTable(w, rows, []string{"line", "case", "activity", "time", "start", "resource"})
	})
}

func newLogListCmd() *cobra.Command {
	var cf clientFlags
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the imported logs, newest first",
		Example: `  flowlab log list
  flowlab log list --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.EventLog, string, error) {
				out, err := c.ListLogs(ctx, apiv1.ListLogsParams{Limit: limit, Cursor: cursor})
				if err != nil {
					return nil, "", err
				}
				return out.Logs, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			answer := apiv1.EventLogList{Logs: items, NextCursor: next}
			return printList(cmd, args, cf.output, answer, items, next, pf.all, []string{"id", "name", "source", "cases", "events", "first", "last", "created_by"})
		},
	}
	cf.add(cmd)
	pf.add(cmd, "logs")
	return cmd
}

// viewFlags are the filters and the calendar of every view of a log.
type viewFlags struct {
	from, to, attr, calendar string
	variant                  int
	contains, excludes       []string
}

func (v *viewFlags) add(cmd *cobra.Command) {
	v.addFilters(cmd)
	cmd.Flags().StringVar(&v.calendar, "calendar", "", "also count durations in a business calendar: a flow's key (its calendar) or flow/calendar-id")
}

// addFilters adds the filters only, for a command that counts no durations
// in a calendar.
func (v *viewFlags) addFilters(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&v.from, "from", "", "only cases whose first event is at or after this time (RFC 3339)")
	fl.StringVar(&v.to, "to", "", "only cases whose first event is before this time (RFC 3339)")
	fl.IntVar(&v.variant, "variant", 0, "only the cases of the variant of this rank (flowlab log variants)")
	fl.StringVar(&v.attr, "attr", "", "only cases whose attribute has this value: name=value")
	fl.StringArrayVar(&v.contains, "contains", nil, "only cases with this activity (repeatable)")
	fl.StringArrayVar(&v.excludes, "excludes", nil, "only cases without this activity (repeatable)")
}

// params checks the flags and returns them as the views' parameters.
func (v *viewFlags) params(id string) (apiv1.LogViewParams, error) {
	if err := timeRange(v.from, v.to); err != nil {
		return apiv1.LogViewParams{}, err
	}
	if v.variant < 0 {
		return apiv1.LogViewParams{}, usageError{fmt.Errorf("--variant must be a rank from 1, not %d", v.variant)}
	}
	p := apiv1.LogViewParams{ID: id, From: flagTime(v.from), To: flagTime(v.to), Variant: v.variant, Contains: v.contains,
		Excludes: v.excludes, Calendar: v.calendar}
	if v.attr != "" {
		name, value, ok := strings.Cut(v.attr, "=")
		if !ok || name == "" {
			return apiv1.LogViewParams{}, usageError{fmt.Errorf("--attr must be name=value, not %q", v.attr)}
		}
		p.Attr, p.Value = name, value
	}
	return p, nil
}

// open checks the flags and the output format: the view's parameters and
// a client.
func (v *viewFlags) open(cf *clientFlags, id string) (apiv1.LogViewParams, *apiv1.Client, error) {
	p, err := v.params(id)
	if err != nil {
		return p, nil, err
	}
	c, err := cf.client()
	return p, c, err
}

func newLogShowCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	cmd := &cobra.Command{
		Use:   "show LOG_ID",
		Short: "A log at a glance: cases, events, activities, variants, cycle times",
		Example: `  flowlab log show LOG_ID
  flowlab log show LOG_ID --from 2013-01-01T00:00:00Z --calendar complaint -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			out, err := c.GetLogSummary(cmd.Context(), p)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(w, "%s (%s), from %s\n", out.Log.Name, out.Log.ID, out.Log.Source)
				if out.Filtered {
					fmt.Fprintln(w, "filtered: the figures are of the cases the filter keeps")
				}
				fmt.Fprintf(w, "cases        %s\nevents       %s\nactivities   %d\nresources    %d\nvariants     %d\n",
					readable.Number(float64(out.Cases)), readable.Number(float64(out.Events)), out.Activities, out.Resources, out.Variants)
				if out.First != nil && out.Last != nil {
					fmt.Fprintf(w, "first event  %s UTC\nlast event   %s UTC\n", out.First.Format(time.DateTime), out.Last.Format(time.DateTime))
				}
				ct := out.CycleTime
				fmt.Fprintf(w, "cycle time   median %s, p90 %s, p95 %s (min %s, max %s)\n", readable.Duration(ct.P50), readable.Duration(ct.P90),
					readable.Duration(ct.P95), readable.Duration(ct.Min), readable.Duration(ct.Max))
				if ct.Business != nil {
					fmt.Fprintf(w, "  in %s     median %s, p90 %s, p95 %s\n", out.Calendar, readable.Duration(ct.Business.P50),
						readable.Duration(ct.Business.P90), readable.Duration(ct.Business.P95))
				}
				for _, b := range ct.Buckets {
					fmt.Fprintf(w, "  up to %-10s %s cases\n", readable.Duration(b.UpTo), readable.Number(float64(b.Cases)))
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	return cmd
}

func pageParams(v apiv1.LogViewParams, cursor string, limit int) apiv1.LogPageParams {
	return apiv1.LogPageParams{ID: v.ID, From: v.From, To: v.To, Variant: v.Variant, Attr: v.Attr, Value: v.Value, Contains: v.Contains,
		Excludes: v.Excludes, Calendar: v.Calendar, Limit: limit, Cursor: cursor}
}

func newLogVariantsCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "variants LOG_ID",
		Short: "The variants of a log by count, with share of cases and median cycle time",
		Example: `  flowlab log variants LOG_ID --limit 10
  flowlab log variants LOG_ID --contains "Resolve ticket" -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			v, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			var last *apiv1.LogVariantList
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.LogVariant, string, error) {
				out, err := c.ListLogVariants(ctx, pageParams(v, cursor, limit))
				if err != nil {
					return nil, "", err
				}
				last = out
				return out.Variants, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			answer := apiv1.LogVariantList{Variants: items, Total: last.Total, Cases: last.Cases, NextCursor: next}
			type row struct {
				Rank       int    `json:"rank"`
				Cases      int    `json:"cases"`
				Share      string `json:"share"`
				CycleP50   string `json:"cycle_p50"`
				Activities string `json:"activities"`
			}
			rows := []row{}
			for _, x := range items {
				rows = append(rows, row{Rank: x.Rank, Cases: x.Cases, Share: tablePercent(x.Share), CycleP50: readable.Duration(x.CycleP50),
					Activities: strings.Join(x.Activities, " → ")})
			}
			if cf.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "%d variants over %s cases\n", last.Total, readable.Number(float64(last.Cases)))
			}
			return printList(cmd, args, cf.output, answer, rows, next, pf.all, []string{"rank", "cases", "share", "cycle_p50", "activities"})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	pf.add(cmd, "variants")
	return cmd
}

func newLogCasesCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	var pf pageFlags
	var events bool
	cmd := &cobra.Command{
		Use:   "cases LOG_ID",
		Short: "The cases of a log (of a variant with --variant RANK)",
		Example: `  flowlab log cases LOG_ID --variant 2
  flowlab log cases LOG_ID --attr customer=Value\ 1 --events -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			v, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			items, next, err := fetchPages(cmd.Context(), pf, func(ctx context.Context, cursor string, limit int) ([]apiv1.LogCase, string, error) {
				p := pageParams(v, cursor, limit)
				if events {
					p.Events = "true"
				}
				out, err := c.ListLogCases(ctx, p)
				if err != nil {
					return nil, "", err
				}
				return out.Cases, out.NextCursor, nil
			})
			if err != nil {
				return err
			}
			answer := apiv1.LogCaseList{Cases: items, NextCursor: next}
			type row struct {
				ID        string `json:"id"`
				Variant   int    `json:"variant"`
				Events    int    `json:"events"`
				First     string `json:"first"`
				CycleTime string `json:"cycle_time"`
			}
			rows := []row{}
			for _, x := range items {
				rows = append(rows, row{ID: x.ID, Variant: x.Variant, Events: x.Events, First: x.First.Format(time.DateTime),
					CycleTime: readable.Duration(x.CycleTime)})
			}
			return printList(cmd, args, cf.output, answer, rows, next, pf.all, []string{"id", "variant", "events", "first", "cycle_time"})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	pf.add(cmd, "cases")
	cmd.Flags().BoolVar(&events, "events", false, "give each case's events (-o json or yaml)")
	return cmd
}

func newLogMapCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	var activities, paths int
	var svgFile, view string
	cmd := &cobra.Command{
		Use:   "map LOG_ID",
		Short: "The process map: activities and directly-follows paths with counts and durations",
		Example: `  flowlab log map LOG_ID
  flowlab log map LOG_ID --activities 80 --paths 40 -o json
  flowlab log map LOG_ID --svg map.svg --view performance`,
		Long: `map prints the directly-follows graph of the log: each path between two
activities (and from the start, to the end) with how often it is taken and the
median and 90th percentile of its duration. --activities and --paths keep the
most frequent share of each, like the sliders of process-mining tools. --svg
writes the map drawn as a heat map instead (--view frequency or performance).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if activities < 0 || activities > 100 || paths < 0 || paths > 100 {
				return usageError{errors.New("--activities and --paths are percentages from 0 to 100")}
			}
			v, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			if view != apiv1.LogMapFrequency && view != apiv1.LogMapPerformance {
				return usageError{fmt.Errorf("--view must be frequency or performance, not %q", view)}
			}
			mp := apiv1.LogMapParams{ID: v.ID, From: v.From, To: v.To, Variant: v.Variant, Attr: v.Attr,
				Value: v.Value, Contains: v.Contains, Excludes: v.Excludes, Calendar: v.Calendar, Activities: activities, Paths: paths, View: view}
			if svgFile != "" {
				svg, err := c.RenderLogMap(cmd.Context(), mp)
				if err != nil {
					return err
				}
				if err := os.WriteFile(svgFile, svg, 0o644); err != nil {
					return fmt.Errorf("write the map: %w", err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d KiB)\n", svgFile, len(svg)>>10)
				return nil
			}
			mp.View = ""
			out, err := c.GetLogMap(cmd.Context(), mp)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(w, "%d of %d activities, %d of %d paths\n", out.Activities, out.ActivitiesTotal, out.Paths, out.PathsTotal)
				type row struct {
					From  string `json:"from"`
					To    string `json:"to"`
					Count int    `json:"count"`
					P50   string `json:"median"`
					P90   string `json:"p90"`
				}
				rows := []row{}
				for _, e := range out.Edges {
					r := row{From: e.From, To: e.To, Count: e.Count, P50: "–", P90: "–"}
					if e.Duration != nil {
						r.P50, r.P90 = readable.Duration(e.Duration.P50), readable.Duration(e.Duration.P90)
					}
					rows = append(rows, r)
				}
				return writeTable(w, rows, []string{"from", "to", "count", "median", "p90"})
			})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	cmd.Flags().IntVar(&activities, "activities", 100, "percent of the activities to keep, most frequent first")
	cmd.Flags().IntVar(&paths, "paths", 100, "percent of the paths between kept activities to keep, most frequent first")
	cmd.Flags().StringVar(&svgFile, "svg", "", "write the map drawn as SVG to this file")
	cmd.Flags().StringVar(&view, "view", apiv1.LogMapFrequency, "with --svg: frequency (counts) or performance (median durations)")
	return cmd
}

func newLogActivitiesCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	cmd := &cobra.Command{
		Use:   "activities LOG_ID",
		Short: "Per activity: waiting and working time, share of cycle time, bottleneck, rework, ping-pong",
		Example: `  flowlab log activities LOG_ID
  flowlab log activities LOG_ID --calendar complaint -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			out, err := c.GetLogActivities(cmd.Context(), v)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				type row struct {
					Activity   string `json:"activity"`
					Count      int    `json:"count"`
					Cases      int    `json:"cases"`
					WaitP50    string `json:"wait_p50"`
					WaitP90    string `json:"wait_p90"`
					WaitP95    string `json:"wait_p95"`
					WorkP50    string `json:"work_p50"`
					WorkP90    string `json:"work_p90"`
					Share      string `json:"share"`
					Rework     int    `json:"rework_cases"`
					PingPong   int    `json:"ping_pong_cases"`
					Bottleneck string `json:"bottleneck"`
				}
				rows := []row{}
				for _, a := range out.Activities {
					r := row{Activity: a.Activity, Count: a.Count, Cases: a.Cases, WaitP50: quantileCell(a.Wait, a.Wait.P50),
						WaitP90: quantileCell(a.Wait, a.Wait.P90), WaitP95: quantileCell(a.Wait, a.Wait.P95), WorkP50: quantileCell(a.Work, a.Work.P50),
						WorkP90: quantileCell(a.Work, a.Work.P90), Share: tablePercent(a.Share), Rework: a.Rework, PingPong: a.PingPong}
					if a.Bottleneck {
						r.Bottleneck = "<== bottleneck"
					}
					rows = append(rows, r)
				}
				return writeTable(w, rows, []string{"activity", "count", "cases", "wait_p50", "wait_p90", "wait_p95", "work_p50", "work_p90", "share",
					"rework_cases", "ping_pong_cases", "bottleneck"})
			})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	return cmd
}

// quantileCell is a percentile for a table: a dash when there are no
// durations.
func quantileCell(q apiv1.LogQuantiles, v float64) string {
	if q.N == 0 {
		return "–"
	}
	return readable.Duration(v)
}

func newLogHandoffsCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	cmd := &cobra.Command{
		Use:   "handoffs LOG_ID",
		Short: "Handoffs between resources and between departments",
		Example: `  flowlab log handoffs LOG_ID
  flowlab log handoffs LOG_ID --variant 1 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, c, err := vf.open(&cf, args[0])
			if err != nil {
				return err
			}
			out, err := c.GetLogHandoffs(cmd.Context(), v)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				pc := out.PerCaseResources
				fmt.Fprintf(w, "handoffs between resources per case: mean %s, median %s, p90 %s\n", readable.Number(pc.Mean), readable.Number(pc.P50), readable.Number(pc.P90))
				if err := writeTable(w, out.Resources, []string{"from", "to", "count", "cases"}); err != nil {
					return err
				}
				if len(out.Groups) > 0 {
					pc = out.PerCaseGroups
					fmt.Fprintf(w, "\nhandoffs between departments per case: mean %s, median %s, p90 %s\n", readable.Number(pc.Mean), readable.Number(pc.P50), readable.Number(pc.P90))
					return writeTable(w, out.Groups, []string{"from", "to", "count", "cases"})
				}
				return nil
			})
		},
	}
	cf.add(cmd)
	vf.add(cmd)
	return cmd
}

func newLogRenameCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "rename LOG_ID NAME",
		Short:   "Rename a log",
		Example: `  flowlab log rename LOG_ID "Helpdesk 2010-2014"`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.RenameLog(cmd.Context(), apiv1.LogIDParams{ID: args[0]}, apiv1.RenameLogRequest{Name: args[1]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "name", "cases", "events"})
		},
	}
	cf.add(cmd)
	return cmd
}

func newLogDeleteCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "delete LOG_ID",
		Short:   "Delete a log and its events",
		Example: `  flowlab log delete LOG_ID`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := c.DeleteLog(cmd.Context(), apiv1.LogIDParams{ID: args[0]})
			if err != nil {
				return err
			}
			return renderAnswer(cmd, cf.output, out, []string{"id", "name", "cases", "events"})
		},
	}
	cf.add(cmd)
	return cmd
}

func newLogDraftFlowCmd() *cobra.Command {
	var cf clientFlags
	var vf viewFlags
	var key, name, dflt string
	var coverage float64
	var deptOf []string
	cmd := &cobra.Command{
		Use:   "draft-flow LOG_ID",
		Short: "Draft a flow from a log: its main paths as tasks, departments, outcomes and SLAs (YAML)",
		Long: `draft-flow prints flow YAML drafted from the log (decision 0032): the most
frequent variants until they cover --coverage percent of the cases, a task per
kept activity, an outcome per path the kept variants take, a decision first
where cases start differently, and SLAs from the log's waiting times (p90,
rounded up). Comments say where each number came from. A task's department is
--department-of's for the activity's most frequent group (or else resource),
else that group, else --default-department. Nothing is stored: check the draft,
then publish it with flowlab flow publish KEY FILE.`,
		Example: `  flowlab log draft-flow LOG_ID --key helpdesk > helpdesk.yaml
  flowlab log draft-flow LOG_ID --coverage 80 --department-of "Value 1=first_line" --department-of "Value 2=second_line"
  flowlab log draft-flow LOG_ID --from 2013-01-01T00:00:00Z -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := vf.params(args[0])
			if err != nil {
				return err
			}
			if coverage <= 0 || coverage > 100 {
				return usageError{fmt.Errorf("--coverage must be a percentage above 0 and at most 100, not %v", coverage)}
			}
			req := apiv1.DraftFlowRequest{Key: key, Name: name, Coverage: coverage / 100, DefaultDepartment: dflt}
			for _, m := range deptOf {
				value, dept, ok := strings.Cut(m, "=")
				if !ok || value == "" || dept == "" {
					return usageError{fmt.Errorf("--department-of must be VALUE=DEPARTMENT, not %q", m)}
				}
				if req.DepartmentOf == nil {
					req.DepartmentOf = map[string]string{}
				}
				req.DepartmentOf[value] = dept
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			p := apiv1.DraftFlowFromLogParams{ID: v.ID, From: v.From, To: v.To, Variant: v.Variant, Attr: v.Attr, Value: v.Value,
				Contains: v.Contains, Excludes: v.Excludes}
			out, err := c.DraftFlowFromLog(cmd.Context(), p, req)
			if err != nil {
				return err
			}
			return emitAnswer(cmd, cf.output, out, func(w io.Writer) error {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d variants cover %s of %s cases (%s); %d of %d activities, %d steps\n",
					out.Variants, out.VariantsTotal, readable.Number(float64(out.CoveredCases)), readable.Number(float64(out.Cases)),
					tablePercent(out.Coverage), out.Activities, out.ActivitiesTotal, out.Steps)
				_, err := io.WriteString(w, out.YAML)
				return err
			})
		},
	}
	cf.add(cmd)
	vf.addFilters(cmd)
	fl := cmd.Flags()
	fl.StringVar(&key, "key", "", "the flow's key (default: made from the log's name)")
	fl.StringVar(&name, "name", "", "the flow's name (default: the log's name)")
	fl.Float64Var(&coverage, "coverage", 90, "percent of the cases the kept variants must cover, the most frequent first")
	fl.StringArrayVar(&deptOf, "department-of", nil, "a group or resource value of the log and its department: VALUE=DEPARTMENT (repeatable)")
	fl.StringVar(&dflt, "default-department", "", "the department of a task nothing else names (default service)")
	return cmd
}
