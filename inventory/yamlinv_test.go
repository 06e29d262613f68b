package inventory

import (
	"strconv"
	"strings"
	"testing"
)

const sampleYAML = `all:
  vars:
    level: all
    from_all: yes
  hosts:
    bastion:
      ansible_host: 203.0.113.1
  children:
    prod:
      vars: {level: prod, from_prod: 1}
      children:
        web:
          vars: {level: web}
          hosts:
            web[1:2].example.com:
            web3.example.com:2222:
              level: host
        db:
          hosts:
            db1: {ansible_user: postgres}
`

func TestYAMLNestedChildren(t *testing.T) {
	inv := mustLoadText(t, "hosts.yml", sampleYAML)
	eq(t, "hosts", hostNames(inv), []string{"bastion", "web1.example.com", "web2.example.com", "web3.example.com", "db1"})
	gh := inv.GroupHosts()
	eq(t, "prod", gh["prod"], []string{"web1.example.com", "web2.example.com", "web3.example.com", "db1"})
	eq(t, "ungrouped", gh["ungrouped"], []string{"bastion"})
	eq(t, "all", gh["all"], hostNames(inv))
	eq(t, "groups", inv.GroupNames(), []string{"all", "db", "prod", "ungrouped", "web"})
	h, _ := inv.Host("web3.example.com")
	eq(t, "web3 groups", h.Groups, []string{"web"})
	eq(t, "web3 port", h.Vars["ansible_port"], 2222)
	b, _ := inv.Host("bastion")
	eq(t, "bastion groups", b.Groups, []string{"ungrouped"})
}

func TestYAMLVarPrecedence(t *testing.T) {
	inv := mustLoadText(t, "hosts.yml", sampleYAML)
	tests := []struct {
		host, key string
		want      any
	}{
		{"bastion", "level", "all"},
		{"db1", "level", "prod"},              // parent beats all
		{"web1.example.com", "level", "web"},  // child beats parent
		{"web3.example.com", "level", "host"}, // host beats child
		{"web1.example.com", "from_prod", 1},
		{"web1.example.com", "from_all", "yes"}, // YAML 1.2: yes is a string
		{"db1", "ansible_user", "postgres"},
	}
	for _, tc := range tests {
		eq(t, tc.host+" "+tc.key, inv.HostVars(tc.host)[tc.key], tc.want)
	}
}

func TestYAMLSameDepthOrderAndPriority(t *testing.T) {
	base := `all:
  children:
    alpha:
      hosts: {h: }
      vars: {x: alpha%s}
    beta:
      hosts: {h: }
      vars: {x: beta%s}
`
	// Same depth: ASCII order, last (beta) wins.
	inv := mustLoadText(t, "h.yml", strings.Replace(strings.Replace(base, "%s", "", 1), "%s", "", 1))
	eq(t, "ascii order", inv.HostVars("h")["x"], "beta")
	// A higher ansible_group_priority merges later and wins.
	inv = mustLoadText(t, "h.yml", strings.Replace(strings.Replace(base, "%s", ", ansible_group_priority: 10", 1), "%s", "", 1))
	eq(t, "priority", inv.HostVars("h")["x"], "alpha")
	// Depth beats priority: a child group wins over a high-priority parent.
	inv = mustLoadText(t, "h.yml", `all:
  children:
    parent:
      vars: {x: parent, ansible_group_priority: 100}
      children:
        child:
          hosts: {h: }
          vars: {x: child}
`)
	eq(t, "depth", inv.HostVars("h")["x"], "child")
}

func TestYAMLTopLevelGroups(t *testing.T) {
	inv := mustLoadText(t, "inv.yaml", `web:
  hosts:
    w1:
db:
  hosts:
    d1:
  vars:
    port: 5432
empty:
`)
	eq(t, "all children", func() []string { g, _ := inv.Group("all"); return g.Children }(),
		[]string{"db", "empty", "ungrouped", "web"})
	eq(t, "port", inv.HostVars("d1")["port"], 5432)
	eq(t, "hosts", hostNames(inv), []string{"w1", "d1"})
}

func TestYAMLAnchorsAndMerge(t *testing.T) {
	inv := mustLoadText(t, "inv.yml", `all:
  vars:
    common: &common {user: admin, port: 22}
  hosts:
    a:
      <<: *common
      port: 2222
    b: *common
`)
	eq(t, "a", inv.HostVars("a")["port"], 2222)
	eq(t, "a user", inv.HostVars("a")["user"], "admin")
	eq(t, "b", inv.HostVars("b")["port"], 22)
	eq(t, "nested", inv.HostVars("a")["common"], map[string]any{"user": "admin", "port": 22})
}

