package ssh

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyFiles are the parsed private keys of one endpoint, loaded once per Conn
// and reused when reconnecting.
type keyFiles struct {
	signers []gossh.Signer
	// notes explain keys that could not be used; they are added to an
	// authentication failure (never containing a passphrase).
	notes []string
}

func loadKeyFiles(ep *endpoint, passphrase string) *keyFiles {
	k := &keyFiles{}
	for _, file := range ep.keyFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			if ep.explicitKeys || !errors.Is(err, os.ErrNotExist) {
				k.notes = append(k.notes, fmt.Sprintf("key file %s: %v", file, errors.Unwrap(err)))
			}
			continue
		}
		signer, err := gossh.ParsePrivateKey(data)
		var missing *gossh.PassphraseMissingError
		if errors.As(err, &missing) {
			if passphrase == "" {
				k.notes = append(k.notes, fmt.Sprintf("key file %s is encrypted and no passphrase was given", file))
				continue
			}
			signer, err = gossh.ParsePrivateKeyWithPassphrase(data, []byte(passphrase))
			if errors.Is(err, x509.IncorrectPasswordError) {
				k.notes = append(k.notes, fmt.Sprintf("key file %s: wrong passphrase", file))
				continue
			}
		}
		if err != nil {
			k.notes = append(k.notes, fmt.Sprintf("key file %s: cannot parse: %v", file, err))
			continue
		}
		k.signers = append(k.signers, signer)
	}
	return k
}

// authSetup is the authentication of one connection attempt.
type authSetup struct {
	methods []gossh.AuthMethod
	notes   []string
	close   func() // releases the agent connection
}

// newAuth builds the methods in OpenSSH's order: public keys (agent keys,
// then key files), keyboard-interactive answered with the password, then
// password. Jump hosts have no password.
func newAuth(ep *endpoint, keys *keyFiles, useAgent bool, timeout time.Duration) *authSetup {
	a := &authSetup{notes: append([]string(nil), keys.notes...), close: func() {}}
	var agentSigners func() ([]gossh.Signer, error)
	if sock := os.Getenv("SSH_AUTH_SOCK"); useAgent && sock != "" {
		conn, err := net.DialTimeout("unix", sock, timeout)
		if err != nil {
			a.notes = append(a.notes, fmt.Sprintf("ssh-agent at $SSH_AUTH_SOCK: %v", err))
		} else {
			_ = conn.SetDeadline(time.Now().Add(timeout))
			a.close = func() { conn.Close() }
			agentSigners = agent.NewClient(conn).Signers
		}
	}
	a.methods = append(a.methods, gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
		var all []gossh.Signer
		seen := map[string]bool{}
		add := func(s gossh.Signer) {
			blob := string(s.PublicKey().Marshal())
			if !seen[blob] {
				seen[blob] = true
				all = append(all, s)
			}
		}
		if agentSigners != nil {
			if signers, err := agentSigners(); err == nil {
				for _, s := range signers {
					add(s)
				}
			}
		}
		for _, s := range keys.signers {
			add(s)
		}
		return all, nil
	}))
	if pw := ep.password; pw != "" {
		rounds := 0
		a.methods = append(a.methods,
			gossh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				if len(questions) == 0 {
					return nil, nil
				}
				// A server asking again after our answer rejected it.
				if rounds++; rounds > 1 {
					return nil, errors.New("keyboard-interactive: password rejected")
				}
				answers := make([]string, len(questions))
				for i := range questions {
					if i >= len(echos) || !echos[i] {
						answers[i] = pw
					}
				}
				return answers, nil
			}),
			gossh.Password(pw))
	}
	return a
}

// authError rewrites a failed authentication into a clear message.
func authError(ep *endpoint, err error, notes []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "authentication failed for %s", ep.label())
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "ssh: handshake failed: "), "ssh: ")
	fmt.Fprintf(&b, " (%s)", msg)
	if ep.password == "" && !strings.HasPrefix(ep.name, "jump host") {
		b.WriteString("; no password was configured")
	}
	if len(notes) > 0 {
		b.WriteString("; " + strings.Join(notes, "; "))
	}
	if strings.HasPrefix(ep.name, "jump host") {
		b.WriteString("; check the jump host's user and key (ansible_ssh_jump_host USER@HOST, or ~/.ssh/config)")
	} else {
		fmt.Fprintf(&b, "; check ansible_user, ansible_ssh_private_key_file or ansible_password of %s in the inventory (or -u, --private-key)", ep.name)
	}
	return &AuthError{msg: b.String(), err: err}
}

// AuthError is a failed SSH authentication: the host answered and refused
// every credential offered.
type AuthError struct {
	msg string
	err error
}

func (e *AuthError) Error() string { return e.msg }
func (e *AuthError) Unwrap() error { return e.err }

func isAuthFailure(err error) bool {
	return err != nil && strings.Contains(err.Error(), "unable to authenticate")
}
