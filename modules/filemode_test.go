package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

func TestParseMode(t *testing.T) {
	cases := []struct {
		spec  string
		cur   uint32
		dir   bool
		want  uint32
		error bool
	}{
		{spec: "0644", want: 0o644},
		{spec: "644", want: 0o644},
		{spec: "1777", want: 0o1777},
		{spec: "04755", want: 0o4755},
		{spec: "u=rw,g=r,o=r", cur: 0o777, want: 0o644},
		{spec: "u+x", cur: 0o644, want: 0o744},
		{spec: "a-w", cur: 0o666, want: 0o444},
		{spec: "go-rwx", cur: 0o755, want: 0o700},
		{spec: "+x", cur: 0o600, want: 0o711},
		{spec: "u=rwX,g=rX,o=", cur: 0o600, want: 0o640},
		{spec: "u=rwX,g=rX,o=", cur: 0o700, want: 0o750},
		{spec: "u=rwX,g=rX,o=", cur: 0o600, dir: true, want: 0o750},
		{spec: "g=u", cur: 0o740, want: 0o770},
		{spec: "o=g-w", cur: 0o764, want: 0o764&^0o007 | 0o004},
		{spec: "u+s,g+s", cur: 0o755, want: 0o6755},
		{spec: "+t", cur: 0o777, dir: true, want: 0o1777},
		{spec: "u=rw,u+x-w", cur: 0, want: 0o500},
		{spec: "u=rw,g=u-w", cur: 0, want: 0o640},
		{spec: "", error: true},
		{spec: "0999", error: true},
		{spec: "17777", error: true},
		{spec: "u", error: true},
		{spec: "u=rwq", error: true},
		{spec: "x=r", error: true},
		{spec: "g=ur", error: true},
		{spec: "u=r,,g=r", error: true},
	}
	for _, c := range cases {
		got, err := parseMode(c.spec, c.cur, c.dir)
		if c.error {
			if err == nil || !strings.Contains(err.Error(), "invalid mode") {
				t.Errorf("parseMode(%q) = %04o, %v; want an error", c.spec, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseMode(%q, %04o, dir=%v) = %04o, %v; want %04o", c.spec, c.cur, c.dir, got, err, c.want)
		}
	}
}

func TestModeConversions(t *testing.T) {
	for _, u := range []uint32{0, 0o644, 0o4755, 0o2770, 0o1777, 0o7777} {
		if got := unixPerm(goMode(u)); got != u {
			t.Errorf("round trip %04o -> %04o", u, got)
		}
	}
	if m := transport.RawMode(0x41ed); !m.IsDir() || unixPerm(m) != 0o755 { // drwxr-xr-x as stat %f prints it
		t.Errorf("RawMode dir: %v", m)
	}
	if m := transport.RawMode(0xa1ff); m&os.ModeSymlink == 0 {
		t.Errorf("RawMode link: %v", m)
	}
	if fmtMode(0o640) != "0640" {
		t.Error(fmtMode(0o640))
	}
}

func TestDiffSide(t *testing.T) {
	read := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if s, _ := diffSide(3, "x", read("ab\n")); s != "ab\n" {
		t.Errorf("text: %q", s)
	}
	if s, _ := diffSide(3, "abc", read("a\x00b")); s != "(binary content, 3 bytes: not shown; sha256 abc)\n" {
		t.Errorf("binary: %q", s)
	}
	if s, _ := diffSide(2, "abc", read("\xff\xfe")); !strings.Contains(s, "binary content") {
		t.Errorf("invalid UTF-8: %q", s)
	}
	called := false
	s, _ := diffSide(diffLimit+1, "abc", func(io.Writer) error { called = true; return nil })
	if called || !strings.Contains(s, "larger than 100 KiB") {
		t.Errorf("large: %q (read=%v)", s, called)
	}
	d := stateDiff("web1", "/srv", []string{"state: absent"}, []string{"state: directory"})
	if d.BeforeHeader != "web1:/srv (state)" || d.Before != "path: /srv\nstate: absent\n" || d.After != "path: /srv\nstate: directory\n" {
		t.Errorf("stateDiff: %+v", d)
	}
}

// recordConn records the commands run and runs them locally.
type recordConn struct {
	transport.Transport
	cmds []string
}

func (c *recordConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	c.cmds = append(c.cmds, strings.Join(cmd.Args, " "))
	return c.Transport.Run(ctx, cmd)
}

func testContext(t *testing.T) (*Context, *recordConn) {
	rc := &recordConn{Transport: transport.NewLocal()}
	return &Context{Host: "h1", Conn: rc, Log: t.Logf}, rc
}

func TestHostIDs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("expects root, nobody and nogroup")
	}
	ctx := context.Background()
	mc, rc := testContext(t)
	if u, g, err := hostIDs(ctx, mc, "", ""); u != -1 || g != -1 || err != nil || len(rc.cmds) != 0 {
		t.Errorf("none: %d %d %v %v", u, g, err, rc.cmds)
	}
	if u, g, err := hostIDs(ctx, mc, "1234", "5678"); u != 1234 || g != 5678 || err != nil || len(rc.cmds) != 0 {
		t.Errorf("numeric ids are used as they are: %d %d %v %v", u, g, err, rc.cmds)
	}
	if u, g, err := hostIDs(ctx, mc, "nobody", "nogroup"); u != 65534 || g != 65534 || err != nil || len(rc.cmds) != 1 {
		t.Errorf("names: %d %d %v, %d commands", u, g, err, len(rc.cmds))
	}
	if u, g, err := hostIDs(ctx, mc, "root", ""); u != 0 || g != -1 || err != nil {
		t.Errorf("root: %d %d %v", u, g, err)
	}
	for _, c := range []struct{ owner, group, want string }{
		{"runbook-nobody-here", "", "user 'runbook-nobody-here' does not exist on the host"},
		{"", "runbook-nogroup-here", "group 'runbook-nogroup-here' does not exist on the host"},
		{"-rf", "", `invalid user name "-rf"`},
		{"", "a b", `invalid group name "a b"`},
	} {
		if _, _, err := hostIDs(ctx, mc, c.owner, c.group); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q/%q: %v, want %q", c.owner, c.group, err, c.want)
		}
	}
}

