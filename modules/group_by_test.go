package modules_test

import (
	"reflect"
	"testing"
)

func TestGroupBy(t *testing.T) {
	for _, check := range []bool{false, true} {
		mc := helperContext(t, nil)
		mc.Check = check
		r := helperMustRun(t, mc, "group_by", map[string]any{"key": " os_debian "})
		if r.Data["add_group"] != "os_debian" || !reflect.DeepEqual(r.Data["parent_groups"], []any{"all"}) || !r.Changed {
			t.Fatalf("check=%v: %+v", check, r)
		}
		r = helperMustRun(t, mc, "group_by", map[string]any{"key": "x", "parents": "linux"})
		if !reflect.DeepEqual(r.Data["parent_groups"], []any{"linux"}) {
			t.Fatalf("parents: %+v", r)
		}
	}
	for _, raw := range []map[string]any{{}, {"key": "  "}} {
		if _, err := helperRun(t, helperContext(t, nil), "group_by", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
