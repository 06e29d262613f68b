package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleINI = `# a comment
; another comment
bastion ansible_host=203.0.113.1

[web]
web[01:03].example.com ansible_user=deploy
db-[a:c] motd="hello world" quoted='22'
lb.example.com:2222 weight=1.5 enabled=True off=False nothing=None
plain=yes

[web:vars]
http_port=8080
greeting = "hi there"
list=[1, "two"]
map={"a": 1}
octal=0755

[db]
db-a

[prod:children]
web
db # inline comment

[prod:vars]
env=production

[all:vars]
ntp=pool.ntp.org
`

func TestINIHostsGroupsVars(t *testing.T) {
	inv := mustLoadText(t, "hosts", sampleINI)
	eq(t, "hosts", hostNames(inv), []string{
		"bastion", "web01.example.com", "web02.example.com", "web03.example.com",
		"db-a", "db-b", "db-c", "lb.example.com", "plain=yes",
	})
	gh := inv.GroupHosts()
	eq(t, "web", gh["web"], []string{"web01.example.com", "web02.example.com", "web03.example.com",
		"db-a", "db-b", "db-c", "lb.example.com", "plain=yes"})
	eq(t, "db", gh["db"], []string{"db-a"})
	eq(t, "prod", gh["prod"], gh["web"])
	eq(t, "ungrouped", gh["ungrouped"], []string{"bastion"})
	prod, _ := inv.Group("prod")
	eq(t, "prod children", prod.Children, []string{"db", "web"})
	all, _ := inv.Group("all")
	eq(t, "all children", all.Children, []string{"prod", "ungrouped"})

	tests := []struct {
		host, key string
		want      any
	}{
		{"bastion", "ansible_host", "203.0.113.1"},
		{"bastion", "ntp", "pool.ntp.org"},
		{"web02.example.com", "ansible_user", "deploy"},
		{"web02.example.com", "http_port", 8080},
		{"web02.example.com", "env", "production"},
		{"db-b", "motd", "hello world"},
		{"db-b", "quoted", "22"}, // quoted values stay strings
		{"lb.example.com", "ansible_port", 2222},
		{"lb.example.com", "weight", 1.5},
		{"lb.example.com", "enabled", true},
		{"lb.example.com", "off", false},
		{"lb.example.com", "nothing", nil},
		{"lb.example.com", "greeting", "hi there"},
		{"lb.example.com", "list", []any{1, "two"}},
		{"lb.example.com", "map", map[string]any{"a": 1}},
		{"lb.example.com", "octal", "0755"},
	}
	for _, tc := range tests {
		vars := inv.HostVars(tc.host)
		got, ok := vars[tc.key]
		if !ok {
			t.Errorf("%s: %s unset", tc.host, tc.key)
			continue
		}
		eq(t, tc.host+" "+tc.key, got, tc.want)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], `host name "plain=yes" contains '='`) {
		t.Errorf("warnings = %q", inv.Warnings)
	}
	if _, ok := inv.HostVars("bastion")["http_port"]; ok {
		t.Error("ungrouped host got web vars")
	}
}

func TestINIRanges(t *testing.T) {
	tests := []struct {
		entry string
		want  []string
	}{
		{"web[01:03]", []string{"web01", "web02", "web03"}},
		{"web[1:3]", []string{"web1", "web2", "web3"}},
		{"web[8:11]", []string{"web8", "web9", "web10", "web11"}},
		{"db-[a:c]", []string{"db-a", "db-b", "db-c"}},
		{"n[0:6:3]", []string{"n0", "n3", "n6"}},
		{"r[1:2]-[a:b].x", []string{"r1-a.x", "r1-b.x", "r2-a.x", "r2-b.x"}},
		{"[a:b]host", []string{"ahost", "bhost"}},
		{"10.0.0.[1:2]", []string{"10.0.0.1", "10.0.0.2"}},
		{"host[x]", []string{"host[x]"}},
	}
	for _, tc := range tests {
		inv := mustLoadText(t, "hosts", "[g]\n"+tc.entry+"\n")
		eq(t, tc.entry, inv.GroupHosts()["g"], tc.want)
	}
}

