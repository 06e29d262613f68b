package ssh

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/runbook-dev/runbook/transport"
)

func runOK(t *testing.T, c *Conn, args ...string) string {
	t.Helper()
	res, err := c.Run(ctxTimeout(t, 10*time.Second), &transport.Cmd{Args: args})
	if err != nil {
		t.Fatalf("Run %q: %v", args, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("Run %q: exit %d, stderr %q", args, res.ExitCode, res.Stderr)
	}
	return string(res.Stdout)
}

func TestAuthPublicKeyFile(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t, withPassword("pw-never-sent"))
	cfg.Password = "pw-never-sent"
	c := dial(t, cfg)
	if got := runOK(t, c, "echo", "hi"); got != "hi\n" {
		t.Fatalf("got %q", got)
	}
	// OpenSSH's order: the key works, so the password is never sent.
	if _, _, methods := s.stats(); slices.Contains(methods, "password") {
		t.Fatalf("password sent although the key works: %v", methods)
	}
}

func TestAuthEncryptedKey(t *testing.T) {
	t.Parallel()
	path, pub := newKeyFile(t, t.TempDir(), "enc", "key-pass-phrase")
	s := newTestServer(t, withKey(pub))
	cfg := s.clientConfig(t)
	cfg.KeyFiles = []string{path}
	cfg.KeyPassphrase = "key-pass-phrase"
	dial(t, cfg)

	cfg.KeyPassphrase = "wrong-pass-phrase"
	_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
	if !transport.IsUnreachable(err) {
		t.Fatalf("want UnreachableError, got %v", err)
	}
	if !strings.Contains(err.Error(), "wrong passphrase") || strings.Contains(err.Error(), "wrong-pass-phrase") {
		t.Fatalf("bad message: %v", err)
	}

	cfg.KeyPassphrase = ""
	_, err = Dial(ctxTimeout(t, 5*time.Second), cfg)
	if err == nil || !strings.Contains(err.Error(), "encrypted and no passphrase") {
		t.Fatalf("want a note about the encrypted key, got %v", err)
	}
}

func TestAuthPassword(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, withPassword("s3cret-pw"))
	cfg := s.clientConfig(t)
	cfg.KeyFiles = nil
	cfg.Password = "s3cret-pw"
	c := dial(t, cfg)
	runOK(t, c, "true")
	if _, _, methods := s.stats(); !slices.Contains(methods, "password") {
		t.Fatalf("methods %v", methods)
	}
}

func TestAuthKeyboardInteractive(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, withKbdInteractive("kbd-pw-123"))
	cfg := s.clientConfig(t)
	cfg.Password = "kbd-pw-123"
	c := dial(t, cfg)
	runOK(t, c, "true")
	_, _, methods := s.stats()
	if !slices.Contains(methods, "keyboard-interactive") || slices.Index(methods, "publickey") > slices.Index(methods, "keyboard-interactive") {
		t.Fatalf("want publickey then keyboard-interactive, got %v", methods)
	}
}

func TestAuthWrongPassword(t *testing.T) {
	t.Parallel()
	for _, kbd := range []bool{false, true} {
		opt := withPassword("right-password")
		if kbd {
			opt = withKbdInteractive("right-password")
		}
		s := newTestServer(t, opt)
		cfg := s.clientConfig(t)
		cfg.Password = "wrong-password"
		start := time.Now()
		_, err := Dial(ctxTimeout(t, 10*time.Second), cfg)
		var u *transport.UnreachableError
		if !errors.As(err, &u) {
			t.Fatalf("kbd=%v: want UnreachableError, got %v", kbd, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "authentication failed for tester@127.0.0.1") || strings.Contains(msg, "wrong-password") ||
			!strings.Contains(msg, "check ansible_user, ansible_ssh_private_key_file or ansible_password of "+cfg.Name) {
			t.Fatalf("kbd=%v: bad message %q", kbd, msg)
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("kbd=%v: took %v", kbd, time.Since(start))
		}
	}
}

func TestAuthAgent(t *testing.T) {
	// Not parallel: sets SSH_AUTH_SOCK.
	keyring := agent.NewKeyring()
	priv, signer := newPrivKey(t)
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	s := newTestServer(t, withKey(signer.PublicKey()))
	cfg := s.clientConfig(t)
	cfg.KeyFiles = []string{filepath.Join(t.TempDir(), "missing")}
	if _, err := Dial(ctxTimeout(t, 5*time.Second), cfg); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("without the agent: want failure naming the missing key file, got %v", err)
	}
	cfg.UseAgent = true
	runOK(t, dial(t, cfg), "true")
}

func TestAuthDefaultKeyFile(t *testing.T) {
	t.Parallel()
	// testHome/.ssh/id_ecdsa is one of the defaults (written under another
	// name than id_ed25519 so parallel tests do not see it first).
	path, pub := newKeyFile(t, filepath.Join(testHome, ".ssh"), "id_ecdsa", "")
	t.Cleanup(func() { os.Remove(path) })
	s := newTestServer(t, withKey(pub))
	cfg := s.clientConfig(t)
	cfg.KeyFiles = nil
	runOK(t, dial(t, cfg), "true")
}

func TestSSHConfigHonoured(t *testing.T) {
	t.Parallel()
	s, base := keyServer(t)
	sc := filepath.Join(t.TempDir(), "config")
	conf := "Host webalias\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(s.port) + "\n  User cfguser\n  IdentityFile " + clientKeyPath + "\n"
	if err := os.WriteFile(sc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "webalias", SSHConfigFile: sc, KnownHostsFile: base.KnownHostsFile, Timeout: 3 * time.Second}
	c := dial(t, cfg)
	if c.res.target.user != "cfguser" || c.res.target.addr() != s.addr {
		t.Fatalf("resolved %+v", c.res.target)
	}
	runOK(t, c, "true")

	// Explicit values win over ssh_config.
	r, err := resolve(Config{Name: "webalias", User: "explicit", Port: 2200, SSHConfigFile: sc})
	if err != nil || r.target.user != "explicit" || r.target.port != 2200 || r.target.host != "127.0.0.1" {
		t.Fatalf("resolve: %+v %v", r, err)
	}
}

func TestDialCanceledContext(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dial(ctx, cfg); err == nil {
		t.Fatal("Dial with a cancelled context succeeded")
	}
}
