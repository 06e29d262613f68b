package eval

import (
	"strconv"
	"strings"
)

// Jinja expressions are translated to expr source once, when an
// expression is compiled: an expression that expr cannot parse (x is
// defined, items | length, a if c else b, 'a' ~ b, x.0, x // 2) is parsed
// here with Jinja's grammar and precedence and written back as expr, using
// the helpers of funcs*.go. The common expr operators (&&, ||, !, ??,
// c ? a : b, matches, contains, startsWith, endsWith) are accepted too, so
// one expression may mix both. Tests and filters are in jinja_filters.go.

// jn is a translated sub-expression.
type jn struct {
	code string // expr source; compound forms are parenthesised
	path string // "a.b.c" when the node is a plain variable path, for is defined
	str  *string
}

type jparser struct {
	toks   []token
	i      int
	inCall int // depth of call arguments, where expr's # and .field may appear
}

// translateJinja returns the expr form of a Jinja expression.
func translateJinja(code string) (string, *jinjaError) {
	toks, err := lexJinja(code)
	if err != nil {
		je, _ := err.(*jinjaError)
		return "", je
	}
	p := &jparser{toks: toks}
	var out jn
	jerr := catchJinja(func() { out = p.condExpr() })
	if jerr != nil {
		return "", jerr
	}
	if t := p.peek(); t.kind != tokEOF {
		return "", errAtTok(t, "unexpected %s", describe(t))
	}
	return out.code, nil
}

// jinjaPanic carries a *jinjaError up through the recursive descent.
type jinjaPanic struct{ err *jinjaError }

func catchJinja(f func()) (err *jinjaError) {
	defer func() {
		if r := recover(); r != nil {
			jp, ok := r.(jinjaPanic)
			if !ok {
				panic(r)
			}
			err = jp.err
		}
	}()
	f()
	return nil
}

func (p *jparser) fail(e *jinjaError) { panic(jinjaPanic{e}) }

func (p *jparser) peek() token { return p.toks[p.i] }

func (p *jparser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// isOp reports whether the current token is the operator (or keyword) s.
func (p *jparser) isOp(s string) bool {
	t := p.peek()
	return (t.kind == tokOp || t.kind == tokName) && t.text == s
}

func (p *jparser) accept(s string) bool {
	if p.isOp(s) {
		p.i++
		return true
	}
	return false
}

func (p *jparser) expect(s string) {
	t := p.peek()
	if !p.isOp(s) {
		p.fail(errAtTok(t, "expected %q, found %s", s, describe(t)))
	}
	p.next()
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "the end of the expression"
	case tokString:
		return strconv.Quote(t.text)
	}
	return "\"" + t.text + "\""
}

// wrap fills each @ of format with the next argument, in parentheses.
func wrap(format string, args ...string) jn {
	var b strings.Builder
	b.WriteByte('(')
	for i, part := range strings.Split(format, "@") {
		if i > 0 {
			b.WriteString(args[i-1])
		}
		b.WriteString(part)
	}
	b.WriteByte(')')
	return jn{code: b.String()}
}

func strLit(s string) jn { return jn{code: strconv.Quote(s), str: &s} }

// condExpr: a if c else b, and expr's c ? a : b.
func (p *jparser) condExpr() jn {
	n := p.orExpr()
	for {
		switch {
		case p.accept("if"):
			cond := p.orExpr()
			other := jn{code: "nil"}
			if p.accept("else") {
				other = p.condExpr()
			}
			n = wrap("@ ? @ : @", cond.code, n.code, other.code)
		case p.accept("?"):
			a := p.condExpr()
			p.expect(":")
			b := p.condExpr()
			n = wrap("@ ? @ : @", n.code, a.code, b.code)
		default:
			return n
		}
	}
}

func (p *jparser) orExpr() jn {
	n := p.andExpr()
	for p.accept("or") || p.accept("||") {
		n = wrap("@ or @", n.code, p.andExpr().code)
	}
	return n
}

func (p *jparser) andExpr() jn {
	n := p.notExpr()
	for p.accept("and") || p.accept("&&") {
		n = wrap("@ and @", n.code, p.notExpr().code)
	}
	return n
}

func (p *jparser) notExpr() jn {
	if p.accept("not") {
		return wrap("not @", p.notExpr().code)
	}
	return p.compare()
}

// compareOps are Jinja's comparison operators plus expr's word operators.
var compareOps = []string{"==", "!=", "<=", ">=", "<", ">", "in", "matches", "contains", "startsWith", "endsWith"}

