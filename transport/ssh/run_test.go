package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func run(t *testing.T, c *Conn, cmd *transport.Cmd) *transport.Result {
	t.Helper()
	res, err := c.Run(ctxTimeout(t, 10*time.Second), cmd)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestRunBasics(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	dir := t.TempDir()

	res := run(t, c, &transport.Cmd{Shell: "echo out; echo err >&2; exit 3"})
	if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || res.ExitCode != 3 {
		t.Fatalf("got %+v", res)
	}
	res = run(t, c, &transport.Cmd{Args: []string{"sh", "-c", `printf %s "$GREETING"; pwd`},
		Env: map[string]string{"GREETING": "hello 'world' $HOME"}, Dir: dir})
	if want := "hello 'world' $HOME" + dir + "\n"; string(res.Stdout) != want {
		t.Fatalf("env/dir: got %q want %q", res.Stdout, want)
	}
	res = run(t, c, &transport.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("from stdin\n")})
	if string(res.Stdout) != "from stdin\n" {
		t.Fatalf("stdin: %q", res.Stdout)
	}
	res = run(t, c, &transport.Cmd{Shell: "kill -9 $$"})
	if res.ExitCode != 128+9 {
		t.Fatalf("killed by signal: exit %d", res.ExitCode)
	}
	if _, err := c.Run(ctxTimeout(t, 5*time.Second), &transport.Cmd{Env: map[string]string{"A;B": "x"}, Args: []string{"true"}}); err == nil {
		t.Fatal("invalid env name accepted")
	}
}

func TestRunArgumentsAreLiteral(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	dir := t.TempDir()
	canary := dir + "/canary"
	runOK(t, c, "touch", canary)
	evil := []string{
		"; rm -rf " + canary, "$(rm -f " + canary + ")", "`rm -f " + canary + "`",
		"' ; rm -f " + canary + " ; '", `" ; rm -f ` + canary + ` ; "`, "a\nrm -f " + canary,
		"&& rm -f " + canary, "| rm -f " + canary, "$HOME", "*", "~", "", " lead and trail ", "back\\slash",
	}
	res := run(t, c, &transport.Cmd{Args: append([]string{"printf", "%s\\0"}, evil...)})
	got := strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00")
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", evil) {
		t.Fatalf("arguments changed:\n got %q\nwant %q", got, evil)
	}
	res = run(t, c, &transport.Cmd{Args: []string{"printenv", "X"}, Env: map[string]string{"X": evil[1]}, Dir: dir})
	if string(res.Stdout) != evil[1]+"\n" {
		t.Fatalf("env value changed: %q", res.Stdout)
	}
	runOK(t, c, "test", "-e", canary)
}

func TestRunContextCancel(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	marker := t.TempDir() + "/done"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Run(ctx, &transport.Cmd{Shell: "sleep 1.5; touch " + marker})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	time.Sleep(1800 * time.Millisecond)
	if runOK(t, c, "sh", "-c", "test -e "+marker+" && echo yes || echo no") != "no\n" {
		t.Fatal("command kept running after cancel")
	}
	runOK(t, c, "true") // the connection is still usable
}

// Many concurrent commands share one TCP connection (sessions are
// multiplexed, and queued beyond maxSessions).
func TestRunConcurrentOneConnection(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	c := dial(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Run(ctxTimeout(t, 20*time.Second), &transport.Cmd{Args: []string{"sh", "-c", "sleep 0.1; echo $0", fmt.Sprint(i)}})
			if err != nil {
				errs <- err
			} else if strings.TrimSpace(string(res.Stdout)) != fmt.Sprint(i) {
				errs <- fmt.Errorf("command %d got %q", i, res.Stdout)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if accepted, _, _ := s.stats(); accepted != 1 {
		t.Fatalf("%d TCP connections, want 1", accepted)
	}
}

func TestBecomeWithPassword(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t, withFakeSudo("sudo-pw-42"))
	cfg.BecomePassword = "sudo-pw-42"
	c := dial(t, cfg)
	for range 3 {
		res := run(t, c, &transport.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("payload\n"), Become: &transport.Become{}})
		if res.ExitCode != 0 || string(res.Stdout) != "payload\n" {
			t.Fatalf("got %+v", res)
		}
	}
	// The password from the Cmd wins.
	res := run(t, c, &transport.Cmd{Args: []string{"echo", "ok"}, Become: &transport.Become{User: "nobody", Password: "sudo-pw-42"}})
	if string(res.Stdout) != "ok\n" {
		t.Fatalf("got %+v", res)
	}
	_, execs, _ := s.stats()
	probes, verifies := 0, 0
	for _, e := range execs {
		if strings.Contains(e, "sudo-pw-42") {
			t.Fatalf("password on a command line: %q", e)
		}
		if strings.HasPrefix(e, "sudo -n") {
			probes++
		}
		if strings.HasPrefix(e, "sudo -k") {
			verifies++
		}
	}
	// Once per become user ("" and "nobody").
	if probes != 2 || verifies != 2 {
		t.Fatalf("probes %d, verifies %d, want 2 and 2: %q", probes, verifies, execs)
	}
}

