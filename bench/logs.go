package main

// Scenario "logs" (issue 17): importing event logs and answering the
// discovery views. Synthetic logs of 1M and 5M events, as CSV and as XES,
// are imported into SQLite (package logimport) and every view is computed
// over the loaded log; the baseline in the same run is the I/O floor: the
// time to read and scan the same bytes. The real Helpdesk XES, when it is
// beside the repository, is uploaded to the real API on loopback, imported
// and its map drawn by map.svg.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store/sqlite"
)

func init() {
	register(scenario{
		Name:  "logs",
		Brief: "event-log import (CSV, XES) and discovery views over 1M/5M events vs reading the same bytes",
		Run:   runLogs,
	})
}

// Targets of the issue.
const (
	lgTargetImport1M = 10 * time.Second
	lgTargetRSSMiB   = 300.0
	lgTargetView     = 200 * time.Millisecond
	lgTargetHelpdesk = time.Second
	// issue 18: the XES export of 1M spans streams.
	lgTargetExportMiB = 200.0
)

// lgHelpdesk is the real log, beside the repository (never copied into it).
const lgHelpdesk = "../shared/data/eventlogs/helpdesk.xes.gz"

type lgRow struct {
	Events    int                `json:"events"`
	Format    string             `json:"format"`
	MB        float64            `json:"mb"`
	FloorS    float64            `json:"floor_s"`
	ImportS   float64            `json:"import_s"`
	Ratio     float64            `json:"ratio"`
	EventsPS  float64            `json:"events_per_s"`
	MBPS      float64            `json:"mb_per_s"`
	PeakMiB   float64            `json:"peak_rss_mib"`
	LoadS     float64            `json:"load_s"`
	ViewsMs   map[string]float64 `json:"views_ms"`
	SlowestMs float64            `json:"slowest_view_ms"`
}

