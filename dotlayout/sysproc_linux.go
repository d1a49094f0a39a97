package dotlayout

import "syscall"

// childAttr makes the kernel kill a child whose parent dies, so a layout
// never outlives the server that asked for it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
