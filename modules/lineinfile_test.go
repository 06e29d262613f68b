package modules_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// lineCase is one lineinfile scenario: the file before (missing when
// nil), the arguments besides path, and the file and message after.
type lineCase struct {
	name    string
	before  *string
	args    map[string]any
	after   string
	msg     string
	changed bool
}

func textPtr(s string) *string { return &s }

func lineinfileCases() []lineCase {
	return []lineCase{
		// regexp: the last match is replaced, or the first with firstmatch.
		{"regexp replaces last match", textPtr("a=1\nb=2\na=3\n"), map[string]any{"regexp": "^a=", "line": "a=9"}, "a=1\nb=2\na=9\n", "line replaced", true},
		{"regexp firstmatch", textPtr("a=1\nb=2\na=3\n"), map[string]any{"regexp": "^a=", "line": "a=9", "firstmatch": true}, "a=9\nb=2\na=3\n", "line replaced", true},
		{"regexp alias regex and value", textPtr("a=1\n"), map[string]any{"regex": "^a=", "value": "a=2"}, "a=2\n", "line replaced", true},
		{"regexp match already right", textPtr("a=9\n"), map[string]any{"regexp": "^a=", "line": "a=9"}, "a=9\n", "", false},
		{"regexp matched: insertafter ignored", textPtr("x\na=1\ny\n"), map[string]any{"regexp": "^a=", "line": "a=2", "insertafter": "^y"}, "x\na=2\ny\n", "line replaced", true},
		{"regexp dollar before newline", textPtr("port 22\n"), map[string]any{"regexp": "^port 22$", "line": "port 2222"}, "port 2222\n", "line replaced", true},
		{"search_string", textPtr("foo = 1\nbar\n"), map[string]any{"search_string": "foo =", "line": "foo = 2"}, "foo = 2\nbar\n", "line replaced", true},
		{"search_string is literal", textPtr("a.b\naxb\n"), map[string]any{"search_string": "a.b", "line": "z"}, "z\naxb\n", "line replaced", true},
		// No match: appended, with the trailing-newline traps.
		{"no match appends", textPtr("x\n"), map[string]any{"regexp": "^nomatch", "line": "new"}, "x\nnew\n", "line added", true},
		{"no final newline gets one", textPtr("x"), map[string]any{"line": "new"}, "x\nnew\n", "line added", true},
		{"empty file", textPtr(""), map[string]any{"line": "new"}, "new\n", "line added", true},
		{"line exists elsewhere, regexp unmatched: not added twice", textPtr("new\nx\n"), map[string]any{"regexp": "^nomatch", "line": "new"}, "new\nx\n", "", false},
		{"exact line exists", textPtr("a\nnew\nb\n"), map[string]any{"line": "new"}, "a\nnew\nb\n", "", false},
		{"exact last line without newline gets one", textPtr("x\nnew"), map[string]any{"line": "new"}, "x\nnew\n", "line replaced", true},
		{"exact line with CRLF is rewritten", textPtr("new\r\nx\n"), map[string]any{"line": "new"}, "new\nx\n", "line replaced", true},
		{"trailing blank line kept", textPtr("x\n\n"), map[string]any{"line": "new"}, "x\n\nnew\n", "line added", true},
		{"regexp replaces last line without newline", textPtr("x\na=1"), map[string]any{"regexp": "^a=", "line": "a=2"}, "x\na=2\n", "line replaced", true},
		{"CRLF file: added line ends with \\n", textPtr("x\r\n"), map[string]any{"line": "new"}, "x\r\nnew\n", "line added", true},
		{"insertbefore last line without newline", textPtr("a\nb"), map[string]any{"line": "new", "insertbefore": "^b"}, "a\nnew\nb", "line added", true},
		{"empty line added once", textPtr("x\n"), map[string]any{"line": ""}, "x\n\n", "line added", true},
		// backrefs.
		{"backrefs no match: unchanged", textPtr("x\n"), map[string]any{"regexp": "^bind=(.*)$", "line": `bind=\1`, "backrefs": true}, "x\n", "", false},
		{"backrefs numbered", textPtr("bind=1.2.3.4:80\n"), map[string]any{"regexp": `^bind=[^:]*:(\d+)$`, "line": `bind=10.0.0.1:\1`, "backrefs": true}, "bind=10.0.0.1:80\n", "line replaced", true},
		{"backrefs named", textPtr("port=80\n"), map[string]any{"regexp": `^port=(?P<p>\d+)$`, "line": `port=\g<p>0 # was \g<p>`, "backrefs": true}, "port=800 # was 80\n", "line replaced", true},
		{"backrefs unmatched group empty", textPtr("k=v\n"), map[string]any{"regexp": `^k=(v)(x)?$`, "line": `k=\1\2!`, "backrefs": true}, "k=v!\n", "line replaced", true},
		{"no backrefs: line literal", textPtr("k=v\n"), map[string]any{"regexp": `^k=(v)$`, "line": `k=\1`}, "k=\\1\n", "line replaced", true},
		// insertafter / insertbefore.
		{"insertafter", textPtr("a\nb\nc\n"), map[string]any{"line": "new", "insertafter": "^b"}, "a\nb\nnew\nc\n", "line added", true},
		{"insertafter last match", textPtr("b\nx\nb\ny\n"), map[string]any{"line": "new", "insertafter": "^b"}, "b\nx\nb\nnew\ny\n", "line added", true},
		{"insertafter firstmatch", textPtr("b\nx\nb\n"), map[string]any{"line": "new", "insertafter": "^b", "firstmatch": true}, "b\nnew\nx\nb\n", "line added", true},
		{"insertafter last line without newline", textPtr("a\nb"), map[string]any{"line": "new", "insertafter": "^b"}, "a\nb\nnew\n", "line added", true},
		{"insertafter no match: EOF", textPtr("a\n"), map[string]any{"line": "new", "insertafter": "^zzz"}, "a\nnew\n", "line added", true},
		{"insertafter EOF", textPtr("a\n"), map[string]any{"line": "new", "insertafter": "EOF"}, "a\nnew\n", "line added", true},
		{"insertafter BOF", textPtr("a\n"), map[string]any{"line": "new", "insertafter": "BOF"}, "new\na\n", "line added", true},
		{"insertbefore", textPtr("a\nb\n"), map[string]any{"line": "new", "insertbefore": "^b"}, "a\nnew\nb\n", "line added", true},
		{"insertbefore first line", textPtr("b\n"), map[string]any{"line": "new", "insertbefore": "^b"}, "new\nb\n", "line added", true},
		{"insertbefore BOF", textPtr("a\n"), map[string]any{"line": "new", "insertbefore": "BOF"}, "new\na\n", "line added", true},
		{"insertbefore no match: EOF", textPtr("a"), map[string]any{"line": "new", "insertbefore": "^zzz"}, "a\nnew\n", "line added", true},
		{"regexp unmatched, insertbefore", textPtr("[s]\nk=1\n"), map[string]any{"regexp": "^x=", "line": "x=1", "insertbefore": `^k=`}, "[s]\nx=1\nk=1\n", "line added", true},
		// create.
		{"create", nil, map[string]any{"line": "new", "create": true}, "new\n", "line added", true},
		{"create insertbefore BOF", nil, map[string]any{"line": "new", "create": true, "insertbefore": "BOF"}, "new\n", "line added", true},
		// absent.
		{"absent regexp removes all", textPtr("a=1\nb\na=2\n"), map[string]any{"regexp": "^a=", "state": "absent"}, "b\n", "2 line(s) removed", true},
		{"absent line", textPtr("a\nb\na\n"), map[string]any{"line": "a", "state": "absent"}, "b\n", "2 line(s) removed", true},
		{"absent line without newline", textPtr("b\na"), map[string]any{"line": "a", "state": "absent"}, "b\n", "1 line(s) removed", true},
		{"absent keeps a last line without newline", textPtr("a\nb"), map[string]any{"line": "a", "state": "absent"}, "b", "1 line(s) removed", true},
		{"absent search_string", textPtr("x foo y\nbar\n"), map[string]any{"search_string": "foo", "state": "absent"}, "bar\n", "1 line(s) removed", true},
		{"absent no match", textPtr("a\n"), map[string]any{"regexp": "^z", "state": "absent"}, "a\n", "", false},
		{"absent file missing", nil, map[string]any{"line": "a", "state": "absent"}, "<missing>", "file not present", false},
	}
}

