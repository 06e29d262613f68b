package modules_test

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// groupDB is a host's group database as getent, groupadd, groupmod and
// groupdel see it; the commands run are recorded.
type groupDB struct {
	gids map[string]int
	ran  []string
}

func (db *groupDB) conn() transport.Transport {
	return helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		a := cmd.Args
		if a[0] != "getent" {
			db.ran = append(db.ran, strings.Join(a, " "))
		}
		name := a[len(a)-1]
		gid := func() int {
			for i, x := range a {
				if x == "-g" {
					n, _ := strconv.Atoi(a[i+1])
					return n
				}
			}
			return 999
		}
		switch a[0] {
		case "getent":
			g, ok := db.gids[name]
			if !ok {
				return &transport.Result{ExitCode: 2}, nil
			}
			return &transport.Result{Stdout: []byte(fmt.Sprintf("%s:x:%d:\n", name, g))}, nil
		case "groupadd", "groupmod":
			db.gids[name] = gid()
		case "groupdel":
			delete(db.gids, name)
		default:
			return nil, fmt.Errorf("unexpected command %v", a)
		}
		return &transport.Result{}, nil
	}}
}

func TestGroup(t *testing.T) {
	db := &groupDB{gids: map[string]int{"users": 100}}
	run := func(check bool, args map[string]any) (bool, []string, string) {
		t.Helper()
		mc := helperContext(t, nil)
		mc.Conn, mc.Check, mc.Diff = db.conn(), check, true
		db.ran = nil
		r := helperMustRun(t, mc, "group", args)
		diff := ""
		if len(r.Diff) == 1 {
			diff = r.Diff[0].Before + "->" + r.Diff[0].After
		}
		return r.Changed, db.ran, diff
	}
	steps := []struct {
		check   bool
		args    map[string]any
		changed bool
		ran     []string
		diff    string
	}{
		{true, map[string]any{"name": "app", "gid": 1500}, true, nil, "absent\n->present\ngid: 1500\n"},
		{false, map[string]any{"name": "app", "gid": 1500, "system": true}, true, []string{"groupadd -g 1500 -r app"}, "absent\n->present\ngid: 1500\n"},
		{false, map[string]any{"name": "app", "gid": 1500}, false, nil, ""},
		{false, map[string]any{"name": "app"}, false, nil, ""},
		{false, map[string]any{"name": "app", "gid": 1600, "non_unique": true}, true, []string{"groupmod -g 1600 -o app"}, "present\ngid: 1500\n->present\ngid: 1600\n"},
		{true, map[string]any{"name": "app", "state": "absent"}, true, nil, "present\ngid: 1600\n->absent\n"},
		{false, map[string]any{"name": "app", "state": "absent"}, true, []string{"groupdel app"}, "present\ngid: 1600\n->absent\n"},
		{false, map[string]any{"name": "app", "state": "absent"}, false, nil, ""},
		{false, map[string]any{"name": "users"}, false, nil, ""},
	}
	for i, s := range steps {
		changed, ran, diff := run(s.check, s.args)
		if changed != s.changed || !reflect.DeepEqual(ran, s.ran) || diff != s.diff {
			t.Fatalf("step %d %v check=%v: changed=%v ran=%q diff=%q, want %v %q %q", i, s.args, s.check, changed, ran, diff, s.changed, s.ran, s.diff)
		}
	}
}

func TestGroupErrors(t *testing.T) {
	for _, raw := range []map[string]any{{}, {"name": "a:b"}, {"name": "-x"}, {"name": "a", "gid": -1}, {"name": "a", "non_unique": true}} {
		if _, err := helperRun(t, helperContext(t, nil), "group", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		if cmd.Args[0] == "getent" {
			return &transport.Result{ExitCode: 2}, nil
		}
		return &transport.Result{ExitCode: 10, Stderr: []byte("groupadd: cannot lock /etc/group")}, nil
	}}
	if _, err := helperRun(t, mc, "group", map[string]any{"name": "app"}); err == nil || !strings.Contains(err.Error(), "cannot lock /etc/group") {
		t.Errorf("a failing groupadd: %v", err)
	}
}