func (p *jparser) compare() jn {
	n := p.math1()
	var parts []string
	for {
		op := ""
		for _, o := range compareOps {
			if p.isOp(o) {
				op = o
				break
			}
		}
		negate := false
		if op == "" && p.isOp("not") && p.i+1 < len(p.toks) && p.toks[p.i+1].text == "in" {
			p.i++
			op, negate = "in", true
		}
		if op == "" {
			break
		}
		p.next()
		right := p.math1()
		c := wrap("@ "+op+" @", n.code, right.code)
		if negate {
			c = wrap("not @", c.code)
		}
		parts = append(parts, c.code)
		n = right // a < b < c is a < b and b < c
	}
	switch len(parts) {
	case 0:
		return n
	case 1:
		return jn{code: parts[0]}
	}
	return jn{code: "(" + strings.Join(parts, " and ") + ")"}
}

func (p *jparser) math1() jn {
	n := p.concat()
	for {
		switch {
		case p.accept("+"):
			n = wrap("@ + @", n.code, p.concat().code)
		case p.accept("-"):
			n = wrap("@ - @", n.code, p.concat().code)
		default:
			return n
		}
	}
}

func (p *jparser) concat() jn {
	n := p.math2()
	for p.accept("~") {
		n = jn{code: catFunc + "(" + n.code + ", " + p.math2().code + ")"}
	}
	return n
}

func (p *jparser) math2() jn {
	n := p.pow()
	for {
		switch {
		case p.accept("*"):
			n = wrap("@ * @", n.code, p.pow().code)
		case p.accept("//"):
			n = jn{code: floorDivFunc + "(" + n.code + ", " + p.pow().code + ")"}
		case p.accept("/"):
			n = wrap("@ / @", n.code, p.pow().code)
		case p.accept("%"):
			n = wrap("@ % @", n.code, p.pow().code)
		default:
			return n
		}
	}
}

func (p *jparser) pow() jn {
	n := p.unary()
	for p.accept("**") {
		n = wrap("@ ** @", n.code, p.unary().code)
	}
	return n
}

// unary: -x, +x, !x, then a primary with its postfixes, filters and tests.
func (p *jparser) unary() jn { return p.unaryOf(true) }

// unaryOf reads a unary expression; the operand of - and + takes no
// filters of its own, as in Jinja: -3 | abs is abs(-3).
func (p *jparser) unaryOf(filtered bool) jn {
	filters := func(n jn) jn {
		if filtered {
			return p.filters(n)
		}
		return n
	}
	switch {
	case p.accept("-"):
		return filters(wrap("-@", p.unaryOf(false).code))
	case p.accept("+"):
		return filters(p.unaryOf(false))
	case p.accept("!"):
		return wrap("!@", p.unary().code)
	}
	n := filters(p.postfix(p.primary()))
	for p.accept("??") {
		n = wrap("@ ?? @", n.code, p.filters(p.postfix(p.primary())).code)
	}
	return n
}

// filters applies "| filter" and "is test" in order.
func (p *jparser) filters(n jn) jn {
	for {
		switch {
		case p.accept("|"):
			n = p.filter(n)
		case p.isOp("is"):
			p.next()
			n = p.test(n)
		default:
			return n
		}
	}
}

func (p *jparser) primary() jn {
	t := p.next()
	switch t.kind {
	case tokString:
		s := t.text
		for p.peek().kind == tokString { // 'a' 'b' is 'ab', as in Python
			s += p.next().text
		}
		return strLit(s)
	case tokNumber:
		return jn{code: t.text}
	case tokName:
		switch t.text {
		case "true", "True":
			return jn{code: "true"}
		case "false", "False":
			return jn{code: "false"}
		case "none", "None", "nil":
			return jn{code: "nil"}
		case "and", "or", "not", "in", "is", "if", "else":
			p.fail(errAtTok(t, "unexpected %s", describe(t)))
		}
		if p.isOp("(") {
			p.next()
			args := p.args()
			return p.call(t, args)
		}
		return jn{code: t.text, path: t.text}
	case tokOp:
		switch t.text {
		case "(":
			if p.accept(")") {
				return callCode("$py_tuple")
			}
			first := p.condExpr()
			if p.accept(")") {
				return jn{code: "(" + first.code + ")"}
			}
			items := []string{first.code}
			for p.accept(",") && !p.isOp(")") {
				items = append(items, p.condExpr().code)
			}
			p.expect(")")
			return callCode("$py_tuple", items...)
		case "[":
			var items []string
			for !p.isOp("]") {
				items = append(items, p.condExpr().code)
				if !p.accept(",") {
					break
				}
			}
			p.expect("]")
			return jn{code: "[" + strings.Join(items, ", ") + "]"}
		case "{":
			return p.dict()
		case "#":
			// expr's closure argument, in filter(list, # > 1).
			if p.inCall > 0 {
				return jn{code: "#"}
			}
		case ".":
			// expr's closure field, in map(users, .name).
			if f := p.peek(); f.kind == tokName && p.inCall > 0 {
				p.next()
				return jn{code: "." + f.text}
			}
		}
	}
	p.fail(errAtTok(t, "unexpected %s", describe(t)))
	return jn{}
}

