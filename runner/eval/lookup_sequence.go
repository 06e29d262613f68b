package eval

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The sequence lookup (and with_sequence): numbers as formatted strings,
// from "start=1 end=10 stride=2 format=x%02d", "count=5" or the short form
// "[start-]end[/stride][:format]", with Ansible's rules.

// maxSequence bounds how many items one sequence may produce.
const maxSequence = 1_000_000

// shortSequence is the short form; numbers may be written in hex (0x1f).
var shortSequence = regexp.MustCompile(`(?i)^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(/(0?x?[0-9a-f]+))?(:(.+))?$`)

// sequenceSpec is one parsed term.
type sequenceSpec struct {
	start, end, stride int
	count              *int
	haveEnd            bool
	format             string
}

// lookupSequence runs every term; keyword options are ignored, as Ansible
// does (they only apply to a term's own key=value pairs).
func lookupSequence(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(Sequence)
}

// Sequence gives the items of one sequence term as strings, as Ansible's
// sequence lookup does; the playbook checks a literal with_sequence with
// it, and the loop runs it.
func Sequence(term string) ([]any, error) {
	s := sequenceSpec{start: 1, stride: 1, format: "%d"}
	var err error
	if m := shortSequence.FindStringSubmatch(strings.TrimSpace(term)); m != nil {
		err = s.short(m)
	} else {
		err = s.keyValues(term)
	}
	if err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.items(), nil
}

func (s *sequenceSpec) short(m []string) error {
	for _, f := range []struct {
		name, text string
		to         *int
	}{{"start", m[2], &s.start}, {"end", m[3], &s.end}, {"stride", m[5], &s.stride}} {
		if f.text == "" {
			continue
		}
		n, err := seqNumber(f.text)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.to = n
	}
	s.haveEnd = true
	if m[6] != "" {
		s.format = m[7]
	}
	return nil
}

func (s *sequenceSpec) keyValues(term string) error {
	for _, f := range strings.Fields(term) {
		k, v, found := strings.Cut(f, "=")
		if !found {
			return fmt.Errorf("%q is not key=value (start=, end=, count=, stride=, format=) nor the short form [start-]end[/stride][:format]", f)
		}
		if k == "format" {
			s.format = v
			continue
		}
		n, err := seqNumber(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "start":
			s.start = n
		case "end":
			s.end, s.haveEnd = n, true
		case "count":
			s.count = &n
		case "stride":
			s.stride = n
		default:
			return fmt.Errorf("unknown key %q (start, end, count, stride, format)", k)
		}
	}
	return nil
}

// seqNumber reads an integer as Python's int(s, 0): decimal, 0x, 0o, 0b.
func seqNumber(s string) (int, error) {
	digits := strings.TrimLeft(s, "+-")
	if len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9' {
		return 0, fmt.Errorf("%q is not a whole number", s) // Python refuses 010
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || n > 1<<40 || n < -(1<<40) {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int(n), nil
}

// check applies Ansible's sanity checks; count=N sets end = start +
// N*stride - 1, as Ansible computes it.
func (s *sequenceSpec) check() error {
	switch {
	case s.count != nil && s.haveEnd:
		return fmt.Errorf("give end= or count=, not both")
	case s.count != nil && *s.count == 0:
		s.start, s.end, s.stride = 0, 0, 0
	case s.count != nil:
		s.end = s.start + *s.count*s.stride - 1
	case !s.haveEnd:
		return fmt.Errorf("end= or count= is required")
	}
	switch {
	case s.stride > 0 && s.end < s.start:
		return fmt.Errorf("to count backwards make stride negative (start=%d end=%d)", s.start, s.end)
	case s.stride < 0 && s.end > s.start:
		return fmt.Errorf("to count forward don't make stride negative (start=%d end=%d)", s.start, s.end)
	case strings.Count(s.format, "%") != 1:
		return fmt.Errorf("format %q must hold exactly one %% verb (such as %%d or %%02x)", s.format)
	case s.stride != 0 && (s.end-s.start)/s.stride+1 > maxSequence:
		return fmt.Errorf("more than %d items", maxSequence)
	}
	return nil
}

// pyVerb matches the one verb of a Python %-format.
var pyVerb = regexp.MustCompile(`%([-+ #0]*[0-9]*(?:\.[0-9]+)?)([a-zA-Z])`)

func (s *sequenceSpec) items() []any {
	out := []any{}
	if s.stride == 0 {
		return out
	}
	m := pyVerb.FindStringSubmatchIndex(s.format)
	for i := s.start; (s.stride > 0 && i <= s.end) || (s.stride < 0 && i >= s.end); i += s.stride {
		out = append(out, pyFormatInt(s.format, m, i))
	}
	return out
}

// pyFormatInt is Python's format % i for a format with one verb (m, its
// match): %s, %r, %i and %u print the number, %f/%e/%g a float.
func pyFormatInt(format string, m []int, i int) string {
	if m == nil {
		return format // Python: "not all arguments converted"; checked already
	}
	flags, verb := format[m[2]:m[3]], format[m[4]:m[5]]
	var arg any = i
	switch verb {
	case "s", "r", "i", "u":
		verb = "d"
	case "f", "F", "e", "E", "g", "G":
		arg = float64(i)
	case "c":
		arg = rune(i)
	}
	return format[:m[0]] + fmt.Sprintf("%"+flags+verb, arg) + format[m[1]:]
}
