package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresBin is where Debian's postgresql-15 package installs the
// server programs; FLOWLAB_PG_BIN overrides it.
const DefaultPostgresBin = "/usr/lib/postgresql/15/bin"

// Postgres is a private PostgreSQL instance in a directory of its own, on a
// free loopback port: tests may stop and start it without touching the
// system's cluster, which other test packages use at the same time. The
// postmaster is a child process of the test (not daemonized by pg_ctl),
// so it dies with the test binary even when no cleanup runs.
type Postgres struct {
	Port    int
	LogPath string
	bin     string
	dir     string              // data directory is dir/data, socket in dir
	cred    *syscall.Credential // the postgres user's when this is root (initdb refuses root)
	proc    *Process
}

// StartPostgres creates a cluster under dir (initdb), starts it and stops
// it at the end of the test. The superuser is postgres, trusted on
// loopback only. The instance runs with fsync=off: the tests kill
// processes and PostgreSQL itself, never the machine, and a PostgreSQL
// stopped with -m immediate recovers from its WAL in the page cache.
func StartPostgres(t TB, dir string) *Postgres {
	t.Helper()
	bin := os.Getenv("FLOWLAB_PG_BIN")
	if bin == "" {
		bin = DefaultPostgresBin
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL server programs not found in %s (set FLOWLAB_PG_BIN): %v", bin, err)
		}
		t.Skipf("PostgreSQL server programs not found in %s (set FLOWLAB_PG_BIN): %v", bin, err)
	}
	p := &Postgres{bin: bin, dir: filepath.Join(dir, "postgres")}
	p.LogPath = filepath.Join(p.dir, "postgres.log")
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		t.Fatalf("postgres dir: %v", err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, initdb needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(p.dir, uid, gid); err != nil {
			t.Fatalf("chown postgres dir: %v", err)
		}
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", p.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.Env = append(baseEnv(), "LC_ALL=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p.Port = port
	p.proc = &Process{Name: "postgres", Bin: filepath.Join(bin, "postgres"), LogPath: p.LogPath, Env: []string{"LC_ALL=C"},
		Credential: p.cred, Args: []string{
			"-D", p.dataDir(), "-p", strconv.Itoa(p.Port), "-k", p.dir,
			"-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off",
			"-c", "full_page_writes=off",
			"-c", "max_connections=300",
			"-c", "shared_buffers=64MB",
		}}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop("immediate") })
	return p
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start() error {
	if err := p.proc.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if !p.proc.Running() {
			return fmt.Errorf("postgres exited at start (log: %s)", p.LogPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres does not accept connections after 60 s: %w (log: %s)", err, p.LogPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server the way pg_ctl's modes do: smart (SIGTERM, waits
// for clients), fast (SIGINT) or immediate (SIGQUIT, a crash: the next
// start recovers from the WAL); after 60 s the process group is killed.
func (p *Postgres) Stop(mode string) error {
	sig, ok := map[string]syscall.Signal{"smart": syscall.SIGTERM, "fast": syscall.SIGINT, "immediate": syscall.SIGQUIT}[mode]
	if !ok {
		return fmt.Errorf("stop postgres: unknown mode %q (smart, fast, immediate)", mode)
	}
	if !p.proc.Terminate(sig, 60*time.Second) {
		return fmt.Errorf("stop postgres -m %s: killed after 60 s (log: %s)", mode, p.LogPath)
	}
	return nil
}

// URL is the connection URL of database db as the superuser.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// CreateDatabase creates database name.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Connect opens a connection to database db, retrying while the server
// starts (up to 30 s or ctx's end).
func (p *Postgres) Connect(ctx context.Context, db string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, p.URL(db))
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// freePort returns a free TCP port on loopback. Temporal keeps its
// services' ports in a smallint column, so the port is below 32768 (the
// kernel hands out ephemeral ports above it).
func freePort() (int, error) {
	for tries := 0; tries < 1000; tries++ {
		port := 10000 + rand.IntN(32768-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return port, nil
	}
	return 0, errors.New("no free port below 32768 after 1000 tries")
}
