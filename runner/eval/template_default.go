package eval

import (
	"strings"
	"text/template"
	"text/template/parse"
)

// Templates run with missingkey=error, so that a misspelt variable names the
// template and line instead of printing "<no value>". That made the field
// handed to default an error too: {{ .x | default "d" }} failed when x was
// missing, the one case default exists for. After parsing, every field that
// default receives (piped in, or as its last argument) is therefore read
// with fieldOrNil instead, which gives nil for a missing key: default then
// supplies its value, exactly as `x | default("d")` does in expressions.

// fieldOrNilFunc is the helper's name in the FuncMap; no template can call it
// by accident (helpers never start with an underscore).
const fieldOrNilFunc = "_runbook_field_or_nil"

var defaultFieldFuncs = template.FuncMap{fieldOrNilFunc: fieldOrNil}

// fieldOrNil reads the dotted path (x, a.b) below dot; nil when any part is
// missing or the value on the way is not a mapping.
func fieldOrNil(dot any, path string) any {
	cur := dot
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// tolerateDefaultFields rewrites every tree of t (see above).
func tolerateDefaultFields(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walkDefaults(tt.Tree.Root)
		}
	}
}

func walkDefaults(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walkDefaults(c)
			}
		}
	case *parse.ActionNode:
		rewritePipe(n.Pipe)
	case *parse.IfNode:
		walkBranch(&n.BranchNode)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode)
	case *parse.WithNode:
		walkBranch(&n.BranchNode)
	case *parse.TemplateNode:
		rewritePipe(n.Pipe)
	}
}

func walkBranch(b *parse.BranchNode) {
	rewritePipe(b.Pipe)
	walkDefaults(b.List)
	walkDefaults(b.ElseList)
}

// rewritePipe handles `.x | default "d"` and `default "d" .x`, also inside
// parenthesised sub-pipelines.
func rewritePipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for i, cmd := range p.Cmds {
		for _, a := range cmd.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				rewritePipe(sub)
			}
		}
		if !isDefaultCall(cmd) {
			continue
		}
		if len(cmd.Args) == 3 { // default "d" .x
			if f, ok := cmd.Args[2].(*parse.FieldNode); ok {
				cmd.Args[2] = &parse.PipeNode{NodeType: parse.NodePipe, Pos: f.Pos, Cmds: []*parse.CommandNode{lookupCommand(f)}}
			}
		}
		if i == 1 && len(p.Cmds[0].Args) == 1 { // .x | default "d"
			if f, ok := p.Cmds[0].Args[0].(*parse.FieldNode); ok {
				p.Cmds[0] = lookupCommand(f)
			}
		}
	}
}

func isDefaultCall(cmd *parse.CommandNode) bool {
	if len(cmd.Args) == 0 {
		return false
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	return ok && id.Ident == "default"
}

// lookupCommand is the command `_runbook_field_or_nil . "a.b"` for field .a.b.
func lookupCommand(f *parse.FieldNode) *parse.CommandNode {
	path := strings.Join(f.Ident, ".")
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: f.Pos, Args: []parse.Node{
		(&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Ident: fieldOrNilFunc}).SetPos(f.Pos),
		&parse.DotNode{NodeType: parse.NodeDot, Pos: f.Pos},
		&parse.StringNode{NodeType: parse.NodeString, Pos: f.Pos, Quoted: `"` + path + `"`, Text: path},
	}}
}
