package playbook

import (
	"fmt"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/runner/eval"
)

// The loop keywords: loop: and Ansible's with_* forms, each turned into a
// list of items when the task runs (runner/withloops.go), after its value
// is rendered.

// loopShapes says what each loop keyword's value must be.
var loopShapes = map[string]string{
	"loop":               "a list or a {{ }} expression that gives one",
	"with_items":         "a list or a {{ }} expression that gives one",
	"with_list":          "a list or a {{ }} expression that gives one",
	"with_indexed_items": "a list or a {{ }} expression that gives one",
	"with_together":      "a list of lists or a {{ }} expression that gives one",
	"with_subelements":   "a list [items, 'subkey'] (and optionally {skip_missing: true})",
	"with_fileglob":      "a pattern or a list of patterns",
	"with_dict":          "a mapping or a {{ }} expression that gives one",
	"with_sequence":      "a string such as \"start=1 end=5\", \"count=3\" or \"1-10/2\"",
}

// loop reads one loop keyword.
func (d *decoder) loop(t *Task, kv pair) error {
	v := kv.value
	if t.HasLoop {
		return errAt(d.pos(kv.keyN), "a task may have only one loop keyword (loop:, with_items:, with_dict:, …); it has %s and %s", t.LoopKind, kv.key)
	}
	if err := d.checkTemplates(v); err != nil {
		return err
	}
	val, err := d.value(v)
	if err != nil {
		return err
	}
	ok := false
	switch val.(type) {
	case string:
		ok = true
	case []any:
		ok = kv.key != "with_dict" && kv.key != "with_sequence"
	case map[string]any:
		ok = kv.key == "with_dict" || kv.key == "with_sequence"
	}
	if !ok {
		return errAt(d.pos(v), "%q must be %s", kv.key, loopShapes[kv.key])
	}
	if s, isStr := val.(string); isStr && kv.key == "with_sequence" && !eval.HasTemplate(s) {
		if _, err := ParseSequence(s); err != nil {
			return &Error{Pos: d.pos(v), Msg: "with_sequence", Err: err}
		}
	}
	if l, isList := val.([]any); isList && kv.key == "with_subelements" && (len(l) < 2 || len(l) > 3) {
		return errAt(d.pos(v), "%q must be %s", kv.key, loopShapes[kv.key])
	}
	t.Loop, t.HasLoop, t.LoopKind = val, true, kv.key
	t.FlattenLoop = kv.key == "with_items"
	return nil
}

// Sequence is a parsed with_sequence: the numbers Start, Start+Stride, …
// up to End (included), each printed with Format.
type Sequence struct {
	Start, End, Stride int
	Format             string
}

// maxSequence bounds how many items with_sequence may produce.
const maxSequence = 1_000_000

// ParseSequence reads with_sequence's "start=1 end=10 stride=2 format=x%02d",
// "count=5" (end = start + count - 1) or the short form "[start-]end[/stride][:format]".
func ParseSequence(s string) (Sequence, error) {
	seq := Sequence{Start: 1, Stride: 1, Format: "%d"}
	fields := strings.Fields(s)
	if len(fields) == 1 && !strings.Contains(s, "=") {
		return parseShortSequence(strings.TrimSpace(s))
	}
	haveEnd, count := false, -1
	for _, f := range fields {
		k, v, found := strings.Cut(f, "=")
		if !found {
			return seq, fmt.Errorf("%q is not key=value (start=, end=, count=, stride=, format=)", f)
		}
		var n int
		var err error
		if k != "format" {
			if n, err = parseSeqNumber(v); err != nil {
				return seq, fmt.Errorf("%s: %w", k, err)
			}
		}
		switch k {
		case "start":
			seq.Start = n
		case "end":
			seq.End, haveEnd = n, true
		case "count":
			count = n
		case "stride":
			seq.Stride = n
		case "format":
			seq.Format = v
		default:
			return seq, fmt.Errorf("unknown key %q (start, end, count, stride, format)", k)
		}
	}
	switch {
	case count >= 0 && haveEnd:
		return seq, fmt.Errorf("give end= or count=, not both")
	case count >= 0:
		if count == 0 {
			seq.End = seq.Start - seq.Stride // no items
		} else {
			seq.End = seq.Start + (count-1)*seq.Stride
		}
	case !haveEnd:
		return seq, fmt.Errorf("end= or count= is required")
	}
	return seq, seq.check()
}

