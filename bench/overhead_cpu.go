package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ovhCPUGroup is a process whose CPU time the overhead scenario charges to
// the side that ran: flowlab's processes, Temporal's, PostgreSQL's (its
// postmaster and backends) and the benchmark's own (clients, and the bare
// side's worker).
type ovhCPUGroup struct {
	Name     string
	Pid      func() int
	Children bool // add the processes whose parent it is (PostgreSQL's backends)
}

// ovhClockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
// Linux everywhere that matters).
const ovhClockTicks = 100

// cpuSeconds is the user+system CPU time of the group so far (0 where
// /proc cannot tell).
func (g ovhCPUGroup) cpuSeconds() float64 {
	pid := g.Pid()
	if pid <= 0 {
		return 0
	}
	total, _ := ovhProcCPU(pid, g.Children)
	if g.Children {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			child, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			t, ppid := ovhProcCPU(child, false)
			if ppid == pid {
				total += t
			}
		}
	}
	return total
}

// ovhProcCPU reads utime+stime of pid (with its waited-for children's when
// withReaped) in seconds, and its parent's pid.
func ovhProcCPU(pid int, withReaped bool) (float64, int) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0
	}
	// The command name (field 2) may hold spaces: fields count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15,
	// cutime 16, cstime 17.
	if len(f) < 15 {
		return 0, 0
	}
	num := func(k int) float64 { v, _ := strconv.ParseFloat(f[k-3], 64); return v }
	ppid, _ := strconv.Atoi(f[1])
	t := num(14) + num(15)
	if withReaped {
		t += num(16) + num(17)
	}
	return t / ovhClockTicks, ppid
}

// ovhCPUSnapshot reads every group's CPU seconds.
func ovhCPUSnapshot(groups []ovhCPUGroup) []float64 {
	out := make([]float64, len(groups))
	for i, g := range groups {
		out[i] = g.cpuSeconds()
	}
	return out
}
