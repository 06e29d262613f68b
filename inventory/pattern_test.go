package inventory

import (
	"testing"
)

const patternINI = `ungrouped1
[web]
web1
web2
web3
[db]
db1
db2
[prod:children]
web
db
[staging]
web3
stage1
[ips]
10.0.0.5
10.0.0.10
192.168.1.1
`

func TestSelect(t *testing.T) {
	inv := mustLoadText(t, "hosts", patternINI)
	all := []string{"ungrouped1", "web1", "web2", "web3", "db1", "db2", "stage1", "10.0.0.5", "10.0.0.10", "192.168.1.1"}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"all", all},
		{"*", all},
		{"web", []string{"web1", "web2", "web3"}},
		{"prod", []string{"web1", "web2", "web3", "db1", "db2"}},
		{"ungrouped", []string{"ungrouped1"}},
		{"web2", []string{"web2"}},
		{"web*", []string{"web1", "web2", "web3"}},
		{"*1", []string{"ungrouped1", "web1", "db1", "stage1", "192.168.1.1"}},
		{"10.0.0.*", []string{"10.0.0.5", "10.0.0.10"}},
		{"10.0.0.?", []string{"10.0.0.5"}},
		{"db[!1]", []string{"db2"}},
		{"web[12]", nil}, // a subscript (index 12), as in Ansible
		{"~web[12]", []string{"web1", "web2"}},
		{"~db", []string{"db1", "db2"}},
		{"~eb", nil}, // regexes match at the start
		{"~(web|db)1", []string{"web1", "db1"}},
		{"web:db", []string{"web1", "web2", "web3", "db1", "db2"}},
		{"db:web", []string{"web1", "web2", "web3", "db1", "db2"}},
		{"db1 , web1", []string{"web1", "db1"}},
		{"web,db1,", []string{"web1", "web2", "web3", "db1"}},
		{"web:web1:web", []string{"web1", "web2", "web3"}},
		{"prod:&staging", []string{"web3"}},
		{"&staging:prod", []string{"web3"}}, // order of terms does not matter
		{"prod:!web", []string{"db1", "db2"}},
		{"!web:prod", []string{"db1", "db2"}},
		{"web:!web2", []string{"web1", "web3"}},
		{"!web", []string{"ungrouped1", "db1", "db2", "stage1", "10.0.0.5", "10.0.0.10", "192.168.1.1"}},
		{"&staging", []string{"web3", "stage1"}},
		{"prod:!staging:&web", []string{"web1", "web2"}},
		{"prod,&web,!web1", []string{"web2", "web3"}},
		{"prod:&web:&staging", []string{"web3"}},
		{"nonexistent", nil},
		{"web:nonexistent", []string{"web1", "web2", "web3"}},
		{"web:!nonexistent", []string{"web1", "web2", "web3"}},
		{"web[0]", []string{"web1"}},
		{"web[-1]", []string{"web3"}},
		{"web[1:2]", []string{"web2", "web3"}},
		{"web[:1]", []string{"web1", "web2"}},
		{"web[1:]", []string{"web2", "web3"}},
		{"web[0:0]", []string{"web1"}},
		{"web[5]", nil},
		{"web[2:9]", []string{"web3"}},
		{"web[0]:db[-1]", []string{"web1", "db2"}},
		{"localhost", []string{"localhost"}},
		{"web1:localhost", []string{"web1", "localhost"}},
		{"all:!localhost", all},
		{"local*", nil},
	}
	for _, tc := range tests {
		got, err := inv.Select(tc.pattern)
		if err != nil {
			t.Errorf("Select(%q): %v", tc.pattern, err)
			continue
		}
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		eq(t, "Select("+tc.pattern+")", got, tc.want)
	}
}

func TestSelectDefinedLocalhostAndIPv6(t *testing.T) {
	inv := mustLoadText(t, "hosts", "[g]\nlocalhost ansible_connection=local\n2001:db8::1\nweb1\n")
	got, _ := inv.Select("g:!localhost")
	eq(t, "exclude defined localhost", got, []string{"2001:db8::1", "web1"})
	got, _ = inv.Select("2001:db8::1")
	eq(t, "ipv6 alone", got, []string{"2001:db8::1"})
	got, _ = inv.Select("web1,2001:db8::1")
	eq(t, "ipv6 with commas", got, []string{"2001:db8::1", "web1"})
	got, _ = inv.Select("!2001:db8::1")
	eq(t, "ipv6 excluded", got, []string{"localhost", "web1"})
	got, _ = inv.Select("all")
	eq(t, "defined localhost is in all", got, []string{"localhost", "2001:db8::1", "web1"})
}

func TestSelectErrors(t *testing.T) {
	inv := mustLoadText(t, "hosts", patternINI)
	for _, p := range []string{"", "   ", ",", "~[", "~", "web:!", "&", "web,&,db", "web[z-a]", "~a)|(b"} {
		if got, err := inv.Select(p); err == nil {
			t.Errorf("Select(%q) = %q, want error", p, got)
		}
	}
}

func TestGlobRegexp(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"web*", "web1", true}, {"web*", "xweb1", false}, {"w?b", "wab", true},
		{"[ab]x", "bx", true}, {"[!ab]x", "bx", false}, {"[!ab]x", "cx", true},
		{"a[", "a[", true}, {"a.b", "axb", false}, {"[]]", "]", true}, {`a\b*`, `a\bc`, true},
		{"h[0-9]", "h5", true}, {"h[^]", "h^", true},
	}
	for _, tc := range tests {
		re, err := globRegexp(tc.glob)
		if err != nil {
			t.Errorf("globRegexp(%q): %v", tc.glob, err)
			continue
		}
		if got := re.MatchString(tc.name); got != tc.want {
			t.Errorf("glob %q on %q = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
}
