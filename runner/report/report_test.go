package report

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	before := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	after := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk"
	got := UnifiedDiff("/etc/x (content)", "/etc/x (content)", before, after)
	want := `--- before: /etc/x (content)
+++ after: /etc/x (content)
@@ -1,5 +1,5 @@
 a
-b
+B
 c
 d
 e
@@ -8,3 +8,4 @@
 h
 i
 j
+k
\ No newline at end of file
`
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if UnifiedDiff("a", "b", "same", "same") != "" {
		t.Error("identical content gives no diff")
	}
	if d := UnifiedDiff("a", "b", "", "new\n"); !strings.Contains(d, "@@ -0,0 +1 @@\n+new\n") {
		t.Errorf("creation diff:\n%s", d)
	}
	if d := UnifiedDiff("a", "b", "x\x00", "y"); !strings.Contains(d, "binary") {
		t.Errorf("binary content must not be diffed: %q", d)
	}
	if d := UnifiedDiff("a", "b", strings.Repeat("x\n", 60000), "y"); !strings.Contains(d, "larger than") {
		t.Errorf("large content must not be diffed: %q", d[:80])
	}
}

func TestRecapFormat(t *testing.T) {
	var b strings.Builder
	NewText(TextOptions{Out: &b}).Emit(Event{Type: EventRecap, Stats: []HostStats{
		{Host: "web", OK: 4, Changed: 2, Skipped: 2},
		{Host: "a-very-long-host-name-that-is-longer.example.com", Failed: 1},
	}})
	want := "\nPLAY RECAP *********************************************************************\n" +
		"a-very-long-host-name-that-is-longer.example.com : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   \n" +
		"web                        : ok=4    changed=2    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0   \n\n"
	if b.String() != want {
		t.Errorf("recap:\n%q\nwant\n%q", b.String(), want)
	}
}

// TestUnnamedPlayBanner: as in Ansible, a play without a name is called by
// its hosts pattern.
func TestUnnamedPlayBanner(t *testing.T) {
	var b strings.Builder
	text := NewText(TextOptions{Out: &b})
	text.Emit(Event{Type: EventPlayStart, Pattern: "web:&db"})
	text.Emit(Event{Type: EventPlayStart, Play: "named", Pattern: "web"})
	if got := b.String(); !strings.Contains(got, "PLAY [web:&db] ***") || !strings.Contains(got, "PLAY [named] ***") {
		t.Errorf("banners:\n%s", got)
	}
}

// TestDebugItemsShowTheirMessage: a debug task in a loop prints each item's
// message at any verbosity, as Ansible does.
func TestDebugItemsShowTheirMessage(t *testing.T) {
	var b strings.Builder
	NewText(TextOptions{Out: &b}).Emit(Event{Type: EventHostResult, Host: "h", Module: "debug", Status: StatusOK,
		IsItem: true, Item: "1", Result: map[string]any{"msg": "wi-1", "item": 1, "ansible_loop_var": "item", "changed": false}})
	want := "ok: [h] => (item=1) => {\n    \"ansible_loop_var\": \"item\",\n    \"item\": 1,\n    \"msg\": \"wi-1\"\n}\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestColourOnlyWhenAsked(t *testing.T) {
	var plain, colour strings.Builder
	ev := Event{Type: EventHostResult, Host: "h", Status: StatusChanged}
	NewText(TextOptions{Out: &plain}).Emit(ev)
	NewText(TextOptions{Out: &colour, Color: true}).Emit(ev)
	if plain.String() != "changed: [h]\n" || !strings.Contains(colour.String(), "\x1b[0;33mchanged: [h]") {
		t.Errorf("plain %q colour %q", plain.String(), colour.String())
	}
}

func TestCompactJSONMatchesAnsible(t *testing.T) {
	got := CompactJSON(map[string]any{"rc": 1, "msg": "x<y", "changed": false, "l": []any{"a", 2}, "m": map[string]any{}})
	want := `{"changed": false, "l": ["a", 2], "m": {}, "msg": "x<y", "rc": 1}`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if p := PrettyJSON(map[string]any{"msg": "hi"}); p != "{\n    \"msg\": \"hi\"\n}" {
		t.Errorf("pretty %q", p)
	}
}

func TestRedactorMasksEverywhere(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter2x", "hunter2xy", "ab") // "ab" is too short to mask
	if got := r.Redact("pw=hunter2xy other=hunter2x ab"); got != "pw=******** other=******** ab" {
		t.Errorf("got %q", got)
	}
	var b strings.Builder
	NewJSONLines(&b, r).Emit(Event{Type: EventHostResult, Result: map[string]any{"stdout": "hunter2x"}})
	var ev map[string]any
	if err := json.Unmarshal([]byte(b.String()), &ev); err != nil || strings.Contains(b.String(), "hunter2x") {
		t.Errorf("json line %q (%v)", b.String(), err)
	}
	var nilR *Redactor
	if nilR.Redact("x") != "x" {
		t.Error("nil redactor passes through")
	}
}
