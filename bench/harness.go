package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// harnessT lets a scenario use the production-topology harness
// (e2e/cluster), which is written for tests, outside a test: it satisfies
// cluster.TB. Fatal ends the scenario with an error (withHarness recovers
// it); cleanups run in reverse order when the scenario ends.
type harnessT struct {
	name string
	log  io.Writer

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	temps    []string
}

// harnessFatal is the panic value of Fatal.
type harnessFatal struct{ msg string }

func (t *harnessT) Helper()      {}
func (t *harnessT) Name() string { return "bench-" + t.name }
func (t *harnessT) Log(args ...any) {
	fmt.Fprintln(t.log, append([]any{"  harness:"}, args...)...)
}
func (t *harnessT) Logf(format string, args ...any) {
	fmt.Fprintf(t.log, "  harness: "+format+"\n", args...)
}
func (t *harnessT) Fatal(args ...any) {
	t.fail()
	panic(harnessFatal{fmt.Sprint(args...)})
}
func (t *harnessT) Fatalf(format string, args ...any) {
	t.fail()
	panic(harnessFatal{fmt.Sprintf(format, args...)})
}

// Skipf ends the scenario too: outside a test, what a test would skip
// (no PostgreSQL programs, say) is an error to report.
func (t *harnessT) Skipf(format string, args ...any) {
	t.Fatalf("cannot run: "+format, args...)
}
func (t *harnessT) fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}
func (t *harnessT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
func (t *harnessT) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}
func (t *harnessT) TempDir() string {
	dir, err := os.MkdirTemp("", "flowlab-bench-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.mu.Lock()
	t.temps = append(t.temps, dir)
	t.mu.Unlock()
	return dir
}

// withHarness runs fn with a harnessT and then its cleanups (also when fn
// fails or calls Fatal), returning fn's error or the Fatal message.
func withHarness(name string, log io.Writer, fn func(t *harnessT) error) (err error) {
	t := &harnessT{name: name, log: log}
	defer func() {
		rec := recover()
		if f, ok := rec.(harnessFatal); ok {
			err = errors.New(f.msg)
		} else if rec != nil {
			defer panic(rec)
		}
		if err != nil {
			t.fail()
		}
		t.mu.Lock()
		cleanups, temps := t.cleanups, t.temps
		t.cleanups, t.temps = nil, nil
		t.mu.Unlock()
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		for _, d := range temps {
			_ = os.RemoveAll(d)
		}
	}()
	return fn(t)
}
