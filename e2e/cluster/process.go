package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
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
	// Credential, when set, runs the process as another user.
	Credential *syscall.Credential

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
	cmd.SysProcAttr = sysProcAttr()
	cmd.SysProcAttr.Credential = p.Credential
	// The kernel sends a parent-death signal when the thread that started
	// the child ends, so start and wait on a thread of its own that lives
	// as long as the child (golang/go#27505); it ends with the goroutine.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		fmt.Fprintf(logf, "=== %s: exited at %s: %v\n", p.Name, time.Now().UTC().Format(time.RFC3339Nano), exitText(err))
		_ = logf.Close()
		close(done)
	}()
	if err := <-started; err != nil {
		_ = logf.Close()
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
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
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd != nil && !isClosed(done) {
		p.kills++
	}
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Terminate sends sig to the process alone (not its group) and waits up
// to grace for it to exit; then it kills the group and returns false.
func (p *Process) Terminate(sig syscall.Signal, grace time.Duration) bool {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return true
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(grace):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	return false
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
