package ssh

import (
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestIntegrationCipherAndNoCompression: against a real OpenSSH server
// that offers its defaults (chacha20-poly1305 first, zlib@openssh.com
// compression), the connection uses aes128-gcm@openssh.com both ways and
// no compression, as sshd itself logs.
func TestIntegrationCipherAndNoCompression(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := sshd.Start(t, sshd.Options{Users: []string{itUser}, AuthorizedKeys: filepath.Join(env.dir, "authorized_keys"),
		LogLevel: "DEBUG1", Extra: "Compression yes\n"})
	c := dial(t, sshdConfig(t, p, env, itUser))
	runOK(t, c, "true")
	algs, ok := c.cur.client.Conn.(gossh.AlgorithmsConnMetadata)
	if !ok {
		t.Fatal("the client connection does not report its algorithms")
	}
	if a := algs.Algorithms(); a.Read.Cipher != gossh.CipherAES128GCM || a.Write.Cipher != gossh.CipherAES128GCM {
		t.Errorf("negotiated %+v, want %s both ways", a, gossh.CipherAES128GCM)
	}
	log := p.Log()
	for _, dir := range []string{"client->server", "server->client"} {
		want := "kex: " + dir + " cipher: aes128-gcm@openssh.com MAC: <implicit> compression: none"
		if !strings.Contains(log, want) {
			t.Errorf("sshd did not log %q:\n%s", want, log)
		}
	}
	// Without AES-128-GCM on the server, ChaCha20-Poly1305 comes next (the
	// library alone would pick AES-256-GCM).
	q := sshd.Start(t, sshd.Options{Users: []string{itUser}, AuthorizedKeys: filepath.Join(env.dir, "authorized_keys"),
		Extra: "Ciphers aes256-gcm@openssh.com,aes256-ctr,chacha20-poly1305@openssh.com\n"})
	cq := dial(t, sshdConfig(t, q, env, itUser))
	if a := cq.cur.client.Conn.(gossh.AlgorithmsConnMetadata).Algorithms(); a.Write.Cipher != gossh.CipherChaCha20Poly1305 {
		t.Errorf("negotiated %+v, want %s", a, gossh.CipherChaCha20Poly1305)
	}
}
