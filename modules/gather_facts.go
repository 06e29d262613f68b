package modules

import "context"

func init() { Register(gatherFactsModule{}) }

// gatherFactsModule is ansible.builtin.gather_facts, the module behind a
// play's gather_facts: the setup module's facts under another name.
type gatherFactsModule struct{}

var gatherFactsSpec = func() *Spec {
	s := *setupSpec
	s.Name = "gather_facts"
	s.Short = "Gather facts about the host (the setup module under the name plays use)"
	s.Doc = "Runs setup: " + setupSpec.Doc
	s.Params = append(append([]Param{}, setupSpec.Params...),
		Param{Name: "parallel", Type: TypeBool, Doc: "Accepted for compatibility (runbook gathers each host's facts with one command anyway)."})
	s.Example = "- gather_facts:\n  when: ansible_facts == {}"
	return &s
}()

func (gatherFactsModule) Spec() *Spec { return gatherFactsSpec }

func (gatherFactsModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	return setupModule{}.Run(ctx, mc, args)
}
