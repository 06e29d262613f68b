package eval

// Jinja statements in string values: {% if %}/{% elif %}/{% else %},
// {% for %} (with loop.index and friends and {% else %}), {% set %} and
// {# comments #}, with Jinja's whitespace control ({%- -%}, {{- -}}) and
// Ansible's trim_blocks (the newline after a block tag is dropped). The
// expressions inside are compiled by compile(), like every other {{ }}, so
// a value with statements sees the same variables, filters, tests and
// undefined-variable rules as one without. The result is always a string,
// as Ansible's templating of mixed text gives.

import (
	"fmt"
	"maps"
	"regexp"
	"strings"
)

// hasStatements says whether s holds a Jinja statement tag, a comment or
// whitespace control, which make it a statement template rather than plain
// {{ }} text.
func hasStatements(s string) bool {
	if strings.Contains(s, "{{-") || strings.Contains(s, "-}}") {
		return true // whitespace control, which the lexer here applies
	}
	if !strings.Contains(s, "{%") && !strings.Contains(s, "{#") {
		return false
	}
	return jinjaStatement.MatchString(s) || jinjaComment.MatchString(s)
}

// jinjaComment matches a Jinja comment {# … #}.
var jinjaComment = regexp.MustCompile(`(?s)\{#.*?#\}`)

// stmtNode is one piece of a parsed statement template.
type stmtNode interface{}

// stmtText is literal text; stmtExpr a {{ }}.
type (
	stmtText string
	stmtExpr struct{ c *compiled }
)

// stmtIf is {% if %}…{% elif %}…{% else %}…{% endif %}.
type stmtIf struct {
	conds  []*compiled
	bodies [][]stmtNode
	els    []stmtNode
}

// stmtFor is {% for a[, b] in x %}…{% else %}…{% endfor %}.
type stmtFor struct {
	targets []string
	iter    *compiled
	cond    *compiled // for x in l if cond: items it is false for are skipped
	body    []stmtNode
	els     []stmtNode
	sets    bool // the body holds a {% set %}: each pass gets a fresh scope
}

// stmtSet is {% set name = x %}.
type stmtSet struct {
	name  string
	value *compiled
}

// stmtTemplate is a parsed statement template.
type stmtTemplate struct {
	body  []stmtNode
	exprs []*compiled // every expression in it, for References
	src   string
}

// tag is one lexed piece of a statement template: text, or a {{ }}, {% %}
// or {# #} tag with its code and whitespace-control marks.
type tag struct {
	kind           byte // 0 text, '{' expression, '%' statement, '#' comment
	code           string
	off            int // offset of the tag in the source
	trimL, trimR   bool
	trimmedNewline bool
}

// lexStatements splits s into text and tags, applying whitespace control
// and trim_blocks to the text between them.
func lexStatements(s string) ([]tag, error) {
	var out []tag
	i := 0
	for {
		j := nextTagStart(s, i)
		if j < 0 {
			out = append(out, tag{code: s[i:], off: i})
			break
		}
		out = append(out, tag{code: s[i:j], off: i})
		kind := s[j+1]
		start := j + 2
		t := tag{kind: kind, off: j}
		if start < len(s) && s[start] == '-' {
			t.trimL = true
			start++
		} else if start < len(s) && s[start] == '+' && kind != '{' {
			start++ // {%+ disables lstrip_blocks, which is off anyway
		}
		var end int
		switch kind {
		case '{':
			e, err := findClose(s, start)
			if err != nil {
				return nil, err
			}
			end = e
		case '%':
			end = findStmtClose(s, start)
		case '#':
			end = strings.Index(s[start:], "#}")
			if end >= 0 {
				end += start
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("unclosed \"{%c\" at offset %d in %s", kind, j, quoteExpr(s))
		}
		code := s[start:end]
		if strings.HasSuffix(code, "-") {
			t.trimR = true
			code = code[:len(code)-1]
		}
		t.code = strings.TrimSpace(code)
		out = append(out, t)
		i = end + 2
	}
	// Whitespace control and trim_blocks edit the text around the tags.
	for k := range out {
		t := &out[k]
		if t.kind == 0 {
			continue
		}
		if t.trimL && k > 0 {
			out[k-1].code = strings.TrimRight(out[k-1].code, " \t\r\n")
		}
		if k+1 < len(out) {
			next := &out[k+1]
			switch {
			case t.trimR:
				next.code = strings.TrimLeft(next.code, " \t\r\n")
			case t.kind != '{':
				// Ansible's templar sets trim_blocks.
				if after, ok := strings.CutPrefix(next.code, "\n"); ok {
					next.code = after
				} else if after, ok := strings.CutPrefix(next.code, "\r\n"); ok {
					next.code = after
				}
			}
		}
	}
	return out, nil
}

// nextTagStart returns the offset of the next "{{", "{%" or "{#" at or
// after i, or -1.
func nextTagStart(s string, i int) int {
	for {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 || i+j+1 >= len(s) {
			return -1
		}
		switch s[i+j+1] {
		case '{', '%', '#':
			return i + j
		}
		i += j + 1
	}
}

// findStmtClose returns the index of the "%}" that ends the statement
// starting at start (quotes respected), or -1.
func findStmtClose(s string, start int) int {
	var quote byte
	for k := start; k+1 < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0 && c == '\\':
			k++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '%' && s[k+1] == '}':
			return k
		}
	}
	return -1
}

