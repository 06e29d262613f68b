package modules_test

import (
	"reflect"
	"testing"
)

func TestFail(t *testing.T) {
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "fail", map[string]any{})
	if !r.Failed || r.Changed || r.Msg != "Failed as requested from task" {
		t.Fatalf("default: %+v", r)
	}
	mc.Check = true
	r = helperMustRun(t, mc, "fail", map[string]any{"msg": "stop here"})
	if !r.Failed || r.Msg != "stop here" {
		t.Fatalf("msg: %+v", r)
	}
	r = helperMustRun(t, mc, "fail", map[string]any{"msg": map[string]any{"why": "x"}})
	if !r.Failed || !reflect.DeepEqual(r.Map()["msg"], map[string]any{"why": "x"}) {
		t.Fatalf("dict msg: %v", r.Map())
	}
}
