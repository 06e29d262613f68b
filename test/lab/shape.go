package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Shape is the registry layout a sealer installation leaves, chosen by the
// Clusterfile's spec.registry.localRegistry.ha (sealer v0.9+).
type Shape string

const (
	// ShapeHA is sealer's default (ha: true): the registry container, its
	// data, certificate, key and htpasswd on every master; each master's
	// sea.hub alias points at itself, each worker's at the VIP balanced
	// over the masters (IPVS + lvscare on real clusters, haproxy here).
	ShapeHA Shape = "ha"
	// ShapeSingle is ha: false: everything on master0, every alias to it.
	ShapeSingle Shape = "single"
)

// Runtime is the container runtime the nodes pull images with.
type Runtime string

const (
	// RuntimeDocker is sealer's default (cluster images up to 1.23): CA at
	// /etc/docker/certs.d/<domain>:<port>/, credentials in
	// ~/.docker/config.json and /var/lib/kubelet/config.json.
	RuntimeDocker Runtime = "docker"
	// RuntimeContainerd is sealer's cluster images from 1.24: containerd
	// pulls, with config_path = "/etc/docker/certs.d/" (basefs); the
	// registry container itself still runs under docker.
	RuntimeContainerd Runtime = "containerd"
)

// VIP is the lab's stand-in for sealer's registry VIP (10.103.97.2 on real
// clusters): workers reach sea.hub through it in the ha shape.
const VIP = "127.0.10.100"

// SeedOptions choose what Seed lays down.
type SeedOptions struct {
	Shape   Shape   `json:"shape"`
	Runtime Runtime `json:"runtime"`
}

// DefaultSeedOptions are sealer's defaults: ha, docker.
func DefaultSeedOptions() SeedOptions { return SeedOptions{Shape: ShapeHA, Runtime: RuntimeDocker} }

// SeedOptionsFromEnv reads LAB_SHAPE (ha|single) and LAB_RUNTIME
// (docker|containerd); unset means sealer's default.
func SeedOptionsFromEnv() (SeedOptions, error) {
	o := DefaultSeedOptions()
	if v := os.Getenv("LAB_SHAPE"); v != "" {
		o.Shape = Shape(v)
	}
	if v := os.Getenv("LAB_RUNTIME"); v != "" {
		o.Runtime = Runtime(v)
	}
	return o, o.validate()
}

func (o SeedOptions) validate() error {
	if o.Shape != ShapeHA && o.Shape != ShapeSingle {
		return fmt.Errorf("lab: LAB_SHAPE=%q: want ha or single", o.Shape)
	}
	if o.Runtime != RuntimeDocker && o.Runtime != RuntimeContainerd {
		return fmt.Errorf("lab: LAB_RUNTIME=%q: want docker or containerd", o.Runtime)
	}
	return nil
}

// DeployHosts are the nodes running a registry in the shape: every master
// (ha) or master0 alone (single).
func (l *Lab) DeployHosts(o SeedOptions) []Node {
	if o.Shape == ShapeHA {
		return l.Masters()
	}
	return []Node{l.Master0()}
}

// AliasTarget is the address sea.hub resolves to on n in the shape.
func (l *Lab) AliasTarget(o SeedOptions, n Node) string {
	switch {
	case o.Shape == ShapeSingle:
		return l.Master0().IP
	case n.IsMaster():
		return n.IP
	default:
		return VIP
	}
}

// CertsDirs are the directories holding the registry's CA on every node for
// the runtime: docker's, and for containerd also sealer's containerd
// CertsDir (containerd reads the first through basefs's config_path).
func (o SeedOptions) CertsDirs() []string {
	if o.Runtime == RuntimeContainerd {
		return []string{"/etc/docker/certs.d", "/etc/containerd/certs.d"}
	}
	return []string{"/etc/docker/certs.d"}
}

// Seeded returns the options of the last successful Seed, or false when the
// lab was never seeded.
func (l *Lab) Seeded() (SeedOptions, bool) {
	b, err := os.ReadFile(l.seededPath())
	if err != nil {
		return SeedOptions{}, false
	}
	var o SeedOptions
	if json.Unmarshal(b, &o) != nil || o.validate() != nil {
		return SeedOptions{}, false
	}
	return o, true
}

func (l *Lab) seededPath() string { return filepath.Join(l.cfg.Dir, "seeded.json") }
