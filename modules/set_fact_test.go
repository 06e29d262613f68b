package modules_test

import (
	"reflect"
	"testing"
)

func TestSetFact(t *testing.T) {
	mc := helperContext(t, nil)
	mc.Check = true // set_fact behaves the same in check mode
	r := helperMustRun(t, mc, "set_fact", map[string]any{
		"app_dir": "/opt/app", "count": 3, "flag": "yes", "off": "False", "list": []any{1, "x"}, "cacheable": true,
	})
	want := map[string]any{"app_dir": "/opt/app", "count": 3, "flag": true, "off": false, "list": []any{1, "x"}}
	if !reflect.DeepEqual(r.Facts, want) || r.Changed || r.Failed {
		t.Fatalf("facts = %#v", r.Facts)
	}
	if !reflect.DeepEqual(r.Map()["ansible_facts"], want) {
		t.Fatalf("registered: %v", r.Map())
	}
}

func TestSetFactErrors(t *testing.T) {
	mc := helperContext(t, nil)
	for _, raw := range []map[string]any{{}, {"cacheable": true}, {"bad-name": 1}, {"1st": 1}, {"cacheable": "maybe", "a": 1}} {
		if _, err := helperRun(t, mc, "set_fact", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
