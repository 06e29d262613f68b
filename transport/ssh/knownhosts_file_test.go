package ssh

import (
	"os"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestKnownHostsCertAuthorityIsNotAPlainKey: a @cert-authority line for a
// host that offers a plain key makes it unknown, as in OpenSSH (not
// "REMOTE HOST IDENTIFICATION HAS CHANGED"); accept-new then records it.
func TestKnownHostsCertAuthorityIsNotAPlainKey(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	ca := newSigner(t).PublicKey()
	caLine := "@cert-authority " + knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, ca) + "\n"
	writeFile(t, cfg.KnownHostsFile, caLine)
	_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
	if hk := hostKeyErr(t, err); !hk.Unknown || hk.Changed || strings.Contains(err.Error(), "CHANGED") {
		t.Fatalf("want an unknown host, got %+v: %v", hk, err)
	}
	cfg.AcceptNewHostKeys = true
	dial(t, cfg)
	want := caLine + knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.hostKeys[0].PublicKey()) + "\n"
	if got, _ := os.ReadFile(cfg.KnownHostsFile); string(got) != want {
		t.Fatalf("known_hosts = %q, want %q", got, want)
	}
}

// TestKnownHostsBadLinesSkipped: lines ssh cannot parse either (an unknown
// key type, bad base64, a line too long to read) are skipped with a
// warning naming file and line; the hosts of the other lines are verified
// as before, and a changed key is reported with its real line number.
func TestKnownHostsBadLinesSkipped(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	logs := &logBuffer{}
	cfg.Logf = logs.logf
	good := knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.hostKeys[0].PublicKey())
	bad := []string{
		"# comment",
		"xmss.example ssh-xmss@openssh.com AAAAFHNzaC14bXNzQG9wZW5zc2guY29tAAAAFVhNU1NfU0hBMi0yNTZfVzE2X0gxMAAAAEA=",
		"b64.example ssh-ed25519 !!!not-base64!!!",
		"long.example ssh-ed25519 " + strings.Repeat("A", 70000),
		"@bogus-marker x ssh-ed25519 AAAA",
	}
	writeFile(t, cfg.KnownHostsFile, strings.Join(append(bad, good), "\n")+"\n")
	runOK(t, dial(t, cfg), "true")
	for _, line := range []string{"line 2 skipped", "line 3 skipped", "line 4 skipped", "line 5 skipped"} {
		if !strings.Contains(logs.String(), cfg.KnownHostsFile+" "+line) {
			t.Errorf("no warning %q: %s", line, logs)
		}
	}
	if strings.Contains(logs.String(), "line 1 ") || strings.Contains(logs.String(), "line 6 ") {
		t.Errorf("a good line was warned about: %s", logs)
	}

	// The same file with the host's key replaced: changed, on line 6.
	other := knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, newSigner(t).PublicKey())
	writeFile(t, cfg.KnownHostsFile, strings.Join(append(bad, other), "\n")+"\n")
	_, err := Dial(ctxTimeout(t, 5*time.Second), cfg)
	hk := hostKeyErr(t, err)
	if !hk.Changed || !strings.Contains(err.Error(), cfg.KnownHostsFile+" line 6") {
		t.Fatalf("want a changed key on %s line 6, got: %v", cfg.KnownHostsFile, err)
	}
	if !strings.Contains(err.Error(), gossh.FingerprintSHA256(s.hostKeys[0].PublicKey())) {
		t.Errorf("message lacks the offered key: %v", err)
	}
}
