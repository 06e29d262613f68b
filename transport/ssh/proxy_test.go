package ssh

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport"
)

// proxiedConfig is s's client config for the inventory host "web1" at
// proxied.invalid:2222 (a name that does not resolve: only a proxy reaches
// it), trusted under that name, with vars applied.
func proxiedConfig(t *testing.T, s *testServer, vars map[string]any) Config {
	t.Helper()
	base := s.clientConfig(t)
	writeFile(t, base.KnownHostsFile, knownhosts.Line([]string{"[proxied.invalid]:2222"}, s.hostKeys[0].PublicKey())+"\n")
	cfg, err := ConfigFromVars("web1", vars, base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.Port = "proxied.invalid", 2222
	return cfg
}

// helperProxy is a ProxyCommand running this test binary as a relay to s;
// it logs its arguments (after token) to the returned file.
func helperProxy(t *testing.T, s *testServer, token string) (string, string) {
	log := filepath.Join(t.TempDir(), "proxy.log")
	return fmt.Sprintf("env RUNBOOK_TEST_PROXY_TO=%s RUNBOOK_TEST_PROXY_LOG=%s %s %s %%h %%p %%r %%n %%%%", s.addr, log, os.Args[0], token), log
}

// TestProxyCommandCarriesTheConnection: a ProxyCommand in
// ansible_ssh_common_args is run with its tokens replaced, the connection
// goes through it (the target's name does not even resolve), and closing
// the connection ends it.
func TestProxyCommandCarriesTheConnection(t *testing.T) {
	t.Parallel()
	s, _ := keyServer(t)
	token := "proxy-" + sleepToken()
	proxy, log := helperProxy(t, s, token)
	cfg := proxiedConfig(t, s, map[string]any{"ansible_ssh_common_args": fmt.Sprintf("-o StrictHostKeyChecking=yes -o ProxyCommand=%q", proxy)})
	c := dial(t, cfg)
	if out := runOK(t, c, "echo", "through"); out != "through\n" {
		t.Fatalf("got %q", out)
	}
	if got, _ := os.ReadFile(log); strings.TrimSpace(string(got)) != token+" proxied.invalid 2222 tester proxied.invalid %" {
		t.Errorf("proxy arguments %q", got)
	}
	if len(sshd.WithArg(token)) != 1 {
		t.Errorf("the proxy is not running while connected: %v", sshd.WithArg(token))
	}
	c.Close()
	if left := sshd.WaitArg(token, 3*time.Second, func(n int) bool { return n == 0 }); len(left) > 0 {
		t.Errorf("the proxy still runs after Close: %v", left)
	}
}

// TestProxyCommandFailureIsLoud: a ProxyCommand that fails makes the host
// unreachable with its exit status and message, and the host is never
// reached directly (here it would be: Addr is the live server).
func TestProxyCommandFailureIsLoud(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	cfg.ProxyCommand = "sh -c 'echo proxy says no to %h >&2; exit 3'"
	_, err := Dial(ctxTimeout(t, 10*time.Second), cfg)
	if !transport.IsUnreachable(err) {
		t.Fatalf("want unreachable, got %v", err)
	}
	for _, want := range []string{"ProxyCommand", "exit status 3", "proxy says no to 127.0.0.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if accepted, _, _ := s.stats(); accepted != 0 {
		t.Errorf("the host was reached directly, around its ProxyCommand")
	}
}

// TestProxyCommandSilentIsBounded: a ProxyCommand that never speaks fails
// within the timeout, and is ended.
func TestProxyCommandSilentIsBounded(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	token := sleepToken()
	cfg.ProxyCommand, cfg.Timeout = "sleep "+token, time.Second
	start := time.Now()
	_, err := Dial(ctxTimeout(t, 10*time.Second), cfg)
	if !transport.IsUnreachable(err) || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Fatalf("want a timeout, got %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if left := sshd.WaitArg(token, 3*time.Second, func(n int) bool { return n == 0 }); len(left) > 0 {
		t.Errorf("the proxy still runs: %v", left)
	}
}

// TestProxyCommandFromSSHConfig: ssh_config's ProxyCommand is honoured too,
// and unless the inventory says otherwise; refusals are clear.
func TestProxyCommandFromSSHConfig(t *testing.T) {
	t.Parallel()
	s, _ := keyServer(t)
	proxy, log := helperProxy(t, s, "from-config")
	cfg := proxiedConfig(t, s, nil)
	writeFile(t, cfg.SSHConfigFile, "Host proxied.*\n  ProxyCommand "+proxy+"\n")
	runOK(t, dial(t, cfg), "true")
	if got, _ := os.ReadFile(log); !strings.HasPrefix(string(got), "from-config proxied.invalid 2222") {
		t.Errorf("proxy arguments %q", got)
	}

	// A jump host's own ProxyCommand in ssh_config is used to reach it; an
	// explicit "none" turns off ssh_config's ProxyJump and ProxyCommand.
	sc := filepath.Join(t.TempDir(), "config")
	writeFile(t, sc, "Host bastion\n  ProxyCommand nc %h %p\nHost t*\n  ProxyJump bastion\n")
	if r, err := resolve(Config{Addr: "t1", SSHConfigFile: sc}); err != nil || r.jump == nil || r.jump.proxyCommand != "nc bastion 22" {
		t.Errorf("jump's ProxyCommand: %+v %v", r, err)
	}
	if r, err := resolve(Config{Addr: "t1", ProxyCommand: "none", SSHConfigFile: sc}); err != nil || r.jump != nil || r.target.proxyCommand != "" {
		t.Errorf("ProxyCommand=none: %+v %v", r, err)
	}

	for _, tc := range []struct {
		cfg  func(*Config)
		want string
	}{
		{func(c *Config) { c.JumpHost = "bastion" }, "both a jump host (bastion) and a ProxyCommand"},
		{func(c *Config) { c.ProxyCommand = "nc %h %x" }, "unknown token %x"},
		{func(c *Config) { c.ProxyCommand = "nc %h %p"; c.Addr = "a;touch${IFS}x" }, "%h would be"},
	} {
		c := cfg
		c.SSHConfigFile = filepath.Join(t.TempDir(), "empty")
		writeFile(t, c.SSHConfigFile, "")
		c.ProxyCommand = "nc %h %p"
		tc.cfg(&c)
		if _, err := Dial(ctxTimeout(t, 5*time.Second), c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
}
