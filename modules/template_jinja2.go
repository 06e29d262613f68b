package modules

// Jinja2 templates for the template module: a src ending in .j2 is rendered
// as Jinja2 (github.com/nikolalohinski/gonja/v2) the way Ansible's template
// module renders it — trim_blocks on, lstrip_blocks off, the trailing
// newline kept, an undefined variable an error — with Jinja's filters plus
// the Ansible filters templates use most. Go text/template stays for every
// other src (.tmpl and runbook's built-in templates).

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/runbook-dev/runbook/internal/pyre"
	"sigs.k8s.io/yaml"
)

// isJinja2 says whether a template source is rendered as Jinja2.
func isJinja2(src string) bool { return strings.HasSuffix(src, ".j2") }

var (
	jinjaEnvOnce sync.Once
	jinjaEnv     *exec.Environment
)

// jinjaEnvironment is gonja's default environment with Ansible's filters
// added (built once; gonja's own sets are never modified).
func jinjaEnvironment() *exec.Environment {
	jinjaEnvOnce.Do(func() {
		gonja.SetLoggerOutput(io.Discard)
		filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
		filters.Update(exec.NewFilterSet(ansibleJinjaFilters))
		jinjaEnv = &exec.Environment{
			Context:           exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables),
			Filters:           filters,
			Tests:             builtins.Tests,
			ControlStructures: builtins.ControlStructures,
			Methods:           builtins.Methods,
		}
	})
	return jinjaEnv
}

// renderJinja2 renders text (read from where; includes are looked up next
// to it) with vars.
func renderJinja2(where, text string, vars map[string]any, trimBlocks, lstripBlocks bool) (out string, err error) {
	defer func() {
		// A template must never take the run down: gonja panics on some
		// malformed input.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	cfg := config.New()
	cfg.TrimBlocks, cfg.LeftStripBlocks, cfg.KeepTrailingNewline, cfg.StrictUndefined = trimBlocks, lstripBlocks, true, true
	dir := "."
	if !strings.HasPrefix(where, "builtin:") {
		dir = filepath.Dir(where)
	}
	fsLoader, err := loaders.NewFileSystemLoader(dir)
	if err != nil {
		return "", err
	}
	root := "runbook-template:" + path.Base(where)
	loader, err := loaders.NewShiftedLoader(root, strings.NewReader(text), fsLoader)
	if err != nil {
		return "", err
	}
	tpl, err := exec.NewTemplate(root, cfg, loader, jinjaEnvironment())
	if err != nil {
		return "", err
	}
	data := make(map[string]any, len(vars))
	for k, v := range vars {
		data[k] = v
	}
	return tpl.ExecuteToString(exec.NewContext(data))
}

// ansibleJinjaFilters are the Ansible filters (beyond Jinja's own) that
// templates use most.
var ansibleJinjaFilters = map[string]exec.FilterFunction{
	"to_json":      jinjaMarshal(pythonJSON),
	"to_nice_json": jinjaMarshal(func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "    ") }),
	"to_yaml":      jinjaMarshal(yaml.Marshal),
	"to_nice_yaml": jinjaMarshal(yaml.Marshal),
	"from_json": jinjaString(func(s string) (any, error) {
		var v any
		return v, json.Unmarshal([]byte(s), &v)
	}),
	"from_yaml": jinjaString(func(s string) (any, error) {
		var v any
		return v, yaml.Unmarshal([]byte(s), &v)
	}),
	"b64encode": jinjaString(func(s string) (any, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }),
	"b64decode": jinjaString(func(s string) (any, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		return string(b), err
	}),
	"basename": jinjaString(func(s string) (any, error) { return path.Base(s), nil }),
	"dirname":  jinjaString(func(s string) (any, error) { return path.Dir(s), nil }),
	"quote": jinjaString(func(s string) (any, error) {
		return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'", nil
	}),
	"bool":          jinjaBool,
	"regex_replace": jinjaRegexReplace,
	"ternary":       jinjaTernary,
	"dict2items":    jinjaDict2Items,
}

// jinjaMarshal makes a filter that serialises its input.
func jinjaMarshal(m func(any) ([]byte, error)) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		b, err := m(in.Interface())
		if err != nil {
			return exec.ValueError(err)
		}
		return exec.AsValue(string(b))
	}
}

// jinjaString makes a filter of a function of the input's text.
func jinjaString(f func(string) (any, error)) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		v, err := f(in.String())
		if err != nil {
			return exec.ValueError(err)
		}
		return exec.AsValue(v)
	}
}

// jinjaBool is Ansible's bool filter: yes/on/1/true (any case) and the
// number 1 are true, none stays none, anything else is false.
func jinjaBool(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	switch v := in.Interface().(type) {
	case bool:
		return exec.AsValue(v)
	case nil:
		return exec.AsValue(nil)
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes", "on", "1", "true":
			return exec.AsValue(true)
		}
		return exec.AsValue(false)
	}
	return exec.AsValue(in.IsNumber() && in.Float() == 1)
}

// jinjaRegexReplace is Ansible's regex_replace(pattern, replacement), with
// Python's \1 and \g<name> references.
func jinjaRegexReplace(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if len(p.Args) < 2 {
		return exec.ValueError(fmt.Errorf("regex_replace needs a pattern and a replacement"))
	}
	re, err := regexp.Compile(p.Args[0].String())
	if err != nil {
		return exec.ValueError(err)
	}
	out, err := pyre.ReplaceAll(re, in.String(), p.Args[1].String())
	if err != nil {
		return exec.ValueError(err)
	}
	return exec.AsValue(out)
}

// jinjaTernary is Ansible's ternary(true_value, false_value).
func jinjaTernary(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if len(p.Args) < 2 {
		return exec.ValueError(fmt.Errorf("ternary needs two values"))
	}
	if in.IsTrue() {
		return p.Args[0]
	}
	return p.Args[1]
}

// jinjaDict2Items is Ansible's dict2items: [{key, value}] in key order.
func jinjaDict2Items(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	m, ok := in.Interface().(map[string]any)
	if !ok {
		return exec.ValueError(fmt.Errorf("dict2items needs a mapping, got %T", in.Interface()))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(m))
	for _, k := range keys {
		out = append(out, map[string]any{"key": k, "value": m[k]})
	}
	return exec.AsValue(out)
}

// pythonJSON writes v as Python's json.dumps does by default (Ansible's
// to_json): ", " between items and ": " after keys. Keys are sorted (a
// mapping's order is not kept in runbook's variables).
func pythonJSON(v any) ([]byte, error) {
	var b strings.Builder
	var enc func(v any) error
	enc = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteString(": ")
				if err := enc(x[k]); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := enc(e); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		default:
			// Other shapes (typed slices and maps) go through JSON once to
			// become the two above.
			raw, err := json.Marshal(x)
			if err != nil {
				return err
			}
			var generic any
			if err := json.Unmarshal(raw, &generic); err != nil {
				return err
			}
			switch generic.(type) {
			case map[string]any, []any:
				return enc(generic)
			}
			b.Write(raw)
		}
		return nil
	}
	err := enc(v)
	return []byte(b.String()), err
}
