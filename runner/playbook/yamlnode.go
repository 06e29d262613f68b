package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/maporder"
	"github.com/runbook-dev/runbook/internal/yamlerr"

	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/eval"
)

var octalLiteral = regexp.MustCompile(`^0[0-7]+$`)

// maxNesting bounds how deep values, aliases and merge keys may nest (an
// alias inside the value it names never ends); maxAliasVisits bounds how many
// values one file may reach through aliases (an alias bomb multiplies them
// exponentially). Real playbooks stay far below both.
const (
	maxNesting     = 1000
	maxAliasVisits = 1 << 18
)

// decoder turns goyaml.v3 nodes into Go values, remembering the file so that
// every error carries file:line:column.
type decoder struct {
	file string
	// depth is the current nesting, aliased how many enclosing nodes were
	// reached through an alias, visits the aliased values read so far.
	depth, aliased, visits int
	// lastAlias is the alias entered last: where a cycle is reported.
	lastAlias *yaml.Node
}

// enter is called on the way into a nested node: it fails, naming where,
// when the nesting or the values expanded through aliases pass their bounds.
// Every successful enter must be paired with a leave.
func (d *decoder) enter(n *yaml.Node) error {
	if d.depth >= maxNesting {
		if d.lastAlias != nil {
			n = d.lastAlias
		}
		return errAt(d.pos(n), "value nested more than %d levels deep (an alias used inside the value it names?)", maxNesting)
	}
	if n != nil && n.Kind == yaml.AliasNode {
		d.aliased++
		d.lastAlias = n
	}
	if d.aliased > 0 {
		d.visits++
		if d.visits > maxAliasVisits {
			if n.Kind == yaml.AliasNode {
				d.aliased--
			}
			return errAt(d.pos(n), "more than %d values reached through aliases (an alias bomb?)", maxAliasVisits)
		}
	}
	d.depth++
	return nil
}

// leave undoes enter(n).
func (d *decoder) leave(n *yaml.Node) {
	d.depth--
	if n != nil && n.Kind == yaml.AliasNode {
		d.aliased--
	}
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// parseDocument reads YAML bytes into the root node of its (single) document.
// A second document (after "---") is an error rather than silently ignored,
// as in Ansible; so is a parser failure, which never escapes as a panic.
func parseDocument(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Pos: Pos{File: file}, Msg: fmt.Sprintf("YAML parser failure: %v", r)}
		}
	}()
	if line, col, msg, bad := yamlerr.InvalidUTF8(data); bad {
		return nil, errAt(Pos{File: file, Line: line, Col: col}, "%s", msg)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(file, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlSyntaxError(file, data, err)
	case len(next.Content) > 0 && !(next.Content[0].Tag == "!!null" && next.Content[0].Value == ""):
		return nil, errAt(Pos{File: file, Line: next.Line}, "a second YAML document starts here (---): a file holds one document; put every play (or task, or variable) in one list or mapping")
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlSyntaxError names the file and the line where the problem is.
func yamlSyntaxError(file string, data []byte, err error) error {
	line, problem := yamlerr.Locate(data, err)
	return &Error{Pos: Pos{File: file, Line: line}, Msg: "YAML syntax error: " + problem}
}

// readFile reads a file, naming it in the error.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return data, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar (" + strings.TrimPrefix(n.Tag, "!!") + ")"
	}
	return "a YAML node"
}

