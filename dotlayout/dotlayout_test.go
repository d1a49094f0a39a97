package dotlayout

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The children of these tests are this test binary: the package's init
// runs the layout when ChildEnv is set.

const smallDOT = `digraph g { a -> b [label="next"]; b -> c; c -> a [label="rework"]; }`

// tangle is a DOT graph that takes Graphviz long to lay out: a chain of n
// labelled nodes with rework edges back and escalations forward, crossing
// each other (minutes at a few hundred nodes).
func tangle(n int) []byte {
	var b strings.Builder
	b.WriteString("digraph t {\n")
	for i := range n {
		fmt.Fprintf(&b, "  s%d [label=\"Step number %d of the process\", shape=box];\n", i, i)
		if i+1 < n {
			fmt.Fprintf(&b, "  s%d -> s%d [label=\"done\"];\n", i, i+1)
		}
		if i >= 3 {
			fmt.Fprintf(&b, "  s%d -> s%d [label=\"rework\"];\n", i, i-3)
		}
		if i+7 < n {
			fmt.Fprintf(&b, "  s%d -> s%d [label=\"escalate\"];\n", i, i+7)
		}
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

func TestChildInProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, Child(strings.NewReader(smallDOT), &out, &errOut), errOut.String())
	require.True(t, bytes.HasPrefix(out.Bytes(), []byte("<?xml")), out.String())
	require.Contains(t, out.String(), ">rework</text>")

	out.Reset()
	require.Equal(t, 2, Child(strings.NewReader("digraph {"), &out, &errOut))
	require.Contains(t, errOut.String(), "parse")
	require.Empty(t, out.String())

	errOut.Reset()
	require.Equal(t, 2, Child(bytes.NewReader(make([]byte, MaxDOTBytes+1)), &out, &errOut))
	require.Contains(t, errOut.String(), "larger than")
}

// TestRendererDrawsInAChildAndCaches: a layout runs in a child process
// (this test binary) and the same DOT is drawn once.
func TestRendererDrawsInAChildAndCaches(t *testing.T) {
	t.Parallel()
	r := New(Config{})
	svg, err := r.SVG(t.Context(), []byte(smallDOT))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(svg, []byte("<?xml")), string(svg))
	require.Equal(t, 1, r.Started())
	again, err := r.SVG(t.Context(), []byte(smallDOT))
	require.NoError(t, err)
	require.Equal(t, svg, again)
	require.Equal(t, 1, r.Started(), "the second layout comes from the cache")

	// Input the child refuses is too complex, not a server failure.
	_, err = r.SVG(t.Context(), []byte("digraph {"))
	require.ErrorIs(t, err, ErrTooComplex)
	_, err = r.SVG(t.Context(), make([]byte, MaxDOTBytes+1))
	require.ErrorIs(t, err, ErrTooComplex)
}

// TestRendererStopsALayoutAtItsDeadline: a layout that runs past the
// deadline is killed and answered as too complex within the deadline (plus
// the child's start), and the same DOT is then refused without a child.
func TestRendererStopsALayoutAtItsDeadline(t *testing.T) {
	t.Parallel()
	r := New(Config{Timeout: 500 * time.Millisecond})
	dot := tangle(300)
	start := time.Now()
	_, err := r.SVG(t.Context(), dot)
	took := time.Since(start)
	require.ErrorIs(t, err, ErrTooComplex)
	require.Contains(t, err.Error(), "took longer than 500ms and was stopped")
	require.Less(t, took, 30*time.Second, "the child was not stopped at its deadline")

	start = time.Now()
	_, err2 := r.SVG(t.Context(), dot)
	require.Equal(t, err, err2)
	require.Less(t, time.Since(start), time.Second)
	require.Equal(t, 1, r.Started(), "a stopped layout is not retried")
}

// TestRendererBoundsOutput: a drawing larger than MaxOutputBytes is
// refused.
func TestRendererBoundsOutput(t *testing.T) {
	t.Parallel()
	r := New(Config{MaxOutputBytes: 200})
	_, err := r.SVG(t.Context(), []byte(smallDOT))
	require.ErrorIs(t, err, ErrTooComplex)
	require.Contains(t, err.Error(), "larger than 200 bytes")
}

