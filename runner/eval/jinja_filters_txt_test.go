package eval

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The expected values below are what ansible-core 2.14 gives for the same
// expressions (checked with the probe script against ansible-playbook).

type filterCase struct {
	expr string
	want any
}

func textVars() map[string]any {
	return map[string]any{
		"two":      "a\nb",
		"blank":    "a\n\nb",
		"trailing": "a\nb\n",
		"crlf":     "a\r\nb",
		"html":     "<p>Hello &amp; <b>world</b></p>  <!-- c -->x",
		"third":    10.0 / 3,
		"seven":    7,
		"q":        map[string]any{"a": "x y", "b": 1},
	}
}

func runFilterCases(t *testing.T, vars map[string]any, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := Eval(tc.expr, vars)
		if err != nil {
			t.Errorf("Eval(%q): %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Eval(%q) = %#v (%T), want %#v (%T)", tc.expr, got, got, tc.want, tc.want)
		}
	}
}

func TestNumberFilters(t *testing.T) {
	runFilterCases(t, textVars(), []filterCase{
		{"3.7 | round", 4.0},
		{"third | round(2)", 3.33},
		{"3.2 | round(0, 'ceil')", 4.0},
		{"3.8 | round(0, 'floor')", 3.0},
		{"3.7 | round(method='ceil')", 4.0},
		{"3.21 | round(precision=1, method='ceil')", 3.3},
		{"2.5 | round", 2.0}, // half to even, as Python
		{"0.125 | round(2)", 0.12},
		{"1234.5678 | round(-2)", 1200.0},
		{"1250 | round(-2)", 1200},
		{"1251 | round(-1, 'ceil')", 1260.0},
		{"1.5 | round(999)", 1.5},
		{"3 | round", 3},
		{"seven | round(0, 'ceil')", 7.0},
		{"3.7 | round | int", 4},
		{"8 | log(2)", 3.0},
		{"100 | log(10)", 2.0},
		{"1 | log", 0.0},
		{"2 | pow(3)", 8.0},
		{"16 | root", 4.0},
		{"27 | root(3)", 3.0},
		{"1024 | human_readable", "1.00 KB"},
		{"1536 | human_readable", "1.50 KB"},
		{"10 | human_readable", "10.00 Bytes"},
		{"1024 | human_readable(isbits=true)", "1.00 Kb"},
		{"1048576 | human_readable(unit='K')", "1024.00 KB"},
		{"'1 KB' | human_to_bytes", 1024},
		{"'1.5M' | human_to_bytes", 1572864},
		{"'10' | human_to_bytes", 10},
		{"'2' | human_to_bytes(default_unit='K')", 2048},
		{"'1Mb' | human_to_bytes(isbits=true)", 1048576},
		{"1000 | filesizeformat", "1.0 kB"},
		{"1 | filesizeformat", "1 Byte"},
		{"12 | filesizeformat", "12 Bytes"},
		{"1024 | filesizeformat(true)", "1.0 KiB"},
		{"123456789 | filesizeformat", "123.5 MB"},
		{"123456789 | filesizeformat(binary=true)", "117.7 MiB"},
		{"[1.4, 2.6] | map('round') | list", []any{1.0, 3.0}},
	})
}

