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
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresBin is where Debian's postgresql-15 package installs the
// server programs; FLOWLAB_PG_BIN overrides it.
const DefaultPostgresBin = "/usr/lib/postgresql/15/bin"

// Postgres is a private PostgreSQL instance in a directory of its own, on a
// free loopback port: tests may stop and start it without touching the
// system's cluster, which other test packages use at the same time.
type Postgres struct {
	Port    int
	bin     string
	dir     string // data directory is dir/data, socket and log in dir
	runAs   string // "postgres" when this process is root (initdb refuses root)
	LogPath string
}

// StartPostgres creates a cluster under dir (initdb), starts it and stops
// it at the end of the test. The superuser is postgres, trusted on
// loopback only. The instance runs with fsync=off: the tests kill
// processes and PostgreSQL itself, never the machine, and a PostgreSQL
// stopped with -m immediate recovers from its WAL in the page cache.
func StartPostgres(t testing.TB, dir string) *Postgres {
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
		p.runAs = "postgres"
	}
	if out, err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p.Port = port
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop("immediate") })
	return p
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

// run runs one of the server programs, as the postgres user when root.
func (p *Postgres) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if p.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start() error {
	opts := strings.Join([]string{
		"-p " + strconv.Itoa(p.Port),
		"-c listen_addresses=127.0.0.1",
		"-k " + p.dir,
		"-c fsync=off",
		"-c full_page_writes=off",
		"-c max_connections=300",
		"-c shared_buffers=64MB",
	}, " ")
	out, err := p.run("pg_ctl", "-D", p.dataDir(), "-l", p.LogPath, "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// Stop stops the server with pg_ctl's mode: smart, fast or immediate
// (immediate is a crash: the next start recovers from the WAL).
func (p *Postgres) Stop(mode string) error {
	out, err := p.run("pg_ctl", "-D", p.dataDir(), "-m", mode, "-w", "-t", "60", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %w\n%s", mode, err, out)
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