// TestRendererBoundsConcurrency: with one slot taken by a long layout,
// another layout waits QueueWait and is answered busy; more waiters than
// MaxQueue are answered busy at once; identical requests share one child.
func TestRendererBoundsConcurrency(t *testing.T) {
	t.Parallel()
	r := New(Config{Concurrency: 1, QueueWait: time.Second, MaxQueue: 1, Timeout: 8 * time.Second})
	slow := tangle(300)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 2)
	for range 2 { // the same DOT twice: one child
		go func() {
			_, err := r.SVG(ctx, slow)
			errc <- err
		}()
	}
	require.Eventually(t, func() bool { return r.Started() == 1 }, 20*time.Second, 10*time.Millisecond)

	start := time.Now()
	_, err := r.SVG(t.Context(), []byte(smallDOT))
	require.ErrorIs(t, err, ErrBusy)
	require.Contains(t, err.Error(), "no layout slot came free within 1s")
	require.Less(t, time.Since(start), 10*time.Second)

	// One waits (MaxQueue 1); the next is refused at once.
	go func() { _, _ = r.SVG(t.Context(), []byte(smallDOT+" ")) }()
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.waiting == 1
	}, 5*time.Second, time.Millisecond)
	start = time.Now()
	_, err = r.SVG(t.Context(), []byte(smallDOT+"  "))
	require.ErrorIs(t, err, ErrBusy)
	require.Contains(t, err.Error(), "1 layouts wait already")
	require.Less(t, time.Since(start), 500*time.Millisecond)

	cancel() // the waiters go; the layout runs on to its deadline
	for range 2 {
		require.ErrorIs(t, <-errc, context.Canceled)
	}
	require.Equal(t, 1, r.Started())
}

func TestLRU(t *testing.T) {
	t.Parallel()
	l := newLRU(100)
	k := func(i byte) [32]byte { return [32]byte{i} }
	l.put(k(1), make([]byte, 20))
	l.put(k(2), make([]byte, 20))
	l.put(k(3), make([]byte, 26)) // more than a quarter: not kept
	_, ok := l.get(k(3))
	require.False(t, ok)
	l.put(k(4), make([]byte, 25))
	l.put(k(5), make([]byte, 25))
	_, ok = l.get(k(1)) // 1 is now the most recent; 2 goes first
	require.True(t, ok)
	l.put(k(6), make([]byte, 25))
	_, ok = l.get(k(2))
	require.False(t, ok)
	for _, i := range []byte{1, 4, 5, 6} {
		_, ok := l.get(k(i))
		require.True(t, ok, i)
	}
	require.LessOrEqual(t, l.size, int64(100))
}

// TestRendererBoundsMemory: a child whose resident memory passes
// MaxMemoryBytes is killed and answered as too complex.
func TestRendererBoundsMemory(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		t.Skip("no /proc: the deadline alone bounds a child")
	}
	r := New(Config{MaxMemoryBytes: 1 << 20, Timeout: 30 * time.Second})
	start := time.Now()
	_, err := r.SVG(t.Context(), tangle(300))
	require.ErrorIs(t, err, ErrTooComplex)
	require.Contains(t, err.Error(), "took more than 1 MiB of memory")
	require.Less(t, time.Since(start), 20*time.Second)
}

// A child killed by a signal the renderer did not send (here it kills
// itself, as the out-of-memory killer would) is a layout the same DOT
// would kill again: refused as too complex and remembered, not retried.
func TestRendererRemembersAKilledChild(t *testing.T) {
	t.Parallel()
	r := New(Config{Command: []string{"sh", "-c", "kill -9 $$"}})
	_, err := r.SVG(t.Context(), []byte("digraph { a -> b }"))
	require.ErrorIs(t, err, ErrTooComplex)
	require.Contains(t, err.Error(), "the layout process was killed")
	_, err = r.SVG(t.Context(), []byte("digraph { a -> b }"))
	require.ErrorIs(t, err, ErrTooComplex)
	require.Equal(t, 1, r.Started(), "the second request started no child")
}
