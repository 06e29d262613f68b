package modules

// The filters and tests of .j2 templates: gonja's Jinja ones where they
// behave as Jinja's, runbook's expression helpers (runner/eval, matched to
// Ansible's results) for Ansible's filters and tests and for the Jinja ones
// gonja gets wrong, so that a filter gives the same result in a template as
// in a playbook expression.

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/runbook-dev/runbook/internal/maporder"
	"github.com/runbook-dev/runbook/runner/eval"
)

// evalFilterNames are the filters a template runs through runner/eval.
// A filter a template uses that neither gonja nor this list has goes there
// too, so eval's refusal (ipaddr, password_hash) is what the user reads.
var evalFilterNames = []string{
	"combine", "regex_replace", "regex_search", "regex_findall", "regex_escape",
	"from_json", "from_yaml",
	"b64encode", "b64decode", "bool", "int", "float", "flatten", "union", "difference", "intersect",
	"basename", "dirname", "quote", "hash", "md5", "sha1", "checksum", "ternary",
	"dict2items", "items2dict", "zip", "product", "split", "unique", "min", "max", "sum",
	"tojson",
}

// evalTestNames are the tests a template runs through runner/eval.
var evalTestNames = []string{
	"string", "number", "integer", "float", "mapping", "sequence", "iterable", "boolean",
	"true", "false", "truthy", "falsy", "lower", "upper", "even", "odd", "divisibleby",
	"changed", "change", "failed", "failure", "succeeded", "success", "successful",
	"skipped", "skip", "finished", "reachable", "unreachable",
	"match", "search", "regex", "version", "version_compare",
	"in", "contains", "subset", "superset",
	"eq", "equalto", "ne", "lt", "lessthan", "le", "gt", "greaterthan", "ge",
}

// jinjaFilterSet builds the filters of one render: gonja's, ours, and a
// bridge to eval for every name in extra that has no filter yet.
func jinjaFilterSet(extra map[string]bool, rec *jinjaRecorder) *exec.FilterSet {
	fs := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	own := map[string]exec.FilterFunction{
		pystrFilter:  printFilterFunc,
		iterFilter:   iterFilterFunc,
		"string":     pystrFilterFunc,
		"default":    jinjaDefault,
		"d":          jinjaDefault,
		"mandatory":  jinjaMandatory,
		"round":      jinjaRound,
		"selectattr": jinjaSelectAttr(false),
		"rejectattr": jinjaSelectAttr(true),
		"dictsort":   jinjaDictSort,
		"map":        jinjaMap,
		"extract":    jinjaExtract,
	}
	for name, f := range serialFilters(rec) {
		own[name] = f
	}
	for _, name := range evalFilterNames {
		own[name] = evalFilter(name, rec)
	}
	fs.Update(exec.NewFilterSet(own))
	addEvalFilters(fs, extra, rec)
	return fs
}

// addEvalFilters bridges to eval each name in names that has no filter.
func addEvalFilters(fs *exec.FilterSet, names map[string]bool, rec *jinjaRecorder) {
	for name := range names {
		if !fs.Exists(name) {
			_ = fs.Register(name, evalFilter(name, rec))
		}
	}
}

// jinjaRecorder keeps the errors runbook's own filters, tests and globals
// return during a render: gonja rewraps them as text, and jinjaError
// reports the recorded one instead of gonja's wrapping.
type jinjaRecorder struct{ errs []error }

// fail records err and returns it as gonja's error value.
func (r *jinjaRecorder) fail(err error) *exec.Value {
	r.errs = append(r.errs, err)
	return exec.AsValue(err)
}

// cause returns the last recorded error that text mentions.
func (r *jinjaRecorder) cause(text string) error {
	for i := len(r.errs) - 1; i >= 0; i-- {
		if strings.Contains(text, r.errs[i].Error()) {
			return r.errs[i]
		}
	}
	return nil
}

