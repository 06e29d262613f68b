package modules

// What a .j2 template sees beyond the task's variables, as in Ansible's
// template module: the template_* variables and ansible_managed, the
// lookup()/query() globals, Python list methods gonja lacks, and a loader
// that finds {% include %}/{% import %} files where Ansible does.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/runbook-dev/runbook/internal/maporder"
	"github.com/runbook-dev/runbook/runner/eval"
)

// ansibleManaged is ansible_managed as Ansible 2.14 sets it by default.
const ansibleManaged = "Ansible managed"

// pyDatetime prints as Python's str() of a datetime.
type pyDatetime time.Time

func (d pyDatetime) String() string { return time.Time(d).Format("2006-01-02 15:04:05.000000") }

// templateMagicVars are the variables Ansible's template module adds for a
// template at path written to dest (they win over the task's own).
func templateMagicVars(path, dest string) map[string]any {
	host, _ := os.Hostname()
	m := map[string]any{
		"ansible_managed":   ansibleManaged,
		"template_host":     host,
		"template_path":     path,
		"template_fullpath": path,
		"template_destpath": dest,
		"template_run_date": pyDatetime(time.Now()),
	}
	if abs, err := filepath.Abs(path); err == nil {
		m["template_fullpath"] = abs
	}
	if st, err := os.Stat(path); err == nil {
		m["template_mtime"] = pyDatetime(st.ModTime())
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			uid := strconv.FormatUint(uint64(sys.Uid), 10)
			m["template_uid"] = uid
			if u, err := user.LookupId(uid); err == nil {
				m["template_uid"] = u.Username
			}
		}
	}
	return m
}

// jinjaGlobals are the functions a template may call: gonja's, and
// Ansible's lookup(), query() and q() through runner/eval with the
// template's variables (lookup('file') reads next to the role or playbook).
func jinjaGlobals(vars map[string]any, searchDirs []string, rec *jinjaRecorder) *exec.Context {
	lookup := func(wantList bool) func(*exec.Evaluator, *exec.VarArgs) *exec.Value {
		return func(_ *exec.Evaluator, p *exec.VarArgs) *exec.Value {
			name := "lookup"
			if wantList {
				name = "query"
			}
			if len(p.Args) > 1 && p.Args[0].String() == "file" {
				p = resolveLookupFiles(p, searchDirs)
			}
			out, err := evalCall("", name, nil, p, vars)
			if err != nil {
				return rec.fail(err)
			}
			return exec.AsValue(out)
		}
	}
	globals := map[string]any{
		"lookup": lookup(false), "query": lookup(true), "q": lookup(true),
		"none": nil, "true": true, "false": false, testArgsFunc: testArgsGlobal,
	}
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables).Update(exec.NewContext(globals))
	ctx.Set(callerFunc, callerGlobal(ctx))
	return ctx
}

// resolveLookupFiles makes lookup('file', ...)'s relative names absolute:
// the first of files/NAME and NAME found in each search directory.
func resolveLookupFiles(p *exec.VarArgs, dirs []string) *exec.VarArgs {
	out := &exec.VarArgs{Args: append([]*exec.Value{}, p.Args...), KwArgs: p.KwArgs}
	for i := 1; i < len(out.Args); i++ {
		name := out.Args[i].String()
		if !out.Args[i].IsString() || filepath.IsAbs(name) {
			continue
		}
		for _, d := range dirs {
			if c := filepath.Join(d, "files", name); fileExists(c) {
				out.Args[i] = exec.AsValue(c)
				break
			}
			if c := filepath.Join(d, name); fileExists(c) {
				out.Args[i] = exec.AsValue(c)
				break
			}
		}
	}
	return out
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// jinjaMethods are gonja's methods with Python's list.index and
// list.count added.
func jinjaMethods() exec.Methods {
	list := map[string]exec.Method[[]any]{
		"index": func(self []any, _ *exec.Value, p *exec.VarArgs) (any, error) {
			if len(p.Args) != 1 {
				return nil, errors.New("list.index takes one value")
			}
			for i, e := range self {
				if exec.ToValue(e).EqualValueTo(p.Args[0]) {
					return i, nil
				}
			}
			return nil, fmt.Errorf("%s is not in list", pyStr(plainValue(p.Args[0])))
		},
		"count": func(self []any, _ *exec.Value, p *exec.VarArgs) (any, error) {
			if len(p.Args) != 1 {
				return nil, errors.New("list.count takes one value")
			}
			n := 0
			for _, e := range self {
				if exec.ToValue(e).EqualValueTo(p.Args[0]) {
					n++
				}
			}
			return n, nil
		},
	}
	for _, name := range []string{"append", "reverse", "copy"} {
		if m, ok := builtins.Methods.List.Get(name); ok {
			list[name] = m
		}
	}
	dict := map[string]exec.Method[map[string]any]{
		"keys": func(self map[string]any, sv *exec.Value, _ *exec.VarArgs) (any, error) {
			keys := orderedKeys(self, sv)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		},
		"values": func(self map[string]any, sv *exec.Value, _ *exec.VarArgs) (any, error) {
			keys := orderedKeys(self, sv)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = self[k]
			}
			return out, nil
		},
		"items": func(self map[string]any, sv *exec.Value, _ *exec.VarArgs) (any, error) {
			keys := orderedKeys(self, sv)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = pyTuple{k, self[k]}
			}
			return out, nil
		},
	}
	for _, name := range []string{"get", "pop", "setdefault", "update", "copy", "clear"} {
		if m, ok := builtins.Methods.Dict.Get(name); ok {
			dict[name] = m
		}
	}
	str := map[string]exec.Method[string]{
		// Python's count argument is optional; gonja requires it.
		"replace": func(self string, _ *exec.Value, p *exec.VarArgs) (any, error) {
			if len(p.Args) < 2 || len(p.Args) > 3 {
				return nil, errors.New("str.replace takes old, new and an optional count")
			}
			n := -1
			if len(p.Args) == 3 {
				n = p.Args[2].Integer()
			}
			return strings.Replace(self, p.Args[0].String(), p.Args[1].String(), n), nil
		},
		"ljust": pad(func(n, _ int) (int, int) { return 0, n }),
		"rjust": pad(func(n, _ int) (int, int) { return n, 0 }),
		// Python's rule for where the odd fill character goes.
		"center": pad(func(n, width int) (int, int) { l := n/2 + (n & width & 1); return l, n - l }),
	}
	for _, name := range pyStrMethods {
		if m, ok := builtins.Methods.Str.Get(name); ok && str[name] == nil {
			str[name] = m
		}
	}
	m := builtins.Methods
	m.Str = exec.NewMethodSet(str)
	m.List = exec.NewMethodSet(list)
	m.Dict = exec.NewMethodSet(dict)
	return m
}

