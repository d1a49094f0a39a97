// Package dotlayout lays out Graphviz DOT as SVG in a child process, so
// that no layout can stall the process that asked for it (decision 0019).
//
// Graphviz is github.com/goccy/go-graphviz: Graphviz compiled to
// WebAssembly and run by wazero. The Go runtime cannot preempt WebAssembly
// code, so a garbage collection that starts during a layout waits for it to
// end, and with it every goroutine of the process (/healthz included). A
// layout of a few hundred steps takes minutes. So a Renderer never runs
// Graphviz in its own process: it re-executes the running binary
// (os.Executable) with ChildEnv set, writes the DOT to the child's stdin and
// reads the SVG from its stdout, and kills the child at a deadline, when its
// output passes a size or its memory a bound. At most Concurrency children
// run at once; a layout waits at most QueueWait for a slot, else ErrBusy.
// Each result is kept in a cache keyed by the SHA-256 of the DOT (the same
// DOT always gives the same SVG); a layout that was stopped is refused
// again without a retry for FailureTTL.
//
// Every binary that links this package can be the child: the package's
// init function runs the layout and exits when ChildEnv is set, before
// main or TestMain. That covers flowlab (dev, server, or any command) and
// the test binaries of every package that draws graphs, with no hook of
// their own.
package dotlayout

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-graphviz"
)

// ChildEnv, set to "1" in a process's environment, makes the process a
// layout child: it reads DOT on stdin, writes SVG on stdout and exits.
const ChildEnv = "FLOWLAB_GRAPH_LAYOUT_CHILD"

// ChildArg is the argument a child is started with; it names the child in
// process listings (and is flowlab's hidden subcommand of the same job).
const ChildArg = "graph-layout"

// MaxDOTBytes bounds the DOT a child reads; a Renderer refuses more
// without starting one.
const MaxDOTBytes = 1 << 20

// Defaults of Config.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultQueueWait      = 5 * time.Second
	DefaultMaxQueue       = 16
	DefaultMaxOutputBytes = 8 << 20
	DefaultMaxMemoryBytes = 1 << 30
	DefaultCacheBytes     = 32 << 20
	DefaultFailureTTL     = 10 * time.Minute
)

func init() {
	if os.Getenv(ChildEnv) == "1" {
		os.Exit(Child(os.Stdin, os.Stdout, os.Stderr))
	}
}

// Child is the layout child's work: it lays out the DOT read from in with
// Graphviz's dot and writes the SVG to out. It returns the process's exit
// code: 0 on success, 2 for input it refuses (too large, not DOT), 1 when
// Graphviz fails; the reason goes to errOut.
func Child(in io.Reader, out, errOut io.Writer) int {
	dot, err := io.ReadAll(io.LimitReader(in, MaxDOTBytes+1))
	if err != nil {
		fmt.Fprintf(errOut, "graph layout: reading the DOT: %v\n", err)
		return 1
	}
	if len(dot) > MaxDOTBytes {
		fmt.Fprintf(errOut, "graph layout: the DOT is larger than %d bytes\n", MaxDOTBytes)
		return 2
	}
	ctx := context.Background()
	gv, err := graphviz.New(ctx)
	if err != nil {
		fmt.Fprintf(errOut, "graph layout: graphviz: %v\n", err)
		return 1
	}
	defer func() { _ = gv.Close() }()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		fmt.Fprintf(errOut, "graph layout: parse: %v\n", err)
		return 2
	}
	defer func() { _ = g.Close() }()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		fmt.Fprintf(errOut, "graph layout: render: %v\n", err)
		return 1
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		fmt.Fprintf(errOut, "graph layout: writing the SVG: %v\n", err)
		return 1
	}
	return 0
}

// ErrBusy: no layout slot came free within QueueWait (or too many
// layouts already wait). Retrying later may succeed.
var ErrBusy = errors.New("graph layout: too many layouts at once")

// ErrTooComplex: the layout was stopped (deadline, output size or memory)
// or its input is too large. The same input fails the same way.
var ErrTooComplex = errors.New("graph layout: too complex to lay out")

