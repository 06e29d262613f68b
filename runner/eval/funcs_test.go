package eval

import (
	"reflect"
	"strings"
	"testing"
)

func TestHelpersInExpressions(t *testing.T) {
	vars := testVars()
	vars["users"] = []any{
		map[string]any{"name": "ann", "uid": 1000},
		map[string]any{"name": "bob", "uid": 1001},
	}
	vars["conf"] = map[string]any{"b": 2, "a": 1}
	vars["yamltext"] = "a: 1\nb: [x, z]\nc: 1.5\n"
	tests := []struct {
		expr string
		want any
	}{
		// default, defined, mandatory, ternary
		{"default(nothing, 'd')", "d"},
		{"default(empty, 'd')", "d"},
		{"default(0, 'd')", 0},
		{"default(false, 'd')", false},
		{"nothing | default(7)", 7},
		{"defined('s')", true},
		{"defined('zzz')", false},
		{"mandatory(s, 'msg')", "hello"},
		{"s | mandatory()", "hello"},
		{"ternary(n > 1, 'big', 'small')", "big"},
		{"ternary('no', 'a', 'b')", "b"},
		{"(n > 5) | ternary('a', 'b')", "b"},

		// conversion
		{"int('42')", 42},
		{"int(' 42 ')", 42},
		{"int('12.9')", 12},
		{"int(3.99)", 3},
		{"int(true)", 1},
		{"'7' | int() + 1", 8},
		{"float('2.5')", 2.5},
		{"float(2)", 2.0},
		{"int('')", 0}, // Jinja: '' | int and None | int are 0
		{"int(nothing)", 0},
		{"float('')", 0.0},
		{"int('abc', 7)", 7},
		{"int('0x1A', 0, 16)", 26},
		{"float('x', 1.5)", 1.5},
		{"string(42)", "42"},
		{"string(2.5)", "2.5"},
		{"string(whole)", "8080.0"}, // Python's str()
		{"string(nothing)", "None"},
		{"string(l)", `[1, 'a', True]`},
		{"bool('yes')", true},
		{"bool('Off')", false},
		{"bool(1)", true},
		{"bool(0.0)", false},
		{"bool(nothing)", nil}, // Ansible's bool keeps None
		{"bool('maybe')", false},
		{"bool('Y')", false},
		{"bool(2)", false},
		{"bool(1)", true},
		{"int('abc')", 0},
		{"int('0x1A')", 0},
		{"int('3.7')", 3},
		{"int([1])", 0},
		{"int('abc', 7)", 7},
		{"float('x')", 0.0},
		{"bool(t)", true},

		// JSON and YAML
		{"to_json({'b': [1, 'x'], 'a': nil})", `{"a":null,"b":[1,"x"]}`},
		{"to_json('<&>')", `"<&>"`},
		{"to_nice_json({'a': 1})", "{\n    \"a\": 1\n}"},
		{"to_nice_json({'a': 1}, 2)", "{\n  \"a\": 1\n}"},
		{`from_json('{"a": [1, 2.5, "x"], "b": {"c": true}}')`, map[string]any{"a": []any{1, 2.5, "x"}, "b": map[string]any{"c": true}}},
		{`from_json('12345678901')`, 12345678901},
		{"from_json(to_json(m))", map[string]any{"k": 1, "inner": map[string]any{"x": "deep"}}},
		{"to_yaml({'b': [1, 'x'], 'a': 'q'})", "a: q\nb:\n- 1\n- x\n"},
		{"from_yaml(yamltext)", map[string]any{"a": 1, "b": []any{"x", "z"}, "c": 1.5}},
		{"from_yaml('')", nil},

		// base64
		{"b64encode('hello world')", "aGVsbG8gd29ybGQ="},
		{"b64decode('aGVsbG8gd29ybGQ=')", "hello world"},
		{"b64decode('aGVsbG8gd29ybGQ')", "hello world"},
		{"b64decode(b64encode('ünï'))", "ünï"},

		// strings (upper, lower, trim, replace are expr builtins)
		{"upper(s)", "HELLO"},
		{"lower('AbC')", "abc"},
		{"trim('  x  ')", "x"},
		{"replace('a-b-c', '-', '+')", "a+b+c"},
		{"split('a,b,c', ',')", []any{"a", "b", "c"}},
		{"split(' a  b\tc ')", []any{"a", "b", "c"}},
		{"'a:b' | split(':')", []any{"a", "b"}},
		{"join(hosts, ',')", "web1,web2,db1"},
		{"join(l, '-')", "1-a-true"},
		{"join(['a', 'b'])", "ab"},
		{"hosts | join(' ')", "web1 web2 db1"},
		{"join([], ',')", ""},
		{"startswith(s, 'he')", true},
		{"endswith(s, 'lo')", true},
		{"s | startswith('x')", false},
		{"regex_replace('hello world', 'o', '0')", "hell0 w0rld"},
		{"regex_replace('key=value', `(\\w+)=(\\w+)`, '$2=$1')", "$2=$1"}, // "$" is text, as in Python
		{"regex_replace('key=value', `(\\w+)=(\\w+)`, `\\2:\\1`)", "value:key"},
		{"regex_replace('ab', '(?P<first>a)', `\\g<first>\\g<first>`)", "aab"},
		{"regex_search('port 8080 open', `\\d+`)", "8080"},
		{"regex_search('no digits', `\\d+`)", nil},
		{"regex_search('port 8080', '\\\\d+')", "8080"}, // escaped backslash in a quoted string
		{"regex_findall('a1 b22 c333', `\\d+`)", []any{"1", "22", "333"}},
		{"regex_findall('a=1 b=2', `(\\w)=\\d`)", []any{"a", "b"}},
		{"regex_findall('a=1 b=2', `(\\w)=(\\d)`)", []any{[]any{"a", "1"}, []any{"b", "2"}}},
		{"quote('simple')", "simple"},
		{"quote('')", "''"},
		{"quote('two words')", "'two words'"},
		{`quote("it's")`, `'it'"'"'s'`},
		{"quote('$HOME;rm')", "'$HOME;rm'"},
		{"basename('/etc/nginx/nginx.conf')", "nginx.conf"},
		{"basename('/etc/nginx/')", ""},
		{"basename('file')", "file"},
		{"dirname('/etc/nginx/nginx.conf')", "/etc/nginx"},
		{"dirname('/etc')", "/"},
		{"dirname('file')", ""},
		{"dirname('a//b')", "a"},
		{"sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"hash('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"hash('abc', 'md5')", "900150983cd24fb0d6963f7d28e17f72"},
		{"'abc' | hash('sha1')", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"len(hash('abc', 'sha512'))", 128},

		// lists and maps
		{"length(s)", 5},
		{"length('ünï')", 3},
		{"length(hosts)", 3},
		{"length(m)", 2},
		{"length(nothing)", 0},
		{"hosts | length()", 3},
		{"len(hosts)", 3},
		{"keys(conf)", []any{"a", "b"}},
		{"values(conf)", []any{1, 2}},
		{"unique([1, 2, 1, 'a', 'a', 2.0])", []any{1, 2, "a"}},
		{"unique([[1], [1], {'a': 1}, {'a': 1}])", []any{[]any{1}, map[string]any{"a": 1}}},
		{"flatten([1, [2, [3, [4]]]])", []any{1, 2, 3, 4}},
		{"flatten([1, [2, [3, [4]]]], 1)", []any{1, 2, []any{3, []any{4}}}},
		{"flatten([[1, 2], [3]], 0)", []any{[]any{1, 2}, []any{3}}},
		{"union([1, 2], [2, 3])", []any{1, 2, 3}},
		{"difference([1, 2, 3, 2], [2])", []any{1, 3}},
		{"intersect([1, 2, 3], [3, 2, 9])", []any{2, 3}},
		{"[1, 2] | union([3])", []any{1, 2, 3}},
		{"dict2items(conf)", []any{map[string]any{"key": "a", "value": 1}, map[string]any{"key": "b", "value": 2}}},
		{"dict2items({'x': 1}, 'k', 'v')", []any{map[string]any{"k": "x", "v": 1}}},
		{"items2dict(dict2items(conf))", map[string]any{"a": 1, "b": 2}},
		{"items2dict(users, 'name', 'uid')", map[string]any{"ann": 1000, "bob": 1001}},
		{"combine(conf, {'b': 3, 'c': 4})", map[string]any{"a": 1, "b": 3, "c": 4}},
		{"combine({'a': 1}, nil, {'a': 2}, {'z': 0})", map[string]any{"a": 2, "z": 0}},
		{"conf | combine({'a': 0})", map[string]any{"a": 0, "b": 2}},
		{"range(3)", []any{0, 1, 2}},
		{"range(2, 5)", []any{2, 3, 4}},
		{"range(10, 0, -3)", []any{10, 7, 4, 1}},
		{"range(0)", []any{}},
		{"range(5, 1)", []any{}},
		{"seq(3)", []any{1, 2, 3}},
		{"seq(0)", []any{}},
		{"seq(2, 4)", []any{2, 3, 4}},
		{"seq(3, 1)", []any{3, 2, 1}},
		{"map(range(2), 'node' + string(#))", []any{"node0", "node1"}},

		// expr builtins still work alongside the helpers
		{"hasPrefix(s, 'he')", true},
		{"uniq([1, 1])", []any{1}},
		{"toJSON(1)", "1"},
		{"sum([1, 2])", 3},
		{"first(hosts)", "web1"},
	}
	for _, tt := range tests {
		got, err := Eval(tt.expr, vars)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Eval(%q) = %#v (%T), want %#v (%T)", tt.expr, got, got, tt.want, tt.want)
		}
	}
}

func TestHelperErrors(t *testing.T) {
	vars := testVars()
	tests := []struct {
		expr, want string
	}{
		{"int('ff', 0, 99)", "int(): base must be between 2 and 36, got 99"},
		{"from_json(1)", "from_json(): the argument must be a string"},
		{"from_json('{} x')", "from_json(): unexpected data after the JSON value"},
		{"from_yaml('a: [')", "from_yaml()"},
		{"b64decode('!!!')", "b64decode(): invalid base64 data"},
		{"regex_search('x', '(')", "regex_search(): invalid pattern"},
		{"hash('x', 'crc')", `hash(): unknown hash algorithm "crc"`},
		{"join(s, ',')", "join(): expected a list, got string"},
		{"keys(l)", "keys(): expected a map, got list"},
		{"length(1)", "length(): number has no length"},
		{"combine({}, 1)", "combine(): argument 2: expected a map, got number"},
		{"items2dict([1])", "items2dict(): item 0 is number, not a map"},
		{"items2dict([{'x': 1}])", `items2dict(): item 0 has no "key"`},
		{"range(0, 10, 0)", "range(): step must not be zero"},
		{"range(2000000)", "range(): too many items"},
		{"range(-9223372036854775807, 9223372036854775807)", "range(): too many items"},
		{"seq('3')", "seq(): argument 1: expected a number, got string"},
		{"union(1, [])", "union(): expected a list, got number"},
		{"ternary(1, 2)", "ternary(): takes 3 argument(s), got 2"},
		{"combine()", "combine(): takes at least 1 argument(s), got 0"},
		{"split('a', ',', 3)", "split(): takes 1 to 2 arguments, got 3"},
		{"defined(1, 2, 3)", "defined(): takes 2 argument(s), got 3"},
		{"defined(1 + 1)", "defined(): expected a variable name as a string, got number"},
	}
	for _, tt := range tests {
		_, err := Eval(tt.expr, vars)
		if err == nil {
			t.Errorf("Eval(%q): no error", tt.expr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Eval(%q) = %q, want it to contain %q", tt.expr, err, tt.want)
		}
	}
}

func TestHelperTable(t *testing.T) {
	seen := map[string]bool{}
	for _, h := range helpers {
		if seen[h.name] {
			t.Errorf("helper %s listed twice", h.name)
		}
		seen[h.name] = true
		if h.fn == nil || h.min < 0 || (h.max >= 0 && h.max < h.min) {
			t.Errorf("helper %s: bad entry", h.name)
		}
		if h.side != exprOnly && templateFuncs[h.name] == nil {
			t.Errorf("helper %s missing from template funcs", h.name)
		}
		if h.side != templateOnly && !exprFuncNames[h.name] {
			t.Errorf("helper %s missing from expr functions", h.name)
		}
	}
	// Every helper the brief names is reachable from at least one side.
	for _, name := range strings.Fields(`default defined to_json to_nice_json from_json to_yaml from_yaml
		b64encode b64decode regex_replace regex_search regex_findall basename dirname quote join split
		lower upper trim replace startswith endswith contains unique flatten union difference intersect
		dict2items items2dict combine keys values length len int float string bool hash sha256
		mandatory ternary range seq`) {
		if !seen[name] {
			t.Errorf("helper %s missing", name)
		}
	}
}

func TestNormalizeForeignMaps(t *testing.T) {
	// Some YAML decoders give map[any]any; rendering and to_json cope.
	vars := map[string]any{"v": map[any]any{"a": []any{map[any]any{1: "x"}}}}
	got, err := Render("v={{ v }}", vars)
	if err != nil || got != `v={'a': [{'1': 'x'}]}` {
		t.Errorf("Render = %#v, %v", got, err)
	}
	got, err = Eval("to_yaml(v)", vars)
	if err != nil || got != "a:\n- \"1\": x\n" {
		t.Errorf("to_yaml = %#v, %v", got, err)
	}
	got, err = Eval("keys(v)", vars)
	if err != nil || !reflect.DeepEqual(got, []any{"a"}) {
		t.Errorf("keys = %#v, %v", got, err)
	}
}
