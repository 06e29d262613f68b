package modules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// timesOf is p's access and modification times.
func timesOf(t *testing.T, p string) (atime, mtime time.Time) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return time.Unix(st.Atim.Sec, st.Atim.Nsec), time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
}

// TestFileTouchWithFixedTimes: touch with access_time and
// modification_time in Ansible's default format (%Y%m%d%H%M.%S, the host's
// local time) sets them and is idempotent; check mode predicts a change
// without making it; --diff shows the times before and after; preserve
// keeps a time; touch without times is now, which always changes.
func TestFileTouchWithFixedTimes(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := filepath.Join(t.TempDir(), "stamp")
		mc := connContext(t, c, nil)
		args := map[string]any{"path": p, "state": "touch", "access_time": "202301021504.05", "modification_time": "202212311200.00"}
		if r := helperMustRun(t, mc, "file", args); !r.Changed {
			t.Fatal("creating touch not changed")
		}
		wantA := time.Date(2023, 1, 2, 15, 4, 5, 0, time.Local)
		wantM := time.Date(2022, 12, 31, 12, 0, 0, 0, time.Local)
		if a, m := timesOf(t, p); !a.Equal(wantA) || !m.Equal(wantM) {
			t.Fatalf("times %v %v, want %v %v", a, m, wantA, wantM)
		}
		if r := helperMustRun(t, mc, "file", args); r.Changed {
			t.Errorf("touch with the same fixed times changed: %+v", r.Diff)
		}
		mc.Check, mc.Diff = true, true
		args["modification_time"] = "202401010000.00"
		r := helperMustRun(t, mc, "file", args)
		if _, m := timesOf(t, p); !r.Changed || !m.Equal(wantM) {
			t.Errorf("check mode: changed=%v, mtime now %v", r.Changed, m)
		}
		if len(r.Diff) != 1 || !strings.Contains(r.Diff[0].Before, "mtime: ") || strings.Contains(r.Diff[0].Before, "atime") ||
			!strings.Contains(r.Diff[0].After, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local).UTC().Format(time.RFC3339)) {
			t.Errorf("diff %+v", r.Diff)
		}
		mc.Check = false
		helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch", "access_time": "preserve", "modification_time": "202401010000.00"})
		if a, m := timesOf(t, p); !a.Equal(wantA) || !m.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local)) {
			t.Errorf("preserve atime, set mtime: %v %v", a, m)
		}
		if r := helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch", "access_time": "preserve", "modification_time": "preserve"}); r.Changed {
			t.Error("touch preserving both times changed")
		}
		before := time.Now().Add(-time.Second)
		if r := helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch"}); !r.Changed {
			t.Error("touch (now) not changed")
		}
		if a, m := timesOf(t, p); a.Before(before) || m.Before(before) {
			t.Errorf("touch left %v %v", a, m)
		}
	})
}

// TestFileTimesOtherStatesAndFormats: state file and directory preserve
// times unless asked; "now" always changes; a custom format reads as
// Python's strptime (month names, 12-hour clock); recurse sets times below
// too; a time that does not match its format fails naming the parameter.
func TestFileTimesOtherStatesAndFormats(t *testing.T) {
	dir := t.TempDir()
	mc := helperContext(t, nil)
	f := filepath.Join(dir, "sub", "f")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		t.Fatal(err)
	}
	writeString(t, f, "x", 0o644)
	old := time.Date(2020, 5, 6, 7, 8, 9, 0, time.Local)
	if err := os.Chtimes(f, old, old); err != nil {
		t.Fatal(err)
	}
	if r := helperMustRun(t, mc, "file", map[string]any{"path": f, "state": "file"}); r.Changed {
		t.Error("state file without times changed")
	}
	if a, m := timesOf(t, f); !a.Equal(old) || !m.Equal(old) {
		t.Errorf("state file moved the times: %v %v", a, m)
	}
	if r := helperMustRun(t, mc, "file", map[string]any{"path": f, "modification_time": "now"}); !r.Changed {
		t.Error("modification_time now not changed")
	}
	if a, m := timesOf(t, f); !a.Equal(old) || m.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("modification_time now: %v %v", a, m)
	}
	args := map[string]any{"path": f, "modification_time": "Mar 7 2021 03:04 PM", "modification_time_format": "%b %d %Y %I:%M %p",
		"access_time": "07/03/2021 15:04", "access_time_format": "%d/%m/%Y %H:%M"}
	helperMustRun(t, mc, "file", args)
	want := time.Date(2021, 3, 7, 15, 4, 0, 0, time.Local)
	if a, m := timesOf(t, f); !a.Equal(want) || !m.Equal(want) {
		t.Errorf("custom formats: %v %v, want %v", a, m, want)
	}
	if r := helperMustRun(t, mc, "file", args); r.Changed {
		t.Error("custom formats again changed")
	}
	r := helperMustRun(t, mc, "file", map[string]any{"path": dir, "state": "directory", "recurse": true, "modification_time": "200001010000.00"})
	want = time.Date(2000, 1, 1, 0, 0, 0, 0, time.Local)
	for _, p := range []string{dir, filepath.Dir(f), f} {
		if _, m := timesOf(t, p); !m.Equal(want) {
			t.Errorf("recurse: %s mtime %v (changed=%v)", p, m, r.Changed)
		}
	}
	if r := helperMustRun(t, mc, "file", map[string]any{"path": dir, "state": "directory", "recurse": true, "modification_time": "200001010000.00"}); r.Changed {
		t.Errorf("recurse again changed: %+v", r.Diff)
	}
	for v, msg := range map[string]string{"2021-03-07": `does not match format "%Y%m%d%H%M.%S"`, "202102300000.00": "day is out of range for month",
		"202101010000.00x": "unconverted data remains: x"} {
		_, err := helperRun(t, mc, "file", map[string]any{"path": f, "modification_time": v})
		var ae *modules.ArgError
		if !errors.As(err, &ae) || ae.Param != "modification_time" || !strings.Contains(err.Error(), msg) {
			t.Errorf("modification_time %q: %v, want an error saying %q", v, err, msg)
		}
	}
	_, err := helperRun(t, mc, "file", map[string]any{"path": f, "access_time": "x", "access_time_format": "%Q"})
	if err == nil || !strings.Contains(err.Error(), "%Q is not a directive") {
		t.Errorf("%%Q: %v", err)
	}
}