func runLogs(ctx context.Context, e env) (*kit.Result, error) {
	sizes := e.sizes([]int{20_000}, []int{1_000_000, 5_000_000})
	res := kit.NewResult("logs", "events", "format", "MB", "I/O floor s", "import s", "ratio", "events/s", "MB/s",
		"peak RSS MiB", "load s", "slowest view ms")
	var rows []lgRow
	for _, n := range sizes {
		for _, format := range []string{"csv", "xes"} {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			path := filepath.Join(e.Work, fmt.Sprintf("log-%d.%s", n, format))
			e.Logf("logs: writing %d events as %s", n, format)
			if err := lgWrite(path, format, n); err != nil {
				return nil, err
			}
			row, err := lgMeasure(ctx, e, path, format, n)
			if err != nil {
				return nil, fmt.Errorf("logs: %d %s: %w", n, format, err)
			}
			_ = os.Remove(path)
			rows = append(rows, row)
			res.Row(row.Events, row.Format, row.MB, row.FloorS, row.ImportS, row.Ratio, row.EventsPS, row.MBPS,
				row.PeakMiB, row.LoadS, row.SlowestMs)
			if n == 1_000_000 {
				res.Target(fmt.Sprintf("import 1M events (%s)", format), "≤ 10 s", fmt.Sprintf("%.2f s", row.ImportS),
					row.ImportS <= lgTargetImport1M.Seconds())
				res.Target(fmt.Sprintf("peak RSS of the 1M import (%s)", format), "≤ 300 MiB", fmt.Sprintf("%.0f MiB", row.PeakMiB),
					row.PeakMiB <= lgTargetRSSMiB)
				res.Target(fmt.Sprintf("slowest discovery view over 1M events (%s)", format), "≤ 200 ms",
					fmt.Sprintf("%.0f ms", row.SlowestMs), row.SlowestMs <= float64(lgTargetView.Milliseconds()))
			}
		}
	}
	if f, err := os.Open(lgHelpdesk); err == nil {
		took, err := lgHelpdeskMap(ctx, e, f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		res.Target("Helpdesk XES imported and its map drawn", "≤ 1 s", fmt.Sprintf("%.2f s", took.Seconds()),
			took <= lgTargetHelpdesk)
	} else {
		res.Note("the Helpdesk log is not beside the repository (%s): its target was not measured", lgHelpdesk)
	}
	spans := 1_000_000
	if e.Quick {
		spans = 20_000
	}
	xr, err := lgSpansXES(ctx, e, spans)
	if err != nil {
		return nil, err
	}
	res.Note("spans export: %d spans (%d cases) as XES in %.2f s (%.1f MB, %.0f spans/s; JSON lines of the same spans, the baseline: %.2f s, ratio %.2f), peak RSS %.0f MiB",
		xr.Spans, xr.Cases, xr.XESSeconds, xr.XESMB, float64(xr.Spans)/xr.XESSeconds, xr.JSONLSeconds, xr.XESSeconds/xr.JSONLSeconds, xr.PeakMiB)
	if spans == 1_000_000 {
		res.Target("peak RSS of the 1M-span XES export", "≤ 200 MiB", fmt.Sprintf("%.0f MiB", xr.PeakMiB), xr.PeakMiB <= lgTargetExportMiB)
	}
	res.Note("ratio: the import's time over the I/O floor (reading and scanning the same bytes)")
	res.Note("peak RSS: the bench process's peak, reset before each import (/proc/self/clear_refs)")
	res.Data = map[string]any{"imports": rows, "spans_export": xr}
	return res, nil
}

var lgActivities = []string{"record", "assign", "investigate", "wait for customer", "resolve", "review", "close", "reopen"}

// lgWrite writes a synthetic log of n events: cases of 3 to 10 events over
// 8 activities, 50 resources and 20 products, as CSV or XES, streamed.
func lgWrite(path, format string, n int) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(17, uint64(n)))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if format == "csv" {
		fmt.Fprintln(w, "Case ID,Activity,Complete Timestamp,Resource,product")
	} else {
		fmt.Fprintln(w, `<?xml version="1.0" encoding="UTF-8"?>`)
		fmt.Fprintln(w, `<log xes.version="1.0">`)
	}
	written := 0
	for c := 0; written < n; c++ {
		t := t0.Add(time.Duration(c) * time.Minute)
		k := 3 + rng.IntN(8)
		if format == "xes" {
			fmt.Fprintf(w, "<trace><string key=\"concept:name\" value=\"case-%d\"/><string key=\"product\" value=\"p%d\"/>\n", c, c%20)
		}
		for j := 0; j < k && written < n; j++ {
			t = t.Add(time.Duration(rng.IntN(7200)) * time.Second)
			act, res := lgActivities[rng.IntN(len(lgActivities))], rng.IntN(50)
			if format == "csv" {
				fmt.Fprintf(w, "case-%d,%s,%s,r%d,p%d\n", c, act, t.Format(time.RFC3339), res, c%20)
			} else {
				fmt.Fprintf(w, "<event><string key=\"concept:name\" value=\"%s\"/><date key=\"time:timestamp\" value=\"%s\"/>"+
					"<string key=\"org:resource\" value=\"r%d\"/></event>\n", act, t.Format(time.RFC3339), res)
			}
			written++
		}
		if format == "xes" {
			fmt.Fprintln(w, "</trace>")
		}
	}
	if format == "xes" {
		fmt.Fprintln(w, "</log>")
	}
	return w.Flush()
}

// lgFloor is the I/O floor: reading the file and scanning every byte.
func lgFloor(path string) (time.Duration, int64, error) {
	began := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var size int64
	lines := 0
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		size += int64(n)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if lines == 0 {
		return 0, 0, fmt.Errorf("%s: empty", path)
	}
	return time.Since(began), size, nil
}