func TestTextFilters(t *testing.T) {
	runFilterCases(t, textVars(), []filterCase{
		{"'hello WORLD' | capitalize", "Hello world"},
		{"'hello wORLD-foo (bar) [x]' | title", "Hello World-Foo (Bar) [X]"},
		{"two | indent(2)", "a\n  b"},
		{"blank | indent(2, true)", "  a\n\n  b"},
		{"blank | indent(width=2, blank=true)", "a\n  \n  b"},
		{"trailing | indent('> ')", "a\n> b\n"},
		{"crlf | indent", "a\n    b"},
		{"'abc' | center(9)", "   abc   "},
		{"'ab' | center(5)", "  ab "},
		{"'abc' | center(6)", " abc  "},
		{"'a b c' | wordcount", 3},
		{"'héllo wörld_x 42' | wordcount", 3},
		{"'hello world foo' | truncate(9)", "hello..."},
		{"'hello world foo' | truncate(12)", "hello world foo"}, // within the leeway of 5
		{"'hello world foo bar baz' | truncate(9, true)", "hello ..."},
		{"'hello world foo bar baz' | truncate(9, leeway=0)", "hello..."},
		{"'hello world foo bar baz' | truncate(11, false, '!', 0)", "hello!"},
		{"'the quick brown fox jumps over the lazy dog' | wordwrap(10)", "the quick\nbrown fox\njumps over\nthe lazy\ndog"},
		{"'the quick brown fox' | wordwrap(10, wrapstring='|')", "the quick|brown fox"},
		{"'abcdefghijklmnop qr' | wordwrap(5)", "abcde\nfghij\nklmno\np qr"},
		{"'abcdefghijklmnop qr' | wordwrap(5, false)", "abcdefghijklmnop\nqr"},
		{"'well-known self-evident thing' | wordwrap(8)", "well-\nknown\nself-\nevident\nthing"},
		{"'a-b-c--d e' | wordwrap(3)", "a-\nb-c\n--d\ne"},
		{"'a  b   c d' | wordwrap(3)", "a\nb\nc d"},
		{"'  lead spaces here and there' | wordwrap(10)", "  lead\nspaces\nhere and\nthere"},
		{"html | striptags", "Hello & world x"},
		{"two | comment", "#\n# a\n# b\n#"},
		{"'x' | comment('erlang')", "%\n% x\n%"},
		{"'x' | comment('c')", "//\n// x\n//"},
		{"two | comment('cblock')", "/*\n *\n * a\n * b\n *\n */"},
		{"'x' | comment('xml')", "<!--\n -\n - x\n -\n-->"},
		{"'x' | comment(decoration='; ')", ";\n; x\n;"},
		{"'x' | comment('plain', prefix='#####', postfix='#####')", "#####\n# x\n#####"},
		{"'x' | comment('plain', prefix_count=2, postfix_count=0)", "#\n#\n# x"},
		{"blank | comment", "#\n# a\n#\n# b\n#"},
		{"'abc' | to_uuid", "27dc713b-d72c-5825-88f3-9f240e739319"},
		{"'abc' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8')", "6cb8e707-0fc5-5f55-88d4-d4fed43e64a8"},
		{"'x' | type_debug", "str"},
		{"1 | type_debug", "int"},
		{"1.5 | type_debug", "float"},
		{"true | type_debug", "bool"},
		{"[1] | type_debug", "list"},
		{"{'a': 1} | type_debug", "dict"},
		{"none | type_debug", "NoneType"},
		{"['ab', 'cd'] | map('capitalize') | list", []any{"Ab", "Cd"}},
	})
}

func TestURLFilters(t *testing.T) {
	runFilterCases(t, textVars(), []filterCase{
		{"'a b&c/d' | urlencode", "a%20b%26c/d"},
		{"q | urlencode", "a=x+y&b=1"},
		{"[['k', 'v w'], ['n', 2]] | urlencode", "k=v+w&n=2"},
		{"'é' | urlencode", "%C3%A9"},
		{"'http://user:pw@Host.Example:8080/p/a?q=1&r=2#frag' | urlsplit", map[string]any{
			"fragment": "frag", "hostname": "host.example", "netloc": "user:pw@Host.Example:8080", "password": "pw",
			"path": "/p/a", "port": 8080, "query": "q=1&r=2", "scheme": "http", "username": "user"}},
		{"'http://user@host:8080/p?q=1' | urlsplit('hostname')", "host"},
		{"'https://[::1]:443/x' | urlsplit('hostname')", "::1"},
		{"'http://host/p' | urlsplit(query='port')", nil},
		{"'/relative/only' | urlsplit('path')", "/relative/only"},
		{`'ab12' | regex_search('([a-z]+)([0-9]+)', '\\2')`, []any{"12"}},
		{`'ab12' | regex_search('(?P<w>[a-z]+)(?P<n>[0-9]+)', '\\g<n>', '\\1')`, []any{"12", "ab"}},
		{`'AB12' | regex_search('([a-z]+)', '\\1', ignorecase=true)`, []any{"AB"}},
		{`'ab' | regex_search('(x)?(a)', '\\1', '\\2')`, []any{nil, "a"}},
		{`'xy' | regex_search('([0-9])', '\\1')`, nil},
		{`'ab12' | regex_search('[0-9]+')`, "12"},
	})
}

