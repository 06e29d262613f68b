package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Timeouts of node life-cycle operations; every wait in the lab is bounded.
const (
	bootTimeout     = 90 * time.Second // nspawn start to sshd answering
	stopTimeout     = 30 * time.Second // clean poweroff
	killTimeout     = 10 * time.Second // SIGKILL to init until it and nspawn are gone
	sigRTMinPlus4   = syscall.Signal(34 + 4)
	pollInterval    = 100 * time.Millisecond
	initFindTimeout = 15 * time.Second
)

// Running reports whether the node's init (its systemd) is alive.
func (l *Lab) Running(name string) bool {
	return l.scan()[l.Node(name).Name].init != 0
}

// InitPID returns the host PID of the node's systemd (PID 1 inside it), or 0
// when the node is down.
func (l *Lab) InitPID(name string) int { return l.scan()[l.Node(name).Name].init }

// Start boots the node if it is down and waits until its sshd answers. It
// rewrites the node's lab files (address, keys, units) in its upper
// directory first. Starting a running node does nothing.
func (l *Lab) Start(ctx context.Context, name string) error {
	n := l.Node(name)
	if p := l.scan()[n.Name]; p.init != 0 {
		return nil
	} else if p.nspawn != 0 {
		// An nspawn whose init is gone is on its way out; make sure.
		_ = killPID(p.nspawn, syscall.SIGKILL)
		if err := waitFor(ctx, killTimeout, func() bool { return !alive(p.nspawn) }); err != nil {
			return fmt.Errorf("lab: %s: stale systemd-nspawn %d does not exit", n.Name, p.nspawn)
		}
	}
	if !exists(filepath.Join(l.baseDir(), "etc", "runbook-lab-base")) || !exists(l.KeyPath()) {
		return fmt.Errorf("lab: %s is not set up; run make lab-up first", l.cfg.Dir)
	}
	if err := l.prepareNode(n); err != nil {
		return err
	}
	if err := l.launch(n); err != nil {
		return err
	}
	if err := waitFor(ctx, initFindTimeout, func() bool { return l.scan()[n.Name].init != 0 }); err != nil {
		return fmt.Errorf("lab: %s: systemd did not start (see %s): %s", n.Name, l.consoleLog(n), tail(l.consoleLog(n), 10))
	}
	if err := WaitPort(ctx, n.Addr(SSHPort), bootTimeout); err != nil {
		return fmt.Errorf("lab: %s: sshd not answering on %s (see %s): %w", n.Name, n.Addr(SSHPort), l.consoleLog(n), err)
	}
	return nil
}