// pair is one key/value of a mapping.
type pair struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// pairs returns the entries of a mapping node, rejecting duplicate keys
// (YAML allows them silently; a duplicated task keyword is always a bug).
// Merge keys (<<: *base, or a list of aliases) are expanded as YAML says: a
// key written in the mapping itself, before or after the merge, overrides
// the merged one; among merged mappings the first one listed wins.
func (d *decoder) pairs(n *yaml.Node, what string) ([]pair, error) {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, errAt(d.pos(n), "%s must be a mapping, got %s", what, kindName(n))
	}
	out := make([]pair, 0, len(n.Content)/2)
	at := map[string]int{}   // index in out of each key
	own := map[string]bool{} // keys written in this mapping
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(d.pos(k), "%s: keys must be strings", what)
		}
		if k.Tag == "!!merge" {
			merged, err := d.mergedPairs(v, what)
			if err != nil {
				return nil, err
			}
			for _, p := range merged {
				if _, ok := at[p.key]; !ok {
					at[p.key] = len(out)
					out = append(out, p)
				}
			}
			continue
		}
		if own[k.Value] {
			return nil, errAt(d.pos(k), "%s: key %q appears twice", what, k.Value)
		}
		own[k.Value] = true
		p := pair{key: k.Value, keyN: k, value: v}
		if j, ok := at[k.Value]; ok {
			out[j] = p // overrides a merged key
			continue
		}
		at[k.Value] = len(out)
		out = append(out, p)
	}
	return out, nil
}

