package eval

import (
	"reflect"
	"strings"
	"testing"
)

// Expected values are ansible-core 2.14's: each expression rendered as
// "={{ EXPR }}" (text around it, so the result is Python's str() of the
// value, as Ansible writes it into a string).
func TestPythonStringsAsAnsible(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"'%s-%d' | format('x', 3)", "x-3"},
		{"'%-5s|' | format('ab')", "ab   |"},
		{"'%05.1f' | format(3.14159)", "003.1"},
		{"'%(a)s' | format(a=1)", "1"},
		{"'%s' % 'x'", "x"},
		{"'%d items' % 3", "3 items"},
		{"'%s-%s' % ('a', 'b')", "a-b"},
		{"'%(a)s and %(b)r' % {'a': 1, 'b': 'x'}", "1 and 'x'"},
		{"'%s|%r|%5.2f|%-4d|%x|%X|%o|%e|%g|%c|%%|%+d|% d|%#x|%#o|%05d' % ('s', 's', 3.14159, 7, 255, 255, 8, 12345.678, 0.00001234, 65, 5, 5, 255, 8, -42)", "s|'s'| 3.14|7   |ff|FF|10|1.234568e+04|1.234e-05|A|%|+5| 5|0xff|0o10|-0042"},
		{"'%*d|%-*d|%.*f' % (5, 3, 4, 2, 2, 3.14159)", "    3|2   |3.14"},
		{"'%s' % [1, 'a']", "[1, 'a']"},
		{"'%s %s %s %s' % (none, true, 1.0, {'k': [1, none]})", "None True 1.0 {'k': [1, None]}"},
		{"'%d' % 3.9", "3"},
		{"'%.3d|%5s|%-5s|%.2s' % (5, 'ab', 'ab', 'abc')", "005|   ab|ab   |ab"},
		{"'%i|%u|%E|%G|%F' % (1, 2, 12345.678, 0.00001234, 1.5)", "1|2|1.234568E+04|1.234E-05|1.500000"},
		{"'{}:{}'.format('h', 80)", "h:80"},
		{"'{0}-{1}-{0}'.format('a', 'b')", "a-b-a"},
		{"'{name}'.format(name='x')", "x"},
		{"'{:>5}|{:<5}|{:^7}|{:*>6}'.format('ab', 'ab', 'ab', 1)", "   ab|ab   |  ab   |*****1"},
		{"'{:.2f}|{:02d}|{:x}|{:,}|{:+.1e}|{:%}|{:g}|{}'.format(3.14159, 7, 255, 1234567, 12345.0, 0.25, 1.0, 1.0)", "3.14|07|ff|1,234,567|+1.2e+04|25.000000%|1|1.0"},
		{"'{!r}|{!s}|{{}}'.format('x', 'y')", "'x'|y|{}"},
		{"'{:{w}}|'.format('a', w=4)", "a   |"},
		{"'{:#x}|{:#o}|{:#b}|{:08.3f}|{:=+6d}'.format(255, 8, 5, 3.14159, 42)", "0xff|0o10|0b101|0003.142|+   42"},
		{"'a,b,c'.split(',', 1)", "['a', 'b,c']"},
		{"' a  b c '.split()", "['a', 'b', 'c']"},
		{"' a  b c '.split(None, 1)", "['a', 'b c ']"},
		{"'a,b,c'.rsplit(',', 1)", "['a,b', 'c']"},
		{"' a  b c '.rsplit(None, 1)", "[' a  b', 'c']"},
		{"'a,,b'.split(',')", "['a', '', 'b']"},
		{"'x-y'.split(maxsplit=0)", "['x-y']"},
		{"'abc'.rsplit('b')", "['a', 'c']"},
		{"'  x '.lstrip()", "x "},
		{"'  x '.rstrip()", "  x"},
		{"'xxaxx'.strip('x')", "a"},
		{"'xxaxx'.lstrip('x')", "axx"},
		{"'xxaxx'.rstrip('x')", "xxa"},
		{"'abcabc'.find('c')", "2"},
		{"'abcabc'.rfind('c')", "5"},
		{"'abc'.find('z')", "-1"},
		{"'abcabc'.find('b', 2)", "4"},
		{"'abc'.index('b')", "1"},
		{"'abcabc'.rindex('a')", "3"},
		{"'abcabc'.count('b')", "2"},
		{"'aaa'.count('a', 1)", "2"},
		{"'ab'.startswith(('x', 'a'))", "True"},
		{"'ab'.endswith(('b', 'c'))", "True"},
		{"'ab'.endswith('a')", "False"},
		{"'abc'.startswith('b', 1)", "True"},
		{"'123'.isdigit()", "True"},
		{"'12a'.isdigit()", "False"},
		{"''.isdigit()", "False"},
		{"'abc'.isalpha()", "True"},
		{"'ab1'.isalnum()", "True"},
		{"'abc'.islower()", "True"},
		{"'aBc'.islower()", "False"},
		{"'ABC'.isupper()", "True"},
		{"'A1'.isupper()", "True"},
		{"'Hello World'.istitle()", "True"},
		{"'hello world'.title()", "Hello World"},
		{"\"they're bill's\".title()", "They'Re Bill'S"},
		{"'hELLO wORLD'.capitalize()", "Hello world"},
		{"'Hello'.swapcase()", "hELLO"},
		{"'42'.zfill(5)", "00042"},
		{"'-42'.zfill(5)", "-0042"},
		{"'ab'.ljust(5) ~ '|'", "ab   |"},
		{"'ab'.rjust(5, '*')", "***ab"},
		{"'abc'.center(9)", "   abc   "},
		{"'ab'.center(7, '-')", "---ab--"},
		{"'a=b=c'.partition('=')", "('a', '=', 'b=c')"},
		{"'a=b=c'.rpartition('=')", "('a=b', '=', 'c')"},
		{"'abc'.partition('z')", "('abc', '', '')"},
		{"'abc'.rpartition('z')", "('', '', 'abc')"},
		{"'aaa'.replace('a', 'b', 2)", "bba"},
		{"[1, 2, 3, 2].index(2)", "1"},
		{"[1, 2, 3, 2].count(2)", "2"},
		{"{'a': 1}.get('b', 5)", "5"},
		{"{'a': 1}.get('a', 5)", "1"},
		{"{'a': 1}.copy()", "{'a': 1}"},
		{"'ab' * 3", "ababab"},
		{"3 * 'ab'", "ababab"},
		{"[1] * 3", "[1, 1, 1]"},
		{"[1, 2] * 0", "[]"},
		{"'abcdef'[-1]", "f"},
		{"'abcdef'[0]", "a"},
		{"'abcdef'[1:3]", "bc"},
		{"'abcdef'[-2:]", "ef"},
		{"'abc'[::-1]", "cba"},
		{"'abcdef'[::2]", "ace"},
		{"'abcdef'[4:1:-1]", "edc"},
		{"[1, 2, 3, 4][::-1]", "[4, 3, 2, 1]"},
		{"(1, 2)", "(1, 2)"},
		{"(1,)", "(1,)"},
		{"()", "()"},
		{"(1, 2)[1]", "2"},
		{"2 in (1, 2)", "True"},
		{"'a' ~ 1 ~ none", "a1None"},
		{"'a' ~ true ~ 1.5 ~ [1, 'b'] ~ {'k': none}", "aTrue1.5[1, 'b']{'k': None}"},
		{"(1 > 2) | string", "False"},
		{"none | string", "None"},
		{"[true, none] | string", "[True, None]"},
		{"7 % 3", "1"},
		{"-7 % 3", "2"},
		{"7.5 % 2", "1.5"},
		{"4 / 2", "2.0"},
		{"10 / 4", "2.5"},
		{"0.1 + 0.2", "0.30000000000000004"},
		{"1e20 * 10", "1e+21"},
		{"0.00001 * 1", "1e-05"},
		{"3 * 1.5", "4.5"},
	}
	for _, tt := range tests {
		got, err := Render("={{ "+tt.expr+" }}", nil)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got != "="+tt.want {
			t.Errorf("%s = %q, want %q", tt.expr, strings.TrimPrefix(got.(string), "="), tt.want)
		}
	}
}

