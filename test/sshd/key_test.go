package sshd_test

import (
	"os"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func loadKey(t *testing.T, path string) gossh.Signer {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
