package lab

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// These tests need neither root nor the lab.

func TestMain(m *testing.M) { Main(m) }

func TestShapeAddresses(t *testing.T) {
	l, err := Open(Config{Dir: "/tmp/x", CacheDir: "/tmp/y", Masters: 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range l.Nodes() {
		got = append(got, n.Name+"="+n.IP+"/"+n.Role)
	}
	want := "master0=127.0.10.2/master master1=127.0.10.3/master master2=127.0.10.4/master node1=127.0.10.5/node"
	if strings.Join(got, " ") != want {
		t.Fatalf("shape: got %q, want %q", strings.Join(got, " "), want)
	}
	if l.APIServerNode().Name != "master1" || l.APIServerURL() != "https://127.0.10.3:6443" {
		t.Fatalf("API server on %s at %s", l.APIServerNode().Name, l.APIServerURL())
	}
	one, _ := Open(Config{Dir: "/tmp/x", CacheDir: "/tmp/y", Masters: 1})
	if one.APIServerNode().Name != "master0" {
		t.Fatalf("one-master lab: API server on %s", one.APIServerNode().Name)
	}
	if _, err := Open(Config{Dir: "/tmp/x", CacheDir: "/tmp/y"}); err == nil {
		t.Fatal("a lab without masters was accepted")
	}
}

func TestOnlyLabAddresses(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.10.2:22": true, "127.0.10.254:6443": true,
		"127.0.0.1:22": false, "0.0.0.0:22": false, "10.0.0.1:22": false, "[::1]:22": false, "sea.hub:5000": false,
	} {
		if err := checkLabAddr(addr); (err == nil) != ok {
			t.Errorf("checkLabAddr(%s) = %v, want allowed=%v", addr, err, ok)
		}
	}
}

func TestClusterfileShape(t *testing.T) {
	l, _ := Open(Config{Dir: "/var/lib/runbook-lab", CacheDir: "/tmp/y", Masters: 3, Workers: 1})
	var cf struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Name string }
		Spec       struct {
			SSH struct {
				User, Passwd, Pk, Port string
			}
			Hosts []struct {
				IPs   []string `json:"ips"`
				Roles []string `json:"roles"`
			}
			Registry struct {
				LocalRegistry struct {
					Domain   string
					Port     int
					Username string
					Password string
					HA       *bool `json:"ha"`
					Insecure *bool `json:"insecure"`
				} `json:"localRegistry"`
			}
		}
	}
	if err := yaml.Unmarshal([]byte(l.Clusterfile("pw")), &cf); err != nil {
		t.Fatal(err)
	}
	lr := cf.Spec.Registry.LocalRegistry
	switch {
	case cf.APIVersion != "sealer.io/v2" || cf.Kind != "Cluster" || cf.Metadata.Name != "my-cluster":
		t.Fatalf("header: %+v", cf)
	case len(cf.Spec.Hosts) != 2 || strings.Join(cf.Spec.Hosts[0].IPs, ",") != "127.0.10.2,127.0.10.3,127.0.10.4" ||
		cf.Spec.Hosts[0].Roles[0] != "master" || cf.Spec.Hosts[1].IPs[0] != "127.0.10.5" || cf.Spec.Hosts[1].Roles[0] != "node":
		t.Fatalf("hosts: %+v", cf.Spec.Hosts)
	case cf.Spec.SSH.User != "root" || cf.Spec.SSH.Passwd != RootPassword || cf.Spec.SSH.Pk != "/var/lib/runbook-lab/id_ed25519" || cf.Spec.SSH.Port != "22":
		t.Fatalf("ssh: %+v", cf.Spec.SSH)
	case lr.Domain != "sea.hub" || lr.Port != 5000 || lr.Username != RegistryUser || lr.Password != "pw" ||
		lr.HA == nil || !*lr.HA || lr.Insecure == nil || *lr.Insecure:
		t.Fatalf("registry: %+v", lr)
	}
}

func TestSeedImagesAreReproducible(t *testing.T) {
	for _, s := range SeedImages {
		a, err := s.Image()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := s.Image()
		da, _ := a.Digest()
		db, _ := b.Digest()
		if da != db {
			t.Fatalf("%s: digests differ between builds: %s %s", s.Ref(), da, db)
		}
		cfg, _ := a.ConfigFile()
		if cfg.OS != "linux" || cfg.Architecture != "amd64" {
			t.Fatalf("%s: platform %s/%s", s.Ref(), cfg.OS, cfg.Architecture)
		}
	}
}

func TestSkipReasonIsOneLine(t *testing.T) {
	if p := HostProblem(); strings.Contains(p, "\n") {
		t.Fatalf("HostProblem has several lines: %q", p)
	}
	if os.Geteuid() != 0 && HostProblem() == "" {
		t.Fatal("HostProblem accepts a non-root user")
	}
}