func TestApplyPlansBatchesAndSkipsInCheckMode(t *testing.T) {
	dir := t.TempDir()
	var plans []attrPlan
	attrs := fileAttrs{mode: "u=rwX,go=", uid: -1, gid: -1}
	for i, name := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			os.Chmod(p, 0o755)
		}
		fi, _ := transport.NewLocal().Stat(context.Background(), p)
		pl, err := attrs.plan(p, fi)
		if err != nil || !pl.changed() {
			t.Fatalf("plan %s: %+v %v", name, pl, err)
		}
		plans = append(plans, pl)
	}
	mc, rc := testContext(t)
	mc.Check = true
	if err := applyPlans(context.Background(), mc, plans); err != nil || len(rc.cmds) != 0 {
		t.Fatalf("check mode ran %v (%v)", rc.cmds, err)
	}
	mc.Check = false
	if err := applyPlans(context.Background(), mc, plans); err != nil {
		t.Fatal(err)
	}
	if len(rc.cmds) != 2 || rc.cmds[0] != "xargs -0 chmod -- 0600" || rc.cmds[1] != "xargs -0 chmod -- 0700" {
		t.Errorf("commands: %q", rc.cmds)
	}
	for name, want := range map[string]os.FileMode{"a": 0o600, "b": 0o600, "c": 0o700} {
		if fi, _ := os.Stat(filepath.Join(dir, name)); fi.Mode().Perm() != want {
			t.Errorf("%s: %v", name, fi.Mode())
		}
	}
	// A failure carries the command's stderr.
	err := applyPlans(context.Background(), mc, []attrPlan{{path: filepath.Join(dir, "gone"), oldMode: 0o644, newMode: 0o600}})
	if err == nil || !strings.Contains(err.Error(), "No such file or directory") {
		t.Errorf("error: %v", err)
	}
}

func TestHostChecksumsOneCommandAndOddNames(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	var paths []string
	for _, name := range []string{"plain", "with space", "back\\slash", "new\nline"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(name))
		want[p] = hex.EncodeToString(sum[:])
		paths = append(paths, p)
	}
	paths = append(paths, filepath.Join(dir, "missing"), dir)
	mc, rc := testContext(t)
	got, err := hostChecksums(context.Background(), mc, paths)
	if err != nil || len(rc.cmds) != 1 {
		t.Fatalf("%v, %d commands", err, len(rc.cmds))
	}
	if len(got) != len(want) {
		t.Errorf("got %d sums: %q", len(got), got)
	}
	for p, sum := range want {
		if got[p] != sum {
			t.Errorf("%q: %q, want %q", p, got[p], sum)
		}
	}
}
