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
			entries, _ := os.ReadDir("/proc") // unreadable /proc: nothing seen, the test's other checks still hold
			for _, e := range entries {
				if _, err := strconv.Atoi(e.Name()); err != nil {
					continue
				}
				b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				if err == nil && bytes.Contains(b, []byte(secret)) {
					mu.Lock()
					if seen == "" {
						seen = strings.ReplaceAll(string(b), "\x00", " ")
					}
					mu.Unlock()
				}
			}
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
	entries, _ := os.ReadDir("/proc") // unreadable /proc: none found; callers also check what they started
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(b, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
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
