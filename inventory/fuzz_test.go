package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzMaxCheckedHosts bounds the per-host checks of one fuzz input: a few
// bytes of host ranges legitimately make up to maxHosts hosts, and checking
// each of them would take seconds per input (the fuzzer then reports its
// deadline as a failure). Parsing them is still done in full; large
// inventories have their own tests.
const fuzzMaxCheckedHosts = 2000

// checkInventory exercises every read-only method of a loaded inventory.
func checkInventory(t *testing.T, inv *Inventory) {
	t.Helper()
	if len(inv.Hosts()) > fuzzMaxCheckedHosts {
		return
	}
	if _, err := inv.ListJSON(); err != nil {
		t.Fatalf("ListJSON: %v", err)
	}
	if _, err := inv.ListJSONWith(OutputOptions{Export: true, ShowSecrets: true}); err != nil {
		t.Fatalf("ListJSON export: %v", err)
	}
	_ = inv.GraphWith(OutputOptions{Vars: true})
	for _, h := range inv.Hosts() {
		if inv.HostVars(h.Name) == nil {
			t.Fatalf("HostVars(%q) = nil", h.Name)
		}
		if _, err := inv.HostJSON(h.Name); err != nil {
			t.Fatalf("HostJSON(%q): %v", h.Name, err)
		}
	}
	all, err := inv.Select("all")
	if err != nil || len(all) != len(inv.Hosts()) {
		t.Fatalf("Select(all) = %d hosts, %v; want %d", len(all), err, len(inv.Hosts()))
	}
	gh := inv.GroupHosts()
	for _, g := range inv.GroupNames() {
		if _, ok := gh[g]; !ok {
			t.Fatalf("GroupHosts misses %q", g)
		}
	}
}

func fuzzLoad(f *testing.F, name string, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// Each fuzz worker is a process running inputs one at a time, so one
	// file per worker can be rewritten for every input.
	p := filepath.Join(f.TempDir(), name)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		inv, err := Load([]string{p})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		checkInventory(t, inv)
	})
}

func readSeed(f *testing.F, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return string(data)
}

func FuzzLoadClusterfile(f *testing.F) {
	seeds := []string{
		"kind: Cluster\nmetadata: {name: a}\nspec:\n  hosts: [{ips: [1.2.3.4], roles: [master, db]}]\n",
		"kind: Cluster\nmetadata: {name: a}\nspec:\n  registry: {externalRegistry: {domain: d}}\n",
	}
	for _, p := range []string{"clusterfile-decoder.yaml", "clusterfile-k0s.yaml", "clusterfile-full.yaml", "clusterfile-external.yaml"} {
		seeds = append(seeds, readSeed(f, filepath.Join("testdata", p)))
	}
	for _, p := range []string{"v1.yaml", "v08-saved.yaml", "v09-saved.yaml", "v011.yaml", "two-clusters.yaml", "nonroot.yaml"} {
		seeds = append(seeds, readSeed(f, filepath.Join("testdata", "sealer", p)))
	}
	fuzzLoad(f, "Clusterfile", seeds)
}

func FuzzLoadINI(f *testing.F) {
	fuzzLoad(f, "hosts", []string{
		sampleINI, patternINI,
		"[g]\nweb[01:03] a=1\n[g:vars]\nx='y'\n[p:children]\ng\n",
		"[v6]\n[2001:db8::1]:22\nh a=\"b c\" # c\n",
	})
}

func FuzzLoadYAML(f *testing.F) {
	fuzzLoad(f, "inventory.yml", []string{
		sampleYAML,
		"all:\n  vars: &v {a: 1}\n  hosts:\n    h: {<<: *v, b: [1, 2]}\n",
		"web:\n  hosts: {w[1:3]: }\ndb:\n  children: {web: }\n",
	})
}

func FuzzSelect(f *testing.F) {
	for _, s := range []string{"all", "*", "web:&prod:!db", "~web\\d", "web[0:1],db[-1]", "10.0.0.*", "!web", "localhost", "2001:db8::1", "a,,b"} {
		f.Add(s)
	}
	dir := f.TempDir()
	p := filepath.Join(dir, "hosts")
	if err := os.WriteFile(p, []byte(patternINI+"[v6]\n2001:db8::1\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	inv, err := Load([]string{p})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		hosts, err := inv.Select(pattern)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, h := range hosts {
			if seen[h] {
				t.Fatalf("Select(%q) repeats %q", pattern, h)
			}
			seen[h] = true
			if _, ok := inv.Host(h); !ok {
				t.Fatalf("Select(%q) returned unknown host %q", pattern, h)
			}
		}
	})
}

// FuzzLoadHostList: -i "a,b," host lists (with ports, IPv6 and ranges)
// never panic, and what loads is a consistent inventory of ungrouped hosts.
func FuzzLoadHostList(f *testing.F) {
	for _, s := range []string{"a,b,", "h1,h2:2222,[::1]:22,", "10.0.0.1,", "web[01:03],", ",", "a,,b", "[::1,", "h:99999,", "x[1:0],", "h:abc,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if !strings.Contains(src, ",") {
			src += ","
		}
		if _, err := os.Stat(src); err == nil {
			return // names an existing file: not a host list
		}
		inv, err := Load([]string{src})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		for _, h := range inv.Hosts() {
			if strings.TrimSpace(h.Name) == "" || strings.Contains(h.Name, ",") {
				t.Fatalf("host list %q gave host %q", src, h.Name)
			}
		}
		checkInventory(t, inv)
	})
}