// jinjaTestSet is gonja's tests with Jinja's defined (a None value is
// defined) and eval's Ansible tests.
func jinjaTestSet(rec *jinjaRecorder) *exec.TestSet {
	own := map[string]exec.TestFunction{
		"defined":   func(_ *exec.Context, in *exec.Value, _ *exec.VarArgs) (bool, error) { return !isUndefined(in), nil },
		"undefined": func(_ *exec.Context, in *exec.Value, _ *exec.VarArgs) (bool, error) { return isUndefined(in), nil },
		"none": func(_ *exec.Context, in *exec.Value, _ *exec.VarArgs) (bool, error) {
			if isUndefined(in) {
				return false, undefinedError(in)
			}
			return in.IsNil(), nil
		},
	}
	for _, name := range evalTestNames {
		own[name] = evalTest(name, rec)
	}
	return exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests).Update(exec.NewTestSet(own))
}

// undefinedName finds the variable or attribute an undefined error is about.
var undefinedName = regexp.MustCompile(`Unable to evaluate name "([^"]+)"|attribute '([^']+)' not found|item '?([^' ]+)'? not found`)

// isUndefined says whether v is gonja's error for an undefined name,
// attribute or item (strict undefined makes every undefined an error).
func isUndefined(v *exec.Value) bool {
	return v != nil && v.IsError() && undefinedName.MatchString(v.Error())
}

// undefinedError is Jinja's message for an undefined value.
func undefinedError(v *exec.Value) error {
	m := undefinedName.FindStringSubmatch(v.Error())
	if m == nil {
		return errors.New(v.Error())
	}
	return errors.New(undefinedErrorText(m))
}

// undefinedErrorText words a match of undefinedName as Jinja does.
func undefinedErrorText(m []string) string {
	switch {
	case m[1] != "":
		return fmt.Sprintf("'%s' is undefined", m[1])
	case m[2] != "":
		return fmt.Sprintf("'dict object' has no attribute '%s'", m[2])
	}
	return fmt.Sprintf("'dict object' has no attribute '%s'", m[3])
}

// jinjaDefault is Jinja's default(value, boolean=false): only an undefined
// value (or with boolean a false one) is replaced; None is kept.
func jinjaDefault(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	def := exec.AsValue("")
	if len(p.Args) > 0 {
		def = p.Args[0]
	} else if v, ok := p.KwArgs["default_value"]; ok {
		def = v
	}
	boolean := len(p.Args) > 1 && p.Args[1].IsTrue()
	if v, ok := p.KwArgs["boolean"]; ok {
		boolean = v.IsTrue()
	}
	if isUndefined(in) || (boolean && !eval.Truthy(plainValue(in))) {
		return def
	}
	return in
}

// jinjaRound is Jinja's round(precision=0, method='common'): Python's
// round (halves to even), an integer staying an integer.
func jinjaRound(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	prec, method := 0, "common"
	if len(p.Args) > 0 {
		prec = p.Args[0].Integer()
	}
	if len(p.Args) > 1 {
		method = p.Args[1].String()
	}
	if v, ok := p.KwArgs["precision"]; ok {
		prec = v.Integer()
	}
	if v, ok := p.KwArgs["method"]; ok {
		method = v.String()
	}
	if in.IsInteger() && method == "common" {
		return in
	}
	scale := math.Pow(10, float64(prec))
	x := in.Float() * scale
	switch method {
	case "common":
		x = math.RoundToEven(x)
	case "floor":
		x = math.Floor(x)
	case "ceil":
		x = math.Ceil(x)
	default:
		return exec.AsValue(errors.New("filter round: method must be common, ceil or floor"))
	}
	return exec.AsValue(x / scale)
}

// jinjaMandatory is Ansible's mandatory(msg): an undefined value fails.
func jinjaMandatory(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if !isUndefined(in) {
		return in
	}
	if len(p.Args) > 0 {
		return exec.AsValue(errors.New(p.Args[0].String()))
	}
	name := ""
	if m := undefinedName.FindStringSubmatch(in.Error()); m != nil && m[1] != "" {
		name = " '" + m[1] + "'"
	}
	return exec.AsValue(errors.New(mandatoryMsg(name)))
}