// mergedPairs returns the entries a merge key brings in: those of one
// mapping, or of a list of mappings, the first one listed winning.
func (d *decoder) mergedPairs(v *yaml.Node, what string) ([]pair, error) {
	srcs := []*yaml.Node{v}
	if rv := yamlnode.Resolve(v); rv != nil && rv.Kind == yaml.SequenceNode {
		srcs = rv.Content
	}
	var out []pair
	seen := map[string]bool{}
	for _, src := range srcs {
		if err := d.enter(src); err != nil {
			return nil, err
		}
		ps, err := d.pairs(src, what)
		d.leave(src)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if !seen[p.key] {
				seen[p.key] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (d *decoder) str(n *yaml.Node, key string) (string, error) {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if n.Tag == "!!null" {
			return "", nil
		}
		return "", errAt(d.pos(n), "%q must be a string, got %s", key, kindName(n))
	}
	return n.Value, nil
}

func (d *decoder) boolean(n *yaml.Node, key string) (bool, error) {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.ScalarNode {
		return false, errAt(d.pos(n), "%q must be a boolean, got %s", key, kindName(n))
	}
	b, err := module.ParseBool(n.Value)
	if err != nil {
		return false, errAt(d.pos(n), "%q must be a boolean (true/false), got %q", key, n.Value)
	}
	return b, nil
}

func (d *decoder) boolPtr(n *yaml.Node, key string) (*bool, error) {
	b, err := d.boolean(n, key)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func (d *decoder) integer(n *yaml.Node, key string) (int, error) {
	n = yamlnode.Resolve(n)
	if n.Kind == yaml.ScalarNode {
		if i, err := strconv.Atoi(n.Value); err == nil {
			return i, nil
		}
	}
	return 0, errAt(d.pos(n), "%q must be a whole number, got %s %q", key, kindName(n), n.Value)
}

func (d *decoder) number(n *yaml.Node, key string) (float64, error) {
	n = yamlnode.Resolve(n)
	if n.Kind == yaml.ScalarNode {
		if f, err := strconv.ParseFloat(strings.TrimSuffix(n.Value, "%"), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	return 0, errAt(d.pos(n), "%q must be a number, got %s %q", key, kindName(n), n.Value)
}

// strList accepts a list of scalars or one scalar; a scalar holding commas
// is split when split is true (tags: "a,b").
func (d *decoder) strList(n *yaml.Node, key string, split bool) ([]string, error) {
	n = yamlnode.Resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		if split {
			var out []string
			for _, s := range strings.Split(n.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			return out, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			c = yamlnode.Resolve(c)
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(d.pos(c), "%q must be a list of strings, got %s in the list", key, kindName(c))
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(d.pos(n), "%q must be a string or a list of strings, got %s", key, kindName(n))
}

// conditions reads when:/failed_when:/changed_when:/until:, which may be a
// bare expression, a boolean, or a list of them (joined by AND).
func (d *decoder) conditions(n *yaml.Node, key string) ([]string, error) {
	n = yamlnode.Resolve(n)
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return nil, errAt(d.pos(n), "%q must be an expression or a list of expressions, got %s", key, kindName(n))
	}
	out := make([]string, 0, len(items))
	for _, c := range items {
		c = yamlnode.Resolve(c)
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			return nil, errAt(d.pos(c), "%q: each condition must be an expression, got %s", key, kindName(c))
		}
		expr := strings.TrimSpace(c.Value)
		if b, ok := yaml11Bool(c); ok {
			expr = strconv.FormatBool(b)
		}
		// Ansible allows when: "{{ x }}"; treat it as the bare expression.
		if strings.HasPrefix(expr, "{{") && strings.HasSuffix(expr, "}}") && strings.Count(expr, "{{") == 1 {
			expr = strings.TrimSpace(expr[2 : len(expr)-2])
		}
		if err := validateExpr(expr); err != nil {
			return nil, &Error{Pos: d.pos(c), Msg: fmt.Sprintf("%q: invalid expression %q", key, expr), Err: err}
		}
		out = append(out, expr)
	}
	return out, nil
}

// yaml11Bool reads an unquoted YAML 1.1 boolean word (yes, No, ON, off,
// True, FALSE…), which Ansible's YAML loader turns into a bool: in a
// condition, when: no means false, not a variable named "no".
func yaml11Bool(n *yaml.Node) (value, ok bool) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || n.Tag != "!!bool" && n.Tag != "!!str" {
		return false, false
	}
	switch n.Value {
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// value decodes any node into plain Go values: map[string]any, []any,
// string, int, float64, bool, nil.
func (d *decoder) value(orig *yaml.Node) (any, error) {
	if err := d.enter(orig); err != nil {
		return nil, err
	}
	defer d.leave(orig)
	n := yamlnode.Resolve(orig)
	switch n.Kind {
	case yaml.MappingNode:
		ps, err := d.pairs(n, "value")
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(ps))
		keys := make([]string, 0, len(ps))
		for _, p := range ps {
			v, err := d.value(p.value)
			if err != nil {
				return nil, err
			}
			m[p.key] = v
			keys = append(keys, p.key)
		}
		maporder.Record(m, keys) // Ansible goes through a dict in this order
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		// An octal-looking literal (mode: 0644) stays as written: decoded
		// as a number it would lose the leading zero that says "octal".
		if n.Tag == "!!int" && octalLiteral.MatchString(n.Value) {
			return n.Value, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, &Error{Pos: d.pos(n), Msg: "invalid value", Err: err}
		}
		switch x := v.(type) {
		case int64:
			return int(x), nil
		case uint64:
			return float64(x), nil
		}
		return v, nil
	}
	return nil, errAt(d.pos(n), "unsupported YAML node")
}

// mapping decodes a mapping node into a map, validating {{ }} syntax in
// every string inside it.
func (d *decoder) mapping(n *yaml.Node, key string) (map[string]any, error) {
	n = yamlnode.Resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return map[string]any{}, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(d.pos(n), "%q must be a mapping, got %s", key, kindName(n))
	}
	if err := d.checkTemplates(n); err != nil {
		return nil, err
	}
	v, err := d.value(n)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// checkTemplates validates the syntax of every {{ }} in the node's strings.
func (d *decoder) checkTemplates(orig *yaml.Node) error {
	if err := d.enter(orig); err != nil {
		return err
	}
	defer d.leave(orig)
	n := yamlnode.Resolve(orig)
	if n.Kind == yaml.ScalarNode {
		if strings.Contains(n.Value, "{{") || strings.Contains(n.Value, "}}") || strings.Contains(n.Value, "{%") {
			if err := validateTemplate(n.Value); err != nil {
				// The message quotes the string already: keep only the
				// part's error, not "rendering <the same string>".
				var re *eval.RenderError
				if errors.As(err, &re) && re.Text == n.Value {
					err = re.Err
				}
				return &Error{Pos: d.pos(n), Msg: fmt.Sprintf("invalid template %q", n.Value), Err: err}
			}
		}
		return nil
	}
	for _, c := range n.Content {
		if err := d.checkTemplates(c); err != nil {
			return err
		}
	}
	return nil
}
