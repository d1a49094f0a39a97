package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s.
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time (user + system) process pid has used so far (0:
// this process), from /proc/PID/stat; Linux only.
func procCPU(pid int) (time.Duration, error) {
	path := "/proc/self/stat"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis are space-separated, utime and stime being the
	// 14th and 15th of the line.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu time: %s: unexpected format", path)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu time: %s: unexpected format", path)
	}
	var total int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu time: %s: %w", path, err)
		}
		total += n
	}
	return time.Duration(total) * clockTick, nil
}

// cpuMeter reads a process's CPU time before and after a run.
type cpuMeter struct {
	pid   int
	start time.Duration
	ok    bool
}

func startCPU(pid int) cpuMeter {
	d, err := procCPU(pid)
	return cpuMeter{pid: pid, start: d, ok: err == nil}
}

// perRequest is the CPU time used since start divided by n, in
// microseconds (0 when unreadable).
func (m cpuMeter) perRequest(n int) float64 {
	if !m.ok || n <= 0 {
		return 0
	}
	d, err := procCPU(m.pid)
	if err != nil {
		return 0
	}
	return float64(d-m.start) / float64(time.Microsecond) / float64(n)
}