// prepareNode creates the node's directories and writes its lab files.
func (l *Lab) prepareNode(n Node) error {
	for _, d := range []string{l.upperDir(n), l.containerdDir(n), l.dockerDir(n)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// nspawn leaves its overlay work directory next to the upper when a
	// node is killed; it is useless afterwards.
	if old, _ := filepath.Glob(filepath.Join(l.nodeDir(n), ".#*")); len(old) > 0 {
		for _, o := range old {
			_ = os.RemoveAll(o)
		}
	}
	files, err := l.nodeFiles(n)
	if err != nil {
		return err
	}
	return l.writeUpper(n, files)
}

// nspawnArgs is the systemd-nspawn command line for a node.
func (l *Lab) nspawnArgs(n Node) ([]string, error) {
	args := []string{
		"systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--boot",
		"--directory=" + l.baseDir(),
		"--overlay=" + l.baseDir() + ":" + l.upperDir(n) + ":/",
		"--machine=" + n.Name, "--hostname=" + n.Name,
		"--console=read-only", "--resolv-conf=off", "--timezone=off", "--link-journal=no",
		"--setenv=" + envDir + l.cfg.Dir, "--setenv=" + envNode + n.Name,
		"--setenv=SYSTEMD_COLORS=0", // a readable console.log
		// containerd's overlayfs snapshotter cannot use the node's overlay
		// root as its upper layer; give it a real directory.
		"--bind=" + l.containerdDir(n) + ":/var/lib/containerd",
		// docker runs sealer's registry container (--net=host) in the node:
		// its overlay2 storage needs a real directory too, and runc needs
		// CAP_NET_ADMIN and the key and bpf system calls nspawn filters out
		// by default. docker itself never touches networking (daemon.json).
		"--bind=" + l.dockerDir(n) + ":/var/lib/docker",
		"--capability=CAP_NET_ADMIN",
		"--system-call-filter=add_key keyctl bpf",
	}
	if n == l.APIServerNode() {
		bin, err := l.APIServerBinary()
		if err != nil {
			return nil, err
		}
		args = append(args, "--bind-ro="+bin+":/usr/local/bin/kube-apiserver")
	}
	return args, nil
}

// launch starts systemd-nspawn for the node in its own session, detached
// from the caller (a shell starts it in the background and exits, so it is
// re-parented at once and never left a zombie of a test process).
func (l *Lab) launch(n Node) error {
	args, err := l.nspawnArgs(n)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.consoleLog(n), nil, 0o644); err != nil {
		return err
	}
	closeInheritedOnExec()
	sh := `exec </dev/null; log=$1; shift; "$@" >>"$log" 2>&1 & echo $!`
	cmd := exec.Command("/bin/sh", append([]string{"-c", sh, "sh", l.consoleLog(n)}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("lab: %s: starting systemd-nspawn: %w", n.Name, err)
	}
	if _, err := strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
		return fmt.Errorf("lab: %s: starting systemd-nspawn: %q", n.Name, out)
	}
	return nil
}

// Stop shuts the node down cleanly (systemd's poweroff, as `systemctl
// poweroff` inside would) and waits until it is gone; if it is not gone in
// time it is killed. Stopping a stopped node does nothing.
func (l *Lab) Stop(ctx context.Context, name string) error {
	return l.stop(ctx, l.Node(name).Name)
}

// HardKill kills the node at once, like pulling its power: SIGKILL to its
// init ends every process of the node together. It waits (bounded) until
// the node's processes and its systemd-nspawn are gone.
func (l *Lab) HardKill(ctx context.Context, name string) error {
	return l.kill(ctx, l.Node(name).Name)
}

func (l *Lab) kill(ctx context.Context, name string) error {
	if p := l.scan()[name]; p.init != 0 {
		_ = killPID(p.init, syscall.SIGKILL)
	}
	gone := func() bool { q := l.scan()[name]; return q.init == 0 && q.nspawn == 0 }
	if waitFor(ctx, killTimeout, gone) == nil {
		return nil
	}
	if q := l.scan()[name]; q.nspawn != 0 {
		_ = killPID(q.nspawn, syscall.SIGKILL)
	}
	if err := waitFor(ctx, killTimeout, gone); err != nil {
		return fmt.Errorf("lab: %s: still running after SIGKILL", name)
	}
	return nil
}

// killPID signals pid; callers found pid by scanning /proc just before.
func killPID(pid int, sig syscall.Signal) error {
	if pid <= 1 {
		return fmt.Errorf("lab: refusing to signal pid %d", pid)
	}
	return syscall.Kill(pid, sig)
}

// Restart stops the node cleanly (if running) and starts it again.
func (l *Lab) Restart(ctx context.Context, name string) error {
	if err := l.Stop(ctx, name); err != nil {
		return err
	}
	return l.Start(ctx, name)
}

// waitFor polls cond until it is true, the timeout passes or ctx ends.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// closeInheritedOnExec marks every descriptor this process inherited (Go
// opens its own with O_CLOEXEC) close-on-exec, so that a node never holds
// one: `flock 9 make demo` would otherwise leave fd 9, the lab's use lock,
// held by systemd-nspawn for as long as the node runs.
func closeInheritedOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return // no /proc: nothing to inspect, nothing the lab could do
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
