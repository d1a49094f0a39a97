// Package cluster runs flowlab's production topology as separate OS
// processes on loopback, for crash tests: a private PostgreSQL instance,
// `flowlab temporal-server` (Temporal on PostgreSQL), `flowlab server` and
// any number of `flowlab worker` processes, each built from this checkout
// and logging to a file that is kept when the test fails.
//
// See docs/decisions/0012-crash-harness.md.
package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TB is the part of testing.TB the harness uses. *testing.T satisfies it,
// and so does the benchmark command's runner (bench), which starts the
// same topology outside a test.
type TB interface {
	Helper()
	Name() string
	Log(args ...any)
	Logf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	Failed() bool
	TempDir() string
}

// DefaultAdminToken is the admin token of a cluster whose Options name none.
const DefaultAdminToken = "cluster-admin-token-0123456789abcdef"

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// Binary builds ./cmd/flowlab of this module once per test binary and
// returns its path. RemoveBinary removes it (call it from TestMain).
func Binary(t TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildDir, err = os.MkdirTemp("", "flowlab-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(buildDir, "flowlab")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/flowlab")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/flowlab: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// RemoveBinary removes what Binary built.
func RemoveBinary() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// ArtifactDir makes a directory for a test's data and logs under
// $FLOWLAB_TEST_ARTIFACTS (default: the system temp dir). It is removed
// when the test passes and kept, with the tail of every log printed, when
// it fails (or when FLOWLAB_KEEP_LOGS is set). Register it before anything
// that writes into it, so its cleanup runs last.
func ArtifactDir(t TB) string {
	t.Helper()
	base := os.Getenv("FLOWLAB_TEST_ARTIFACTS")
	if base != "" {
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Fatalf("artifact dir: %v", err)
		}
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	dir, err := os.MkdirTemp(base, "flowlab-"+name+"-")
	if err != nil {
		t.Fatalf("artifact dir: %v", err)
	}
	// PostgreSQL runs as the postgres user below it when this is root.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("artifact dir: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("FLOWLAB_KEEP_LOGS") == "" {
			_ = os.RemoveAll(dir)
			return
		}
		t.Logf("logs and data kept in %s", dir)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		pgLogs, _ := filepath.Glob(filepath.Join(dir, "*", "*.log"))
		for _, l := range append(logs, pgLogs...) {
			t.Logf("--- last lines of %s:\n%s", l, tail(l, 40))
		}
	})
	return dir
}

// tail returns the last n lines of a file, each cut to 500 bytes.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if len(l) > 500 {
			l = l[:500] + "…"
		}
		lines = append(lines, l)
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// Options configure a cluster.
type Options struct {
	// Workers is the number of flowlab worker processes. Default 2.
	Workers int
	// WorkerEnv, when set, returns what is added to worker i's environment
	// (i from 0; e.g. a failpoint).
	WorkerEnv func(i int) []string
	// AdminToken of the API. Default DefaultAdminToken.
	AdminToken string
	// ServerEnv is added to flowlab server's environment (e.g.
	// FLOWLAB_RATE_LIMIT=off for the benchmarks).
	ServerEnv []string
}

// Cluster is the running topology.
type Cluster struct {
	Dir          string // data and logs
	Bin          string
	PG           *Postgres
	Temporal     *Process
	Server       *Process
	Workers      []*Process
	API          string // base URL of flowlab server
	TemporalAddr string
	AdminToken   string
	// Startup is how long Start took (after the binary was built).
	Startup time.Duration
}

// Flowlab's database in the private PostgreSQL; Temporal's are temporal
// and temporal_visibility.
const (
	FlowlabDB  = "flowlab"
	TemporalDB = "temporal"
)

// FreeAddr is a free loopback address (port below 32768).
func FreeAddr() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// Start brings the topology up and tears it down at the end of the test:
// PostgreSQL with the temporal and flowlab databases, flowlab migrate,
// flowlab temporal-server, flowlab server and the workers. It fails the
// test when a process does not become ready in time.
func Start(t TB, opts Options) *Cluster {
	t.Helper()
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.AdminToken == "" {
		opts.AdminToken = DefaultAdminToken
	}
	bin := Binary(t)
	began := time.Now()
	dir := ArtifactDir(t)
	c := &Cluster{Dir: dir, Bin: bin, AdminToken: opts.AdminToken}
	c.PG = StartPostgres(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, db := range []string{TemporalDB, FlowlabDB} {
		if err := c.PG.CreateDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	flowlabURL := c.PG.URL(FlowlabDB)
	if err := Run("migrate", filepath.Join(dir, "migrate.log"), bin, nil, "migrate", "--database-url", flowlabURL); err != nil {
		t.Fatal(err)
	}

	tport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c.TemporalAddr = "127.0.0.1:" + strconv.Itoa(tport)
	c.Temporal = &Process{Name: "temporal-server", Bin: bin, LogPath: filepath.Join(dir, "temporal-server.log"),
		Args: []string{"temporal-server", "--database-url", c.PG.URL(TemporalDB), "--port", strconv.Itoa(tport), "--log-level", "warn"}}
	c.start(t, c.Temporal, "temporal-server: frontend on", 2*time.Minute)

	aport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(aport)
	c.API = "http://" + addr
	c.Server = &Process{Name: "server", Bin: bin, LogPath: filepath.Join(dir, "server.log"),
		Args: []string{"server", "--addr", addr, "--database-url", flowlabURL, "--temporal-address", c.TemporalAddr, "--log-level", "warn"},
		Env:  append([]string{"FLOWLAB_ADMIN_TOKEN=" + opts.AdminToken}, opts.ServerEnv...)}
	c.startServer(t)

	for i := 1; i <= opts.Workers; i++ {
		w := &Process{Name: fmt.Sprintf("worker-%d", i), Bin: bin, LogPath: filepath.Join(dir, fmt.Sprintf("worker-%d.log", i)),
			Args: []string{"worker", "--database-url", flowlabURL, "--temporal-address", c.TemporalAddr, "--log-level", "info"}}
		if opts.WorkerEnv != nil {
			w.Env = opts.WorkerEnv(i - 1)
		}
		c.Workers = append(c.Workers, w)
		c.start(t, w, "flowlab worker running", time.Minute)
	}
	c.Startup = time.Since(began)
	return c
}

// start starts p, kills its group at the end of the test, and waits for
// its ready line.
func (c *Cluster) start(t TB, p *Process, ready string, timeout time.Duration) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.WaitLog(ready, timeout); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) startServer(t TB) {
	t.Helper()
	if err := c.Server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Server.Kill)
	if err := c.WaitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// WaitHealthy waits until flowlab server answers GET /healthz with 200.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	return WaitHealthy(c.API, c.Server, timeout)
}

// WaitHealthy waits until the API at base answers GET /healthz with 200,
// failing early when p exits.
func WaitHealthy(base string, p *Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.Running() {
			return fmt.Errorf("%s exited (log: %s)", p.Name, p.LogPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy within %s (log: %s)", p.Name, timeout, p.LogPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RestartWorker starts worker i again after it was killed or exited, and
// waits until it polls.
func (c *Cluster) RestartWorker(i int) error {
	w := c.Workers[i]
	if err := w.Start(); err != nil {
		return err
	}
	return w.WaitLog("flowlab worker running", time.Minute)
}