func TestPathFilters(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", "/home/tester")
	t.Setenv("RUNBOOK_PATH_TEST", "/opt")
	vars := map[string]any{"dir": dir, "real": real}
	runFilterCases(t, vars, []filterCase{
		{"'/etc/foo/bar.conf' | splitext", []any{"/etc/foo/bar", ".conf"}},
		{"'.bashrc' | splitext", []any{".bashrc", ""}},
		{"'a/b.c/d' | splitext", []any{"a/b.c/d", ""}},
		{"'a.tar.gz' | splitext | first", "a.tar"},
		{"['/etc', 'foo', 'bar'] | path_join", "/etc/foo/bar"},
		{"['/etc', '/foo', 'bar/'] | path_join", "/foo/bar/"},
		{"['a/', 'b'] | path_join", "a/b"},
		{"'a' | path_join", "a"},
		{"'~/x' | expanduser", "/home/tester/x"},
		{"'~' | expanduser", "/home/tester"},
		{"'x/~' | expanduser", "x/~"},
		{"'$RUNBOOK_PATH_TEST/x/${RUNBOOK_PATH_TEST}' | expandvars", "/opt/x//opt"},
		{"'$NOPE_RUNBOOK_X/${NOPE_RUNBOOK_Y}' | expandvars", "$NOPE_RUNBOOK_X/${NOPE_RUNBOOK_Y}"},
		{"(dir ~ '/link/../link/./sub/missing') | realpath", real + "/sub/missing"},
		{"(dir ~ '/link') | realpath == real", true},
		{"'/etc/hosts' | relpath('/usr/share')", "../../etc/hosts"},
		{"'/a/b/c' | relpath(start='/a')", "b/c"},
	})
}