// lgResetPeak resets the process's peak RSS, so VmHWM then measures what
// comes after (Linux; elsewhere the peak is the process's own).
// lgResetPeak returns the heap the previous import left to the OS, so that
// each import's peak RSS is its own and not the garbage of the one before
// (the runtime hands freed memory back only slowly), then resets the
// kernel's peak.
func lgResetPeak() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func lgMeasure(ctx context.Context, e env, path, format string, n int) (lgRow, error) {
	floor, size, err := lgFloor(path)
	if err != nil {
		return lgRow{}, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(e.Work, fmt.Sprintf("logs-%d-%s.db", n, format)))
	if err != nil {
		return lgRow{}, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return lgRow{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return lgRow{}, err
	}
	defer f.Close()
	lgResetPeak()
	began := time.Now()
	l, _, err := logimport.Import(ctx, st, f, logimport.Params{ID: "bench", Name: "bench", Actor: "bench", At: time.Now()})
	if err != nil {
		return lgRow{}, err
	}
	took := time.Since(began)
	rss, err := kit.ReadRSS(0)
	if err != nil {
		return lgRow{}, err
	}
	if l.Events != n {
		return lgRow{}, fmt.Errorf("imported %d events of %d", l.Events, n)
	}
	began = time.Now()
	lg, err := logimport.Load(ctx, st, "bench")
	if err != nil {
		return lgRow{}, err
	}
	load := time.Since(began)
	row := lgRow{Events: n, Format: format, MB: float64(size) / 1e6, FloorS: floor.Seconds(), ImportS: took.Seconds(),
		Ratio: took.Seconds() / max(floor.Seconds(), 1e-9), EventsPS: float64(n) / took.Seconds(),
		MBPS: float64(size) / 1e6 / took.Seconds(), PeakMiB: rss.PeakMiB, LoadS: load.Seconds(), ViewsMs: map[string]float64{}}
	for _, v := range lgViews {
		// The median of three runs of each view.
		var ms []float64
		for range 3 {
			began := time.Now()
			v.fn(lg)
			ms = append(ms, float64(time.Since(began).Microseconds())/1000)
		}
		slices.Sort(ms)
		row.ViewsMs[v.name] = ms[1]
		row.SlowestMs = max(row.SlowestMs, ms[1])
	}
	e.Logf("logs: %d %s: import %.2f s (floor %.3f s), peak RSS %.0f MiB, slowest view %.0f ms",
		n, format, row.ImportS, row.FloorS, row.PeakMiB, row.SlowestMs)
	return row, nil
}

var lgViews = []struct {
	name string
	fn   func(discovery.Log)
}{
	{"summary", func(l discovery.Log) { discovery.Summarize(l) }},
	{"variants", func(l discovery.Log) { discovery.Variants(l) }},
	{"map", func(l discovery.Log) { discovery.DirectlyFollows(l) }},
	{"activities", func(l discovery.Log) { discovery.Activities(l) }},
	{"handoffs", func(l discovery.Log) { discovery.HandoffsOf(l) }},
	{"cycle times", func(l discovery.Log) { discovery.CycleTimesOf(l) }},
}

// lgHelpdeskMap is what a user waits for after choosing the Helpdesk XES:
// the file uploaded to the real API on loopback and imported, then its map
// drawn (map.svg: the log loaded, its directly-follows graph, the
// Graphviz layout in a child process). The store is a fresh SQLite file.
func lgHelpdeskMap(ctx context.Context, e env, r io.Reader) (time.Duration, error) {
	st, err := sqlite.Open(ctx, filepath.Join(e.Work, "helpdesk.db"))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return 0, err
	}
	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: anNoEngine{}, AdminToken: anAdminTok, RatePerSecond: -1}})
	if err != nil {
		return 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	client := &apiv1.Client{BaseURL: "http://" + ln.Addr().String(), Token: anAdminTok, HTTP: &http.Client{Timeout: time.Minute}, RateWait: -1}
	began := time.Now()
	l, err := client.ImportLog(ctx, apiv1.ImportLogParams{Name: "Helpdesk", Source: "helpdesk.xes.gz"}, r)
	if err != nil {
		return 0, fmt.Errorf("logs: helpdesk: import: %w", err)
	}
	svg, err := client.RenderLogMap(ctx, apiv1.LogMapParams{ID: l.ID, View: apiv1.LogMapFrequency})
	if err != nil {
		return 0, fmt.Errorf("logs: helpdesk: map: %w", err)
	}
	took := time.Since(began)
	if !bytes.Contains(svg, []byte("<svg")) {
		return 0, fmt.Errorf("logs: helpdesk: the map is not an SVG")
	}
	e.Logf("logs: helpdesk: %d events imported and the map drawn (%d KiB of SVG) in %.2f s", l.Events, len(svg)>>10, took.Seconds())
	return took, nil
}

