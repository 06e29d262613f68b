package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// execFloor is what OpenSSH's own client needs to run `true` on a host:
// the least any tool can spend on a task that runs a command there.
type execFloor struct {
	fresh time.Duration // new connection each time (median of 3)
	mux   time.Duration // over a ControlMaster connection (median of 10)
}

// sshTarget is a host OpenSSH's client logs in to.
type sshTarget struct {
	host, user, key string
	port            int
}

func measureFloor(ctx context.Context, s sshTarget, knownHosts string) (execFloor, error) {
	ctl, err := os.MkdirTemp("", "rbfl-")
	if err != nil {
		return execFloor{}, err
	}
	defer os.RemoveAll(ctl)
	sock := filepath.Join(ctl, "m")
	base := []string{"-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-i", s.key, "-p", strconv.Itoa(s.port), "-l", s.user}
	ssh := func(extra ...string) (time.Duration, error) {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		args := slices.Concat(base, extra, []string{s.host, "true"})
		start := time.Now()
		if out, err := exec.CommandContext(c, "ssh", args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("ssh %v: %w: %s", args, err, out)
		}
		return time.Since(start), nil
	}
	var f execFloor
	var fresh, mux []time.Duration
	for range 3 {
		d, err := ssh("-o", "ControlMaster=no", "-o", "ControlPath=none")
		if err != nil {
			return f, err
		}
		fresh = append(fresh, d)
	}
	if _, err := ssh("-o", "ControlMaster=yes", "-o", "ControlPersist=30", "-o", "ControlPath="+sock); err != nil {
		return f, err
	}
	defer func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = exec.CommandContext(c, "ssh", "-o", "ControlPath="+sock, "-O", "exit", s.host).Run() // gone already is fine
		for _, pid := range pidsMentioning(ctl) {
			_ = killPid(pid)
		}
	}()
	for range 10 {
		d, err := ssh("-o", "ControlMaster=no", "-o", "ControlPath="+sock)
		if err != nil {
			return f, err
		}
		mux = append(mux, d)
	}
	slices.Sort(fresh)
	slices.Sort(mux)
	f.fresh, f.mux = fresh[len(fresh)/2], (mux[4]+mux[5])/2
	return f, nil
}
