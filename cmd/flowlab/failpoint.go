package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// The crash failpoint is a test hook of flowlab worker, inert unless
// FLOWLAB_TEST_CRASH_AFTER is set: the e2e crash tests set it to make a
// worker process exit right after an activity's side effect committed and
// before the activity reported its result, the worst moment for a crash
// (see docs/decisions/0012-crash-harness.md).
//
//	FLOWLAB_TEST_CRASH_AFTER=CloseTask=2,OpenTask=1   activity type=crashes
//	FLOWLAB_TEST_CRASH_DIR=/tmp/x                      shared by the workers
//	FLOWLAB_TEST_CRASH_WINDOW=3s                       optional, default 0
//
// Each crash claims a marker file NAME-i (i = 1…count) in the directory
// with O_EXCL, so the counts hold across every worker process and restart
// that shares it; a claimed crash logs one line and exits with
// failpointExitCode. Only first attempts crash, so the retry of a crashed
// activity gets through. With a window, the process exits that long after
// its first claimed crash, and every activity that claims a crash
// meanwhile is held unreported too: several effects lost their report in
// one process death (each death stalls the work in flight on it for the
// activities' start-to-close timeout, so the tests crash in few deaths).
const (
	failpointEnv      = "FLOWLAB_TEST_CRASH_AFTER"
	failpointDirEnv   = "FLOWLAB_TEST_CRASH_DIR"
	failpointWinEnv   = "FLOWLAB_TEST_CRASH_WINDOW"
	failpointExitCode = 197
)

// failpointInterceptors returns the crash failpoint's interceptor when
// FLOWLAB_TEST_CRASH_AFTER is set, none otherwise.
func failpointInterceptors(logger *slog.Logger) ([]interceptor.WorkerInterceptor, error) {
	spec := os.Getenv(failpointEnv)
	if spec == "" {
		return nil, nil
	}
	dir := os.Getenv(failpointDirEnv)
	if dir == "" {
		return nil, fmt.Errorf("%s is set but %s is not", failpointEnv, failpointDirEnv)
	}
	counts := map[string]int{}
	for _, part := range strings.Split(spec, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		count, err := strconv.Atoi(n)
		if !ok || name == "" || err != nil || count < 1 {
			return nil, fmt.Errorf("%s: %q is not ACTIVITY=COUNT", failpointEnv, part)
		}
		counts[name] = count
	}
	var window time.Duration
	if w := os.Getenv(failpointWinEnv); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%s: %q is not a duration", failpointWinEnv, w)
		}
		window = d
	}
	logger.Warn("test failpoint armed: this worker exits after activities commit", "crashes", spec, "dir", dir, "window", window)
	return []interceptor.WorkerInterceptor{&crashAfter{counts: counts, dir: dir, window: window}}, nil
}

type crashAfter struct {
	interceptor.WorkerInterceptorBase
	counts map[string]int
	dir    string
	window time.Duration

	mu      sync.Mutex
	exiting bool
}

// crash holds the calling activity unreported and makes the process exit
// window after the first crash; it never returns.
func (c *crashAfter) crash(info activity.Info) {
	c.mu.Lock()
	fmt.Fprintf(os.Stderr, "flowlab worker: test failpoint: %s committed and is not reported (workflow %s, activity %s, attempt %d); exit in %s\n",
		info.ActivityType.Name, info.WorkflowExecution.ID, info.ActivityID, info.Attempt, c.window)
	if !c.exiting {
		c.exiting = true
		time.AfterFunc(c.window, func() {
			c.mu.Lock() // no crash line is half written
			os.Exit(failpointExitCode)
		})
	}
	c.mu.Unlock()
	select {}
}

// claim takes one of the crashes left for activity name.
func (c *crashAfter) claim(name string) bool {
	for i := 1; i <= c.counts[name]; i++ {
		f, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("%s-%d", name, i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_ = f.Close()
			return true
		}
		if !errors.Is(err, fs.ErrExist) {
			return false
		}
	}
	return false
}

func (c *crashAfter) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &crashAfterActivity{root: c}
	i.Next = next
	return i
}

type crashAfterActivity struct {
	interceptor.ActivityInboundInterceptorBase
	root *crashAfter
}

func (a *crashAfterActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	if err != nil {
		return res, err
	}
	// First attempts only: the retry of a crashed activity must get
	// through, or one activity would take every crash.
	info := activity.GetInfo(ctx)
	if info.Attempt == 1 && a.root.claim(info.ActivityType.Name) {
		a.root.crash(info)
	}
	return res, nil
}
