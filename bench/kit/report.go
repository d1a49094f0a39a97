package kit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	MemoryGB float64 `json:"memory_gb"`
	OS       string  `json:"os"`
	Go       string  `json:"go"`
}

// ThisMachine reads the machine's facts (Linux /proc where available).
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
		m.MemoryGB = float64(int(kb/1024/1024*10)) / 10
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file.
func procField(path, name string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// RSS is a process's resident memory now and at its peak, in MiB, from
// /proc/PID/status (VmRSS, VmHWM).
type RSS struct {
	CurrentMiB float64 `json:"rss_mib"`
	PeakMiB    float64 `json:"peak_rss_mib"`
}

// ReadRSS reads the memory of process pid (0: this process).
func ReadRSS(pid int) (RSS, error) {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	var out RSS
	for name, dst := range map[string]*float64{"VmRSS": &out.CurrentMiB, "VmHWM": &out.PeakMiB} {
		v, ok := procField(path, name)
		if !ok {
			return out, fmt.Errorf("rss: no %s in %s (Linux only)", name, path)
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 64)
		if err != nil {
			return out, fmt.Errorf("rss: %s in %s: %w", name, path, err)
		}
		*dst = float64(int(kb/1024*10)) / 10
	}
	return out, nil
}

// Result is one scenario's run: its parameters, a table of rows (one per
// size, rate or arm) with the baseline beside flowlab, and the verdicts
// against the scenario's targets.
type Result struct {
	Scenario string            `json:"scenario"`
	Started  time.Time         `json:"started"`
	Elapsed  float64           `json:"elapsed_s"`
	Machine  Machine           `json:"machine"`
	Params   map[string]string `json:"params,omitempty"`
	Columns  []string          `json:"columns"`
	Rows     [][]string        `json:"rows"`
	Targets  []Target          `json:"targets,omitempty"`
	Notes    []string          `json:"notes,omitempty"`
	// Data holds the scenario's figures in full (latency summaries etc.).
	Data any `json:"data,omitempty"`
}

// Target is one target of the issue and whether this run met it.
type Target struct {
	What     string `json:"what"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// NewResult starts a scenario's result.
func NewResult(scenario string, columns ...string) *Result {
	return &Result{Scenario: scenario, Started: time.Now().UTC(), Machine: ThisMachine(), Columns: columns, Params: map[string]string{}}
}

// Row appends a row; values are formatted with %v, floats to 3
// significant decimals.
func (r *Result) Row(values ...any) {
	row := make([]string, len(values))
	for i, v := range values {
		row[i] = format(v)
	}
	r.Rows = append(r.Rows, row)
}

// Target records a target with its verdict.
func (r *Result) Target(what, goal, measured string, met bool) {
	r.Targets = append(r.Targets, Target{What: what, Goal: goal, Measured: measured, Met: met})
}

// Note adds a line printed under the table.
func (r *Result) Note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func format(v any) string {
	switch x := v.(type) {
	case float64:
		switch {
		case x == 0:
			return "0"
		case x >= 100 || x <= -100:
			return strconv.FormatFloat(x, 'f', 0, 64)
		case x >= 1 || x <= -1:
			return strconv.FormatFloat(x, 'f', 2, 64)
		default:
			return strconv.FormatFloat(x, 'f', 3, 64)
		}
	case time.Duration:
		return x.Round(time.Millisecond).String()
	default:
		return fmt.Sprint(v)
	}
}

// Print writes the result as a table with its targets and notes.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s (%.1f s on %d cores, %s)\n", r.Scenario, r.Elapsed, r.Machine.Cores, r.Machine.CPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(r.Columns, "\t")+"\t")
	for _, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	for _, t := range r.Targets {
		verdict := "MET"
		if !t.Met {
			verdict = "NOT MET"
		}
		fmt.Fprintf(w, "target: %s: %s; measured %s → %s\n", t.What, t.Goal, t.Measured, verdict)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
}

// Write stores the result as dir/<scenario>.json and returns the path.
func (r *Result) Write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results directory: %w", err)
	}
	path := filepath.Join(dir, r.Scenario+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode %s result: %w", r.Scenario, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