func TestDateFilters(t *testing.T) {
	old := timeNow
	timeNow = func() time.Time { return time.Date(2024, 3, 4, 5, 6, 7, 800000000, time.UTC) }
	t.Cleanup(func() { timeNow = old })
	vars := map[string]any{"a": "2024-01-05", "b": "2024-01-02 12:00:00", "seven": 7, "two": 2}
	const diff = "((a | to_datetime('%Y-%m-%d')) - (b | to_datetime))"
	runFilterCases(t, vars, []filterCase{
		{"('2024-01-02' | to_datetime('%Y-%m-%d')) ~ ''", "2024-01-02 00:00:00"},
		{"('2024-01-02 03:04:05' | to_datetime) | string", "2024-01-02 03:04:05"},
		{diff + " ~ ''", "2 days, 12:00:00"},
		{diff + ".days", 2},
		{diff + ".seconds", 43200},
		{diff + ".total_seconds()", 216000.0},
		{"((b | to_datetime) - (a | to_datetime('%Y-%m-%d'))) ~ ''", "-3 days, 12:00:00"},
		{"(b | to_datetime).year", 2024},
		{"(b | to_datetime).hour", 12},
		{"('2024-1-2 3:4:5' | to_datetime).strftime('%d/%m/%y %H-%M-%S %j %a %b %A %B %p %I')", "02/01/24 03-04-05 002 Tue Jan Tuesday January AM 03"},
		{"('Jan 5 2024' | to_datetime('%b %d %Y')) ~ ''", "2024-01-05 00:00:00"},
		{"('2024-01-02T03:04:05.25+0100' | to_datetime('%Y-%m-%dT%H:%M:%S.%f%z')) ~ ''", "2024-01-02 03:04:05.250000+01:00"},
		{"('2024-01-02' | to_datetime('%Y-%m-%d')) | type_debug", "datetime"},
		{"'%Y-%m-%d %H:%M:%S' | strftime(0, utc=true)", "1970-01-01 00:00:00"},
		{"'%Y-%m-%d' | strftime(86400 * 365, true)", "1971-01-01"},
		{"'%Y-%m-%d %H:%M:%S' | strftime(1700000000, utc=true)", "2023-11-14 22:13:20"},
		{"'%s' | strftime('1700000000.9')", "1700000000"},
		{"'%z %Z|%c|%x|%X|%U|%W|%V|%G|%u|%w|%C|%e|%D|%T|%R|%r|%h|%%|%Q|%-d|%_m' | strftime(1700000000, utc=true)",
			"+0000 GMT|Tue Nov 14 22:13:20 2023|11/14/23|22:13:20|46|46|46|2023|2|2|20|14|11/14/23|22:13:20|22:13|10:13:20 PM|Nov|%|%Q|14|11"},
		{"now().year", 2024},
		{"now(utc=true).month", 3},
		{"now(true, '%Y-%m-%d %H:%M:%S.%f')", "2024-03-04 05:06:07.800000"},
		{"now(fmt='%-d/%-m %e')", "4/3  4"},
		{"now().strftime('%Y')", "2024"},
		{"now() ~ ''", "2024-03-04 05:06:07.800000"},
		{"(now() - ('2024-03-01' | to_datetime('%Y-%m-%d'))).days", 3},
		{"seven - two", 5}, // other subtractions are as before
		{"seven - 2.5", 4.5},
	})
}