func TestLineinfileCases(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		for _, tc := range lineinfileCases() {
			t.Run(tc.name, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "sub", "file")
				r := textRunCase(t, c, "lineinfile", p, tc.before, tc.args)
				if got := textFileState(t, p); got != tc.after {
					t.Errorf("file = %q, want %q", got, tc.after)
				}
				if r.Changed != tc.changed || r.Msg != tc.msg || r.Failed {
					t.Errorf("changed=%v msg=%q failed=%v, want changed=%v msg=%q", r.Changed, r.Msg, r.Failed, tc.changed, tc.msg)
				}
			})
		}
	})
}

func TestLineinfileDiffAndReturns(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := filepath.Join(t.TempDir(), "f")
		writeText(t, p, "a\n")
		mc := connContext(t, c, nil)
		mc.Diff, mc.Host = true, "web1"
		r := helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "b"})
		if len(r.Diff) != 1 {
			t.Fatalf("diff: %+v", r.Diff)
		}
		d := r.Diff[0]
		if d.BeforeHeader != "web1:"+p+" (content)" || d.AfterHeader != d.BeforeHeader || d.Before != "a\n" || d.After != "a\nb\n" {
			t.Fatalf("diff: %+v", d)
		}
		m := r.Map()
		if m["backup"] != "" || m["msg"] != "line added" || m["changed"] != true {
			t.Fatalf("registered: %v", m)
		}
		r = helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "b"})
		if len(r.Diff) != 0 {
			t.Fatalf("diff without a change: %+v", r.Diff)
		}
		mc.Diff = false
		r = helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "c"})
		if len(r.Diff) != 0 {
			t.Fatalf("diff when not asked: %+v", r.Diff)
		}
		r = helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "regexp": "^[bc]$", "state": "absent"})
		if r.Data["found"] != 2 || r.Msg != "2 line(s) removed" {
			t.Fatalf("absent: %+v", r)
		}
	})
}