// Errors ansible-core 2.14 gives too: at run time with Python's message,
// and the wrong number of arguments when the expression is read, naming
// the method and what it takes.
func TestPythonStringsErrors(t *testing.T) {
	vars := map[string]any{"s": "abc", "n": 1}
	tests := []struct {
		expr   string
		syntax bool
		want   string
	}{
		{"'{}'.format()", false, ".format(): replacement index 0 out of range"},
		{"'{0}{}'.format(1, 2)", false, "cannot switch from manual field specification to automatic field numbering"},
		{"'{:d}'.format('a')", false, "unknown format code 'd' for object of type 'str'"},
		{"'{x}'.format(y=1)", false, "missing keyword argument 'x'"},
		{"'{:>6}'.format(none)", false, "unsupported format string passed to NoneType.__format__"},
		{"'%d' % s", false, "operator %: %d format: a real number is required, not str"},
		{"'%s %s' % ('a',)", false, "not enough arguments for format string"},
		{"'%s' % ('a', 'b')", false, "not all arguments converted during string formatting"},
		{"'%(a)s' % n", false, "format requires a mapping"},
		{"'%y' % n", false, "unsupported format character 'y' (0x79) at index 1"},
		{"'%s-%d' | format('x')", false, "format(): not enough arguments for format string"},
		{"s.index('z')", false, ".index(): substring not found"},
		{"[1, 2].index(5)", false, ".index(): 5 is not in list"},
		{"s.endswith(['b'])", false, "endswith first arg must be str or a tuple of str, not list"},
		{"s.zfill('a')", false, ".zfill(): width must be an integer, not str"},
		{"n.zfill(3)", false, ".zfill(): int has no method zfill"},
		{"s * s", false, "can't multiply sequence by non-int of type 'str'"},
		{"s[5]", false, "string index out of range"},
		{"s.center(5, 'ab')", false, "the fill character must be exactly one character long"},
		{"s.split('')", false, ".split(): empty separator"},
		{"s.title(1)", true, ".title() takes 0 argument(s), got 1"},
		{"s.split(1, 2, 3)", true, ".split(sep, maxsplit) takes 0 to 2 arguments, got 3"},
		{"s.zfill()", true, ".zfill(width) takes 1 argument(s), got 0"},
		{"s.find(start=1)", true, `.find(sub, start, end) takes no keyword argument "start"`},
		{"'%s' | format(1, a=2)", true, "filter format takes positional arguments or keyword ones, not both"},
		{"s.frobnicate()", true, "method .frobnicate() is not supported (the Python methods are capitalize,"},
	}
	for _, tt := range tests {
		if err := Validate(tt.expr); (err != nil) != tt.syntax {
			t.Errorf("Validate(%q) = %v, want an error: %v", tt.expr, err, tt.syntax)
		}
		_, err := Eval(tt.expr, vars)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Eval(%q) = %v, want an error with %q", tt.expr, err, tt.want)
		}
	}
}

