package modules_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// Arguments no backend can honour are refused before the host is touched,
// each saying what is wrong.
func TestPackageArgsRefused(t *testing.T) {
	cases := []struct {
		module string
		raw    map[string]any
		want   string
	}{
		{"apt", map[string]any{}, "name is required"},
		{"package", map[string]any{"name": "nginx*"}, "wildcards are not supported"},
		{"dnf", map[string]any{"name": []any{"a", "b c"}}, `"b c" is not a package name`},
		{"apt", map[string]any{"name": "foo=1.0", "state": "latest"}, "a version pin needs state=present"},
		{"apt", map[string]any{"deb": "/tmp/x.deb", "state": "absent"}, "deb installs a package"},
		{"yum", map[string]any{"name": "-x"}, "starts with '-'"},
		{"apt", map[string]any{"name": "foo", "state": "fixed"}, "fixed"},
	}
	for _, c := range cases {
		mc := helperContext(t, nil)
		mc.Conn = helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
			t.Errorf("%s %v ran %v", c.module, c.raw, cmd.Args)
			return &transport.Result{}, nil
		}}
		if _, err := helperRun(t, mc, c.module, c.raw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want an error with %q", c.module, c.raw, err, c.want)
		}
	}
}

// aptHost answers dpkg-query from a fixed dpkg database (foo installed at
// 1.0, bar removed with its configuration files left) and records the
// apt-get command lines; apt-get -s says it would act on each package.
type aptHost struct{ ran []string }

func (h *aptHost) conn() transport.Transport {
	return helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		switch cmd.Args[0] {
		case "dpkg-query":
			return &transport.Result{Stdout: []byte("foo\tfoo\tii \t1.0\nbar\tbar\trc \t0.5\n"), ExitCode: 1}, nil
		case "apt-get":
			if cmd.Env["DEBIAN_FRONTEND"] != "noninteractive" {
				return nil, fmt.Errorf("apt-get without DEBIAN_FRONTEND=noninteractive")
			}
			var words []string
			for i := 1; i < len(cmd.Args); i++ {
				if cmd.Args[i] == "-o" && strings.HasPrefix(cmd.Args[i+1], "APT::") {
					words = append(words, cmd.Args[i+1])
				}
				if cmd.Args[i] == "-o" {
					i++
					continue
				}
				words = append(words, cmd.Args[i])
			}
			h.ran = append(h.ran, strings.Join(words, " "))
			var out strings.Builder
			for _, a := range cmd.Args[len(cmd.Args)-1:] {
				out.WriteString("Inst " + a + " (9.9 repo [all])\n")
			}
			return &transport.Result{Stdout: []byte(out.String())}, nil
		}
		return &transport.Result{Stdout: []byte("0 root\n")}, nil
	}}
}

// apt hands apt-get only the packages whose state differs: an installed
// package without a pin is left alone, a pinned one is given with its pin,
// purge also removes one whose configuration files remain; check mode
// runs only the simulation.
func TestAptGivesOnlyWhatDiffers(t *testing.T) {
	cases := []struct {
		raw   map[string]any
		check bool
		ran   []string
	}{
		{map[string]any{"name": "foo,bar=2.0,baz", "install_recommends": false}, false, []string{
			"-s -q APT::Install-Recommends=false install -- bar=2.0 baz",
			"-y -q APT::Install-Recommends=false install -- bar=2.0 baz"}},
		{map[string]any{"name": []any{"foo=1.*"}}, false, nil},
		{map[string]any{"name": []any{"foo=1.1"}}, true, []string{"-s -q install -- foo=1.1"}},
		{map[string]any{"name": []any{"foo", "bar", "baz"}, "state": "absent"}, false, []string{"-s -q remove -- foo", "-y -q remove -- foo"}},
		{map[string]any{"name": []any{"foo", "bar", "baz"}, "state": "absent", "purge": true, "autoremove": true}, true, []string{"-s -q --purge --auto-remove remove -- foo bar"}},
		{map[string]any{"name": "baz", "default_release": "bookworm-backports", "only_upgrade": true, "allow_unauthenticated": true, "force_apt_get": true}, true,
			[]string{"-s -q -t bookworm-backports --only-upgrade --allow-unauthenticated install -- baz"}},
	}
	for _, c := range cases {
		h := &aptHost{}
		mc := helperContext(t, nil)
		mc.Conn, mc.Check = h.conn(), c.check
		r := helperMustRun(t, mc, "apt", c.raw)
		if !reflect.DeepEqual(h.ran, c.ran) {
			t.Errorf("%v check=%v ran\n%q, want\n%q", c.raw, c.check, h.ran, c.ran)
		}
		if r.Changed != (c.ran != nil) {
			t.Errorf("%v: changed %v", c.raw, r.Changed)
		}
	}
}
