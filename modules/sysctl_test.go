package modules_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSysctlFile(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		f := filepath.Join(dir, "99-test.conf")
		orig := "# kept\nvm.swappiness = 10\nnet.ipv4.ip_forward=0\n; also kept\nvm.swappiness=20\nkernel.x = a   b"
		if err := os.WriteFile(f, []byte(orig), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(check bool, args map[string]any) (changed bool, diff string) {
			t.Helper()
			mc := connContext(t, c, nil)
			mc.Check, mc.Diff = check, true
			args["sysctl_file"], args["reload"] = f, false
			r := helperMustRun(t, mc, "sysctl", args)
			if len(r.Diff) > 0 {
				diff = r.Diff[0].After
			}
			return r.Changed, diff
		}
		read := func() string { b, _ := os.ReadFile(f); return string(b) }
		// Values that match (spaces collapsed, last setting wins, true as 1) change nothing.
		for _, a := range []map[string]any{
			{"name": "vm.swappiness", "value": 20}, {"name": "kernel.x", "value": "a b"}, {"name": "nosuch.key", "state": "absent"},
		} {
			if changed, _ := run(false, a); changed || read() != orig {
				t.Fatalf("%v changed the file:\n%s", a, read())
			}
		}
		want := "# kept\nvm.swappiness=10\nnet.ipv4.ip_forward=1\n; also kept\nkernel.x=a   b\n"
		if changed, diff := run(true, map[string]any{"name": "net.ipv4.ip_forward", "value": true}); !changed || diff != want || read() != orig {
			t.Fatalf("check mode: changed=%v diff after=%q, file %q", changed, diff, read())
		}
		if changed, _ := run(false, map[string]any{"name": "net.ipv4.ip_forward", "value": "yes"}); !changed || read() != want {
			t.Fatalf("set: changed=%v file %q", changed, read())
		}
		if changed, _ := run(false, map[string]any{"name": "net.ipv4.ip_forward", "value": 1}); changed {
			t.Fatal("second run changed")
		}
		if changed, _ := run(false, map[string]any{"name": "vm.swappiness", "state": "absent"}); !changed || strings.Contains(read(), "swappiness") {
			t.Fatalf("absent: %q", read())
		}
		if changed, _ := run(false, map[string]any{"name": "new.key", "value": "5"}); !changed || !strings.HasSuffix(read(), "kernel.x=a   b\nnew.key=5\n") {
			t.Fatalf("append: %q", read())
		}
	})
}

// sysctl_set compares the running value (sysctl -n); in check mode it only
// reports, so this reads the kernel and never writes to it.
func TestSysctlRunningValueInCheckMode(t *testing.T) {
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("no sysctl here")
	}
	out, err := exec.Command("sysctl", "-n", "kernel.ostype").Output()
	if err != nil {
		t.Skipf("sysctl -n kernel.ostype: %v", err)
	}
	f := filepath.Join(t.TempDir(), "s.conf")
	if err := os.WriteFile(f, []byte("kernel.ostype = "+strings.TrimSpace(string(out))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mc := helperContext(t, nil)
	mc.Check = true
	base := map[string]any{"name": "kernel.ostype", "sysctl_set": true, "sysctl_file": f}
	base["value"] = strings.TrimSpace(string(out))
	if r := helperMustRun(t, mc, "sysctl", base); r.Changed {
		t.Errorf("the running value matches, yet changed: %+v", r)
	}
	base["value"] = "Other"
	if r := helperMustRun(t, mc, "sysctl", base); !r.Changed {
		t.Errorf("a different value, yet not changed: %+v", r)
	}
}

func TestSysctlErrors(t *testing.T) {
	for raw, want := range map[*map[string]any]string{
		{"name": "a.b"}:                            "value is required",
		{"name": "a b", "value": 1}:                "not a sysctl parameter name",
		{"value": 1}:                               "name",
		{"name": "a", "value": 1, "state": "gone"}: "state",
	} {
		if _, err := helperRun(t, helperContext(t, nil), "sysctl", *raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", *raw, err, want)
		}
	}
}
