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
	kind         byte // 0 text, '{' expression, '%' statement, '#' comment
	code         string
	off          int // offset of the tag in the source
	trimL, trimR bool
}

// endRaw matches the tag that ends {% raw %}.
var endRaw = regexp.MustCompile(`\{%(-?)\s*endraw\s*(-?)%\}`)

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
			return nil, syntaxErrorf("unclosed \"{%c\" at offset %d in %s", kind, j, quoteExpr(s))
		}
		code := s[start:end]
		if strings.HasSuffix(code, "-") {
			t.trimR = true
			code = code[:len(code)-1]
		}
		t.code = strings.TrimSpace(code)
		out = append(out, t)
		i = end + 2
		if kind == '%' && t.code == "raw" {
			// Up to {% endraw %}, the text is taken as it is ({{ }} too).
			m := endRaw.FindStringSubmatchIndex(s[i:])
			if m == nil {
				return nil, syntaxErrorf("{%% raw %%} without {%% endraw %%} in %s", quoteExpr(s))
			}
			out = append(out, tag{code: s[i : i+m[0]], off: i},
				tag{kind: '%', code: "endraw", off: i + m[0], trimL: m[3] > m[2], trimR: m[5] > m[4]})
			i += m[1]
		}
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
	return scanUnquoted(s, start, func(k, _ int) bool { return s[k] == '%' && k+1 < len(s) && s[k+1] == '}' })
}

// scanUnquoted calls at(k, depth) for each byte of s from start that is
// outside string literals (depth: how many brackets are open before it),
// and returns the first k it says true for, or -1.
func scanUnquoted(s string, start int, at func(k, depth int) bool) int {
	depth := 0
	var quote byte
	for k := start; k < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0 && c == '\\':
			k++
			continue
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		}
		if at(k, depth) {
			return k
		}
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
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
	return syntaxErrorf("%s (at offset %d)", fmt.Sprintf(format, args...), t.off)
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
			c, err := p.compile(t, literalBackslashes(t.code))
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
			case "raw", "endraw": // the lexer took the text between them as it is
				continue
			case "if":
				n, err = p.ifStmt(t, rest)
			case "for":
				n, err = p.forStmt(t, rest)
			case "set":
				n, err = p.setStmt(t, rest)
			default:
				err = p.errAt(t, "Jinja statement {%% %s %%} is not supported in playbook values (if, for, set and raw are): use a template file (.j2) for it", word)
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
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' }
	k := scanUnquoted(s, 0, func(k, depth int) bool {
		return depth == 0 && k > 0 && isSpace(s[k-1]) && strings.HasPrefix(s[k:], "if") &&
			(k+2 == len(s) || isSpace(s[k+2]) || s[k+2] == '(')
	})
	if k < 0 {
		return s, ""
	}
	return strings.TrimSpace(s[:k]), strings.TrimSpace(s[k+2:])
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