func TestINIAddresses(t *testing.T) {
	inv := mustLoadText(t, "hosts", "[v6]\n2001:db8::1\n[2001:db8::2]:2200\nfe80::1%eth0\n")
	eq(t, "hosts", hostNames(inv), []string{"2001:db8::1", "2001:db8::2", "fe80::1%eth0"})
	eq(t, "port", inv.HostVars("2001:db8::2")["ansible_port"], 2200)
	if _, ok := inv.HostVars("2001:db8::1")["ansible_port"]; ok {
		t.Error("bare IPv6 address got a port")
	}
}

func TestINIVarsOverride(t *testing.T) {
	// A host listed twice keeps the later inline value; the host value
	// beats any group value.
	inv := mustLoadText(t, "hosts", "[a]\nh x=1\n[b]\nh x=2\n[a:vars]\nx=10\ny=10\n")
	eq(t, "x", inv.HostVars("h")["x"], 2)
	eq(t, "y", inv.HostVars("h")["y"], 10)
	h, _ := inv.Host("h")
	eq(t, "groups", h.Groups, []string{"a", "b"})
}

func TestINIGroupDefinedLater(t *testing.T) {
	inv := mustLoadText(t, "hosts", "[p:children]\nc\n[c:vars]\nv=1\n[c]\nh\n")
	eq(t, "p", inv.GroupHosts()["p"], []string{"h"})
	eq(t, "v", inv.HostVars("h")["v"], 1)
}

func TestINIErrors(t *testing.T) {
	tests := []struct {
		name, body, prefix string
		parts              []string
	}{
		{"vars not key=value", "[web]\nh1\n\n[web:vars]\nport=1\n\n\nfoo\n",
			"hosts.ini:8: ", []string{`[web:vars] line "foo" is not key=value`}},
		{"host var not key=value", "[web]\nh1 a=1 junk\n",
			"hosts.ini:2: ", []string{`"junk" is not key=value`}},
		{"unknown section type", "[web:stuff]\n",
			"hosts.ini:1: ", []string{"unknown type"}},
		{"bad section", "[web servers]\n",
			"hosts.ini:1: ", []string{"invalid section header"}},
		{"bad range", "[g]\nweb[3:1]\n",
			"hosts.ini:2: ", []string{"begins after it ends"}},
		{"mixed range", "[g]\nweb[1:c]\n",
			"hosts.ini:2: ", []string{"numeric or single letters"}},
		{"padding mismatch", "[g]\nweb[01:100]\n",
			"hosts.ini:2: ", []string{"equal length"}},
		{"huge range", "[g]\nweb[0:99999999]\n",
			"hosts.ini:2: ", []string{"more than 20000 names"}},
		{"bad port", "[g]\nweb:http\n",
			"hosts.ini:2: ", []string{`invalid port "http"`}},
		{"unterminated quote", "[g]\nh a=\"b\n",
			"hosts.ini:2: ", []string{"unterminated quote"}},
		{"undefined child", "[g]\nh\n[p:children]\ng\nnope\n",
			"hosts.ini:5: ", []string{`includes undefined group "nope"`}},
		{"vars for undefined group", "[ghost:vars]\na=1\n",
			"hosts.ini:1: ", []string{"undefined group"}},
		{"loop", "[a:children]\nb\n[b:children]\na\n",
			"hosts.ini:4: ", []string{"loop"}},
		{"bad child name", "[a]\n[p:children]\na b\n",
			"hosts.ini:3: ", []string{"is not a group name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, "hosts.ini", tc.body)
			wantErr(t, err, tc.prefix, tc.parts...)
		})
	}
}

func TestINIValue(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"22", 22}, {"-3", -3}, {"1.5", 1.5}, {"1e3", 1000.0}, {"True", true}, {"False", false},
		{"None", nil}, {"true", "true"}, {"0755", "0755"}, {"1.2.3.4", "1.2.3.4"},
		{"[1,2]", []any{1, 2}}, {"[oops", "[oops"}, {"99999999999999999999", "99999999999999999999"},
		{"inf", "inf"}, {"", ""},
	}
	for _, tc := range tests {
		eq(t, tc.in, iniValue(tc.in), tc.want)
	}
}

// An inventory may hold at most maxHosts hosts: three ranges of 20,000 are
// refused with a message naming the limit, before anything is built.
func TestInventoryHostCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte("[a]\na[1:20000]\n[b]\nb[1:20000]\n[c]\nc[1:20000]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{p}); err == nil || !strings.Contains(err.Error(), "more than 50000 hosts") {
		t.Fatalf("60,000 hosts: %v", err)
	}
}