// stmtParser builds the tree from the lexed tags.
type stmtParser struct {
	src   string
	tags  []tag
	i     int
	exprs []*compiled
}

// parseStatements parses a string holding Jinja statements.
func parseStatements(s string) (*stmtTemplate, error) {
	tags, err := lexStatements(s)
	if err != nil {
		return nil, err
	}
	p := &stmtParser{src: s, tags: tags}
	body, end, err := p.body()
	if err != nil {
		return nil, err
	}
	if end != nil {
		return nil, p.errAt(*end, "{%% %s %%} without its opening statement", end.code)
	}
	return &stmtTemplate{body: body, exprs: p.exprs, src: s}, nil
}

func (p *stmtParser) errAt(t tag, format string, args ...any) error {
	return fmt.Errorf("%s (at offset %d)", fmt.Sprintf(format, args...), t.off)
}

func (p *stmtParser) compile(t tag, code string) (*compiled, error) {
	if strings.TrimSpace(code) == "" {
		return nil, p.errAt(t, "empty expression")
	}
	c, err := compile(code)
	if err != nil {
		return nil, &RenderError{Text: p.src, Err: err}
	}
	p.exprs = append(p.exprs, c)
	return c, nil
}

// stmtWord returns a statement's keyword and the rest of its code.
func stmtWord(code string) (string, string) {
	w, rest, _ := strings.Cut(code, " ")
	if i := strings.IndexAny(w, "\t\n"); i >= 0 {
		w, rest = w[:i], w[i:]+" "+rest
	}
	return w, strings.TrimSpace(rest)
}

// body parses nodes up to a statement that closes or continues a block
// (endif, elif, else, endfor), which it returns unconsumed-as-node.
func (p *stmtParser) body() ([]stmtNode, *tag, error) {
	var nodes []stmtNode
	for p.i < len(p.tags) {
		t := p.tags[p.i]
		p.i++
		switch t.kind {
		case 0:
			if t.code != "" {
				nodes = append(nodes, stmtText(t.code))
			}
		case '#':
		case '{':
			c, err := p.compile(t, t.code)
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, stmtExpr{c})
		case '%':
			word, rest := stmtWord(t.code)
			var n stmtNode
			var err error
			switch word {
			case "endif", "elif", "else", "endfor":
				return nodes, &t, nil
			case "if":
				n, err = p.ifStmt(t, rest)
			case "for":
				n, err = p.forStmt(t, rest)
			case "set":
				n, err = p.setStmt(t, rest)
			default:
				err = p.errAt(t, "Jinja statement {%% %s %%} is not supported in playbook values (if, for and set are): use a template file (.j2) for it", word)
			}
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, n)
		}
	}
	return nodes, nil, nil
}

func (p *stmtParser) ifStmt(t tag, cond string) (stmtNode, error) {
	n := &stmtIf{}
	for {
		c, err := p.compile(t, cond)
		if err != nil {
			return nil, err
		}
		body, end, err := p.body()
		if err != nil {
			return nil, err
		}
		n.conds, n.bodies = append(n.conds, c), append(n.bodies, body)
		if end == nil {
			return nil, p.errAt(t, "{%% if %%} without {%% endif %%}")
		}
		word, rest := stmtWord(end.code)
		switch word {
		case "elif":
			t, cond = *end, rest
			continue
		case "else":
			els, end2, err := p.body()
			if err != nil {
				return nil, err
			}
			if end2 == nil || end2.code != "endif" {
				return nil, p.errAt(t, "{%% if %%} without {%% endif %%}")
			}
			n.els = els
			return n, nil
		case "endif":
			return n, nil
		}
		return nil, p.errAt(*end, "{%% %s %%} inside {%% if %%}: close the if with {%% endif %%} first", word)
	}
}

