package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one OS process of the topology (a flowlab command), in a
// process group of its own, with its stdout and stderr appended to LogPath
// across restarts.
type Process struct {
	Name    string
	Bin     string
	Args    []string
	Env     []string // added to a minimal environment (PATH, HOME, TMPDIR)
	LogPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
	kills  int
	logOff int64 // size of the log when the current run started
}

// Start starts the process; it is an error to start a running one.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		return fmt.Errorf("%s: already running", p.Name)
	}
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: log: %w", p.Name, err)
	}
	st, err := logf.Stat()
	if err != nil {
		_ = logf.Close()
		return fmt.Errorf("%s: log: %w", p.Name, err)
	}
	p.starts++
	fmt.Fprintf(logf, "=== %s: start #%d at %s: %s %s\n", p.Name, p.starts, time.Now().UTC().Format(time.RFC3339Nano), p.Bin, strings.Join(p.Args, " "))
	p.logOff = st.Size()
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = append(baseEnv(), p.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(logf, "=== %s: exited at %s: %v\n", p.Name, time.Now().UTC().Format(time.RFC3339Nano), exitText(err))
		_ = logf.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	return nil
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Kill sends SIGKILL to the process group and waits for the process to be
// gone.
func (p *Process) Kill() {
	p.signal(syscall.SIGKILL, 0)
}

// Stop sends SIGTERM to the process group and waits up to grace for the
// process to exit, then kills it.
func (p *Process) Stop(grace time.Duration) {
	p.signal(syscall.SIGTERM, grace)
}

func (p *Process) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if sig == syscall.SIGKILL && cmd != nil && !isClosed(done) {
		p.kills++
	}
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	<-done
}

// Running says whether the process is running.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.done)
}

// Exited is closed when the current run of the process ends.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// ExitCode is the exit code of the last run; -1 while it runs or when a
// signal ended it.
func (p *Process) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || !isClosed(p.done) || p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// Starts and Kills count the process's starts and SIGKILLs.
func (p *Process) Starts() int { p.mu.Lock(); defer p.mu.Unlock(); return p.starts }

// Kills counts the SIGKILLs sent to a running process.
func (p *Process) Kills() int { p.mu.Lock(); defer p.mu.Unlock(); return p.kills }

// WaitLog waits until the current run's log contains want, the process
// exits, or timeout passes.
func (p *Process) WaitLog(want string, timeout time.Duration) error {
	p.mu.Lock()
	off, done := p.logOff, p.done
	p.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(p.LogPath)
		if err == nil && int64(len(b)) > off && bytes.Contains(b[off:], []byte(want)) {
			return nil
		}
		if isClosed(done) {
			return fmt.Errorf("%s exited before logging %q (log: %s)", p.Name, want, p.LogPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not log %q within %s (log: %s)", p.Name, want, timeout, p.LogPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Run runs a command to completion with its output appended to logPath.
func Run(name, logPath, bin string, env []string, args ...string) error {
	p := &Process{Name: name, Bin: bin, Args: args, Env: env, LogPath: logPath}
	if err := p.Start(); err != nil {
		return err
	}
	<-p.Exited()
	if code := p.ExitCode(); code != 0 {
		return fmt.Errorf("%s %s: exit code %d (log: %s)", bin, strings.Join(args, " "), code, logPath)
	}
	return nil
}

func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func isClosed(c chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