// Config bounds a Renderer. Zero values take the defaults.
type Config struct {
	// Timeout is how long one layout may run before its child is
	// killed. Default: DefaultTimeout (10s).
	Timeout time.Duration
	// Concurrency is how many children may run at once. Default: half
	// the CPUs the process may use, at least 1.
	Concurrency int
	// QueueWait is how long a layout waits for a free slot before
	// ErrBusy. Default: DefaultQueueWait (5s).
	QueueWait time.Duration
	// MaxQueue is how many layouts may wait for a slot; one more gets
	// ErrBusy at once. Default: DefaultMaxQueue (16).
	MaxQueue int
	// MaxOutputBytes bounds the SVG of one layout. Default:
	// DefaultMaxOutputBytes (8 MiB).
	MaxOutputBytes int64
	// MaxMemoryBytes bounds the resident memory of a child (checked
	// every 50 ms where /proc exists). Default: DefaultMaxMemoryBytes
	// (1 GiB).
	MaxMemoryBytes int64
	// CacheBytes bounds the SVG bytes the cache keeps (least recently
	// used first out). Default: DefaultCacheBytes (32 MiB).
	CacheBytes int64
	// FailureTTL is how long a stopped layout's DOT is refused with the
	// same error without a new child. Default: DefaultFailureTTL (10m).
	FailureTTL time.Duration
	// Command is the child's program and arguments. Default: this
	// process's executable with ChildArg. The child gets ChildEnv=1.
	Command []string
}

func (c *Config) setDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency <= 0 {
		c.Concurrency = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if c.QueueWait <= 0 {
		c.QueueWait = DefaultQueueWait
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.MaxOutputBytes <= 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if c.MaxMemoryBytes <= 0 {
		c.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = DefaultCacheBytes
	}
	if c.FailureTTL <= 0 {
		c.FailureTTL = DefaultFailureTTL
	}
}

// Renderer lays out DOT in child processes within its Config's bounds.
// It is safe for concurrent use.
type Renderer struct {
	cfg   Config
	slots chan struct{}
	now   func() time.Time

	mu       sync.Mutex
	waiting  int // layouts waiting for a slot
	inflight map[[32]byte]*call
	cache    *lru
	failed   map[[32]byte]failure
	started  int // children started, for tests
}

type call struct {
	done chan struct{}
	svg  []byte
	err  error
}

type failure struct {
	err   error
	until time.Time
}

// New returns a Renderer.
func New(cfg Config) *Renderer {
	cfg.setDefaults()
	return &Renderer{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency), now: time.Now,
		inflight: map[[32]byte]*call{}, cache: newLRU(cfg.CacheBytes), failed: map[[32]byte]failure{}}
}

// Config returns the Renderer's bounds (with the defaults filled in).
func (r *Renderer) Config() Config { return r.cfg }

// Started is the number of children the Renderer has started.
func (r *Renderer) Started() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started
}

// SVG lays out dot with Graphviz's dot and returns the SVG, which the
// caller must not modify. Errors wrap ErrBusy or ErrTooComplex when those
// are the reason. ctx bounds only the caller's wait: a layout that others
// may wait for runs on to its own deadline and is cached.
func (r *Renderer) SVG(ctx context.Context, dot []byte) ([]byte, error) {
	if len(dot) > MaxDOTBytes {
		return nil, fmt.Errorf("%w: its DOT has %d bytes, more than %d", ErrTooComplex, len(dot), MaxDOTBytes)
	}
	key := sha256.Sum256(dot)
	r.mu.Lock()
	if svg, ok := r.cache.get(key); ok {
		r.mu.Unlock()
		return svg, nil
	}
	if f, ok := r.failed[key]; ok {
		if r.now().Before(f.until) {
			r.mu.Unlock()
			return nil, f.err
		}
		delete(r.failed, key)
	}
	c, ok := r.inflight[key]
	if !ok {
		if r.waiting >= r.cfg.MaxQueue {
			r.mu.Unlock()
			return nil, fmt.Errorf("%w: %d layouts wait already", ErrBusy, r.waiting)
		}
		r.waiting++
		c = &call{done: make(chan struct{})}
		r.inflight[key] = c
		go r.run(key, c, dot)
	}
	r.mu.Unlock()
	select {
	case <-c.done:
		return c.svg, c.err
	case <-ctx.Done():
		return nil, fmt.Errorf("graph layout: %w", ctx.Err())
	}
}

// run lays out one DOT for everybody waiting on c.
func (r *Renderer) run(key [32]byte, c *call, dot []byte) {
	defer close(c.done)
	timer := time.NewTimer(r.cfg.QueueWait)
	defer timer.Stop()
	select {
	case r.slots <- struct{}{}:
	case <-timer.C:
		r.mu.Lock()
		r.waiting--
		delete(r.inflight, key)
		r.mu.Unlock()
		c.err = fmt.Errorf("%w: no layout slot came free within %s (%d run at once)", ErrBusy, r.cfg.QueueWait, r.cfg.Concurrency)
		return
	}
	r.mu.Lock()
	r.waiting--
	r.started++
	r.mu.Unlock()
	svg, err := r.child(dot)
	<-r.slots

	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.inflight, key)
	c.svg, c.err = svg, err
	switch {
	case err == nil:
		r.cache.put(key, svg)
	case errors.Is(err, ErrTooComplex):
		if len(r.failed) >= 1024 { // bounded: forget the expired, else all
			now := r.now()
			for k, f := range r.failed {
				if !now.Before(f.until) {
					delete(r.failed, k)
				}
			}
			if len(r.failed) >= 1024 {
				clear(r.failed)
			}
		}
		r.failed[key] = failure{err: err, until: r.now().Add(r.cfg.FailureTTL)}
	}
}

