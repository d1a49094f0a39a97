//go:build !linux

package cluster

import "syscall"

// sysProcAttr puts a process in a group of its own (Kill signals the
// group).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