// lgExport is the spans export's measurement.
type lgExport struct {
	Spans        int     `json:"spans"`
	Cases        int     `json:"cases"`
	SeedSeconds  float64 `json:"seed_s"`
	XESSeconds   float64 `json:"xes_s"`
	XESMB        float64 `json:"xes_mb"`
	JSONLSeconds float64 `json:"jsonl_s"`
	PeakMiB      float64 `json:"peak_rss_mib"`
}

// lgSpansXES stores n spans (cases of 10 steps) in a fresh SQLite file,
// straight into the spans table in one transaction (the store's own path
// also builds rollups, which the export does not read), then streams them
// from the real API on loopback as JSON lines (the baseline) and as XES,
// the XES with the process's peak RSS reset first: the export must hold a
// page at a time, whatever n.
func lgSpansXES(ctx context.Context, e env, n int) (lgExport, error) {
	path := filepath.Join(e.Work, "spans.db")
	_ = os.Remove(path)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return lgExport{}, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return lgExport{}, err
	}
	out := lgExport{Spans: n, Cases: (n + 9) / 10}
	began := time.Now()
	if err := lgSeedSpans(ctx, path, n); err != nil {
		return out, err
	}
	out.SeedSeconds = time.Since(began).Seconds()
	e.Logf("logs: %d spans stored in %.1f s", n, out.SeedSeconds)

	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: anNoEngine{}, AdminToken: anAdminTok, RatePerSecond: -1}})
	if err != nil {
		return out, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	client := &apiv1.Client{BaseURL: "http://" + ln.Addr().String(), Token: anAdminTok, RateWait: -1}
	export := func(format string) (time.Duration, int64, error) {
		began := time.Now()
		body, err := client.ExportSpans(ctx, apiv1.ExportSpansParams{Format: format})
		if err != nil {
			return 0, 0, err
		}
		defer body.Close()
		nb, err := io.Copy(io.Discard, body)
		return time.Since(began), nb, err
	}
	took, _, err := export("jsonl")
	if err != nil {
		return out, fmt.Errorf("logs: spans as jsonl: %w", err)
	}
	out.JSONLSeconds = took.Seconds()
	lgResetPeak()
	took, nb, err := export("xes")
	if err != nil {
		return out, fmt.Errorf("logs: spans as xes: %w", err)
	}
	rss, err := kit.ReadRSS(0)
	if err != nil {
		return out, err
	}
	out.XESSeconds, out.XESMB, out.PeakMiB = took.Seconds(), float64(nb)/1e6, rss.PeakMiB
	e.Logf("logs: %d spans as XES: %.1f MB in %.2f s, peak RSS %.0f MiB", n, out.XESMB, out.XESSeconds, out.PeakMiB)
	return out, nil
}

// lgSeedSpans inserts n spans into the spans table at path: cases of ten
// task steps over five departments, each entered when the one before
// completed, claimed and worked.
func lgSeedSpans(ctx context.Context, path string, n int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO spans (case_id, seq, flow, version, variant, step, kind, department, entered_at,
		claimed_at, completed_at, outcome, sla_due, breached, escalation_level, actor) VALUES (?, ?, 'complaint', 1, 'A', ?, 'task', ?, ?, ?, ?, 'done', NULL, 0, 0, ?)`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 7))
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC).UnixNano()
	var at int64
	for i := range n {
		c, seq := i/10, i%10+1
		if seq == 1 {
			at = t0 + int64(c)*int64(3*time.Minute)
		}
		claimed := at + rng.Int64N(int64(4*time.Hour))
		done := claimed + rng.Int64N(int64(time.Hour))
		if _, err := ins.ExecContext(ctx, fmt.Sprintf("case-%07d", c), seq, fmt.Sprintf("step_%d", seq), fmt.Sprintf("dept_%d", seq%5),
			at, claimed, done, fmt.Sprintf("agent-%d", rng.IntN(50))); err != nil {
			return err
		}
		at = done
	}
	return tx.Commit()
}
