// Package fleet serves many small SSH hosts from one process, for the
// fleet-scale benchmark. Each host is an in-process golang.org/x/crypto/ssh
// server on its own loopback address and port, with its own ed25519 host
// key and its own sandbox directory: exec requests run `/bin/sh -c` with the
// sandbox as the working directory and HOME, and the sftp subsystem is a
// github.com/pkg/sftp server whose working directory is the sandbox.
//
// The sandbox is a convention, not a jail: commands run as the fleet
// process's user and absolute paths reach the whole file system. The
// benchmark playbooks only write below each host's sandbox.
//
// Every host authorizes the same client key (user root).
package fleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Options configures a fleet.
type Options struct {
	N   int    // number of hosts
	Dir string // holds the client key, known_hosts and the sandboxes
	// Net is the first three octets of the listening addresses; default
	// "127.0.12" (127.0.10.x is the lab's, 127.0.11.x test/sshd's).
	Net string
	// FirstAddr is the last octet of the first address (default 1).
	FirstAddr int
	// PerAddr is how many hosts share one address, on different ports
	// (default 25: 1000 hosts use 127.0.12.1 to 127.0.12.40).
	PerAddr int
	// Logf reports unexpected server errors; nil discards them.
	Logf func(format string, args ...any)
}

// Host is one served host.
type Host struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	Port    int    `json:"port"`
	Sandbox string `json:"sandbox"`
	// KnownHosts is the host's known_hosts line (with its newline).
	KnownHosts string `json:"known_hosts"`
}

// Fleet is a running set of hosts.
type Fleet struct {
	Hosts      []Host
	KeyPath    string // the client's private key (OpenSSH format)
	KnownHosts string // one line per host

	servers []*server
	wg      sync.WaitGroup
	once    sync.Once
}

// Start creates the keys and sandboxes and starts listening on every host.
func Start(opt Options) (*Fleet, error) {
	if opt.N < 1 || opt.Dir == "" {
		return nil, errors.New("fleet: N must be positive and Dir set")
	}
	if opt.Net == "" {
		opt.Net = "127.0.12"
	}
	if opt.FirstAddr == 0 {
		opt.FirstAddr = 1
	}
	if opt.PerAddr == 0 {
		opt.PerAddr = 25
	}
	if last := opt.FirstAddr + (opt.N-1)/opt.PerAddr; last > 254 {
		return nil, fmt.Errorf("fleet: %d hosts at %d per address need %s.%d, past .254", opt.N, opt.PerAddr, opt.Net, last)
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	f := &Fleet{KeyPath: filepath.Join(opt.Dir, "id_fleet"), KnownHosts: filepath.Join(opt.Dir, "known_hosts")}
	clientKey, err := writeClientKey(f.KeyPath)
	if err != nil {
		return nil, err
	}
	var known []byte
	for i := 0; i < opt.N; i++ {
		h := Host{Name: fmt.Sprintf("f%04d", i+1), IP: fmt.Sprintf("%s.%d", opt.Net, opt.FirstAddr+i/opt.PerAddr)}
		h.Sandbox = filepath.Join(opt.Dir, "hosts", h.Name)
		if err := os.MkdirAll(h.Sandbox, 0o755); err != nil {
			f.Close()
			return nil, err
		}
		s, err := newServer(h, clientKey, opt.Logf)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fleet: host %s: %w", h.Name, err)
		}
		h.Port = s.ln.Addr().(*net.TCPAddr).Port
		h.KnownHosts = knownHostsLine(h, s.hostKey)
		s.host = h
		f.Hosts = append(f.Hosts, h)
		f.servers = append(f.servers, s)
		known = append(known, h.KnownHosts...)
		f.wg.Add(1)
		go func() { defer f.wg.Done(); s.serve() }()
	}
	if err := os.WriteFile(f.KnownHosts, known, 0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Close stops every host: listeners, connections and running commands.
// It waits at most 10 s for the servers to finish.
func (f *Fleet) Close() {
	f.once.Do(func() {
		for _, s := range f.servers {
			s.close()
		}
		done := make(chan struct{})
		go func() { f.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
}

func writeClientKey(path string) (gossh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return gossh.NewPublicKey(pub)
}

func knownHostsLine(h Host, key gossh.PublicKey) string {
	return fmt.Sprintf("[%s]:%d %s", h.IP, h.Port, gossh.MarshalAuthorizedKey(key))
}
