package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
)

// The lab (test/lab): four systemd-nspawn nodes on 127.0.10.2-.5, each with
// its own systemd and sshd. The task-overhead, registry and recovery
// benchmarks run there; the lab is started (and seeded) the first time one
// of them needs it, held until the end, and stopped again if this program
// started it.

// labScratch is where the benchmarks write on the nodes (removed at the end).
const labScratch = "/var/tmp/runbook-bench"

// needLab returns the lab, started and seeded, waiting for other users.
func (b *bench) needLab(ctx context.Context, wait time.Duration) (*lab.Lab, error) {
	if b.lab != nil {
		return b.lab, nil
	}
	l, err := lab.OpenFromEnv()
	if err != nil {
		return nil, err
	}
	for _, n := range l.Nodes() {
		b.labWasUp = b.labWasUp || l.Running(n.Name)
	}
	t0 := time.Now()
	fmt.Printf("  lab: acquiring (waits for other users of the lab, at most %s)\n", wait)
	release, err := l.Acquire(ctx, prefixed{os.Stdout, "  "}, wait)
	if err != nil {
		return nil, err
	}
	fmt.Printf("  lab: up and seeded in %s\n", time.Since(t0).Round(100*time.Millisecond))
	b.lab = l
	b.cleanup(func() {
		for _, n := range l.Nodes() {
			_, _, _, _ = l.Run(n.Name, "rm -rf "+labScratch) // best effort: the node may be down
		}
		release()
	})
	return l, nil
}

// nodeJob is a bash command line run as root inside a lab node, timed like
// every other job (nsenter waits for it, so its CPU counts as the job's).
func (b *bench) nodeJob(name, node, cmd, log string, timeout time.Duration) (job, error) {
	pid := b.lab.InitPID(node)
	if pid == 0 {
		return job{}, fmt.Errorf("lab node %s is not running", node)
	}
	return job{name: name, log: log, timeout: timeout, dir: b.tmp, args: []string{"nsenter", "--target", strconv.Itoa(pid),
		"--mount", "--uts", "--ipc", "--pid", "--cgroup", "--root", "--wd", "--", "/usr/bin/env", "-i",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "USER=root", "LANG=C.UTF-8",
		"/bin/bash", "-c", "cd /root && " + cmd}}, nil
}

// onNode runs cmd in node and fails with its output when it fails.
func (b *bench) onNode(ctx context.Context, node, cmd string, stdin io.Reader, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, errOut, code, err := b.lab.RunContext(ctx, node, cmd, stdin)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d", code)
	}
	if err != nil {
		return out, fmt.Errorf("%s: %.200q: %w: %s", node, cmd, err, strings.TrimSpace(errOut))
	}
	return out, nil
}

// labINI is an Ansible INI inventory of the lab nodes that both tools read:
// root by the lab key, each host's sandbox directory.
func (b *bench) labINI(path, group, sandbox string) error {
	var s strings.Builder
	fmt.Fprintf(&s, "[%s]\n", group)
	for _, n := range b.lab.Nodes() {
		fmt.Fprintf(&s, "%s ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s sandbox=%s\n",
			n.Name, n.IP, lab.SSHPort, b.lab.KeyPath(), sandbox)
	}
	return os.WriteFile(path, []byte(s.String()), 0o644)
}

// stageSSH gives node the lab key and known_hosts (for rsync and scp run
// from there to the other nodes) and returns ssh options that use them with
// host keys checked.
func (b *bench) stageSSH(ctx context.Context, node string) (string, error) {
	dir := labScratch + "/ssh"
	for _, f := range []struct{ from, name, mode string }{
		{b.lab.KeyPath(), "key", "600"}, {b.lab.KnownHostsPath(), "known_hosts", "644"},
	} {
		fh, err := os.Open(f.from)
		if err != nil {
			return "", err
		}
		_, err = b.onNode(ctx, node, "mkdir -p "+dir+" && cat > "+dir+"/"+f.name+" && chmod "+f.mode+" "+dir+"/"+f.name, fh, time.Minute)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return "-i " + dir + "/key -o UserKnownHostsFile=" + dir + "/known_hosts -o StrictHostKeyChecking=yes " +
		"-o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 -o LogLevel=error", nil
}

// prefixed indents every line written through it.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	s := strings.TrimRight(string(b), "\n")
	_, err := io.WriteString(p.w, p.prefix+strings.ReplaceAll(s, "\n", "\n"+p.prefix)+"\n")
	return len(b), err
}

// labDir is a fresh directory for one benchmark's files on the controller.
func (b *bench) labDir(name string) (string, error) {
	d := filepath.Join(b.tmp, name)
	return d, os.MkdirAll(d, 0o755)
}

// labCPU is the CPU seconds used so far by every process of the lab nodes
// (their own and their reaped children's): sshd with the sessions and
// commands it ran, systemd and services. The difference over a run is what
// the nodes spent on it, whatever else the machine was doing; processes
// started from outside (nsenter) are the job's own CPU instead.
func (b *bench) labCPU() float64 {
	ns := map[string]bool{}
	for _, n := range b.lab.Nodes() {
		if pid := b.lab.InitPID(n.Name); pid > 0 {
			if s, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil {
				ns[s] = true
			}
		}
	}
	entries, _ := os.ReadDir("/proc") // unreadable /proc: nothing counted
	total := 0.0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || !ns[s] {
			continue
		}
		t := readCPUTimes(pid)
		total += t.self + t.children
	}
	return total
}

// timedLab is timed with the lab nodes' CPU over the run in m.lab.
func (b *bench) timedLab(ctx context.Context, j job) (measure, error) {
	c0 := b.labCPU()
	m, err := b.timed(ctx, j, 0)
	m.lab = b.labCPU() - c0
	return m, err
}

// labPIDs are the nodes' init processes: a node restarted meanwhile has
// another.
func (b *bench) labPIDs() map[string]int {
	out := map[string]int{}
	for _, n := range b.lab.Nodes() {
		out[n.Name] = b.lab.InitPID(n.Name)
	}
	return out
}

// labPart runs one lab benchmark; when it fails because someone restarted
// or stopped lab nodes meanwhile (other people's lab-down, lab-up or tests
// that do not wait for the lab's use lock), it brings the lab up again and
// runs the part once more.
func (b *bench) labPart(ctx context.Context, c config, name string, run func() error) error {
	if _, err := b.needLab(ctx, c.labWait); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		before := b.labPIDs()
		err := run()
		if err == nil || attempt == 2 || ctx.Err() != nil || maps.Equal(before, b.labPIDs()) {
			return err
		}
		fmt.Printf("  lab: nodes were restarted or stopped by someone else during the %s benchmark (%v); starting them and running it again\n",
			name, firstLine(err.Error()))
		if err := b.lab.Up(ctx, prefixed{os.Stdout, "  "}); err != nil {
			return err
		}
		if err := b.lab.Seed(ctx); err != nil {
			return err
		}
	}
}
