package ssh

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport"
)

// sleepToken is a sleep duration no other process on the machine uses, so
// the test can find its own remote processes by their arguments.
func sleepToken() string { return fmt.Sprintf("%d.%06d", 7000+rand.IntN(1000), rand.IntN(1000000)) }

// killLeftovers kills, at the end of the test, processes that an abort
// failed to stop, so a failing test leaves nothing behind.
func killLeftovers(t *testing.T, token string) {
	t.Cleanup(func() {
		for _, pid := range sshd.WithArg(token) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // already gone: fine
		}
	})
}

// abortLongCommand starts `sleep token` (in a subshell, a background job
// and the foreground) through c, waits until it runs on the host, cancels
// the context and returns how long it took and what Run returned.
func abortLongCommand(t *testing.T, c *Conn, become *transport.Become) (time.Duration, error) {
	t.Helper()
	token := sleepToken()
	killLeftovers(t, token)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, &transport.Cmd{Shell: "(sleep " + token + ") & sleep " + token + "; wait", Become: become})
		errc <- err
	}()
	if got := sshd.WaitArg(token, 10*time.Second, func(n int) bool { return n >= 2 }); len(got) < 2 {
		t.Fatalf("the remote sleeps never started (%d seen)", len(got))
	}
	start := time.Now()
	cancel()
	var err error
	select {
	case err = <-errc:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of the cancel")
	}
	took := time.Since(start)
	if left := sshd.WaitArg(token, time.Second, func(n int) bool { return n == 0 }); len(left) > 0 {
		t.Errorf("processes left running on the host after the abort: %v", left)
	}
	return took, err
}

// TestIntegrationAbortEndsRootCommand: OpenSSH refuses "signal" for a root
// login, so closing the session used to leave the command running;
// cancelling now ends every process the command started, at once.
func TestIntegrationAbortEndsRootCommand(t *testing.T) {
	t.Parallel()
	p := sshd.Start(t, sshd.Options{})
	logs := &logBuffer{}
	c := dial(t, Config{Addr: p.Host, Port: p.Port, User: "root", KeyFiles: []string{p.KeyPath},
		KnownHostsFile: p.KnownHosts, Timeout: 3 * time.Second, Logf: logs.logf})
	took, err := abortLongCommand(t, c, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if took > 4*time.Second {
		t.Errorf("the abort took %v", took)
	}
	if logs.String() != "" {
		t.Errorf("warnings: %s", logs)
	}
	runOK(t, c, "true") // the connection is still usable
}

// TestIntegrationAbortEndsBecomeCommand: under sudo (with a password) the
// command runs as root below the user's shell; the abort ends it too.
func TestIntegrationAbortEndsBecomeCommand(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	c := dial(t, sshdConfig(t, p, env, itUser))
	_, err := abortLongCommand(t, c, &transport.Become{Password: env.password})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	// Nothing of the marker reaches the command's output.
	res := run(t, c, &transport.Cmd{Shell: "echo out; echo err >&2", Become: &transport.Become{Password: env.password}})
	if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("stdout %q stderr %q", res.Stdout, res.Stderr)
	}
}
