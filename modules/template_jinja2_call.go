package modules

// {% call macro(...) %}body{% endcall %} in .j2 templates. gonja hands the
// body to the macro through the context of the call site, which a macro
// imported from another file, or called inside a loop, does not see
// ("caller is not callable"). The call is rewritten to render the body
// first, publish it as caller() in the render's global context, and print
// the macro's result:
//
//	{% set runbook_callN %}body{% endset %}{{ runbook_caller(runbook_callN) ~ (macro(...)) }}{% if true %}{% endif %}
//
// The empty if block keeps trim_blocks and "-" acting after {% endcall %}
// as they did. A call block whose caller takes arguments
// ({% call(x) macro() %}) is left to gonja.

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// callerFunc is the global that publishes a call block's body as caller().
const callerFunc = "runbook_caller"

// callRewriter rewrites the call blocks of one template source.
type callRewriter struct {
	open []callBlock
	n    int
}

type callBlock struct{ name, expr string }

// rewrite returns a block tag (its body and end delimiter, as copied by
// copyJinjaTag) rewritten when it opens or closes a call block.
func (c *callRewriter) rewrite(tag string, cfg *config.Config) string {
	body, ok := strings.CutSuffix(tag, cfg.BlockEndString)
	if !ok {
		return tag
	}
	lead, trail := "", ""
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		lead, body = body[:1], body[1:]
	}
	if strings.HasSuffix(body, "-") || strings.HasSuffix(body, "+") {
		body, trail = body[:len(body)-1], body[len(body)-1:]
	}
	words := strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(words, "call") && len(words) > 4 && (words[4] == ' ' || words[4] == '\t' || words[4] == '\n'):
		c.n++
		b := callBlock{name: fmt.Sprintf("runbook_call%d", c.n), expr: strings.TrimSpace(words[4:])}
		c.open = append(c.open, b)
		return lead + " set " + b.name + " " + trail + cfg.BlockEndString
	case words == "endcall" && len(c.open) > 0:
		b := c.open[len(c.open)-1]
		c.open = c.open[:len(c.open)-1]
		return lead + " endset " + cfg.BlockEndString +
			cfg.VariableStartString + " " + callerFunc + "(" + b.name + ") ~ (" + b.expr + ") " + cfg.VariableEndString +
			cfg.BlockStartString + " if true " + cfg.BlockEndString + cfg.BlockStartString + " endif " + trail + cfg.BlockEndString
	}
	return tag
}

// callerGlobal is callerFunc: it makes caller() in globals return text.
func callerGlobal(globals *exec.Context) func(*exec.Evaluator, *exec.VarArgs) *exec.Value {
	return func(_ *exec.Evaluator, p *exec.VarArgs) *exec.Value {
		text := ""
		if len(p.Args) > 0 {
			text = p.Args[0].String()
		}
		globals.Set("caller", func(*exec.Evaluator, *exec.VarArgs) *exec.Value { return exec.AsSafeValue(text) })
		return exec.AsValue("")
	}
}