func TestLineinfileArgValidation(t *testing.T) {
	mc := helperContext(t, nil)
	p := filepath.Join(t.TempDir(), "f")
	writeText(t, p, "")
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"path": p}, "line is required"},
		{map[string]any{"path": p, "state": "absent"}, "one of line, search_string, or regexp"},
		{map[string]any{"path": p, "line": "x", "regexp": "a", "search_string": "a"}, "mutually exclusive"},
		{map[string]any{"path": p, "line": "x", "insertafter": "a", "insertbefore": "b"}, "mutually exclusive"},
		{map[string]any{"path": p, "line": "x", "backrefs": true}, "regexp is required with backrefs"},
		{map[string]any{"path": p, "line": "x", "regexp": "(?<=a)b"}, "invalid regular expression"},
		{map[string]any{"path": p, "line": `\2`, "regexp": "(a)", "backrefs": true}, ""},
		{map[string]any{"line": "x"}, "required"},
	} {
		_, err := helperRun(t, mc, "lineinfile", tc.raw)
		if tc.want == "" {
			// Nothing matched, so the bad reference is never expanded.
			if err != nil {
				t.Errorf("%v: %v", tc.raw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.raw, err, tc.want)
		}
	}
	writeText(t, p, "a\n")
	_, err := helperRun(t, mc, "lineinfile", map[string]any{"path": p, "line": `\2`, "regexp": "(a)", "backrefs": true})
	if err == nil || !strings.Contains(err.Error(), "invalid group reference") {
		t.Errorf("bad group reference: %v", err)
	}
}
