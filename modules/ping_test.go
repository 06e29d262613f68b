package modules_test

import (
	"strings"
	"testing"
)

func TestPing(t *testing.T) {
	for _, check := range []bool{false, true} {
		mc := helperContext(t, nil)
		mc.Check = check
		r := helperMustRun(t, mc, "ping", map[string]any{})
		if r.Data["ping"] != "pong" || r.Changed || r.Failed {
			t.Fatalf("check=%v: %+v", check, r)
		}
		if r := helperMustRun(t, mc, "ping", map[string]any{"data": "hello"}); r.Data["ping"] != "hello" {
			t.Fatalf("data: %+v", r)
		}
	}
	_, err := helperRun(t, helperContext(t, nil), "ping", map[string]any{"data": "crash"})
	if err == nil || !strings.Contains(err.Error(), "crash") {
		t.Fatalf("data=crash: %v", err)
	}
}
