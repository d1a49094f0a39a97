//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// devLockFile is the lock a running flowlab dev holds in its data dir.
const devLockFile = "dev.lock"

// dataDirLock is the lock of a data dir held by this process.
type dataDirLock struct{ f *os.File }

// lockDataDir takes the data dir for this process: two flowlab dev on one
// data dir would share Temporal's SQLite file (the second one's start
// forgets the first one's cluster membership) and the store. The lock is
// an flock, so it goes with the process, kill -9 included; the file keeps
// the holder's pid for the message.
func lockDataDir(dataDir string) (*dataDirLock, error) {
	path := filepath.Join(dataDir, devLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, devStartError{what: fmt.Sprintf("cannot open the data dir's lock file %s", path), err: err,
			hint: "use a data dir you can write to: flowlab dev --data DIR"}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		_ = f.Close()
		holder := "another flowlab dev"
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
			holder = fmt.Sprintf("another flowlab dev (pid %d)", pid)
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, devStartError{usage: true, what: fmt.Sprintf("the data dir %s is in use by %s", dataDir, holder),
				hint: "stop that one first (Ctrl-C), or give this one its own state, address and Temporal port: flowlab dev --data DIR --addr 127.0.0.1:8081 --temporal-port 0"}
		}
		return nil, devStartError{what: fmt.Sprintf("cannot lock the data dir %s", dataDir), err: err,
			hint: "use another data dir: flowlab dev --data DIR"}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataDirLock{f: f}, nil
}

// release gives the data dir up (the file stays; only the lock matters).
func (l *dataDirLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