// TestBecomeSudoHiccup: sudo refusing a right password once (a PAM hiccup,
// seen under load) does not fail a command whose only input is the
// password: sudo never started it, the password is checked again and the
// command run once. With a caller's stdin (which the failed sudo may have
// eaten) it is not run again: the error says so.
func TestBecomeSudoHiccup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	trigger := filepath.Join(dir, "hiccup")
	_, cfg := keyServer(t, withFakeSudo("right-sudo-pw"), withEnv("FAKE_SUDO_HICCUP="+trigger))
	cfg.BecomePassword = "right-sudo-pw"
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 10*time.Second)
	runs := filepath.Join(dir, "runs")
	if err := os.WriteFile(trigger, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(ctx, &transport.Cmd{Args: []string{"sh", "-c", "echo ran >> " + runs}, Become: &transport.Become{}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("after one refusal: %v %+v", err, res)
	}
	if b, _ := os.ReadFile(runs); string(b) != "ran\n" {
		t.Fatalf("the command ran %q, want once", b)
	}
	if err := os.WriteFile(trigger, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = c.Run(ctx, &transport.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("data\n"), Become: &transport.Become{}})
	if err == nil || !strings.Contains(err.Error(), "incorrect sudo password") {
		t.Fatalf("with stdin: %v, want the sudo refusal", err)
	}
}

func TestBecomeWrongPassword(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo("right-sudo-pw"))
	cfg.BecomePassword = "wrong-sudo-pw"
	c := dial(t, cfg)
	start := time.Now()
	_, err := c.Run(ctxTimeout(t, 10*time.Second), &transport.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("a\nb\nc\nd\n"), Become: &transport.Become{}})
	if err == nil || err.Error() != "incorrect sudo password for tester@web1: check the password given with -K or ansible_become_password" {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	cfg2 := cfg
	cfg2.BecomePassword = ""
	c2 := dial(t, cfg2)
	_, err = c2.Run(ctxTimeout(t, 10*time.Second), &transport.Cmd{Args: []string{"true"}, Become: &transport.Become{}})
	if err == nil || !strings.Contains(err.Error(), "requires a password and none was given: run with -K (--ask-become-pass) or set ansible_become_password") {
		t.Fatalf("no password: got %v", err)
	}
}

func TestBecomeWithoutSudo(t *testing.T) {
	t.Parallel()
	noSudo := func(s *testServer) { s.env = append(s.env, "PATH="+t.TempDir()) }
	_, cfg := keyServer(t, noSudo)
	c := dial(t, cfg)
	_, err := c.Run(ctxTimeout(t, 10*time.Second), &transport.Cmd{Args: []string{"true"}, Become: &transport.Become{}})
	if err == nil || err.Error() != "sudo is not installed on web1: install it, or connect as root (ansible_user=root) without become" {
		t.Fatalf("got %v", err)
	}
}

func TestBecomeNoPasswordNeeded(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t, withFakeSudo(""))
	cfg.BecomePassword = "unused-pw"
	c := dial(t, cfg)
	res := run(t, c, &transport.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("data"), Become: &transport.Become{}})
	if string(res.Stdout) != "data" {
		t.Fatalf("stdin got the password? %q", res.Stdout)
	}
	_, execs, _ := s.stats()
	for _, e := range execs {
		if strings.HasPrefix(e, "sudo -k") {
			t.Fatalf("password verified although sudo needs none: %q", execs)
		}
	}
}

func TestDialContextTunnelsThroughTheHost(t *testing.T) {
	s, cfg := keyServer(t)
	_ = s
	c := dial(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			_, _ = conn.Write([]byte("hello through the tunnel"))
			conn.Close()
		}
	}()
	conn, err := c.DialContext(ctxTimeout(t, 5*time.Second), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, _ := io.ReadAll(conn)
	if string(b) != "hello through the tunnel" {
		t.Errorf("got %q", b)
	}
	if _, err := c.DialContext(context.Background(), "udp", "127.0.0.1:53"); err == nil {
		t.Error("udp cannot be tunnelled")
	}
}

func TestRunStreamsStdout(t *testing.T) {
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	var out, errb bytes.Buffer
	res, err := c.Run(ctxTimeout(t, 20*time.Second), &transport.Cmd{Shell: "head -c 3000000 /dev/zero; echo oops >&2", Stdout: &out, Stderr: &errb})
	if err != nil || res.ExitCode != 0 {
		t.Fatal(err, res)
	}
	if out.Len() != 3000000 || errb.String() != "oops\n" || len(res.Stdout) != 0 {
		t.Errorf("streamed %d bytes, stderr %q; result kept %d bytes", out.Len(), errb.String(), len(res.Stdout))
	}
}

// TestRunStderrIsTheCommandsOwn: the session id each command reports first
// (for aborts) never shows; the command's own stderr does, byte for byte,
// even when it looks like that report or lacks a final newline, streamed
// or buffered.
func TestRunStderrIsTheCommandsOwn(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	const script = "echo runbook-sid=5 >&2; echo out; printf 'no newline' >&2"
	const want = "runbook-sid=5\nno newline"
	if res := run(t, c, &transport.Cmd{Shell: script}); string(res.Stderr) != want || string(res.Stdout) != "out\n" {
		t.Errorf("buffered: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	var streamed bytes.Buffer
	run(t, c, &transport.Cmd{Shell: script, Stderr: &streamed})
	if streamed.String() != want {
		t.Errorf("streamed: stderr %q", streamed.String())
	}
}
