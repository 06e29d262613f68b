package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// job is one timed command.
type job struct {
	name    string
	args    []string
	dir     string
	env     []string // added to a minimal environment
	log     string   // stdout+stderr go here
	timeout time.Duration
}

// measure is what one run cost.
type measure struct {
	wall     time.Duration
	user     time.Duration // the process and the children it waited for
	sys      time.Duration
	maxRSSKB int64 // peak RSS of the process itself (wait4 ru_maxrss)
	code     int
	timedOut bool
	machine  float64 // CPU seconds the whole machine was busy (/proc/stat)
	load1    float64 // 1-minute load average when the run started
	fleet    cpuTimes
	lab      float64 // CPU seconds the lab nodes' processes used during the run (timedLab)
}

// run starts j in its own process group and waits at most j.timeout; on
// timeout (or ctx cancellation) the whole group is killed.
func run(ctx context.Context, j job, fleetPid int) (measure, error) {
	logf, err := os.Create(j.log)
	if err != nil {
		return measure{}, err
	}
	defer logf.Close()
	cmd := exec.Command(j.args[0], j.args[1:]...)
	cmd.Dir = j.dir
	cmd.Env = append(baseEnv(), j.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	m := measure{load1: loadAverage()}
	busy0 := machineBusy()
	fleet0 := readCPUTimes(fleetPid)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measure{}, fmt.Errorf("%s: %w", j.name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(j.timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		m.timedOut = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group may be gone
		<-done
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return m, ctx.Err()
	}
	m.wall = time.Since(start)
	m.machine = machineBusy() - busy0
	m.fleet = readCPUTimes(fleetPid).sub(fleet0)
	st := cmd.ProcessState
	m.code = st.ExitCode()
	m.user, m.sys = st.UserTime(), st.SystemTime()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		m.maxRSSKB = ru.Maxrss
	}
	// Stray members of the group (none expected) do not outlive the run.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return m, nil
}

// baseEnv is the environment every benchmarked tool gets: no colours, no
// ssh-agent, the C locale.
func baseEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "NO_COLOR=1", "ANSIBLE_NOCOLOR=1", "TERM=dumb"}
}

// cpuTimes are a process's own and its reaped children's CPU seconds.
type cpuTimes struct{ self, children float64 }

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{a.self - b.self, a.children - b.children}
}

const clkTck = 100 // USER_HZ on Linux

// readCPUTimes reads utime+stime and cutime+cstime of pid (zero when pid
// is 0 or gone).
func readCPUTimes(pid int) cpuTimes {
	if pid <= 0 {
		return cpuTimes{}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return cpuTimes{}
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return cpuTimes{}
	}
	v := func(k int) float64 { n, _ := strconv.ParseFloat(f[k-3], 64); return n / clkTck }
	return cpuTimes{self: v(14) + v(15), children: v(16) + v(17)}
}

// machineBusy is the machine's non-idle CPU seconds since boot.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy float64
	for _, k := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq (guest is inside user)
		if k < len(f) {
			n, _ := strconv.ParseFloat(f[k], 64)
			busy += n
		}
	}
	return busy / clkTck
}

// loadAverage is the 1-minute load average (0 if unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// tail returns the last n lines of a log, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// check turns a failed or timed-out run into an error naming its log.
func check(j job, m measure) error {
	switch {
	case m.timedOut:
		return fmt.Errorf("%s: no result within %s (killed); log %s", j.name, j.timeout, j.log)
	case m.code != 0:
		return fmt.Errorf("%s: exit %d; log %s:\n%s", j.name, m.code, j.log, tail(j.log, 30))
	}
	return nil
}
