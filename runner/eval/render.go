package eval

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/runbook-dev/runbook/internal/maporder"
)

// HasTemplate reports whether s contains "{{" or a Jinja statement or
// comment ({% if x %}, {# note #}).
func HasTemplate(s string) bool {
	return strings.Contains(s, "{{") || hasStatements(s)
}

// Render renders a string that may contain {{ expr }}.
//
// A string that is exactly one {{ expr }} (surrounding whitespace allowed)
// returns the expression's value with its type (list, map, number, bool,
// nil; a tuple is its text, as in Ansible). Otherwise the result is a
// string with each {{ }} replaced by its value as Python's str() writes it
// (True, 2.0, ['a', 1], {'k': None}), nil as "", as Ansible renders text.
// A string without "{{" is returned unchanged.
//
// The expression inside {{ }} may itself contain braces and "}}" inside
// string literals or map literals ({{ {"a": 1} }}, {{ "}}" }}); a literal
// "{{" in the output can be written {{ "{{" }}. A "}}" outside any {{ }} is
// plain text.
func Render(s string, vars map[string]any) (result any, err error) {
	if !HasTemplate(s) {
		return s, nil
	}
	defer recoverError(&err, s)
	t := parseTemplateString(s)
	if t.err != nil {
		return nil, t.err
	}
	if t.stmts != nil {
		out, err := t.stmts.render(vars)
		if err != nil {
			return nil, err // not "" and the error: callers test the value
		}
		return out, nil
	}
	if t.single != nil {
		v, err := t.single.run(vars)
		if err != nil {
			return nil, renderError(s, true, err)
		}
		if tuple, ok := v.(pyTuple); ok { // Ansible's text of a tuple is not read back as a value
			return t.pre + pyStr(tuple) + t.post, nil
		}
		return keepBlanks(t.pre, v, t.post), nil
	}
	// Evaluate first, then build the string at its exact size.
	var buf [8]string
	parts := buf[:0]
	size := t.size
	for _, seg := range t.segs {
		if seg.expr == nil {
			continue
		}
		v, err := seg.expr.run(vars)
		if err != nil {
			return nil, renderError(s, false, err)
		}
		var str string
		switch v := v.(type) {
		case string:
			str = v
		case int:
			str = strconv.Itoa(v)
		default:
			if str, err = pyText(v); err != nil {
				return nil, renderError(s, false, &Error{Expr: seg.expr.src, Msg: err.Error(), Err: err})
			}
		}
		parts = append(parts, str)
		size += len(str)
	}
	var b strings.Builder
	b.Grow(size)
	for _, seg := range t.segs {
		if seg.expr == nil {
			b.WriteString(seg.text)
			continue
		}
		b.WriteString(parts[0])
		parts = parts[1:]
	}
	return b.String(), nil
}

// renderError adds the rendered string to an expression's error, unless the
// string is just that one expression (whose error already names it).
func renderError(s string, single bool, err error) error {
	if single {
		return err
	}
	return &RenderError{Text: s, Err: err}
}

// RenderError is an error rendering a string; Err is the error of the
// {{ }} part that failed (an *UndefinedError or *Error).
type RenderError struct {
	Text string // the string being rendered
	Err  error
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("rendering %s: %v", quoteExpr(e.Text), e.Err)
}

// Unwrap returns the underlying error.
func (e *RenderError) Unwrap() error { return e.Err }

// RenderValue renders recursively through map[string]any and []any (keys
// are not rendered), returning new containers; strings are rendered with
// Render and other scalars pass through. Errors say where in the value they
// happened (e.g. `at args.env[2]: …`).
func RenderValue(v any, vars map[string]any) (any, error) {
	var stack [8]unsafe.Pointer
	return renderValue(v, vars, stack[:0])
}

