//go:build !linux

package dotlayout

import "syscall"

// childAttr: elsewhere a child outlives a parent that dies until its
// layout ends (the deadline is the parent's).
func childAttr() *syscall.SysProcAttr { return nil }
