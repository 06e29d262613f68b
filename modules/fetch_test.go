package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchIdempotentWithCheckMode(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		host, pb := t.TempDir(), t.TempDir()
		src := filepath.Join(host, "etc", "app.conf")
		writeString(t, src, "v1\n", 0o600)
		mc := connContext(t, c, nil)
		mc.PlaybookDir = pb
		raw := map[string]any{"src": src, "dest": "fetched"}
		r := runTwiceAndCheck(t, mc, pb, "fetch", raw)
		local := filepath.Join(pb, "fetched", "localhost", src)
		if readString(t, local) != "v1\n" || r.Data["dest"] != local || r.Data["checksum"] != sha256Of("v1\n") ||
			r.Data["remote_checksum"] != sha256Of("v1\n") || r.Data["file"] != src {
			t.Fatalf("fetch: %v", r.Data)
		}
		// The host's file changes: check mode predicts without downloading.
		writeString(t, src, "v2\n", 0o600)
		mc.Check = true
		before := fsSnapshot(t, pb)
		if r := helperMustRun(t, mc, "fetch", raw); !r.Changed {
			t.Fatal("check mode does not predict the download")
		}
		assertSameSnapshot(t, before, fsSnapshot(t, pb))
		mc.Check = false
		if r := helperMustRun(t, mc, "fetch", raw); !r.Changed || readString(t, local) != "v2\n" {
			t.Fatalf("changed file not fetched: %+v", r)
		}
	})
}

func TestFetchFlatMissingAndDirectory(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		host, out := t.TempDir(), t.TempDir()
		src := filepath.Join(host, "id.pub")
		writeString(t, src, "key\n", 0o644)
		mc := connContext(t, c, nil)
		helperMustRun(t, mc, "fetch", map[string]any{"src": src, "dest": out + "/keys/", "flat": true})
		helperMustRun(t, mc, "fetch", map[string]any{"src": src, "dest": filepath.Join(out, "web1.pub"), "flat": true})
		if readString(t, filepath.Join(out, "keys", "id.pub")) != "key\n" || readString(t, filepath.Join(out, "web1.pub")) != "key\n" {
			t.Fatal("flat fetch")
		}
		missing := filepath.Join(host, "nope")
		_, err := helperRun(t, mc, "fetch", map[string]any{"src": missing, "dest": out})
		if err == nil || !strings.Contains(err.Error(), "fetch on localhost: "+missing) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("missing src: %v", err)
		}
		r := helperMustRun(t, mc, "fetch", map[string]any{"src": missing, "dest": out, "fail_on_missing": false})
		if r.Changed || r.Failed || !strings.Contains(r.Msg, "does not exist") {
			t.Errorf("fail_on_missing=false: %+v", r)
		}
		if _, err := helperRun(t, mc, "fetch", map[string]any{"src": host, "dest": out}); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("directory src: %v", err)
		}
		// ".." in src cannot climb out of dest/<host>.
		dotted := host + "/../" + filepath.Base(host) + "/id.pub"
		helperMustRun(t, mc, "fetch", map[string]any{"src": dotted, "dest": out})
		if readString(t, filepath.Join(out, "localhost", src)) != "key\n" {
			t.Fatal("dotted src")
		}
	})
}

// TestFetchRefusesAHostNameThatLeavesDest: the host name is a directory
// under dest, so "../../x" or "a/b" is refused (nothing is written outside
// dest); flat: true, where the playbook names the file, still works.
func TestFetchRefusesAHostNameThatLeavesDest(t *testing.T) {
	host, out := t.TempDir(), t.TempDir()
	src := filepath.Join(host, "f")
	writeString(t, src, "data\n", 0o644)
	dest := filepath.Join(out, "a", "b")
	for _, name := range []string{"../../x", "..", "a/b", "."} {
		mc := helperContext(t, nil)
		mc.Host = name
		before := fsSnapshot(t, out)
		_, err := helperRun(t, mc, "fetch", map[string]any{"src": src, "dest": dest})
		if err == nil || !strings.Contains(err.Error(), "cannot be a directory under dest") {
			t.Errorf("host %q: %v, want a refusal", name, err)
		}
		assertSameSnapshot(t, before, fsSnapshot(t, out))
		helperMustRun(t, mc, "fetch", map[string]any{"src": src, "dest": filepath.Join(out, "flat"), "flat": true})
		if readString(t, filepath.Join(out, "flat")) != "data\n" {
			t.Fatalf("host %q: flat fetch", name)
		}
		if err := os.Remove(filepath.Join(out, "flat")); err != nil {
			t.Fatal(err)
		}
	}
}
