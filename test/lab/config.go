// Package lab runs a small multi-node cluster on one Linux machine for
// runbook's end-to-end tests and demo: systemd-nspawn nodes that share one
// read-only Debian root filesystem (each writing to its own overlay upper
// directory), each with real systemd, sshd and containerd on its own loopback
// address in 127.0.10.0/24; etcd and a real kube-apiserver on master1; and,
// after Seed, the state a sealer installation leaves (registry on master0,
// sea.hub alias, CA trust, Clusterfile in the cluster).
//
// Tests call Require; the Makefile targets lab-up, lab-down, lab-status and
// lab-seed drive the same code through cmd/labctl. See README.md.
package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Fixed facts of the lab. Everything the lab listens on is an address in
// Subnet; nothing binds 0.0.0.0, 127.0.0.1 or any other address.
const (
	// DefaultDir holds the lab's state unless RUNBOOK_LAB_DIR says otherwise.
	DefaultDir = "/var/lib/runbook-lab"
	// DefaultCacheDir holds the heavy artefacts (base rootfs tarball,
	// kube-apiserver binary) unless RUNBOOK_LAB_CACHE_DIR says otherwise.
	DefaultCacheDir = "/var/cache/runbook-lab"
	// Subnet is the prefix of every lab address: node i has Subnet+(2+i).
	Subnet = "127.0.10."
	// Suite is the Debian release the nodes run.
	Suite = "bookworm"
	// KubeVersion is the kube-apiserver version; it must match
	// kube-apiserver/go.mod.
	KubeVersion = "v1.31.4"
	// RootPassword is root's password on every node (loopback only).
	RootPassword = "runbook-lab"
	// APIServerPort is the kube-apiserver's https port on its master.
	APIServerPort = 6443
	// SSHPort is where each node's sshd listens on its own address.
	SSHPort = 22
)

// BasePackages are installed into the base rootfs (debootstrap --include).
// Changing the list changes the cache key and rebuilds the base.
var BasePackages = []string{
	"systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "containerd",
	"sudo", "ca-certificates", "curl", "docker-registry", "etcd-server",
	"openssl", "procps", "less", "netbase",
	// sealer runs its registry as a docker container (init-registry.sh);
	// haproxy stands in for the IPVS VIP + lvscare in front of the masters.
	"docker.io", "haproxy",
	// For the side-by-side benchmarks (test/bench): ansible-playbook needs
	// Python on its targets, and rsync is the registry copy's baseline.
	"python3", "rsync",
}

// Config says where the lab lives and how big it is.
type Config struct {
	// Dir holds the lab state: base rootfs, node uppers, keys, Clusterfile.
	Dir string
	// CacheDir holds artefacts reused across labs, keyed by their inputs.
	CacheDir string
	// Masters and Workers are the node counts (master0.., node1..).
	Masters, Workers int
	// SourceDir is this package's directory in the checkout (scripts and the
	// kube-apiserver module are read from there).
	SourceDir string
}

// ConfigFromEnv returns the default configuration, adjusted by
// RUNBOOK_LAB_DIR, RUNBOOK_LAB_CACHE_DIR, RUNBOOK_LAB_MASTERS,
// RUNBOOK_LAB_WORKERS and RUNBOOK_LAB_SRC (the test/lab directory; found
// from the working directory when unset).
func ConfigFromEnv() (Config, error) {
	c := Config{Dir: DefaultDir, CacheDir: DefaultCacheDir, Masters: 3, Workers: 1}
	if v := os.Getenv("RUNBOOK_LAB_DIR"); v != "" {
		c.Dir = v
	}
	if v := os.Getenv("RUNBOOK_LAB_CACHE_DIR"); v != "" {
		c.CacheDir = v
	}
	for _, e := range []struct {
		name string
		dst  *int
	}{{"RUNBOOK_LAB_MASTERS", &c.Masters}, {"RUNBOOK_LAB_WORKERS", &c.Workers}} {
		if v := os.Getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("%s=%q: not a number", e.name, v)
			}
			*e.dst = n
		}
	}
	src := os.Getenv("RUNBOOK_LAB_SRC")
	if src == "" {
		var err error
		if src, err = findSourceDir(); err != nil {
			return c, err
		}
	}
	c.SourceDir = src
	return c, c.validate()
}

func (c Config) validate() error {
	if c.Masters < 1 || c.Workers < 0 || c.Masters+c.Workers > 200 {
		return fmt.Errorf("lab shape %d masters + %d workers: need 1..200 nodes with at least one master", c.Masters, c.Workers)
	}
	if !filepath.IsAbs(c.Dir) || !filepath.IsAbs(c.CacheDir) {
		return errors.New("lab: RUNBOOK_LAB_DIR and RUNBOOK_LAB_CACHE_DIR must be absolute")
	}
	return nil
}

// findSourceDir walks up from the working directory to the checkout's
// test/lab directory.
func findSourceDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		for _, cand := range []string{d, filepath.Join(d, "test", "lab")} {
			if _, err := os.Stat(filepath.Join(cand, "scripts", "build-rootfs.sh")); err == nil {
				return cand, nil
			}
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("lab: cannot find test/lab above %s (set RUNBOOK_LAB_SRC)", dir)
		}
	}
}
