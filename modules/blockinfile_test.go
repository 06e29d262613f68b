package modules_test

import (
	"path/filepath"
	"strings"
	"testing"
)

const (
	blockBegin = "# BEGIN ANSIBLE MANAGED BLOCK\n"
	blockEnd   = "# END ANSIBLE MANAGED BLOCK\n"
)

func blockinfileCases() []lineCase {
	return []lineCase{
		{"insert at EOF", textPtr("a\n"), map[string]any{"block": "x\ny"}, "a\n" + blockBegin + "x\ny\n" + blockEnd, "Block inserted", true},
		{"no final newline gets one", textPtr("a"), map[string]any{"block": "x"}, "a\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"empty file", textPtr(""), map[string]any{"block": "x"}, blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"block newline not doubled", textPtr(""), map[string]any{"content": "x\n"}, blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"update in place", textPtr("a\n" + blockBegin + "old\n" + blockEnd + "z\n"), map[string]any{"block": "new1\nnew2"}, "a\n" + blockBegin + "new1\nnew2\n" + blockEnd + "z\n", "Block inserted", true},
		{"already there", textPtr("a\n" + blockBegin + "x\n" + blockEnd), map[string]any{"block": "x"}, "a\n" + blockBegin + "x\n" + blockEnd, "", false},
		{"markers reversed", textPtr(blockEnd + "old\n" + blockBegin + "z\n"), map[string]any{"block": "x"}, blockBegin + "x\n" + blockEnd + "z\n", "Block inserted", true},
		{"last marker without newline", textPtr("a\n" + blockBegin + "x\n" + strings.TrimSuffix(blockEnd, "\n")), map[string]any{"block": "x"}, "a\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"CRLF markers recognised", textPtr("a\r\n# BEGIN ANSIBLE MANAGED BLOCK\r\nx\r\n# END ANSIBLE MANAGED BLOCK\r\n"), map[string]any{"block": "y"}, "a\r\n" + blockBegin + "y\n" + blockEnd, "Block inserted", true},
		{"one marker only: inserted anew", textPtr(blockBegin + "x\n"), map[string]any{"block": "x"}, blockBegin + "x\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"remove with state absent", textPtr("a\n" + blockBegin + "x\n" + blockEnd + "z\n"), map[string]any{"state": "absent"}, "a\nz\n", "Block removed", true},
		{"remove with empty block", textPtr("a\n" + blockBegin + "x\n" + blockEnd), map[string]any{"block": ""}, "a\n", "Block removed", true},
		{"absent without markers", textPtr("a"), map[string]any{"state": "absent"}, "a", "", false},
		{"absent file missing", nil, map[string]any{"state": "absent"}, "<missing>", "", false},
		{"custom marker", textPtr("a\n"), map[string]any{"block": "x", "marker": "// {mark} app", "marker_begin": "start", "marker_end": "stop"}, "a\n// start app\nx\n// stop app\n", "Block inserted", true},
		{"two blocks by marker", textPtr("# BEGIN one\n1\n# END one\n"), map[string]any{"block": "2", "marker": "# {mark} two"}, "# BEGIN one\n1\n# END one\n# BEGIN two\n2\n# END two\n", "Block inserted", true},
		{"insertafter last match", textPtr("a\n[s]\nb\n[s]\nc\n"), map[string]any{"block": "x", "insertafter": `^\[s\]`}, "a\n[s]\nb\n[s]\n" + blockBegin + "x\n" + blockEnd + "c\n", "Block inserted", true},
		{"insertafter no match: EOF", textPtr("a\n"), map[string]any{"block": "x", "insertafter": "^zzz"}, "a\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"insertafter EOF", textPtr("a\n"), map[string]any{"block": "x", "insertafter": "EOF"}, "a\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"insertbefore", textPtr("a\nb\n"), map[string]any{"block": "x", "insertbefore": "^b"}, "a\n" + blockBegin + "x\n" + blockEnd + "b\n", "Block inserted", true},
		{"insertbefore BOF", textPtr("a\n"), map[string]any{"block": "x", "insertbefore": "BOF"}, blockBegin + "x\n" + blockEnd + "a\n", "Block inserted", true},
		{"insertafter ignored when markers exist", textPtr(blockBegin + "old\n" + blockEnd + "a\n"), map[string]any{"block": "x", "insertafter": "^a"}, blockBegin + "x\n" + blockEnd + "a\n", "Block inserted", true},
		{"multi-line insertafter", textPtr("a\nb\nc\n"), map[string]any{"block": "x", "insertafter": `(?m)^b\n`}, "a\nb\n" + blockBegin + "x\n" + blockEnd + "c\n", "Block inserted", true},
		{"multi-line insertbefore", textPtr("a\nb\nc\n"), map[string]any{"block": "x", "insertbefore": `(?m)^b$`}, "a\n" + blockBegin + "x\n" + blockEnd + "b\nc\n", "Block inserted", true},
		{"prepend and append newline", textPtr("a\nb\n"), map[string]any{"block": "x", "insertafter": "^a", "prepend_newline": true, "append_newline": true}, "a\n\n" + blockBegin + "x\n" + blockEnd + "\nb\n", "Block inserted", true},
		{"prepend newline: not at BOF, not twice", textPtr("\nb\n"), map[string]any{"block": "x", "insertbefore": "^b", "prepend_newline": true}, "\n" + blockBegin + "x\n" + blockEnd + "b\n", "Block inserted", true},
		{"append newline: not at EOF", textPtr("a\n"), map[string]any{"block": "x", "append_newline": true}, "a\n" + blockBegin + "x\n" + blockEnd, "Block inserted", true},
		{"create", nil, map[string]any{"block": "x", "create": true}, blockBegin + "x\n" + blockEnd, "File created", true},
		{"create empty block", nil, map[string]any{"block": "", "create": true}, "", "File created", true},
	}
}

func TestBlockinfileCases(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		for _, tc := range blockinfileCases() {
			t.Run(tc.name, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "sub", "file")
				r := textRunCase(t, c, "blockinfile", p, tc.before, tc.args)
				if got := textFileState(t, p); got != tc.after {
					t.Errorf("file = %q, want %q", got, tc.after)
				}
				want := tc.msg
				if tc.name == "absent file missing" {
					want = "File " + p + " not present"
				}
				if r.Changed != tc.changed || r.Msg != want || r.Failed {
					t.Errorf("changed=%v msg=%q failed=%v, want changed=%v msg=%q", r.Changed, r.Msg, r.Failed, tc.changed, want)
				}
			})
		}
	})
}

func TestBlockinfileDiffMissingAndValidation(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		writeText(t, p, "a\n")
		mc := connContext(t, c, nil)
		mc.Diff = true
		r := helperMustRun(t, mc, "blockinfile", map[string]any{"path": p, "block": "x"})
		if len(r.Diff) != 1 || r.Diff[0].BeforeHeader != "localhost:"+p+" (content)" || r.Diff[0].Before != "a\n" || r.Diff[0].After != "a\n"+blockBegin+"x\n"+blockEnd {
			t.Fatalf("diff: %+v", r.Diff)
		}
		r = helperMustRun(t, mc, "blockinfile", map[string]any{"path": filepath.Join(dir, "missing"), "block": "x"})
		if !r.Failed || !strings.Contains(r.Msg, "does not exist") {
			t.Fatalf("missing: %+v", r)
		}
		for _, raw := range []map[string]any{
			{"path": p, "block": "x", "insertafter": "a", "insertbefore": "b"},
			{"path": p, "block": "x", "insertafter": "(?<=x)"},
			{"path": p, "block": "x", "state": "gone"},
		} {
			if _, err := helperRun(t, mc, "blockinfile", raw); err == nil {
				t.Errorf("%v accepted", raw)
			}
		}
	})
}
