package runner_test

import (
	"context"
	"testing"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/report"
)

// capabilityProbe is a module that declares one capability in its Spec and
// returns the host's name as a fact, so the tests below show the engine
// acting on what a module declares, not on its name.
type capabilityProbe struct{ spec module.Spec }

func (p capabilityProbe) Spec() *module.Spec { s := p.spec; return &s }

func (p capabilityProbe) Run(_ context.Context, mc *module.Context, _ module.Args) (*module.Result, error) {
	if p.spec.ChangesInventory {
		return &module.Result{Data: map[string]any{"add_group": "probed"}}, nil
	}
	return &module.Result{Facts: map[string]any{"ansible_probe_host": mc.Host}}, nil
}

func init() {
	for _, s := range []module.Spec{
		{Name: "probe_sets_facts", SetsFacts: true},
		{Name: "probe_gathers_facts", GathersFacts: true},
		{Name: "probe_prints", Prints: true, Params: []module.Param{{Name: "verbosity", Type: module.TypeInt}}},
		{Name: "probe_changes_inventory", ChangesInventory: true},
	} {
		s.Short, s.RunsOnController, s.Check = "capability probe (tests only)", true, module.CheckFull
		module.Register(capabilityProbe{spec: s})
	}
}

func TestModuleCapabilitiesFromSpec(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: set once
      probe_sets_facts: {}
      run_once: true
    - name: shared
      assert: {that: 'ansible_probe_host == "h1"'}
    - name: gather
      probe_gathers_facts: {}
    - name: gathered
      assert: {that: 'ansible_facts.probe_host == inventory_hostname'}
    - name: print quietly
      probe_prints: {verbosity: 2}
    - name: print
      probe_prints: {}
    - name: regroup
      probe_changes_inventory: {}
    - name: regrouped
      assert: {that: '"probed" in group_names'}
`}.do(t)
	for _, h := range []string{"h1", "h2", "h3"} {
		if s := rec.stats(h); s.Failed != 0 {
			t.Errorf("%s: %d failed; output:\n%s", h, s.Failed, rec.buf.String())
		}
		if got := rec.result(t, "print quietly", h).Status; got != report.StatusSkipped {
			t.Errorf("%s: print quietly = %s, want skipped (Prints with verbosity above -v)", h, got)
		}
		if got := rec.result(t, "print", h).Status; got != report.StatusOK {
			t.Errorf("%s: print = %s, want ok", h, got)
		}
	}
}
