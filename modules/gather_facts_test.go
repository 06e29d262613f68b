package modules_test

import "testing"

// TestGatherFactsIsSetup: the gather_facts module returns setup's facts.
func TestGatherFactsIsSetup(t *testing.T) {
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "gather_facts", map[string]any{"parallel": true, "filter": []any{"ansible_system"}})
	if r.Failed || r.Changed || len(r.Facts) != 1 || r.Facts["ansible_system"] == "" {
		t.Fatalf("result: %+v", r)
	}
}
