package modules_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	hostsBase   = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	hostsSealer = " #hostalias-set-by-sealer"
)

type hostsCase struct {
	name    string
	before  *string
	args    map[string]any
	after   string
	changed bool
	data    map[string][]any // expected added/updated/removed
}

func hostsCases() []hostsCase {
	return []hostsCase{
		{"add a name", textPtr(hostsBase), map[string]any{"ip": "10.0.0.2", "names": "sea.hub"},
			hostsBase + "10.0.0.2 sea.hub" + hostsSealer + "\n", true, map[string][]any{"added": {"sea.hub"}}},
		{"add several names on one line", textPtr(hostsBase), map[string]any{"ip": "10.0.0.2", "names": []any{"a", "b", "a"}},
			hostsBase + "10.0.0.2 a b" + hostsSealer + "\n", true, map[string][]any{"added": {"a", "b"}}},
		{"already mapped by hostsSealer", textPtr(hostsBase + "10.0.0.2 sea.hub" + hostsSealer + "\n"), map[string]any{"ip": "10.0.0.2", "names": "sea.hub"},
			hostsBase + "10.0.0.2 sea.hub" + hostsSealer + "\n", false, nil},
		{"already mapped on an unmanaged line", textPtr("10.0.0.2   sea.hub  # mine\n"), map[string]any{"ip": "10.0.0.2", "names": "SEA.hub"},
			"10.0.0.2   sea.hub  # mine\n", false, nil},
		{"replace the IP: one changed line", textPtr(hostsBase + "10.0.0.1 sea.hub" + hostsSealer + "\n# end\n"), map[string]any{"ip": "10.0.0.2", "names": []any{"sea.hub"}},
			hostsBase + "10.0.0.2 sea.hub" + hostsSealer + "\n# end\n", true, map[string][]any{"updated": {"sea.hub 10.0.0.1 -> 10.0.0.2"}}},
		{"replace the IP of hostsSealer's per-name lines", textPtr("10.0.0.1 a" + hostsSealer + "\n10.0.0.1 b" + hostsSealer + "\n"), map[string]any{"ip": "10.0.0.2", "names": []any{"a", "b"}},
			"10.0.0.2 a" + hostsSealer + "\n10.0.0.2 b" + hostsSealer + "\n", true, map[string][]any{"updated": {"a 10.0.0.1 -> 10.0.0.2", "b 10.0.0.1 -> 10.0.0.2"}}},
		{"add a name to the managed line", textPtr("10.0.0.2 a" + hostsSealer + "\n"), map[string]any{"ip": "10.0.0.2", "names": []any{"a", "b"}},
			"10.0.0.2 a b" + hostsSealer + "\n", true, map[string][]any{"added": {"b"}}},
		{"take over an unmanaged line of its own", textPtr("10.9.9.9\tregistry # old\n"), map[string]any{"ip": "10.0.0.2", "names": "registry"},
			"10.0.0.2\tregistry # old" + hostsSealer + "\n", true, map[string][]any{"updated": {"registry 10.9.9.9 -> 10.0.0.2"}}},
		{"take a name off a shared unmanaged line", textPtr("10.9.9.9 web registry db\n"), map[string]any{"ip": "10.0.0.2", "names": "registry"},
			"10.9.9.9 web db\n10.0.0.2 registry" + hostsSealer + "\n", true, map[string][]any{"updated": {"registry 10.9.9.9 -> 10.0.0.2"}}},
		{"stale duplicate removed", textPtr("10.0.0.2 a\n10.0.0.1 a" + hostsSealer + "\n"), map[string]any{"ip": "10.0.0.2", "names": "a"},
			"10.0.0.2 a\n", true, map[string][]any{"updated": {"a 10.0.0.1 -> 10.0.0.2"}}},
		{"other family left alone", textPtr("::1 a\n"), map[string]any{"ip": "10.0.0.2", "names": "a"},
			"::1 a\n10.0.0.2 a" + hostsSealer + "\n", true, map[string][]any{"added": {"a"}}},
		{"IPv6", textPtr("fd00::1 a" + hostsSealer + "\n"), map[string]any{"ip": "fd00:0::2", "names": "a"},
			"fd00::2 a" + hostsSealer + "\n", true, map[string][]any{"updated": {"a fd00::1 -> fd00::2"}}},
		{"no final newline", textPtr("127.0.0.1 localhost"), map[string]any{"ip": "10.0.0.2", "names": "a"},
			"127.0.0.1 localhost\n10.0.0.2 a" + hostsSealer + "\n", true, map[string][]any{"added": {"a"}}},
		{"custom marker", textPtr(hostsBase), map[string]any{"ip": "10.0.0.2", "names": "a", "marker": "# runbook"},
			hostsBase + "10.0.0.2 a # runbook\n", true, map[string][]any{"added": {"a"}}},
		{"created", nil, map[string]any{"ip": "10.0.0.2", "names": "a"}, "10.0.0.2 a" + hostsSealer + "\n", true, map[string][]any{"added": {"a"}}},
		{"absent by name", textPtr("10.0.0.2 a b" + hostsSealer + "\n10.9.9.9 a\n127.0.0.1 localhost\n"), map[string]any{"state": "absent", "names": "a"},
			"10.0.0.2 b" + hostsSealer + "\n127.0.0.1 localhost\n", true, map[string][]any{"removed": {"a 10.0.0.2", "a 10.9.9.9"}}},
		{"absent by name and ip", textPtr("10.0.0.2 a\n10.9.9.9 a\n"), map[string]any{"state": "absent", "names": "a", "ip": "10.9.9.9"},
			"10.0.0.2 a\n", true, map[string][]any{"removed": {"a 10.9.9.9"}}},
		{"absent: all hostsSealer lines", textPtr(hostsBase + "10.0.0.2 sea.hub" + hostsSealer + "\n10.0.0.3 apiserver.cluster.local" + hostsSealer + "\n"), map[string]any{"state": "absent"},
			hostsBase, true, map[string][]any{"removed": {"sea.hub 10.0.0.2", "apiserver.cluster.local 10.0.0.3"}}},
		{"absent: nothing to do", textPtr(hostsBase), map[string]any{"state": "absent", "names": "a"}, hostsBase, false, nil},
	}
}

