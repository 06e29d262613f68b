package sshd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WatchArgs scans the command line of every process on the machine for
// secret (a password that must only ever travel on stdin), every 5 ms, until
// the returned function is called; that function returns the first command
// line seen holding it, or "" if none did. Both sides of an SSH run are on
// this machine in the tests, so this sees the client's and sshd's children.
func WatchArgs(secret string) (stop func() string) {
	var (
		mu   sync.Mutex
		seen string
	)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			eachProcess("cmdline", func(_ int, b []byte) {
				if bytes.Contains(b, []byte(secret)) {
					mu.Lock()
					if seen == "" {
						seen = strings.ReplaceAll(string(b), "\x00", " ")
					}
					mu.Unlock()
				}
			})
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() string {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// WithArg returns the processes on the machine that have arg as one of
// their command-line arguments (zombies excluded: they have none).
func WithArg(arg string) []int {
	var pids []int
	eachProcess("cmdline", func(pid int, b []byte) {
		for _, a := range bytes.Split(b, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, pid)
				return
			}
		}
	})
	return pids
}

// eachProcess calls fn with the pid and the /proc/PID/file of every
// process that has one readable. An unreadable /proc finds none: callers'
// other checks still hold.
func eachProcess(file string, fn func(pid int, data []byte)) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), file)); err == nil {
			fn(pid, b)
		}
	}
}

// WaitArg polls (every 20 ms, at most limit) until the number of processes
// with argument arg satisfies ok, and returns the last ones seen.
func WaitArg(arg string, limit time.Duration, ok func(n int) bool) []int {
	deadline := time.Now().Add(limit)
	for {
		pids := WithArg(arg)
		if ok(len(pids)) || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
}