// mandatoryMsg is Ansible's message for mandatory, word for word.
func mandatoryMsg(name string) string { return "Mandatory variable" + name + " not defined." }

// evalCall evaluates "j2in OP name(args)" with runner/eval: the value and
// the arguments are passed as variables, keyword arguments by name.
func evalCall(op, name string, in *exec.Value, p *exec.VarArgs, base map[string]any) (any, error) {
	vars := make(map[string]any, len(base)+2+len(p.Args)+len(p.KwArgs))
	for k, v := range base {
		vars[k] = v
	}
	var args []string
	for i, a := range p.Args {
		if i == 0 && op == "" && a.IsString() {
			args = append(args, strconv.Quote(a.String())) // lookup's name must be written out
			continue
		}
		k := fmt.Sprintf("j2arg%d", i)
		vars[k] = plainValue(a)
		args = append(args, k)
	}
	kws := make([]string, 0, len(p.KwArgs))
	for k := range p.KwArgs {
		kws = append(kws, k)
	}
	sort.Strings(kws)
	for _, k := range kws {
		vars["j2kw_"+k] = plainValue(p.KwArgs[k])
		args = append(args, k+"=j2kw_"+k)
	}
	code := name + "(" + strings.Join(args, ", ") + ")"
	if op != "" {
		vars["j2in"] = plainValue(in)
		code = "j2in " + op + " " + code
	}
	out, err := eval.Eval(code, vars)
	if err != nil {
		var ee *eval.Error
		if errors.As(err, &ee) && ee.Msg != "" {
			err = errors.New(strings.ReplaceAll(ee.Msg, "j2in", "the value"))
		}
		what := "filter"
		if op == "is" {
			what = "test"
		}
		return nil, fmt.Errorf("%s %s: %w", what, name, err)
	}
	return out, nil
}

// evalFilter runs filter name through runner/eval.
func evalFilter(name string, rec *jinjaRecorder) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		out, err := evalCall("|", name, in, p, nil)
		if err != nil {
			return rec.fail(err)
		}
		switch name {
		case "zip", "product":
			out = tuplesOf(out)
		case "combine":
			combinedOrder(out, in, p.Args)
		}
		return exec.AsValue(out)
	}
}

// evalTest runs test name through runner/eval.
func evalTest(name string, rec *jinjaRecorder) func(*exec.Context, *exec.Value, *exec.VarArgs) (bool, error) {
	return func(_ *exec.Context, in *exec.Value, p *exec.VarArgs) (bool, error) {
		if in.IsError() {
			return false, undefinedError(in)
		}
		p = testArgs(p)
		out, err := evalCall("is", name, in, p, nil)
		if err != nil {
			rec.fail(err)
			return false, err
		}
		return eval.Truthy(out), nil
	}
}

// jinjaTestArgs are a test's arguments as testArgsFunc passed them.
type jinjaTestArgs struct{ args *exec.VarArgs }

// testArgsGlobal is testArgsFunc.
func testArgsGlobal(_ *exec.Evaluator, p *exec.VarArgs) *exec.Value {
	return exec.AsValue(&jinjaTestArgs{p})
}

// testArgs unpacks arguments passed through testArgsFunc.
func testArgs(p *exec.VarArgs) *exec.VarArgs {
	if len(p.Args) == 1 {
		if t, ok := p.Args[0].Interface().(*jinjaTestArgs); ok {
			return t.args
		}
	}
	return p
}

// combinedOrder gives combine's result Python's key order: the input's
// keys, then each new key of the following mappings in turn.
func combinedOrder(out any, in *exec.Value, args []*exec.Value) {
	m, ok := out.(map[string]any)
	if !ok {
		return
	}
	var keys []string
	seen := map[string]bool{}
	for _, v := range append([]*exec.Value{in}, args...) {
		src, ok := plainValue(v).(map[string]any)
		if !ok {
			continue
		}
		for _, k := range mapKeys(src, false) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	maporder.Record(m, keys)
}