// forHead matches the head of a for statement: targets and iterable.
var forHead = regexp.MustCompile(`^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+(.+)$`)

func (p *stmtParser) forStmt(t tag, head string) (stmtNode, error) {
	m := forHead.FindStringSubmatch(head)
	if m == nil {
		return nil, p.errAt(t, "cannot read {%% for %s %%}: write {%% for x in list %%} or {%% for k, v in dict.items() %%}", head)
	}
	if strings.HasSuffix(m[2], " recursive") {
		return nil, p.errAt(t, "recursive for loops are not supported in playbook values: use a template file (.j2)")
	}
	n := &stmtFor{}
	for _, name := range strings.Split(m[1], ",") {
		n.targets = append(n.targets, strings.TrimSpace(name))
	}
	iter, cond := splitForFilter(m[2])
	var err error
	if n.iter, err = p.compile(t, iter); err != nil {
		return nil, err
	}
	if cond != "" {
		if n.cond, err = p.compile(t, cond); err != nil {
			return nil, err
		}
	}
	body, end, err := p.body()
	if err != nil {
		return nil, err
	}
	n.body = body
	n.sets = containsSet(body)
	if end != nil && end.code == "else" {
		if n.els, end, err = p.body(); err != nil {
			return nil, err
		}
	}
	if end == nil || end.code != "endfor" {
		return nil, p.errAt(t, "{%% for %%} without {%% endfor %%}")
	}
	return n, nil
}

// splitForFilter splits "l if cond" (Jinja's loop filter) at its first
// "if" outside brackets and quotes; Jinja reads no inline if in a loop's
// iterable, so that "if" is the filter's.
func splitForFilter(s string) (iter, cond string) {
	depth := 0
	var quote byte
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0 && c == '\\':
			k++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case depth == 0 && k > 0 && strings.HasPrefix(s[k:], "if") && (s[k-1] == ' ' || s[k-1] == '\t') &&
			(k+2 == len(s) || s[k+2] == ' ' || s[k+2] == '\t' || s[k+2] == '('):
			return strings.TrimSpace(s[:k]), strings.TrimSpace(s[k+2:])
		}
	}
	return s, ""
}

// containsSet says whether nodes (at any depth) hold a {% set %}.
func containsSet(nodes []stmtNode) bool {
	for _, n := range nodes {
		switch x := n.(type) {
		case *stmtSet:
			return true
		case *stmtIf:
			for _, b := range x.bodies {
				if containsSet(b) {
					return true
				}
			}
			if containsSet(x.els) {
				return true
			}
		case *stmtFor:
			if containsSet(x.body) || containsSet(x.els) {
				return true
			}
		}
	}
	return false
}

// setHead matches {% set name = value %}.
var setHead = regexp.MustCompile(`^([A-Za-z_]\w*)\s*=\s*(.+)$`)

func (p *stmtParser) setStmt(t tag, rest string) (stmtNode, error) {
	m := setHead.FindStringSubmatch(rest)
	if m == nil {
		return nil, p.errAt(t, "cannot read {%% set %s %%}: write {%% set name = value %%} (block sets and namespaces are not supported in playbook values)", rest)
	}
	c, err := p.compile(t, m[2])
	if err != nil {
		return nil, err
	}
	return &stmtSet{name: m[1], value: c}, nil
}

// stmtRun is one rendering of a statement template.
type stmtRun struct {
	src   string
	b     strings.Builder
	steps int
}

// maxStmtSteps bounds the work one value may do (nested loops multiply).
const maxStmtSteps = 1_000_000

// render renders the template with vars (never modified: a {% set %} or a
// loop works on a copy).
func (t *stmtTemplate) render(vars map[string]any) (string, error) {
	r := &stmtRun{src: t.src}
	if err := r.nodes(t.body, vars, false); err != nil {
		return "", err
	}
	out := r.b.String()
	// Ansible keeps a trailing newline the rendering dropped (trim_blocks
	// after a final {% endif %}).
	if strings.HasSuffix(t.src, "\n") && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out, nil
}

