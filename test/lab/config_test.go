package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// These tests need neither root nor the lab.

func TestSizesFromEnv(t *testing.T) {
	t.Setenv("RUNBOOK_LAB_MASTERS", "1")
	t.Setenv("RUNBOOK_LAB_WORKERS", "2")
	t.Setenv("RUNBOOK_LAB_DIR", "/tmp/lab-a")
	t.Setenv("RUNBOOK_LAB_CACHE_DIR", "/tmp/lab-b")
	l, err := OpenFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range l.Nodes() {
		got = append(got, n.Name+"="+n.IP)
	}
	if strings.Join(got, " ") != "master0=127.0.10.2 node1=127.0.10.3 node2=127.0.10.4" || l.Dir() != "/tmp/lab-a" || l.Config().CacheDir != "/tmp/lab-b" {
		t.Fatalf("1 master + 2 workers: %v in %s, cache %s", got, l.Dir(), l.Config().CacheDir)
	}
	if len(l.Masters()) != 1 || len(l.Workers()) != 2 || l.APIServerNode().Name != "master0" {
		t.Fatalf("masters %v workers %v api %s", l.Masters(), l.Workers(), l.APIServerNode().Name)
	}
	for env, bad := range map[string]string{"RUNBOOK_LAB_MASTERS": "x", "RUNBOOK_LAB_WORKERS": "-1", "RUNBOOK_LAB_DIR": "relative"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, bad)
			if _, err := OpenFromEnv(); err == nil {
				t.Fatalf("%s=%s accepted", env, bad)
			}
		})
	}
}

// TestCacheKeysFollowInputs: every input of a cached artefact is in its key,
// so changing one builds a new artefact instead of reusing a stale one.
func TestCacheKeysFollowInputs(t *testing.T) {
	src, err := findSourceDir()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	inputs := []string{"scripts/build-rootfs.sh", "scripts/build-kube-apiserver.sh", "kube-apiserver/go.mod", "kube-apiserver/go.sum", "kube-apiserver/tools.go"}
	for _, f := range inputs {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(Config{Dir: "/tmp/x", CacheDir: filepath.Join(tmp, "cache"), Masters: 1, SourceDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	keys := func() (string, string) {
		t.Helper()
		base, err := l.BaseTarball()
		if err != nil {
			t.Fatal(err)
		}
		bin, err := l.APIServerBinary()
		if err != nil {
			t.Fatal(err)
		}
		return base, bin
	}
	base0, bin0 := keys()
	if !strings.HasPrefix(base0, filepath.Join(tmp, "cache", "rootfs", Suite+"-")) || !strings.HasPrefix(bin0, filepath.Join(tmp, "cache", "kube-apiserver", KubeVersion+"-")) {
		t.Fatalf("cache paths %s %s", base0, bin0)
	}
	if l.CacheReady() {
		t.Fatal("CacheReady with an empty cache")
	}
	for _, p := range []string{base0, bin0} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !l.CacheReady() {
		t.Fatal("CacheReady false with both artefacts present")
	}
	for _, f := range inputs {
		p := filepath.Join(tmp, f)
		orig, _ := os.ReadFile(p)
		if err := os.WriteFile(p, append(append([]byte(nil), orig...), "\n# changed\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		base, bin := keys()
		rootfsInput := f == "scripts/build-rootfs.sh"
		if (base != base0) != rootfsInput || (bin != bin0) == rootfsInput {
			t.Errorf("changing %s: base key changed %v, kube-apiserver key changed %v", f, base != base0, bin != bin0)
		}
		if l.CacheReady() {
			t.Errorf("changing %s: the old artefacts still count as the cache", f)
		}
		_ = os.WriteFile(p, orig, 0o644)
	}
	saved := BasePackages
	BasePackages = append(append([]string(nil), saved...), "vim")
	if base, _ := keys(); base == base0 {
		t.Error("adding a base package keeps the base key")
	}
	BasePackages = saved

	mod, _ := os.ReadFile(filepath.Join(src, "kube-apiserver", "go.mod"))
	if !regexp.MustCompile(`(?m)^require k8s\.io/kubernetes ` + regexp.QuoteMeta(KubeVersion) + `$`).Match(mod) {
		t.Fatalf("KubeVersion %s is not what kube-apiserver/go.mod requires", KubeVersion)
	}
}

// TestRequireSkipsOrFails runs a test that calls Require where the lab
// cannot run (an impossible shape) in a child process: it skips with one
// line saying why, fails under RUNBOOK_LAB=required, and skips under off.
func TestRequireSkipsOrFails(t *testing.T) {
	if os.Getenv("LAB_REQUIRE_CHILD") == "1" {
		t.Fatal("child mode reached the parent test")
	}
	for _, c := range []struct{ mode, verdict, line string }{
		{"", "--- SKIP", "lab: skipped: "},
		{"required", "--- FAIL", "lab: cannot run (RUNBOOK_LAB=required): "},
		{"off", "--- SKIP", "lab: skipped: RUNBOOK_LAB=off"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRequireChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "LAB_REQUIRE_CHILD=1", "RUNBOOK_LAB="+c.mode, "RUNBOOK_LAB_MASTERS=0")
		out, err := cmd.CombinedOutput()
		s := string(out)
		if (err != nil) != (c.mode == "required") || !strings.Contains(s, c.verdict+": TestRequireChild") {
			t.Errorf("RUNBOOK_LAB=%q: exit %v, want %s:\n%s", c.mode, err, c.verdict, s)
			continue
		}
		// Between "=== RUN" and the verdict: exactly the one reason line.
		body := s[strings.Index(s, "=== RUN   TestRequireChild\n")+len("=== RUN   TestRequireChild\n") : strings.Index(s, c.verdict)]
		lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], c.line) || strings.Contains(s, "lab acquired") {
			t.Errorf("RUNBOOK_LAB=%q: want one line with %q, got:\n%s", c.mode, c.line, body)
		}
	}
}

// TestRequireChild is TestRequireSkipsOrFails's child; it does nothing
// in a normal run.
func TestRequireChild(t *testing.T) {
	if os.Getenv("LAB_REQUIRE_CHILD") != "1" {
		t.Skip("child of TestRequireSkipsOrFails")
	}
	Require(t)
	t.Log("lab acquired")
}