// child runs one layout child and returns its SVG.
func (r *Renderer) child(dot []byte) ([]byte, error) {
	command := r.cfg.Command
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("graph layout: finding this program to run the layout: %w", err)
		}
		command = []string{exe, ChildArg}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Env = append(os.Environ(), ChildEnv+"=1")
	cmd.Stdin = bytes.NewReader(dot)
	stderr := &capped{max: 2048}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("graph layout: %w", err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("graph layout: starting %s: %w", command[0], err)
	}
	overMemory := make(chan int64, 1)
	watchDone := make(chan struct{})
	go watchMemory(cmd.Process.Pid, r.cfg.MaxMemoryBytes, overMemory, watchDone, cancel)
	var out bytes.Buffer
	n, readErr := io.Copy(&out, io.LimitReader(stdout, r.cfg.MaxOutputBytes+1))
	tooLarge := n > r.cfg.MaxOutputBytes
	if tooLarge {
		cancel()
	}
	waitErr := cmd.Wait()
	close(watchDone)
	switch {
	case tooLarge:
		return nil, fmt.Errorf("%w: its drawing is larger than %s", ErrTooComplex, formatBytes(r.cfg.MaxOutputBytes))
	case len(overMemory) > 0:
		return nil, fmt.Errorf("%w: laying it out took more than %s of memory", ErrTooComplex, formatBytes(r.cfg.MaxMemoryBytes))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: laying it out took longer than %s and was stopped", ErrTooComplex, r.cfg.Timeout)
	case waitErr != nil:
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) && ee.ExitCode() == 2 {
			return nil, fmt.Errorf("%w: %s", ErrTooComplex, strings.TrimSpace(stderr.String()))
		}
		if errors.As(waitErr, &ee) && ee.ExitCode() == -1 && ctx.Err() == nil {
			// Killed by a signal nobody here sent (the kernel's out-of-memory
			// killer, a crash of the WebAssembly engine): the same DOT would
			// do it again, so it is remembered like a stopped layout.
			return nil, fmt.Errorf("%w: the layout process was killed (%v)", ErrTooComplex, waitErr)
		}
		return nil, fmt.Errorf("graph layout: child after %s: %w: %s", time.Since(start).Round(time.Millisecond), waitErr, strings.TrimSpace(stderr.String()))
	case readErr != nil:
		return nil, fmt.Errorf("graph layout: reading the SVG: %w", readErr)
	}
	return out.Bytes(), nil
}

// watchMemory kills (through cancel) a child whose resident memory passes
// limit, reading /proc/<pid>/statm every 50 ms until done. Where /proc
// does not exist it does nothing: the deadline still bounds the child.
func watchMemory(pid int, limit int64, over chan<- int64, done <-chan struct{}, cancel context.CancelFunc) {
	path := "/proc/" + strconv.Itoa(pid) + "/statm"
	page := int64(os.Getpagesize())
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return
		}
		pages, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return
		}
		if rss := pages * page; rss > limit {
			over <- rss
			cancel()
			return
		}
	}
}

// formatBytes writes a byte count in KiB or MiB ("8 MiB").
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// capped keeps the first max bytes written to it.
type capped struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// lru is a cache of SVGs bounded by their total size.
type lru struct {
	max, size int64
	order     *list.List // front: most recently used
	items     map[[32]byte]*list.Element
}

type lruEntry struct {
	key [32]byte
	svg []byte
}

func newLRU(max int64) *lru {
	return &lru{max: max, order: list.New(), items: map[[32]byte]*list.Element{}}
}

func (l *lru) get(key [32]byte) ([]byte, bool) {
	el, ok := l.items[key]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(el)
	return el.Value.(*lruEntry).svg, true
}

func (l *lru) put(key [32]byte, svg []byte) {
	size := int64(len(svg))
	if size > l.max/4 { // one drawing never takes most of the cache
		return
	}
	if _, ok := l.items[key]; ok {
		return
	}
	l.items[key] = l.order.PushFront(&lruEntry{key: key, svg: svg})
	l.size += size
	for l.size > l.max {
		last := l.order.Back()
		e := last.Value.(*lruEntry)
		l.order.Remove(last)
		delete(l.items, e.key)
		l.size -= int64(len(e.svg))
	}
}
