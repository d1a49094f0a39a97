package cluster

import "syscall"

// sysProcAttr puts a process in a group of its own (Kill signals the
// group) and has the kernel kill it when the test binary dies without
// running its cleanups (a go test -timeout panic).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