// TestFilterBadArguments: wrong arguments are errors naming the filter,
// found when the expression is compiled where the form is wrong and when
// it runs where a value is wrong.
func TestFilterBadArguments(t *testing.T) {
	syntax := []struct{ expr, want string }{
		{"x | truncate(5, lenght=3)", `filter truncate has no parameter "lenght" (it takes length, killwords, end, leeway)`},
		{"x | round(1, 'ceil', 3)", "filter round takes at most 2 arguments, got 3"},
		{"x | comment('plain', '# ')", "filter comment takes 1 positional argument(s); give the others by name (decoration, beginning"},
		{"x | regex_search('a', nocase=true)", `filter regex_search has no parameter "nocase"`},
		{"x | regex_search(ignorecase=true)", "filter regex_search needs a pattern"},
		{"x | win_basename", `filter "win_basename" is not supported: runbook's controller and hosts are POSIX`},
		{"now(local=true)", `now() has no parameter "local" (it takes utc, fmt)`},
		{"x | type_debug(1)", "filter type_debug takes at most 0 arguments, got 1"},
	}
	for _, tc := range syntax {
		err := Validate(tc.expr)
		var e *Error
		if err == nil || !errors.As(err, &e) || !e.Syntax || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want a syntax error containing %q", tc.expr, err, tc.want)
		}
	}
	vars := map[string]any{"x": "text"}
	runtime := []struct{ expr, want string }{
		{"'3.7' | round", "round(): can only be used on numbers, got string"},
		{"3.7 | round(1, 'bad')", `round(): method must be common, ceil or floor, got "bad"`},
		{"3.7 | round('x')", "round(): precision must be an integer, got string"},
		{"'x' | log", "log(): can only be used on numbers, got string"},
		{"0 | log", "log(): math domain error"},
		{"(-4) | root", "root(): math domain error"},
		{"'x' | human_to_bytes", "human_to_bytes(): can't interpret following string: x"},
		{"'1MB' | human_to_bytes(isbits=true)", "human_to_bytes(): can't interpret following string: 1MB"},
		{"'1 XB' | human_to_bytes", "human_to_bytes(): can't interpret following string: 1 XB"},
		{"'x' | human_readable", "human_readable(): can only be used on numbers"},
		{"'hello' | truncate(2)", "truncate(): expected length >= 3, got 2"},
		{"'x' | wordwrap(0)", "wordwrap(): invalid width 0"},
		{"'x' | comment('nope')", `comment(): unknown style "nope" (use plain, erlang, c, cblock or xml)`},
		{"'abc' | to_uuid(namespace='bad')", `to_uuid(): invalid value "bad" for namespace: badly formed hexadecimal UUID string`},
		{"'http://host/p' | urlsplit('nope')", "urlsplit(): unknown URL component: nope"},
		{"'http://host:x/p' | urlsplit", `urlsplit(): port could not be cast to integer value as "x"`},
		{`'ab' | regex_search('(a)', 'bad')`, `unknown argument "bad"`},
		{`'ab' | regex_search('(a)', '\\3')`, "no such group 3"},
		{"[1, 2] | urlencode", "urlencode(): item 0 is not a (key, value) pair"},
		{"5 | path_join", "path_join(): expects a string or a list, got number"},
		{"'2024-01-02' | to_datetime", `to_datetime(): time data "2024-01-02" does not match format "%Y-%m-%d %H:%M:%S"`},
		{"'2024-01-02x' | to_datetime('%Y-%m-%d')", "to_datetime(): unconverted data remains: x"},
		{"'2024-02-30' | to_datetime('%Y-%m-%d')", "day is out of range for month"},
		{"'x' | to_datetime('%Q')", "'Q' is a bad directive"},
		{"'%s' | strftime('x')", "strftime(): invalid value for epoch value (x)"},
		{"('2024-01-02' | to_datetime('%Y-%m-%d')) - x", "unsupported operand types for -: datetime and str"},
		{"x.total_seconds()", "total_seconds(): needs a timedelta"},
		{"x.strftime('%Y')", ".strftime() needs a datetime"},
		{"'x' | center(1000000000000)", "center(): width 1000000000000 is too large"},
		{"'x' | indent(1000000000000)", "indent(): width 1000000000000 is too large"},
		{"'x' | comment(prefix_count=1000000000000)", "comment(): prefix_count 1000000000000 is too large"},
		{"'%Y' | strftime(1e300)", "strftime(): epoch value 1e+300 is out of range"},
		{"1.5 | round(999999999, 'bad')", "round(): method must be common, ceil or floor"},
	}
	for _, tc := range runtime {
		_, err := Eval(tc.expr, vars)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Eval(%q) = %v, want an error containing %q", tc.expr, err, tc.want)
		}
	}
}

