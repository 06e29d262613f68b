package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultRunTimeout bounds Run.
const DefaultRunTimeout = 60 * time.Second

// Run runs a bash command line as root inside the node (entering its mount,
// UTS, IPC, PID and cgroup namespaces through its init with nsenter; the
// network namespace is the machine's, shared by every node). It works even
// when the node's sshd does not. err is set only when the command could not
// be run or timed out (DefaultRunTimeout); a command that ran and failed
// gives its exit code.
func (l *Lab) Run(node, cmd string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultRunTimeout)
	defer cancel()
	return l.RunContext(ctx, node, cmd, nil)
}

// RunContext is Run with a context (its deadline bounds the command) and
// optional standard input.
func (l *Lab) RunContext(ctx context.Context, node, cmd string, stdin io.Reader) (stdout, stderr string, code int, err error) {
	n := l.Node(node)
	pid := l.scan()[n.Name].init
	if pid == 0 {
		return "", "", -1, fmt.Errorf("lab: %s is not running", n.Name)
	}
	c := exec.Command("nsenter", "--target", strconv.Itoa(pid), "--mount", "--uts", "--ipc", "--pid", "--cgroup",
		"--root", "--wd", "--",
		"/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "LANG=C.UTF-8", "TERM=dumb",
		"/bin/bash", "-c", "cd /root 2>/dev/null; "+cmd)
	var o, e bytes.Buffer
	c.Stdout, c.Stderr, c.Stdin = &o, &e, stdin
	// Its own process group, so a timeout kills the command inside the node
	// too (nsenter forks it into the node's PID namespace).
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return "", "", -1, fmt.Errorf("lab: %s: nsenter: %w", n.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case werr := <-done:
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			return o.String(), e.String(), ee.ExitCode(), nil
		}
		if werr != nil {
			return o.String(), e.String(), -1, werr
		}
		return o.String(), e.String(), 0, nil
	case <-ctx.Done():
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
		return o.String(), e.String(), -1, fmt.Errorf("lab: %s: %q: %w", n.Name, cmd, ctx.Err())
	}
}

// MustRun runs cmd on the node and returns its stdout, or an error that
// carries stderr when the command fails.
func (l *Lab) MustRun(ctx context.Context, node, cmd string) (string, error) {
	out, errOut, code, err := l.RunContext(ctx, node, cmd, nil)
	if err != nil {
		return out, err
	}
	if code != 0 {
		return out, fmt.Errorf("lab: %s: %q exited %d: %s%s", node, shortCmd(cmd), code, errOut, out)
	}
	return out, nil
}

// shortCmd is cmd for an error message: its first line, cut at 100 bytes
// (a seed script is kilobytes of base64).
func shortCmd(cmd string) string {
	first, _, more := strings.Cut(cmd, "\n")
	if len(first) > 100 {
		first, more = first[:100], true
	}
	if more {
		first += " …"
	}
	return first
}

// WaitPort waits until a TCP connection to addr succeeds, for at most
// timeout (or until ctx ends). addr must be a lab address.
func WaitPort(ctx context.Context, addr string, timeout time.Duration) error {
	if err := checkLabAddr(addr); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	var last error
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not answering after %s: %w", addr, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// checkLabAddr refuses any address outside the lab's loopback subnet: the
// lab never talks to anything else.
func checkLabAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	_, subnet, _ := net.ParseCIDR(Subnet + "0/24")
	if ip == nil || !subnet.Contains(ip) {
		return fmt.Errorf("lab: %s is not a lab address (%s0/24)", addr, Subnet)
	}
	return nil
}