// parseShortSequence reads "[start-]end[/stride][:format]".
func parseShortSequence(s string) (Sequence, error) {
	seq := Sequence{Start: 1, Stride: 1, Format: "%d"}
	if body, format, found := strings.Cut(s, ":"); found {
		s, seq.Format = body, format
	}
	if body, stride, found := strings.Cut(s, "/"); found {
		n, err := parseSeqNumber(stride)
		if err != nil {
			return seq, fmt.Errorf("stride: %w", err)
		}
		s, seq.Stride = body, n
	}
	if start, end, found := strings.Cut(s, "-"); found && start != "" {
		n, err := parseSeqNumber(start)
		if err != nil {
			return seq, fmt.Errorf("start: %w", err)
		}
		seq.Start, s = n, end
	}
	n, err := parseSeqNumber(s)
	if err != nil {
		return seq, fmt.Errorf("end: %w", err)
	}
	seq.End = n
	return seq, seq.check()
}

func parseSeqNumber(s string) (int, error) {
	var n int
	var rest string
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		s, base = s[2:], 16
	case strings.HasPrefix(s, "0o"):
		s, base = s[2:], 8
	}
	format := map[int]string{10: "%d%s", 16: "%x%s", 8: "%o%s"}[base]
	if c, _ := fmt.Sscanf(s, format, &n, &rest); c != 1 || s == "" {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

func (s Sequence) check() error {
	if s.Stride == 0 {
		return fmt.Errorf("stride must not be 0")
	}
	if (s.End-s.Start)/s.Stride+1 > maxSequence {
		return fmt.Errorf("more than %d items", maxSequence)
	}
	if strings.Count(strings.ReplaceAll(s.Format, "%%", ""), "%") != 1 {
		return fmt.Errorf("format %q must hold exactly one %% verb (such as %%d or %%02x)", s.Format)
	}
	return nil
}

// Items returns the sequence's items as strings, as Ansible gives them.
func (s Sequence) Items() []any {
	format := strings.ReplaceAll(s.Format, "%s", "%d") // Python's "%s" % 1 is "1"
	out := []any{}
	for i := s.Start; (s.Stride > 0 && i <= s.End) || (s.Stride < 0 && i >= s.End); i += s.Stride {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

// loopControl reads loop_control: loop_var, index_var, label, extended and
// extended_allitems.
func (d *decoder) loopControl(t *Task, n *yaml.Node) error {
	ps, err := d.pairs(n, "loop_control")
	if err != nil {
		return err
	}
	for _, kv := range ps {
		if handled, err := d.loopControlExtended(t, kv); err != nil {
			return err
		} else if handled {
			continue
		}
		var s string
		if s, err = d.str(kv.value, kv.key); err != nil {
			return err
		}
		switch kv.key {
		case "loop_var":
			if !isIdentifier(s) {
				return errAt(d.pos(kv.value), "loop_var: %q is not a valid variable name", s)
			}
			t.LoopControl.LoopVar = s
		case "index_var":
			if !isIdentifier(s) {
				return errAt(d.pos(kv.value), "index_var: %q is not a valid variable name", s)
			}
			t.LoopControl.IndexVar = s
		case "label":
			if err := d.checkTemplates(kv.value); err != nil {
				return err
			}
			t.LoopControl.Label = s
		default:
			return unknownKey(d.pos(kv.keyN), kv.key, "loop_control", loopControlKeywords)
		}
	}
	return nil
}
