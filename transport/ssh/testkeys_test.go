package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func newSigner(t testing.TB) gossh.Signer {
	_, s := newPrivKey(t)
	return s
}

func newPrivKey(t testing.TB) (ed25519.PrivateKey, gossh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, s
}

// newKeyFile writes a new Ed25519 private key (encrypted when passphrase is
// set) and returns its path and public key.
func newKeyFile(t testing.TB, dir, name, passphrase string) (string, gossh.PublicKey) {
	t.Helper()
	path, pub, err := writeKeyFile(dir, name, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	return path, pub
}

func writeKeyFile(dir, name, passphrase string) (string, gossh.PublicKey, error) {
	path := filepath.Join(dir, name)
	if passphrase != "" {
		// ssh-keygen can use a single KDF round: decrypting then costs
		// milliseconds instead of seconds (much more under -race).
		if exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "", "-f", path).Run() == nil {
			data, err := os.ReadFile(path + ".pub")
			if err != nil {
				return "", nil, err
			}
			pub, _, _, _, err := gossh.ParseAuthorizedKey(data)
			return path, pub, err
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = gossh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", nil, err
	}
	pub, err := gossh.NewPublicKey(priv.Public())
	return path, pub, err
}
