package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// connFlags are the connection flags of `runbook play`.
type connFlags struct {
	timeout       time.Duration
	user          string
	privateKey    string
	knownHosts    string
	acceptNew     bool
	insecureSkip  bool
	askBecomePass bool
	askPass       bool
	connection    string

	// What sshDefaults built, kept so -K asks once.
	built    bool
	defaults ssh.Config
	err      error
}

func (f *connFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.DurationVarP(&f.timeout, "timeout", "T", 10*time.Second, "SSH connect timeout; also how fast a dead host is detected")
	fl.StringVarP(&f.user, "user", "u", "", "SSH user when the inventory sets none (default root)")
	fl.StringVar(&f.privateKey, "private-key", "", "SSH private key file when the inventory sets none")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	fl.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "record the keys of hosts not yet in known_hosts (a changed key is still refused)")
	fl.BoolVar(&f.insecureSkip, "insecure-skip-host-key-check", false, "DANGEROUS: do not verify host keys at all")
	fl.BoolVarP(&f.askBecomePass, "ask-become-pass", "K", false, "ask for the sudo password once, before the run")
	fl.BoolVarP(&f.askPass, "ask-pass", "k", false, "ask for the SSH password once, before the run")
	fl.StringVarP(&f.connection, "connection", "c", "", "connection for hosts that set no ansible_connection: ssh or local (default ssh, local for localhost)")
}

// defaultConnection checks -c: ssh (smart and paramiko are SSH too, as
// runbook has one SSH client) or local.
func (f *connFlags) defaultConnection() (string, error) {
	switch f.connection {
	case "", "ssh", "local":
		return f.connection, nil
	case "smart", "paramiko", "paramiko_ssh":
		return "ssh", nil
	}
	return "", fmt.Errorf("--connection must be ssh or local, got %q", f.connection)
}

// sshDefaults builds, once, the SSH settings the flags give: for every
// host of the run and for masters named by a cluster:// inventory source.
// -K asks for the become password here, so only once.
func (f *connFlags) sshDefaults() (ssh.Config, error) {
	if f.built {
		return f.defaults, f.err
	}
	f.built = true
	f.defaults, f.err = f.buildDefaults()
	return f.defaults, f.err
}

func (f *connFlags) buildDefaults() (ssh.Config, error) {
	if f.timeout <= 0 {
		return ssh.Config{}, fmt.Errorf("--timeout must be positive, got %s", f.timeout)
	}
	def := ssh.Config{
		Timeout:                  f.timeout,
		User:                     f.user,
		KnownHostsFile:           f.knownHosts,
		AcceptNewHostKeys:        f.acceptNew,
		InsecureSkipHostKeyCheck: f.insecureSkip,
		UseAgent:                 os.Getenv("SSH_AUTH_SOCK") != "",
	}
	if f.privateKey != "" {
		def.KeyFiles = []string{f.privateKey}
	}
	if f.insecureSkip {
		fmt.Fprintln(os.Stderr, "[WARNING]: --insecure-skip-host-key-check: host keys are NOT verified; anyone on the path can impersonate your hosts")
	}
	if f.askPass {
		pw, err := readPassword("SSH password: ")
		if err != nil {
			return ssh.Config{}, err
		}
		def.Password = pw
	}
	if f.askBecomePass {
		pw, err := readPassword("BECOME password: ")
		if err != nil {
			return ssh.Config{}, err
		}
		def.BecomePassword = pw
	}
	return def, nil
}

// connector builds the connection factory from the flags.
func (f *connFlags) connector() (runner.Connector, error) {
	def, err := f.sshDefaults()
	if err != nil {
		return nil, err
	}
	conn, err := f.defaultConnection()
	if err != nil {
		return nil, err
	}
	return runner.DefaultConnector{SSH: runner.SSHConnector{Defaults: def}, Default: conn}, nil
}

// readPassword reads a line without echo from the terminal (or a line from
// stdin when it is not a terminal).
func readPassword(prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", fmt.Errorf("reading the become password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the become password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
