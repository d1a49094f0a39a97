// Command bench runs flowlab's benchmark scenarios, each self-contained on
// loopback, bounded in time, with its baseline measured in the same run:
//
//	go run ./bench [flags] SCENARIO...   (or: go run ./bench all)
//
// Every scenario prints a table and writes DIR/<scenario>.json. See
// BENCHMARKS.md for the method, the commands and the latest figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/flowlab/flowlab/bench/kit"
)

// env is what a scenario gets from the command line.
type env struct {
	// Quick runs the smallest sizes for a few seconds each: the smoke
	// test's mode, for checking that a scenario works, not for figures.
	Quick bool
	// Sizes overrides the scenario's sizes (its own unit: cases, spans,
	// rates), when not empty.
	Sizes []int
	// Work is a directory for the scenario's data, removed afterwards.
	Work string
	// Log receives progress lines.
	Log io.Writer
}

// Logf writes a progress line with the time since start.
func (e env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Log, "  %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// sizes returns e.Sizes when given, else quick in quick mode and full
// otherwise.
func (e env) sizes(quick, full []int) []int {
	switch {
	case len(e.Sizes) > 0:
		return e.Sizes
	case e.Quick:
		return quick
	default:
		return full
	}
}

// scenario is one benchmark.
type scenario struct {
	Name  string
	Brief string
	Run   func(ctx context.Context, e env) (*kit.Result, error)
}

var scenarios []scenario

// register adds a scenario; each scenario's file registers itself.
func register(s scenario) {
	scenarios = append(scenarios, s)
	slices.SortFunc(scenarios, func(a, b scenario) int { return strings.Compare(a.Name, b.Name) })
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "bench-results", "directory for each scenario's JSON result")
	quick := fs.Bool("quick", false, "smallest sizes, a few seconds each: checks that scenarios work; the figures mean nothing")
	sizes := fs.String("sizes", "", "comma-separated sizes overriding the scenario's own (cases, spans or rates; see -list)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench [flags] SCENARIO... | all")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nscenarios:")
		for _, s := range scenarios {
			fmt.Fprintf(stderr, "  %-10s %s\n", s.Name, s.Brief)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *list {
		for _, s := range scenarios {
			fmt.Fprintf(stdout, "%-10s %s\n", s.Name, s.Brief)
		}
		return 0
	}
	e := env{Quick: *quick, Log: stderr}
	if *sizes != "" {
		for _, f := range strings.Split(*sizes, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
				fmt.Fprintf(stderr, "bench: -sizes: %q is not a positive whole number\n", f)
				return 2
			}
			e.Sizes = append(e.Sizes, n)
		}
	}
	chosen, err := choose(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "bench: "+err.Error())
		fs.Usage()
		return 2
	}
	failed := 0
	for _, s := range chosen {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "== running %s: %s\n", s.Name, s.Brief)
		work, err := os.MkdirTemp("", "flowlab-bench-"+s.Name+"-")
		if err != nil {
			fmt.Fprintln(stderr, "bench: "+err.Error())
			return 1
		}
		e.Work = work
		start := time.Now()
		res, err := s.Run(ctx, e)
		_ = os.RemoveAll(work)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", s.Name, err)
			failed++
			continue
		}
		res.Elapsed = time.Since(start).Round(100 * time.Millisecond).Seconds()
		if e.Quick {
			res.Note("quick mode: smallest sizes only; these figures are a smoke test, not a measurement")
		}
		res.Print(stdout)
		path, err := res.Write(*out)
		if err != nil {
			fmt.Fprintln(stderr, "bench: "+err.Error())
			failed++
			continue
		}
		fmt.Fprintf(stdout, "wrote %s\n", path)
	}
	if failed > 0 || ctx.Err() != nil {
		return 1
	}
	return 0
}

// choose resolves scenario names ("all": every scenario).
func choose(names []string) ([]scenario, error) {
	if len(names) == 0 {
		return nil, errors.New("name a scenario, or all")
	}
	var out []scenario
	for _, n := range names {
		if n == "all" {
			return scenarios, nil
		}
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("no scenario %q", n)
		}
		out = append(out, scenarios[i])
	}
	return out, nil
}
