package ssh

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/transport"
)

func hostKeyErr(t *testing.T, err error) *HostKeyError {
	t.Helper()
	if !transport.IsUnreachable(err) {
		t.Fatalf("want UnreachableError, got %v", err)
	}
	var hk *HostKeyError
	if !errors.As(err, &hk) {
		t.Fatalf("want HostKeyError inside, got %v", err)
	}
	return hk
}

func TestHostKeyUnknown(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "missing", "known_hosts")
	_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
	hk := hostKeyErr(t, err)
	key := s.hostKeys[0].PublicKey()
	msg := err.Error()
	for _, want := range []string{"web1", s.addr, "ssh-ed25519", gossh.FingerprintSHA256(key), "--accept-new-host-keys", cfg.KnownHostsFile} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if !hk.Unknown || hk.Changed {
		t.Fatalf("flags %+v", hk)
	}
	if _, err := os.Stat(cfg.KnownHostsFile); !os.IsNotExist(err) {
		t.Fatalf("known_hosts written without accept-new: %v", err)
	}
}

func TestHostKeyAcceptNew(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "new", "known_hosts")
	cfg.AcceptNewHostKeys = true
	logs := &logBuffer{}
	cfg.Logf = logs.logf
	dial(t, cfg).Close()
	data, err := os.ReadFile(cfg.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.hostKeys[0].PublicKey()) + "\n"
	if string(data) != want {
		t.Fatalf("known_hosts = %q, want %q", data, want)
	}
	if !strings.Contains(logs.String(), "recorded new ssh-ed25519 host key") {
		t.Fatalf("logs: %s", logs)
	}
	// Now known: no accept-new needed, and nothing appended again.
	cfg.AcceptNewHostKeys = false
	dial(t, cfg)
	if again, _ := os.ReadFile(cfg.KnownHostsFile); string(again) != want {
		t.Fatalf("file changed: %q", again)
	}

	// Appending after an entry without a final newline keeps both intact.
	other := knownhosts.Line([]string{"other.example"}, newSigner(t).PublicKey())
	writeFile(t, cfg.KnownHostsFile, other)
	cfg.AcceptNewHostKeys = true
	dial(t, cfg)
	if data, _ := os.ReadFile(cfg.KnownHostsFile); string(data) != other+"\n"+want {
		t.Fatalf("known_hosts = %q", data)
	}
}

func TestHostKeyAcceptNewConcurrent(t *testing.T) {
	t.Parallel()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	const n = 20
	servers := make([]*testServer, n)
	for i := range servers {
		servers[i] = newTestServer(t, withKey(clientPub))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := s.clientConfig(t)
			cfg.KnownHostsFile, cfg.AcceptNewHostKeys = kh, true
			c, err := Dial(ctxTimeout(t, 10*time.Second), cfg)
			if err != nil {
				errs <- err
				return
			}
			c.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	data, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("want %d lines, got %d:\n%s", n, len(lines), data)
	}
	cb, err := knownhosts.New(kh)
	if err != nil {
		t.Fatalf("file does not parse: %v", err)
	}
	for _, s := range servers {
		if err := cb(s.addr, addrString(s.addr), s.hostKeys[0].PublicKey()); err != nil {
			t.Errorf("%s: %v", s.addr, err)
		}
	}
}

func TestHostKeyChangedRefused(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	old := newSigner(t).PublicKey()
	line := knownhosts.Line([]string{s.addr}, old)
	if err := os.WriteFile(cfg.KnownHostsFile, []byte("# comment\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, accept := range []bool{false, true} {
		cfg.AcceptNewHostKeys = accept
		_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
		hk := hostKeyErr(t, err)
		msg := err.Error()
		for _, want := range []string{"REMOTE HOST IDENTIFICATION HAS CHANGED", cfg.KnownHostsFile + " line 2",
			gossh.FingerprintSHA256(old), gossh.FingerprintSHA256(s.hostKeys[0].PublicKey()), "man-in-the-middle",
			"ssh-keygen -R '" + knownhosts.Normalize(s.addr) + "' -f " + cfg.KnownHostsFile} {
			if !strings.Contains(msg, want) {
				t.Errorf("accept=%v: message lacks %q: %s", accept, want, msg)
			}
		}
		if !hk.Changed {
			t.Fatalf("flags %+v", hk)
		}
	}
	if data, _ := os.ReadFile(cfg.KnownHostsFile); strings.Count(string(data), "\n") != 2 {
		t.Fatalf("known_hosts modified: %q", data)
	}
}

func TestHostKeyInsecureSkip(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "none")
	cfg.InsecureSkipHostKeyCheck = true
	logs := &logBuffer{}
	cfg.Logf = logs.logf
	runOK(t, dial(t, cfg), "true")
	if !strings.Contains(logs.String(), "host key checking is DISABLED for web1") {
		t.Fatalf("no loud warning: %q", logs)
	}
}

// A host with several keys, of which known_hosts has only the ECDSA one,
// must be asked for that one rather than be refused as changed.
func TestHostKeyPrefersKnownAlgorithm(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := gossh.NewSignerFromKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, withKey(clientPub), withHostKey(newSigner(t)), withHostKey(ecSigner))
	cfg := s.clientConfig(t)
	line := knownhosts.Line([]string{s.addr}, ecSigner.PublicKey())
	if err := os.WriteFile(cfg.KnownHostsFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runOK(t, dial(t, cfg), "true")
}

func TestHostKeyErrorNamesJump(t *testing.T) {
	t.Parallel()
	jump, _ := keyServer(t)
	target, cfg := keyServer(t)
	cfg.JumpHost = fmt.Sprintf("tester@127.0.0.1:%d", jump.port)
	// known_hosts knows the target but not the jump host.
	_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
	hostKeyErr(t, err)
	if !strings.Contains(err.Error(), "jump host 127.0.0.1") || !strings.Contains(err.Error(), jump.addr) {
		t.Fatalf("message should name the jump host: %v", err)
	}
	_ = target
}