// Python's str() where Ansible writes a value as text: {{ }} among other
// text, ~, the string filter, and {% %} statements; a whole "{{ x }}"
// keeps its type, and a tuple alone is text, as in Ansible.
func TestPythonTextOfValues(t *testing.T) {
	vars := map[string]any{"flag": true, "l": []any{"a", 1, nil, 2.5}, "m": map[string]any{"k": false}, "none": nil, "f": 7.0}
	texts := []struct{ in, want string }{
		{"x={{ flag }}", "x=True"},
		{"x={{ l }}", "x=['a', 1, None, 2.5]"},
		{"x={{ m }}", "x={'k': False}"},
		{"x={{ none }}", "x="},
		{"x={{ f }}", "x=7.0"},
		{"{{ 'a' ~ none ~ flag }}", "aNoneTrue"},
		{"{{ flag | string }}", "True"},
		{"{% if flag %}{{ l }}{% endif %}", "['a', 1, None, 2.5]"},
		{"{% set t = ('a', 1) %}{{ t }}", "('a', 1)"},
		{"{{ (1, 'a') }}", "(1, 'a')"},
		{"{{ f }}\n", "7.0\n"},
	}
	for _, tt := range texts {
		if got, err := Render(tt.in, vars); err != nil || got != tt.want {
			t.Errorf("Render(%q) = %#v, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	typed := []struct {
		in   string
		want any
	}{
		{"{{ flag }}", true},
		{"{{ l }}", []any{"a", 1, nil, 2.5}},
		{"{{ 'ab' * 2 }}", "abab"},
		{"{{ [1] * 2 }}", []any{1, 1}},
		{"{{ 'a b'.split() }}", []any{"a", "b"}},
	}
	for _, tt := range typed {
		if got, err := Render(tt.in, vars); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Render(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	// A tuple is a list to a condition or a loop.
	if got, err := Eval("(1, 2)", nil); err != nil || !reflect.DeepEqual(got, []any{1, 2}) {
		t.Errorf("Eval((1, 2)) = %#v, %v", got, err)
	}
	if ok, err := Condition([]string{"'b' in ('a', 'b')", "s.isdigit()"}, map[string]any{"s": "12"}); err != nil || !ok {
		t.Errorf("Condition = %v, %v", ok, err)
	}
}
