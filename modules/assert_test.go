package modules_test

import (
	"reflect"
	"strings"
	"testing"
)

func TestAssert(t *testing.T) {
	vars := map[string]any{"is_debian": true, "big_disk": false, "port": 8080}
	mc := helperContext(t, vars)
	r := helperMustRun(t, mc, "assert", map[string]any{"that": []any{"is_debian", "true"}})
	if r.Failed || r.Changed || r.Msg != "All assertions passed" {
		t.Fatalf("pass: %+v", r)
	}
	r = helperMustRun(t, mc, "assert", map[string]any{"that": "is_debian", "success_msg": "fine", "quiet": true})
	if r.Msg != "fine" {
		t.Fatalf("success_msg: %+v", r)
	}
	r = helperMustRun(t, mc, "assert", map[string]any{"that": []any{"is_debian", "big_disk", "port"}})
	if !r.Failed || r.Msg != "Assertion failed" || r.Data["assertion"] != "big_disk" || r.Data["evaluated_to"] != false {
		t.Fatalf("fail: %+v", r)
	}
	r = helperMustRun(t, mc, "assert", map[string]any{"that": []any{"big_disk"}, "msg": "disk too small"})
	if !r.Failed || r.Msg != "disk too small" {
		t.Fatalf("msg alias: %+v", r)
	}
	r = helperMustRun(t, mc, "assert", map[string]any{"that": []any{"big_disk"}, "fail_msg": []any{"a", "b"}})
	if !r.Failed || !reflect.DeepEqual(r.Map()["msg"], []any{"a", "b"}) {
		t.Fatalf("list fail_msg: %v", r.Map())
	}
}

func TestAssertErrors(t *testing.T) {
	mc := helperContext(t, map[string]any{"port": 8080})
	_, err := helperRun(t, mc, "assert", map[string]any{"that": []any{"port"}})
	if err == nil || !strings.Contains(err.Error(), "must evaluate to a boolean") {
		t.Fatalf("non-boolean: %v", err)
	}
	_, err = helperRun(t, mc, "assert", map[string]any{"that": []any{"missing"}})
	if err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Fatalf("eval error: %v", err)
	}
	for _, raw := range []map[string]any{{}, {"that": []any{}}} {
		if _, err := helperRun(t, mc, "assert", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