// renderValue renders v; path holds the containers being rendered, to
// detect a value that contains itself.
func renderValue(v any, vars map[string]any, path []unsafe.Pointer) (_ any, err error) {
	switch t := v.(type) {
	case string:
		if !HasTemplate(t) {
			return t, nil
		}
		return Render(t, vars)
	case map[string]any:
		if path, err = enter(path, reflect.ValueOf(t).UnsafePointer()); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := renderValue(x, vars, path)
			if err != nil {
				return nil, atPath(k, err)
			}
			out[k] = r
		}
		maporder.Inherit(out, t)
		return out, nil
	case []any:
		if path, err = enter(path, unsafe.Pointer(unsafe.SliceData(t))); err != nil {
			return nil, err
		}
		out := make([]any, len(t))
		for i, x := range t {
			r, err := renderValue(x, vars, path)
			if err != nil {
				return nil, atPath("["+strconv.Itoa(i)+"]", err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// enter adds a container to the path, failing if it is already on it.
func enter(path []unsafe.Pointer, p unsafe.Pointer) ([]unsafe.Pointer, error) {
	if p != nil && slices.Contains(path, p) {
		return nil, fmt.Errorf("value contains itself")
	}
	if len(path) > maxDepth {
		return nil, fmt.Errorf("value nested more than %d levels deep", maxDepth)
	}
	return append(path, p), nil
}

// PathError is an error rendering part of a value given to RenderValue.
type PathError struct {
	Path string // where in the value: "args.env[2]"
	Err  error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("at %s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *PathError) Unwrap() error { return e.Err }

// atPath prefixes step (a map key or "[i]") to the path of err, building
// the path up while unwinding.
func atPath(step string, err error) error {
	if pe, ok := err.(*PathError); ok {
		if strings.HasPrefix(pe.Path, "[") {
			pe.Path = step + pe.Path
		} else {
			pe.Path = step + "." + pe.Path
		}
		return pe
	}
	return &PathError{Path: step, Err: err}
}

// ValidateString checks that every {{ }} and {% %} in s parses and
// compiles; an unclosed "{{" is an error.
func ValidateString(s string) (err error) {
	if !HasTemplate(s) {
		return nil
	}
	defer recoverError(&err, s)
	return parseTemplateString(s).err
}

// jinjaStatement matches a Jinja statement tag such as {% if x %} or {%- for
// i in l -%}.
var jinjaStatement = regexp.MustCompile(`\{%-?\s*[a-z]+\b[^%]*-?%\}`)

// templateString is the cached, parsed form of a string with {{ }}.
type templateString struct {
	stmts  *stmtTemplate // set when the string holds {% %} or {# #}
	single *compiled     // set when the string is exactly one {{ expr }}
	// pre and post are the blanks around single ("{{ x }}\n", a YAML
	// block scalar's usual shape).
	pre, post string
	segs      []segment
	size      int // length of the literal text
	err       error
}

// segment is literal text (expr nil) or a compiled expression.
type segment struct {
	text string
	expr *compiled
}

// templateStrings caches parsed strings by their text.
var templateStrings = newCache[*templateString](20000)

// parseTemplateString returns the cached parse of s, parsing it on first use.
func parseTemplateString(s string) *templateString {
	if t, ok := templateStrings.get(s); ok {
		return t
	}
	return templateStrings.put(s, parseTemplateStringUncached(s))
}

func parseTemplateStringUncached(s string) *templateString {
	if hasStatements(s) {
		st, err := parseStatements(s)
		if err != nil {
			return &templateString{err: err}
		}
		t := &templateString{stmts: st}
		for _, c := range st.exprs {
			t.segs = append(t.segs, segment{expr: c})
		}
		if len(st.body) == 1 {
			if e, ok := st.body[0].(stmtExpr); ok {
				// Just {{- x -}}: the value with its type, as {{ x }}.
				t.single, t.stmts = e.c, nil
			}
		}
		return t
	}
	raw, err := splitTemplate(s)
	if err != nil {
		return &templateString{err: err}
	}
	t := &templateString{}
	exprs := 0
	blank := true
	for _, r := range raw {
		if r.isExpr {
			exprs++
		} else if strings.TrimSpace(r.text) != "" {
			blank = false
		}
	}
	single := exprs == 1 && blank
	for _, r := range raw {
		if !r.isExpr {
			t.segs = append(t.segs, segment{text: r.text})
			t.size += len(r.text)
			continue
		}
		c, err := compile(r.text)
		if err != nil {
			return &templateString{err: renderError(s, single, err)}
		}
		t.segs = append(t.segs, segment{expr: c})
	}
	if single {
		for _, seg := range t.segs {
			switch {
			case seg.expr != nil:
				t.single = seg.expr
			case t.single == nil:
				t.pre = seg.text
			default:
				t.post = seg.text
			}
		}
	}
	return t
}

// keepBlanks gives the value of a string that is one expression between
// blanks. A string or a number is text, so the blanks stay, as in Ansible
// ("{{ motd }}\n" writes the newline); any other value keeps its type (Ansible
// reads a list or mapping back from its text, and a lone value with
// blanks around it is rarely meant as text).
func keepBlanks(pre string, v any, post string) any {
	if pre == "" && post == "" {
		return v
	}
	switch v := v.(type) {
	case string:
		return pre + v + post
	case int, int64, uint64, float64:
		return pre + pyStr(v) + post
	}
	return v
}

// rawSegment is a piece of a template string before compiling.
type rawSegment struct {
	text   string
	isExpr bool
}

// splitTemplate splits s into literal text and the expressions inside
// {{ }}. An expression ends at the first "}}" that is outside string
// literals and not closing a "{" opened inside the expression.
func splitTemplate(s string) ([]rawSegment, error) {
	var segs []rawSegment
	i := 0
	for {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			if i < len(s) {
				segs = append(segs, rawSegment{text: s[i:]})
			}
			return segs, nil
		}
		if j > 0 {
			segs = append(segs, rawSegment{text: s[i : i+j]})
		}
		start := i + j + 2
		end, err := findClose(s, start)
		if err != nil {
			return nil, err
		}
		code := s[start:end]
		if strings.TrimSpace(code) == "" {
			return nil, syntaxErrorf("empty {{ }} at offset %d in %s", i+j, quoteExpr(s))
		}
		segs = append(segs, rawSegment{text: literalBackslashes(strings.TrimSpace(code)), isExpr: true})
		i = end + 2
	}
}

// literalBackslashes doubles every backslash inside the string literals of
// a {{ }} expression, so that the literal's value is exactly the text
// between its quotes. ansible-core does this to every {{ }} in a playbook
// value (not to `when:`, not inside {% %}, not in .j2 files), because the
// YAML parser has already decoded the string's escapes once: in a
// double-quoted YAML value, '\\1' reaches the expression as '\1' and must
// stay a regex backreference, and '\n' in a plain scalar stays a backslash
// and an n.
func literalBackslashes(code string) string {
	if !strings.Contains(code, `\`) {
		return code
	}
	var b strings.Builder
	var quote byte
	for k := 0; k < len(code); k++ {
		c := code[k]
		switch {
		case quote == 0:
			if c == '"' || c == '\'' {
				quote = c
			}
		case c == '\\':
			if k+1 < len(code) && code[k+1] == quote {
				// An escaped quote: Ansible's doubling would end the
				// literal there and fail; it stays an escaped quote.
				b.WriteByte(c)
				k++
				c = code[k]
				break
			}
			b.WriteByte('\\')
			if k+1 < len(code) {
				// The escaped character never ends the literal (Jinja's
				// lexer reads the pair as one), as in Ansible.
				b.WriteByte(c)
				k++
				c = code[k]
				if c == '\\' {
					b.WriteByte('\\')
				}
			}
		case c == quote:
			quote = 0
		}
		b.WriteByte(c)
	}
	return b.String()
}

// findClose returns the index of the "}}" that closes the expression
// starting at start.
func findClose(s string, start int) (int, error) {
	depth := 0
	var quote byte
	for k := start; k < len(s); k++ {
		c := s[k]
		if quote != 0 {
			switch {
			case c == '\\' && quote != '`':
				k++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			} else if k+1 < len(s) && s[k+1] == '}' {
				return k, nil
			}
		}
	}
	if quote != 0 {
		return 0, syntaxErrorf("unclosed \"{{\" at offset %d in %s: unterminated string literal inside it", start-2, quoteExpr(s))
	}
	return 0, syntaxErrorf("unclosed \"{{\" at offset %d in %s: no matching \"}}\"", start-2, quoteExpr(s))
}