// nodes renders nodes; owned says vars is a copy this run may write to.
func (r *stmtRun) nodes(nodes []stmtNode, vars map[string]any, owned bool) error {
	for _, n := range nodes {
		if r.steps++; r.steps > maxStmtSteps {
			return &Error{Expr: r.src, Msg: fmt.Sprintf("more than %d steps rendering this value", maxStmtSteps)}
		}
		switch x := n.(type) {
		case stmtText:
			r.b.WriteString(string(x))
		case stmtExpr:
			v, err := r.eval(x.c, vars)
			if err != nil {
				return err
			}
			s, err := toString(v)
			if err != nil {
				return &RenderError{Text: r.src, Err: &Error{Expr: x.c.src, Msg: "cannot render value: " + err.Error(), Err: err}}
			}
			r.b.WriteString(s)
		case *stmtSet:
			v, err := r.eval(x.value, vars)
			if err != nil {
				return err
			}
			if !owned {
				vars, owned = maps.Clone(vars), true
				if vars == nil {
					vars = map[string]any{}
				}
			}
			vars[x.name] = v
		case *stmtIf:
			if err := r.ifNode(x, vars); err != nil {
				return err
			}
		case *stmtFor:
			if err := r.forNode(x, vars); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *stmtRun) eval(c *compiled, vars map[string]any) (any, error) {
	v, err := c.run(vars)
	if err != nil {
		return nil, &RenderError{Text: r.src, Err: err}
	}
	return v, nil
}

func (r *stmtRun) ifNode(x *stmtIf, vars map[string]any) error {
	for i, c := range x.conds {
		v, err := r.eval(c, vars)
		if err != nil {
			return err
		}
		if Truthy(v) {
			return r.nodes(x.bodies[i], vars, false)
		}
	}
	return r.nodes(x.els, vars, false)
}

func (r *stmtRun) forNode(x *stmtFor, vars map[string]any) error {
	v, err := r.eval(x.iter, vars)
	if err != nil {
		return err
	}
	items, err := iterItems(v)
	if err != nil {
		return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
	}
	scope := maps.Clone(vars)
	if scope == nil {
		scope = map[string]any{}
	}
	if x.cond != nil {
		kept := items[:0:0]
		for _, item := range items {
			if err := bindTargets(scope, x.targets, item); err != nil {
				return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
			}
			v, err := r.eval(x.cond, scope)
			if err != nil {
				return err
			}
			if Truthy(v) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.nodes(x.els, vars, false)
	}
	for i, item := range items {
		if x.sets && i > 0 {
			scope = maps.Clone(vars)
		}
		if err := bindTargets(scope, x.targets, item); err != nil {
			return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
		}
		n := len(items)
		loop := map[string]any{"index": i + 1, "index0": i, "first": i == 0, "last": i == n-1,
			"length": n, "revindex": n - i, "revindex0": n - i - 1}
		if i > 0 {
			loop["previtem"] = items[i-1]
		}
		if i < n-1 {
			loop["nextitem"] = items[i+1]
		}
		scope["loop"] = loop
		if err := r.nodes(x.body, scope, true); err != nil {
			return err
		}
	}
	return nil
}

// iterItems lists what a for loop goes through: a list's items, a
// mapping's keys (in YAML order, see yamlOrderedKeys) or a string's
// characters.
func iterItems(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case map[string]any:
		keys := yamlOrderedKeys(x)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case string:
		out := make([]any, 0, len(x))
		for _, c := range x {
			out = append(out, string(c))
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("cannot loop over none")
	}
	if l, ok := asList(v); ok {
		return l, nil
	}
	return nil, fmt.Errorf("cannot loop over a %s", typeName(v))
}

// bindTargets sets the loop variables: one takes the item, several unpack
// it (k, v in d.items()).
func bindTargets(scope map[string]any, targets []string, item any) error {
	if len(targets) == 1 {
		scope[targets[0]] = item
		return nil
	}
	l, ok := item.([]any)
	if !ok || len(l) != len(targets) {
		return fmt.Errorf("cannot unpack %s into %d loop variables (%s)", typeName(item), len(targets), strings.Join(targets, ", "))
	}
	for i, name := range targets {
		scope[name] = l[i]
	}
	return nil
}
