package modules_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// userDB is a host's accounts as getent, id, useradd, usermod and userdel
// see them; the changing commands run are recorded.
type userDB struct {
	users map[string]map[string]string // uid, gid, primary, groups, shell, home, comment, hash
	ran   []string
}

func (db *userDB) conn() transport.Transport {
	return helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		a := cmd.Args
		name := a[len(a)-1]
		u := db.users[name]
		out := func(s string) (*transport.Result, error) { return &transport.Result{Stdout: []byte(s + "\n")}, nil }
		switch a[0] + " " + a[1] {
		case "getent passwd":
			if u == nil {
				return &transport.Result{ExitCode: 2}, nil
			}
			return out(strings.Join([]string{name, "x", u["uid"], u["gid"], u["comment"], u["home"], u["shell"]}, ":"))
		case "getent shadow":
			return out(name + ":" + u["hash"] + ":19000:0:99999:7:::")
		case "id -gn":
			return out(u["primary"])
		case "id -Gn":
			return out(strings.TrimSpace(u["primary"] + " " + strings.ReplaceAll(u["groups"], ",", " ")))
		}
		db.ran = append(db.ran, strings.Join(a, " "))
		switch a[0] {
		case "useradd":
			u = map[string]string{"uid": "1001", "gid": "1001", "primary": name, "shell": "/bin/sh", "home": "/home/" + name}
			db.users[name] = u
		case "userdel":
			delete(db.users, name)
			return &transport.Result{}, nil
		case "usermod":
		default:
			return nil, fmt.Errorf("unexpected command %v", a)
		}
		appendGroups := false
		for i := 1; i < len(a)-1; i++ {
			v := ""
			if i+1 < len(a)-1 {
				v = a[i+1]
			}
			switch a[i] {
			case "-a":
				appendGroups = true
				continue
			case "-m", "-M", "-r":
				continue
			case "-u":
				u["uid"] = v
			case "-g":
				u["primary"] = v
			case "-G":
				gs := strings.Split(v, ",")
				if appendGroups && u["groups"] != "" {
					gs = append(strings.Split(u["groups"], ","), gs...)
				}
				sort.Strings(gs)
				u["groups"] = strings.Join(gs, ",")
			case "-s":
				u["shell"] = v
			case "-d":
				u["home"] = v
			case "-c":
				u["comment"] = v
			case "-p":
				u["hash"] = v
			}
			i++
		}
		return &transport.Result{}, nil
	}}
}

func TestUser(t *testing.T) {
	db := &userDB{users: map[string]map[string]string{}}
	steps := []struct {
		check   bool
		args    map[string]any
		changed bool
		ran     []string
		diff    string
	}{
		{true, map[string]any{"name": "app", "uid": 1500, "groups": "docker,wheel"}, true, nil, "absent\n->present\n"},
		{false, map[string]any{"name": "app", "uid": 1500, "groups": "docker,wheel", "shell": "/bin/bash", "password": "$6$h1", "system": true},
			true, []string{"useradd -u 1500 -G docker,wheel -s /bin/bash -p $6$h1 -m -r app"}, "absent\n->present\n"},
		{false, map[string]any{"name": "app", "uid": 1500, "groups": []any{"wheel", "docker"}, "shell": "/bin/bash", "password": "$6$h1"}, false, nil, ""},
		{false, map[string]any{"name": "app", "groups": "docker", "append": true}, false, nil, ""},
		{true, map[string]any{"name": "app", "groups": "audio", "append": true, "password": "$6$h2", "update_password": "on_create"},
			true, nil, "groups: docker,wheel\n->groups: audio,docker,wheel\n"},
		{false, map[string]any{"name": "app", "groups": "audio", "append": true}, true, []string{"usermod -a -G audio app"}, "groups: docker,wheel\n->groups: audio,docker,wheel\n"},
		{false, map[string]any{"name": "app", "groups": []any{}, "comment": "App", "password": "$6$h2"},
			true, []string{"usermod -G  -c App -p $6$h2 app"}, "groups: audio,docker,wheel\ncomment: \npassword: (set)\n->groups: \ncomment: App\npassword: (changed)\n"},
		{false, map[string]any{"name": "app", "state": "absent", "remove": true}, true, []string{"userdel -r app"}, "present\n->absent\n"},
		{false, map[string]any{"name": "app", "state": "absent"}, false, nil, ""},
	}
	for i, s := range steps {
		mc := helperContext(t, nil)
		mc.Conn, mc.Check, mc.Diff = db.conn(), s.check, true
		db.ran = nil
		r := helperMustRun(t, mc, "user", s.args)
		diff := ""
		if len(r.Diff) == 1 {
			diff = r.Diff[0].Before + "->" + r.Diff[0].After
		}
		if r.Changed != s.changed || !reflect.DeepEqual(db.ran, s.ran) || diff != s.diff {
			t.Fatalf("step %d %v: changed=%v ran=%q diff=%q\nwant %v %q %q", i, s.args, r.Changed, db.ran, diff, s.changed, s.ran, s.diff)
		}
		if strings.Contains(fmt.Sprint(r.Map()), "$6$") {
			t.Fatalf("step %d: the password hash is in the result: %v", i, r.Map())
		}
	}
}

func TestUserErrors(t *testing.T) {
	for _, raw := range []map[string]any{{}, {"name": "a:b"}, {"name": "-x"}, {"name": "a", "uid": -1}, {"name": "a", "comment": "x:y"},
		{"name": "a", "update_password": "never"}} {
		if _, err := helperRun(t, helperContext(t, nil), "user", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