// TestFilterTextRendering: in text, dates and time differences read as
// Python prints them.
func TestFilterTextRendering(t *testing.T) {
	vars := map[string]any{"d": "2024-01-05 06:07:08"}
	got, err := Render("at {{ d | to_datetime }}, {{ (d | to_datetime) - ('2024-01-04' | to_datetime('%Y-%m-%d')) }} later", vars)
	if err != nil {
		t.Fatal(err)
	}
	if want := "at 2024-01-05 06:07:08, 1 day, 6:07:08 later"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFloatRendering: a float in text reads as Python's str() gives it, as
// in Ansible: round's whole result keeps its ".0".
func TestFloatRendering(t *testing.T) {
	vars := map[string]any{"n": 7, "x": 3.7}
	for tmpl, want := range map[string]string{
		"{{ x | round }} / {{ 3 | round }}": "4.0 / 3",
		"v={{ n / 2 }} {{ n * 1.0 }}":       "v=3.5 7.0",
		"{{ 1e16 * 1.0 }} {{ 0.0001 }}":     "1e+16 0.0001",
		"{{ 0.00001 }} {{ -0.5 | round }}":  "1e-05 -0.0",
		"{{ [1.0, 2] | join(',') }}":        "1.0,2",
	} {
		got, err := Render(tmpl, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", tmpl, err)
			continue
		}
		if got != want {
			t.Errorf("Render(%q) = %q, want %q", tmpl, got, want)
		}
	}
}

func init() {
	// The fuzz targets start from these too.
	fuzzSeeds = append(fuzzSeeds,
		"{{ s | truncate(2, leeway=0) }}{{ s | wordwrap(1) }}{{ s | center(n) }}{{ s | indent(n, true) }}",
		"{{ s | comment('cblock', prefix_count=n) }}{{ s | title }}{{ s | striptags }}{{ s | urlencode }}",
		"{{ f | round(n, 'ceil') }}{{ f | log(2) }}{{ n | pow(f) }}{{ f | root(3) }}{{ n | human_readable }}",
		"{{ s | human_to_bytes }}{{ n | filesizeformat(true) }}{{ s | to_uuid }}{{ l | type_debug }}",
		"{{ 'http://u:p@h:1/p?q#f' | urlsplit }}{{ s | regex_search('(s)(t)', '\\2', '\\g<1>') }}",
		"{{ s | splitext }}{{ l | path_join }}{{ s | expandvars }}{{ s | relpath('/') }}",
		"{{ ('2024-01-02' | to_datetime('%Y-%m-%d') - now()).days }}{{ '%c %j %U' | strftime(n) }}",
		"{{ now(utc=true, fmt='%Y %-d %_m %z') }}{{ (s | to_datetime('%b')).strftime('%A') }}",
	)
}

// TestSignBeforeFilter: a filter after a signed value filters the signed
// value, as in Jinja, also where the expression reads as expr.
func TestSignBeforeFilter(t *testing.T) {
	runFilterCases(t, map[string]any{"x": 5}, []filterCase{
		{"-3 | abs", 3},
		{"-x | abs", 5},
		{"- -3 | abs", 3},
		{"-x | string | length", 2},
		{"1 - 3 | abs", -2},
		{"-(3 | abs)", -3},
		{"-abs(3)", -3},
		{"-x is number", true},
	})
	if _, err := Eval("-4 | root", nil); err == nil || !strings.Contains(err.Error(), "root(): math domain error") {
		t.Errorf("-4 | root: got %v, want the domain error of root(-4)", err)
	}
}

// TestDateComparisons: datetimes and time differences compare in time
// order; other comparisons of two values are as before.
func TestDateComparisons(t *testing.T) {
	vars := map[string]any{"a": "2024-01-05", "b": "2024-01-02", "n": 3, "m": 4.5, "s": "abc", "u": "abd"}
	runFilterCases(t, vars, []filterCase{
		{"(a | to_datetime('%Y-%m-%d')) > (b | to_datetime('%Y-%m-%d'))", true},
		{"(a | to_datetime('%Y-%m-%d')) <= (b | to_datetime('%Y-%m-%d'))", false},
		{"(b | to_datetime('%Y-%m-%d')) < now()", true},
		{"((a | to_datetime('%Y-%m-%d')) - (b | to_datetime('%Y-%m-%d'))) >= ((a | to_datetime('%Y-%m-%d')) - (a | to_datetime('%Y-%m-%d')))", true},
		{"n < m", true},
		{"m >= n", true},
		{"s < u", true},
		{"n > m or s > u", false},
	})
	_, err := Eval("(a | to_datetime('%Y-%m-%d')) < s", vars)
	if err == nil || !strings.Contains(err.Error(), "'<' not supported between datetime and str") {
		t.Errorf("comparing a date with a string: got %v", err)
	}
	if _, err := Eval("n < s", vars); err == nil {
		t.Error("comparing a number with a string must stay an error")
	}
}

// TestDateTypeNames: errors name a date as Python does, not by its Go type.
func TestDateTypeNames(t *testing.T) {
	_, err := Eval("now() | length", nil)
	if err == nil || !strings.Contains(err.Error(), "datetime") || strings.Contains(err.Error(), "eval.") {
		t.Errorf("got %v, want an error naming a datetime", err)
	}
}