func TestYAMLUnknownKeyWarns(t *testing.T) {
	inv := mustLoadText(t, "inv.yml", "all:\n  hosts: {a: }\n  host: {b: }\n")
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "inv.yml:3:3: all: skipping unexpected key \"host\"") {
		t.Errorf("warnings = %q", inv.Warnings)
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct {
		name, file, body, prefix string
		parts                    []string
	}{
		{"syntax", "inv.yml", "all:\n  hosts:\n    a: [\n", "inv.yml:", []string{"YAML syntax error"}},
		{"syntax with line", "inv.yml", "all:\n  hosts:\n    a: 1\n   b: 2\n", "inv.yml:4: ", []string{"YAML syntax error: did not find expected key"}},
		{"syntax flow", "inv.yml", "all:\n  vars: {a: 1\n\n\n  hosts: {}\n", "inv.yml:5: ", []string{"YAML syntax error"}},
		{"syntax first line", "inv.yml", "all: b: c\n", "inv.yml:1: ", []string{"mapping values are not allowed"}},
		{"unknown anchor", "inv.yml", "all:\n  vars:\n    x: *nope\n", "inv.yml:3: ", []string{"unknown anchor 'nope'"}},
		{"hosts list", "inv.yml", "all:\n  hosts:\n    - a\n    - b\n", "inv.yml:3:5: ", []string{"all.hosts must be a mapping of host names"}},
		{"vars list", "inv.yml", "all:\n  children:\n    web:\n      vars: [a]\n", "inv.yml:4:13: ", []string{"all.children.web.vars must be a mapping"}},
		{"host vars scalar", "inv.yml", "all:\n  hosts:\n    a: 1\n", "inv.yml:3:8: ", []string{`all.hosts["a"] must be a mapping`}},
		{"group scalar in child", "inv.yml", "all:\n  children:\n    web: 1\n", "inv.yml:3:10: ", []string{"all.children.web: group must be a mapping"}},
		{"loop", "inv.yml", "a:\n  children:\n    b:\n      children:\n        a:\n", "inv.yml:5:9: ", []string{"loop"}},
		{"bad range", "inv.yml", "all:\n  hosts:\n    web[9:1]:\n", "inv.yml:3:5: ", []string{"begins after it ends"}},
		{"not a mapping", "inv.yml", "- a\n- b\n", "inv.yml:1:1: ", []string{"must be a mapping of group names"}},
		{"group value scalar top", "inv.yml", "all: hello\n", "inv.yml:1:6: ", []string{`group "all" must be a mapping`}},
		{"two documents", "inv.yml", "all: {}\n---\nall: {}\n", "inv.yml:2:1: ", []string{"single document"}},
		{"yaml-looking file without extension", "hosts", "all:\n  hosts: [a, b]\n", "hosts:2:10: ", []string{"all.hosts must be a mapping"}},
		{"alias bomb", "inv.yml", bomb(), "inv.yml:", []string{"alias bomb"}},
		{"self-containing group", "inv.yml", "all: &a\n  children:\n    x: *a\n", "inv.yml:3:5: ", []string{"cannot be a child of itself"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, tc.file, tc.body)
			wantErr(t, err, tc.prefix, tc.parts...)
		})
	}
}

// bomb builds a "billion laughs" document: 40 levels doubling each time.
func bomb() string {
	var b strings.Builder
	b.WriteString("all:\n  vars:\n    l0: &l0 [x, x]\n")
	for i := 1; i < 40; i++ {
		b.WriteString("    l" + itoa(i) + ": &l" + itoa(i) + " [*l" + itoa(i-1) + ", *l" + itoa(i-1) + "]\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestYAMLValueTypes(t *testing.T) {
	inv := mustLoadText(t, "inv.yml", `all:
  hosts:
    h:
      i: 3
      f: 2.5
      b: true
      n: null
      s: "007"
      inf: .inf
      big: 123456789012345678901234567890
      list: [1, a, {k: v}]
      when: 2024-01-02
`)
	v := inv.HostVars("h")
	eq(t, "i", v["i"], 3)
	eq(t, "f", v["f"], 2.5)
	eq(t, "b", v["b"], true)
	eq(t, "n", v["n"], nil)
	eq(t, "s", v["s"], "007")
	eq(t, "inf", v["inf"], ".inf")
	eq(t, "big", v["big"], "123456789012345678901234567890")
	eq(t, "list", v["list"], []any{1, "a", map[string]any{"k": "v"}})
	eq(t, "when", v["when"], "2024-01-02")
	if _, err := inv.ListJSON(); err != nil {
		t.Fatal(err)
	}
}
