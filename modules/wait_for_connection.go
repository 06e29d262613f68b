package modules

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func init() { Register(waitForConnectionModule{}) }

type waitForConnectionModule struct{}

var waitForConnectionSpec = &Spec{
	Name:  "wait_for_connection",
	Short: "Wait until the host can be reached and runs a command again",
	Doc: "Waits delay seconds, then connects to the host afresh and runs a no-op command (the ping " +
		"module's test, as the become user when asked) until that works, sleeping between attempts, " +
		"for at most timeout seconds. Each attempt drops the run's connection to the host first, so a host " +
		"that rebooted or whose sshd restarted is reached anew, and later tasks use the new connection. The " +
		"engine opens no connection before the task, so a host that does not answer yet is waited for " +
		"rather than reported UNREACHABLE. Fails with \"timed out waiting for ping module test: …\" " +
		"when time runs out. Skipped in check mode, as in Ansible.",
	Params: []Param{
		{Name: "delay", Type: TypeInt, Default: 0, Doc: "Seconds to wait before the first attempt."},
		{Name: "sleep", Type: TypeInt, Default: 1, Doc: "Seconds to wait between attempts."},
		{Name: "timeout", Type: TypeInt, Default: 600, Doc: "Seconds to keep trying (after delay)."},
		{Name: "connect_timeout", Type: TypeInt, Default: 5, Doc: "Seconds one attempt may take to connect."},
	},
	Check:       CheckNone,
	DialsItself: true,
	Returns: []Return{
		{Name: "elapsed", Type: TypeInt, Doc: "Whole seconds waited, delay included (also on failure)."},
	},
	Example: `- name: Reboot without waiting for the command to return
  shell: sleep 2 && systemctl reboot
  async: 1
  poll: 0
  become: true

- name: Wait for the host to come back
  wait_for_connection:
    delay: 10
    timeout: 300`,
	Validate: func(a Args) error {
		for _, p := range []string{"delay", "sleep", "timeout", "connect_timeout"} {
			if a.Int(p) < 0 {
				return fmt.Errorf("%s must not be negative", p)
			}
		}
		return nil
	},
}

func (waitForConnectionModule) Spec() *Spec { return waitForConnectionSpec }

// minPause keeps sleep: 0 from spinning on a host that refuses at once.
const minPause = 100 * time.Millisecond

func (waitForConnectionModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	if mc.Reconnect == nil {
		return nil, errors.New("wait_for_connection: the engine gave no way to reconnect")
	}
	start := time.Now()
	elapsed := func() map[string]any { return map[string]any{"elapsed": int(time.Since(start).Seconds())} }
	if !waitForSleep(ctx, time.Duration(a.Int("delay"))*time.Second) {
		return nil, ctx.Err()
	}
	pause := max(time.Duration(a.Int("sleep"))*time.Second, minPause)
	timeout := time.Duration(a.Int("timeout")) * time.Second
	end := time.Now().Add(timeout)
	// The deadline bounds the attempts; the count is a second bound, in
	// case a clock jump makes the deadline meaningless.
	maxAttempts := int(timeout/pause) + 1
	var last error
	for attempt := 0; attempt < maxAttempts && time.Now().Before(end); attempt++ {
		if last = tryConnection(ctx, mc, a, time.Until(end)); last == nil {
			return &Result{Data: elapsed()}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		mc.Log("wait_for_connection: %v; retrying in %s", last, pause)
		if !waitForSleep(ctx, min(pause, time.Until(end))) {
			return nil, ctx.Err()
		}
	}
	if last == nil {
		last = errors.New("no attempt was made (timeout 0)")
	}
	return &Result{Failed: true, Msg: "timed out waiting for ping module test: " + last.Error(), Data: elapsed()}, nil
}

// tryConnection is one attempt: a fresh connection within connect_timeout,
// then the ping module's no-op command within what is left of the wait.
func tryConnection(ctx context.Context, mc *Context, a Args, left time.Duration) error {
	dctx, cancel := context.WithTimeout(ctx, min(time.Duration(a.Int("connect_timeout"))*time.Second, left))
	conn, err := mc.Reconnect(dctx)
	cancel()
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, max(left, time.Second))
	defer cancel()
	pc := *mc
	pc.Conn = conn
	_, err = pingModule{}.Run(rctx, &pc, Args{"data": "pong"})
	return err
}
