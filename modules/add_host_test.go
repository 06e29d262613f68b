package modules_test

import (
	"reflect"
	"testing"
)

func TestAddHost(t *testing.T) {
	for _, check := range []bool{false, true} {
		mc := helperContext(t, nil)
		mc.Check = check
		r := helperMustRun(t, mc, "add_host", map[string]any{"hostname": "10.0.0.5:2222", "groups": "masters, new", "ansible_user": "root"})
		want := map[string]any{"host_name": "10.0.0.5", "groups": []any{"masters", "new"},
			"host_vars": map[string]any{"ansible_user": "root", "ansible_port": 2222}}
		if !reflect.DeepEqual(r.Data["add_host"], want) || !r.Changed {
			t.Fatalf("check=%v: %#v", check, r.Data["add_host"])
		}
		r = helperMustRun(t, mc, "add_host", map[string]any{"name": "fe80::1", "group": []any{"v6"}})
		if h := r.Data["add_host"].(map[string]any); h["host_name"] != "fe80::1" || len(h["host_vars"].(map[string]any)) != 0 {
			t.Fatalf("IPv6 without port: %#v", h)
		}
	}
	if _, err := helperRun(t, helperContext(t, nil), "add_host", map[string]any{"groups": "x"}); err == nil {
		t.Error("no name accepted")
	}
}