func TestHostsCases(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		for _, tc := range hostsCases() {
			t.Run(tc.name, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "hosts")
				r := textRunCase(t, c, "hosts", p, tc.before, tc.args)
				if got := textFileState(t, p); got != tc.after {
					t.Errorf("file:\n%s\nwant:\n%s", got, tc.after)
				}
				if r.Changed != tc.changed || r.Failed {
					t.Errorf("changed=%v failed=%v msg=%q, want changed=%v", r.Changed, r.Failed, r.Msg, tc.changed)
				}
				for _, k := range []string{"added", "updated", "removed"} {
					want := tc.data[k]
					if want == nil {
						want = []any{}
					}
					got, _ := r.Data[k].([]any)
					if got == nil {
						got = []any{}
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s = %v, want %v", k, got, want)
					}
				}
			})
		}
	})
}

func TestHostsDiffAndValidation(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := filepath.Join(t.TempDir(), "hosts")
		writeText(t, p, "10.0.0.1 sea.hub"+hostsSealer+"\n")
		mc := connContext(t, c, nil)
		mc.Diff, mc.Host = true, "node1"
		r := helperMustRun(t, mc, "hosts", map[string]any{"path": p, "ip": "10.0.0.2", "names": "sea.hub"})
		if len(r.Diff) != 1 || r.Diff[0].BeforeHeader != "node1:"+p+" (content)" ||
			r.Diff[0].Before != "10.0.0.1 sea.hub"+hostsSealer+"\n" || r.Diff[0].After != "10.0.0.2 sea.hub"+hostsSealer+"\n" {
			t.Fatalf("diff: %+v", r.Diff)
		}
		if !strings.Contains(r.Msg, "updated 1") {
			t.Fatalf("msg = %q", r.Msg)
		}
		for _, raw := range []map[string]any{
			{"path": p, "names": "a"},
			{"path": p, "ip": "10.0.0.2"},
			{"path": p, "ip": "10.0.0.300", "names": "a"},
			{"path": p, "ip": "10.0.0.2", "names": "a b"},
			{"path": p, "ip": "10.0.0.2", "names": "a", "marker": "no hash"},
		} {
			if _, err := helperRun(t, mc, "hosts", raw); err == nil {
				t.Errorf("%v accepted", raw)
			}
		}
	})
}

// The default marker is sealer's, so runbook and sealer manage the same
// lines: what sealer's own removal (sed '/#hostalias-set-by-sealer/d') would
// delete is exactly what this module wrote.
func TestHostsSealerCompatible(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	writeText(t, p, hostsBase)
	mc := helperContext(t, nil)
	helperMustRun(t, mc, "hosts", map[string]any{"path": p, "ip": "192.168.0.2", "names": []any{"sea.hub"}})
	helperMustRun(t, mc, "hosts", map[string]any{"path": p, "ip": "192.168.0.3", "names": []any{"apiserver.cluster.local"}})
	var kept []string
	for _, l := range strings.SplitAfter(textFileState(t, p), "\n") {
		if !strings.Contains(l, "#hostalias-set-by-sealer") {
			kept = append(kept, l)
		}
	}
	if strings.Join(kept, "") != hostsBase {
		t.Fatalf("left after sealer's removal: %q", strings.Join(kept, ""))
	}
}