// dict: {'k': v, …}; keys must be literals (expr reads a bare name as a
// string key, Jinja as a variable).
func (p *jparser) dict() jn {
	var pairs []string
	for !p.isOp("}") {
		k := p.peek()
		var key string
		switch k.kind {
		case tokString:
			key = strconv.Quote(p.next().text)
		case tokNumber:
			key = strconv.Quote(p.next().text)
		default:
			p.fail(refusedAt(k.pos, "a map key must be a quoted string or a number in a Jinja expression, found %s", describe(k)))
		}
		p.expect(":")
		pairs = append(pairs, key+": "+p.condExpr().code)
		if !p.accept(",") {
			break
		}
	}
	p.expect("}")
	return jn{code: "{" + strings.Join(pairs, ", ") + "}"}
}

// postfix: .name, .0, ?.name, [i], [a:b], and method calls.
func (p *jparser) postfix(n jn) jn {
	for {
		switch {
		case p.isOp(".") || p.isOp("?."):
			opt := p.next().text == "?."
			t := p.next()
			switch {
			case t.kind == tokNumber && !strings.ContainsAny(t.text, ".eE"):
				n = jn{code: n.code + "[" + t.text + "]"}
			case t.kind == tokName:
				if p.isOp("(") {
					p.next()
					n = p.method(n, t, p.args())
					continue
				}
				path := ""
				if n.path != "" {
					path = n.path + "." + t.text
				}
				dot := "."
				if opt {
					dot = "?."
				}
				n = jn{code: n.code + dot + t.text, path: path}
			default:
				p.fail(errAtTok(t, "expected a name after \".\", found %s", describe(t)))
			}
		case p.isOp("["):
			p.next()
			var from, to string
			var key jn
			if !p.isOp(":") {
				key = p.condExpr()
				from = key.code
			}
			if p.accept(":") {
				if !p.isOp("]") && !p.isOp(":") {
					to = p.condExpr().code
				}
				if p.accept(":") && !p.isOp("]") { // x[a:b:step]
					step := p.condExpr().code
					p.expect("]")
					n = callCode("$py_slice", n.code, orNil(from), orNil(to), step)
					continue
				}
				p.expect("]")
				n = jn{code: n.code + "[" + from + ":" + to + "]"}
				continue
			}
			p.expect("]")
			path := ""
			if n.path != "" && key.str != nil {
				path = n.path + "." + *key.str // x['a'] is x.a for is defined
			}
			n = jn{code: n.code + "[" + from + "]", path: path}
		default:
			return n
		}
	}
}

// arg is one call argument; name is set for keyword arguments.
type arg struct {
	name string
	val  jn
	pos  int
}

// args reads call arguments up to the closing parenthesis.
func (p *jparser) args() []arg {
	const closing = ")"
	p.inCall++
	defer func() { p.inCall-- }()
	var out []arg
	for !p.isOp(closing) {
		t := p.peek()
		a := arg{pos: t.pos}
		if t.kind == tokName && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tokOp && p.toks[p.i+1].text == "=" {
			a.name = t.text
			p.i += 2
		}
		a.val = p.condExpr()
		out = append(out, a)
		if !p.accept(",") {
			break
		}
	}
	p.expect(closing)
	return out
}

// positional returns the codes of the arguments, refusing keyword ones.
func (p *jparser) positional(what string, args []arg) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a.name != "" {
			p.fail(refusedAt(a.pos, "%s takes no keyword argument %q", what, a.name))
		}
		out = append(out, a.val.code)
	}
	return out
}

func callCode(name string, args ...string) jn {
	return jn{code: name + "(" + strings.Join(args, ", ") + ")"}
}