// orderedKeys are a mapping's keys in Python's order: as read from YAML
// (or written in a dict literal) when known, else sorted.
func orderedKeys(self map[string]any, sv *exec.Value) []string {
	switch orig := sv.Interface().(type) {
	case map[string]any:
		return mapKeys(orig, false)
	case *exec.Dict:
		keys := make([]string, 0, len(orig.Pairs))
		for _, p := range orig.Pairs {
			keys = append(keys, p.Key.String())
		}
		return keys
	}
	return mapKeys(self, true)
}

// iterFilterFunc is what each {% for %} iterates over: a mapping's keys in
// Python's order (gonja sorts them), anything else as it is.
func iterFilterFunc(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if m, ok := in.Interface().(map[string]any); ok {
		keys := mapKeys(m, false)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return exec.AsValue(out)
	}
	return in
}

// jinjaLoader reads the template being rendered and the files it includes
// or imports: a name is looked for in each search directory in turn (the
// template's own, then the role's and the playbook's templates/ and
// themselves, as Ansible searches). Every file goes through
// prepareJinjaSource.
type jinjaLoader struct {
	rootID, root string
	dirs         []string
	cfg          *config.Config
	filters      *exec.FilterSet
	rec          *jinjaRecorder
}

func (l *jinjaLoader) Resolve(name string) (string, error) {
	if name == l.rootID || filepath.IsAbs(name) {
		return name, nil
	}
	for _, d := range l.dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("template %q not found (looked in %s)", name, strings.Join(l.dirs, ", "))
}

func (l *jinjaLoader) Read(name string) (io.Reader, error) {
	if name == l.rootID {
		return strings.NewReader(l.root), nil
	}
	p, err := l.Resolve(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	text := prepareJinjaSource(string(b), l.cfg, names)
	addEvalFilters(l.filters, names, l.rec)
	return strings.NewReader(text), nil
}

// Inherit keeps the same search path: Jinja's loader searches the same
// directories whichever template includes.
func (l *jinjaLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// pyStrMethods are Python's str methods, taken from gonja's where it has
// them.
var pyStrMethods = strings.Fields(`capitalize capwords casefold center count encode endswith expandtabs find
	format format_map index isalnum isalpha isascii isdecimal isdigit isidentifier islower isnumeric
	isprintable isspace istitle isupper join ljust lower lstrip partition removeprefix removesuffix replace
	rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title translate upper zfill`)

// pad makes str.ljust/rjust/center(width, fillchar=' '): split says how
// many fill characters go left and right. (gonja's default fillchar is a
// rune, which its own check then refuses.)
func pad(split func(n, width int) (int, int)) exec.Method[string] {
	return func(self string, _ *exec.Value, p *exec.VarArgs) (any, error) {
		if len(p.Args) < 1 || len(p.Args) > 2 {
			return nil, errors.New("takes a width and an optional fill character")
		}
		fill := " "
		if len(p.Args) == 2 {
			fill = p.Args[1].String()
		}
		width := p.Args[0].Integer()
		n := width - utf8.RuneCountInString(self)
		if n <= 0 {
			return self, nil
		}
		l, r := split(n, width)
		return strings.Repeat(fill, l) + self + strings.Repeat(fill, r), nil
	}
}

// renderedHostvars returns hostvars with each host's values that still hold
// templates ("{{ a }}:{{ b }}" from its group_vars) rendered with that
// host's variables, as Ansible templates hostvars lazily in the host's own
// context. A value that does not render stays as it is.
func renderedHostvars(hv map[string]any) map[string]any {
	out := make(map[string]any, len(hv))
	for h, v := range hv {
		out[h] = v
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		var copied map[string]any
		for k, x := range m {
			if s, isStr := x.(string); (isStr && !eval.HasTemplate(s)) || (!isStr && !isCollection(x)) {
				continue
			}
			r, err := eval.RenderValue(x, m)
			if err != nil {
				continue
			}
			if copied == nil {
				copied = make(map[string]any, len(m))
				for k2, x2 := range m {
					copied[k2] = x2
				}
				maporder.Inherit(copied, m)
			}
			copied[k] = r
		}
		if copied != nil {
			out[h] = copied
		}
	}
	return out
}
