package modules_test

import (
	"reflect"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

func TestGetentShapesFactsAsAnsible(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		mc := connContext(t, c, nil)
		mc.Check = true // getent reads only: the same in check mode
		r := helperMustRun(t, mc, "getent", map[string]any{"database": "passwd", "key": "root"})
		want := map[string]any{"root": []any{"x", "0", "0", "root", "/root", "/bin/bash"}}
		got := r.Facts["getent_passwd"].(map[string]any)
		if r.Changed || r.Failed || len(got) != 1 || !reflect.DeepEqual(got["root"].([]any)[:3], want["root"].([]any)[:3]) {
			t.Errorf("passwd root: %v", r.Facts)
		}
		r = helperMustRun(t, mc, "getent", map[string]any{"database": "group", "key": "root", "split": ":", "service": "files"})
		if g := r.Facts["getent_group"].(map[string]any)["root"].([]any); len(g) != 3 || g[1] != "0" {
			t.Errorf("group root: %v", r.Facts)
		}
		r = helperMustRun(t, mc, "getent", map[string]any{"database": "passwd"})
		if all := r.Facts["getent_passwd"].(map[string]any); len(all) < 2 || all["root"] == nil {
			t.Errorf("whole passwd: %d entries", len(all))
		}
		r = helperMustRun(t, mc, "getent", map[string]any{"database": "passwd", "key": "no-such-user-here"})
		if !r.Failed || r.Msg != "One or more supplied key could not be found in the database." {
			t.Errorf("missing key: %+v", r)
		}
		r = helperMustRun(t, mc, "getent", map[string]any{"database": "passwd", "key": "no-such-user-here", "fail_key": false})
		if v, ok := r.Facts["getent_passwd"].(map[string]any)["no-such-user-here"]; r.Failed || !ok || v != nil {
			t.Errorf("missing key, fail_key false: %+v", r)
		}
		r = helperMustRun(t, mc, "getent", map[string]any{"database": "no-such-db"})
		if !r.Failed || r.Msg != "Missing arguments, or database unknown." {
			t.Errorf("unknown database: %+v", r)
		}
	})
}

// TestGetentDuplicateKeysAndWhitespace: hosts is split at white space, and
// a key listed twice maps to a list of lists, as Ansible shapes it.
func TestGetentDuplicateKeysAndWhitespace(t *testing.T) {
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		return &transport.Result{Stdout: []byte("127.0.0.1       localhost a\n127.0.0.1 other\n127.0.0.1\tthird\n::1 localhost\n")}, nil
	}}
	r := helperMustRun(t, mc, "getent", map[string]any{"database": "ahosts"})
	want := map[string]any{"127.0.0.1": []any{[]any{"localhost", "a"}, []any{"other"}, []any{"third"}}, "::1": []any{"localhost"}}
	if !reflect.DeepEqual(r.Facts["getent_ahosts"], want) {
		t.Errorf("got %v, want %v", r.Facts["getent_ahosts"], want)
	}
}
