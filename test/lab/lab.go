package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Lab is a handle on the lab described by a Config. Creating one changes
// nothing; Up starts the nodes.
type Lab struct {
	cfg   Config
	nodes []Node
	// startedAll is set when Up found every node down and started them.
	startedAll bool
}

// Open returns a handle on the lab for cfg.
func Open(cfg Config) (*Lab, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Lab{cfg: cfg, nodes: shape(cfg.Masters, cfg.Workers)}, nil
}

// OpenFromEnv is Open(ConfigFromEnv()).
func OpenFromEnv() (*Lab, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return Open(cfg)
}

// Config returns the lab's configuration.
func (l *Lab) Config() Config { return l.cfg }

// Dir is the lab directory (state, keys, Clusterfile).
func (l *Lab) Dir() string { return l.cfg.Dir }

// Nodes returns every node, masters first.
func (l *Lab) Nodes() []Node { return append([]Node(nil), l.nodes...) }

// Masters returns the master nodes, master0 first.
func (l *Lab) Masters() []Node { return l.filter(true) }

// Workers returns the nodes with role "node".
func (l *Lab) Workers() []Node { return l.filter(false) }

func (l *Lab) filter(master bool) []Node {
	var out []Node
	for _, n := range l.nodes {
		if n.IsMaster() == master {
			out = append(out, n)
		}
	}
	return out
}

// Node returns the node called name; it panics on an unknown name, which is
// a mistake in the calling test.
func (l *Lab) Node(name string) Node {
	if n, ok := l.lookup(name); ok {
		return n
	}
	panic(fmt.Sprintf("lab: no node %q (have %s)", name, strings.Join(l.names(), ", ")))
}

func (l *Lab) lookup(name string) (Node, bool) {
	for _, n := range l.nodes {
		if n.Name == name || n.IP == name {
			return n, true
		}
	}
	return Node{}, false
}

func (l *Lab) names() []string {
	var s []string
	for _, n := range l.nodes {
		s = append(s, n.Name)
	}
	return s
}

// Master0 is the first master, where the seeded registry runs.
func (l *Lab) Master0() Node { return l.nodes[0] }

// APIServerNode is the master that runs etcd and kube-apiserver: master1,
// or master0 in a one-master lab.
func (l *Lab) APIServerNode() Node {
	if l.cfg.Masters > 1 {
		return l.nodes[1]
	}
	return l.nodes[0]
}

// APIServerURL is the kube-apiserver's https URL.
func (l *Lab) APIServerURL() string { return "https://" + l.APIServerNode().Addr(APIServerPort) }

// KeyPath is the lab's private SSH key (ed25519, OpenSSH format, no
// passphrase); root on every node accepts it.
func (l *Lab) KeyPath() string { return filepath.Join(l.cfg.Dir, "id_ed25519") }

// Password is root's SSH password on every node.
func (l *Lab) Password() string { return RootPassword }

// PasswordPath is a file holding Password, for tools that read one.
func (l *Lab) PasswordPath() string { return filepath.Join(l.cfg.Dir, "password") }

// KnownHostsPath is a known_hosts file listing every node's host key, for
// `runbook --known-hosts` and ssh -o UserKnownHostsFile.
func (l *Lab) KnownHostsPath() string { return filepath.Join(l.cfg.Dir, "known_hosts") }

// ClusterfilePath is the sealer Clusterfile describing the lab (written by
// Seed), for `runbook -i`.
func (l *Lab) ClusterfilePath() string { return filepath.Join(l.cfg.Dir, "Clusterfile") }

// KubeconfigPath is an admin kubeconfig for use from this machine; the same
// file is /etc/kubernetes/admin.conf on every master.
func (l *Lab) KubeconfigPath() string { return filepath.Join(l.cfg.Dir, "admin.conf") }

// RegistryCAPath is the registry's self-signed certificate (SAN sea.hub),
// which is also its CA; it exists after Seed.
func (l *Lab) RegistryCAPath() string {
	return filepath.Join(l.cfg.Dir, "registry", RegistryDomain+".crt")
}

func (l *Lab) baseDir() string             { return filepath.Join(l.cfg.Dir, "base") }
func (l *Lab) nodeDir(n Node) string       { return filepath.Join(l.cfg.Dir, "nodes", n.Name) }
func (l *Lab) upperDir(n Node) string      { return filepath.Join(l.nodeDir(n), "upper") }
func (l *Lab) containerdDir(n Node) string { return filepath.Join(l.nodeDir(n), "containerd") }
func (l *Lab) dockerDir(n Node) string     { return filepath.Join(l.nodeDir(n), "docker") }
func (l *Lab) consoleLog(n Node) string    { return filepath.Join(l.nodeDir(n), "console.log") }
func (l *Lab) pkiDir() string              { return filepath.Join(l.cfg.Dir, "pki") }

// exists reports whether path exists.
func exists(path string) bool { _, err := os.Lstat(path); return err == nil }
