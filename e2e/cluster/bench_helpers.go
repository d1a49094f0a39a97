package cluster

// Pid is the process id of the current run (0 when it is not running):
// the benchmarks read a worker's memory from /proc/PID.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil || isClosed(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// Pid is the postmaster's process id (0 when it is not running); its
// backends are its child processes.
func (p *Postgres) Pid() int {
	if p.proc == nil {
		return 0
	}
	return p.proc.Pid()
}
