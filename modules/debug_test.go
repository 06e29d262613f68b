package modules_test

import (
	"reflect"
	"testing"
)

func TestDebug(t *testing.T) {
	vars := map[string]any{"release": "1.2", "items": []any{"a", "b"}}
	for _, check := range []bool{false, true} {
		mc := helperContext(t, vars)
		mc.Check = check
		r := helperMustRun(t, mc, "debug", map[string]any{})
		if r.Msg != "Hello world!" || r.Data["msg"] != "Hello world!" || r.Changed || r.Failed || r.Data["verbosity"] != 0 {
			t.Fatalf("default: %+v", r)
		}
		r = helperMustRun(t, mc, "debug", map[string]any{"msg": "deploying 1.2", "verbosity": 2})
		if r.Map()["msg"] != "deploying 1.2" || r.Data["verbosity"] != 2 {
			t.Fatalf("msg: %+v", r)
		}
		r = helperMustRun(t, mc, "debug", map[string]any{"msg": []any{"one", "two"}})
		if !reflect.DeepEqual(r.Map()["msg"], []any{"one", "two"}) {
			t.Fatalf("list msg: %v", r.Map())
		}
		r = helperMustRun(t, mc, "debug", map[string]any{"var": "items"})
		if !reflect.DeepEqual(r.Data["items"], []any{"a", "b"}) {
			t.Fatalf("var: %+v", r.Data)
		}
		r = helperMustRun(t, mc, "debug", map[string]any{"var": "nothing.here"})
		if r.Data["nothing.here"] != "VARIABLE IS NOT DEFINED!" || r.Failed {
			t.Fatalf("undefined var: %+v", r.Data)
		}
	}
}

func TestDebugErrors(t *testing.T) {
	mc := helperContext(t, nil)
	if _, err := helperRun(t, mc, "debug", map[string]any{"msg": "a", "var": "b"}); err == nil {
		t.Error("msg and var together accepted")
	}
	if _, err := helperRun(t, mc, "debug", map[string]any{"var": "x +"}); err == nil {
		t.Error("a failing expression was reported as undefined")
	}
	if _, err := helperRun(t, mc, "debug", map[string]any{"verbosity": "loud"}); err == nil {
		t.Error("non-integer verbosity accepted")
	}
}
