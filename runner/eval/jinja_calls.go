package eval

import (
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/builtin"
)

// Translating Jinja tests, calls of globals and lookups, and Python
// methods.

// isExprFunc reports whether name is a helper or an expr builtin.
func isExprFunc(name string) bool {
	_, isBuiltin := builtin.Index[name]
	return exprFuncNames[name] || isBuiltin
}

// test translates "is [not] name [args]" applied to x.
func (p *jparser) test(x jn) jn {
	negate := p.accept("not")
	t := p.next()
	if t.kind != tokName {
		p.fail(errAtTok(t, "expected a test name after \"is\", found %s", describe(t)))
	}
	var out jn
	switch t.text {
	case "defined", "undefined":
		if x.path != "" {
			out = callCode("defined", strconv.Quote(x.path))
		} else {
			out = wrap("@ != nil", x.code)
		}
		if t.text == "undefined" {
			negate = !negate
		}
	case "none":
		out = wrap("@ == nil", x.code)
	default:
		if !jinjaTests[t.text] {
			p.fail(refusedAt(t.pos, "unknown test %q%s", t.text, didYouMean(t.text, testNames())))
		}
		var args []string
		switch {
		case p.accept("("):
			args = p.positional("test "+t.text, p.testArgs(t))
		case p.startsPrimary():
			args = []string{p.postfix(p.primary()).code}
		}
		out = callCode(isFunc, append([]string{strconv.Quote(t.text), x.code}, args...)...)
	}
	if negate {
		return wrap("!@", out.code)
	}
	return out
}

// testArgs reads a test's arguments; version's operator= and strict= are
// passed as positional ones.
func (p *jparser) testArgs(t token) []arg {
	args := p.args()
	if t.text != "version" && t.text != "version_compare" {
		return args
	}
	out := make([]arg, 0, len(args))
	for _, a := range args {
		switch a.name {
		case "operator", "":
			a.name = ""
			out = append(out, a)
		case "strict", "version_type":
		default:
			p.fail(refusedAt(a.pos, "test version has no parameter %q", a.name))
		}
	}
	return out
}

// startsPrimary reports whether the next token can begin a test's single
// argument without parentheses (x is divisibleby 3).
func (p *jparser) startsPrimary() bool {
	t := p.peek()
	switch t.kind {
	case tokString, tokNumber:
		return true
	case tokName:
		switch t.text {
		case "and", "or", "not", "in", "is", "if", "else", "matches", "contains", "startsWith", "endsWith":
			return false
		}
		return true
	}
	return t.kind == tokOp && (t.text == "[" || t.text == "(")
}

// call translates name(args): Jinja's globals, lookups, and the helpers.
func (p *jparser) call(t token, args []arg) jn {
	switch t.text {
	case "lookup", "query", "q":
		return p.lookup(t, args)
	case "now":
		return p.nowCall(t, args)
	case "dict":
		var pairs []string
		for _, a := range args {
			if a.name == "" {
				p.fail(refusedAt(a.pos, "dict() takes keyword arguments only (dict(a=1)); write a map as {'a': 1}"))
			}
			pairs = append(pairs, strconv.Quote(a.name)+": "+a.val.code)
		}
		return jn{code: "{" + strings.Join(pairs, ", ") + "}"}
	}
	if !isExprFunc(t.text) {
		p.fail(errAtTok(t, "%s", unknownFuncMessage(t.text)))
	}
	return callCode(t.text, p.positional(t.text+"()", args)...)
}

// lookup: lookup('env', 'HOME'), query('file', p), q(…), with errors=,
// wantlist= and the lookup's own keyword options; the name must be a
// literal, so that an unsupported lookup or option is refused when the
// playbook is validated.
func (p *jparser) lookup(t token, args []arg) jn {
	list := "false"
	if t.text != "lookup" {
		list = "true"
	}
	if len(args) == 0 || args[0].name != "" || args[0].val.str == nil {
		p.fail(refusedAt(t.pos, "%s() needs the lookup's name as a quoted string first, e.g. %s('env', 'HOME')", t.text, t.text))
	}
	name := *args[0].val.str
	if err := checkLookup(name, nil); err != nil {
		p.fail(refusedAt(args[0].pos, "%v", err))
	}
	errorsMode := `""`
	var pos, opts []string
	for _, a := range args {
		switch a.name {
		case "":
			pos = append(pos, a.val.code)
		case "wantlist":
			if t.text == "lookup" { // query() always gives a list, as in Ansible
				list = a.val.code
			}
		case "errors":
			errorsMode = a.val.code
		default:
			if err := checkLookup(name, []string{a.name}); err != nil {
				p.fail(refusedAt(a.pos, "%v", err))
			}
			opts = append(opts, strconv.Quote(a.name)+": "+a.val.code)
		}
	}
	return callCode(lookupFunc, append([]string{"$env", list, errorsMode, "{" + strings.Join(opts, ", ") + "}"}, pos...)...)
}

// method translates Python string and dict methods: x.split(','),
// x.startswith('a'), d.get('k', 0), d.items(), ', '.join(l).
func (p *jparser) method(x jn, t token, args []arg) jn {
	if n, ok := p.pyMethod(x, t, args); ok {
		return n
	}
	a := p.positional("."+t.text+"()", args)
	with := func(helper string, min, max int) jn {
		if len(a) < min || len(a) > max {
			p.fail(errAtTok(t, ".%s() takes %s", t.text, arityText(min, max, len(a))))
		}
		return callCode(helper, append([]string{x.code}, a...)...)
	}
	switch t.text {
	case "lower", "upper":
		return with("$"+t.text, 0, 0)
	case "keys", "values":
		return with(t.text, 0, 0)
	case "items":
		return with("$items", 0, 0)
	case "get":
		return with("$get", 1, 2)
	case "join":
		if len(a) != 1 {
			p.fail(errAtTok(t, ".join() takes 1 argument, got %d", len(a)))
		}
		return callCode("join", a[0], x.code)
	}
	if out, ok := dateMethod(x, t.text, a); ok {
		return out
	}
	p.fail(refusedAt(t.pos, "method .%s() is not supported (the Python methods are %s): use a filter (x | name)", t.text, pyMethodNames()))
	return jn{}
}

func testNames() []string {
	names := []string{"defined", "undefined", "none"}
	for n := range jinjaTests {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
