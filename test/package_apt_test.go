package test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
)

// dummyPkg is the package the apt tests install, from a repository they
// build; no real package is ever touched.
const dummyPkg = "runbook-conformance-dummy"

// aptDummyRepo builds the dummy repository (dummyRepo) and returns an
// APT_CONFIG file pointing apt at it alone, with its own lists and cache
// directories, so apt-get update reads only that repository and the
// machine's apt configuration and lists stay as they were. The package is
// purged from the machine before and after the test (even a failed one).
// It also returns the directory holding the .deb files.
func aptDummyRepo(t *testing.T) (aptConfig, repo string) {
	t.Helper()
	repo = dummyRepo(t)
	aptConfig = privateAptConfig(t, repo, "")
	purge := func() {
		if out, err := exec.Command("dpkg", "--purge", dummyPkg).CombinedOutput(); err != nil {
			t.Logf("purging %s: %v\n%s", dummyPkg, err, out)
		}
	}
	purge()
	t.Cleanup(purge)
	return aptConfig, repo
}

// dummyRepo builds versions 1.0 and 1.1 of dummyPkg into a flat file:
// repository (the .deb files and their Packages index) in a fresh
// directory; it skips the test where apt and dpkg are missing or the
// test is not root.
func dummyRepo(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root")
	}
	for _, tool := range []string{"apt-get", "apt-config", "dpkg", "dpkg-deb", "dpkg-query"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is missing: not a Debian host")
		}
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	var index strings.Builder
	for _, v := range []string{"1.0", "1.1"} {
		build := filepath.Join(dir, "build-"+v)
		must(t, os.MkdirAll(filepath.Join(build, "DEBIAN"), 0o755))
		must(t, os.MkdirAll(filepath.Join(build, "usr/share/doc", dummyPkg), 0o755))
		must(t, os.WriteFile(filepath.Join(build, "usr/share/doc", dummyPkg, "version"), []byte(v+"\n"), 0o644))
		control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: runbook tests <tests@invalid>\nDescription: runbook's test package\n", dummyPkg, v)
		must(t, os.WriteFile(filepath.Join(build, "DEBIAN/control"), []byte(control), 0o644))
		must(t, os.MkdirAll(repo, 0o755))
		deb := filepath.Join(repo, dummyPkg+"_"+v+"_all.deb")
		if out, err := exec.Command("dpkg-deb", "-Zgzip", "--root-owner-group", "--build", build, deb).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v\n%s", err, out)
		}
		data, err := os.ReadFile(deb)
		must(t, err)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&index, "%sFilename: ./%s\nSize: %d\nSHA256: %s\n\n", control, filepath.Base(deb), len(data), hex.EncodeToString(sum[:]))
	}
	must(t, os.WriteFile(filepath.Join(repo, "Packages"), []byte(index.String()), 0o644))
	return repo
}

// privateAptConfig writes an APT_CONFIG file reading only repo, with its
// own lists and cache directories beside it. With dpkgRoot, apt's status
// file is that root's (for DPKG_ROOT=dpkgRoot, so dpkg installs there and
// the machine's packages are not touched) and apt and dpkg log nothing.
func privateAptConfig(t *testing.T, repo, dpkgRoot string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"parts", "lists/partial", "cache/archives/partial"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(dir, "sources.list"), []byte("deb [trusted=yes] file:"+repo+" ./\n"), 0o644))
	conf := fmt.Sprintf(`Dir::Etc::SourceList "%[1]s/sources.list";
Dir::Etc::SourceParts "%[1]s/parts";
Dir::State::Lists "%[1]s/lists";
Dir::Cache "%[1]s/cache";
Acquire::Languages "none";
APT::Sandbox::User "root";
`, dir)
	if dpkgRoot != "" {
		for _, d := range []string{"updates", "info"} {
			must(t, os.MkdirAll(filepath.Join(dpkgRoot, "var/lib/dpkg", d), 0o755))
		}
		must(t, os.WriteFile(filepath.Join(dpkgRoot, "var/lib/dpkg/status"), nil, 0o644))
		conf += fmt.Sprintf(`Dir::State::status "%s/var/lib/dpkg/status";
Dir::Log::Terminal "/dev/null";
Dir::Log::History "/dev/null";
DPkg::Options { "--log=/dev/null"; };
`, dpkgRoot)
	}
	aptConfig := filepath.Join(dir, "apt.conf")
	must(t, os.WriteFile(aptConfig, []byte(conf), 0o644))
	return aptConfig
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// dummyVersion is the installed version of dummyPkg as dpkg says, or "".
func dummyVersion(t *testing.T) string {
	t.Helper()
	out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Version}", dummyPkg).Output()
	st, v, _ := strings.Cut(string(out), "|")
	if !strings.HasPrefix(st, "ii") {
		return ""
	}
	return v
}

// packageStep runs one package task on a local host with --diff (and
// --check when asked) and returns the run and whether the recap counted
// a change.
func packageStep(t *testing.T, aptConfig, task string, check bool) (result, bool) {
	t.Helper()
	dir := workdir(t, map[string]string{
		"hosts.ini": "[web]\nh1 ansible_connection=local\n",
		"site.yaml": "- hosts: web\n  gather_facts: false\n  environment: {APT_CONFIG: \"" + aptConfig + "\"}\n  tasks:\n    - name: step\n      " + task + "\n",
	})
	args := []string{"play", "site.yaml", "-i", "hosts.ini", "--diff"}
	if check {
		args = append(args, "--check")
	}
	r := runbook(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("%s (check=%v): %s", task, check, r)
	}
	return r, recap(t, r.stdout)["h1"]["changed"] > 0
}

// packageDiff is the diff lines a run printed for the packages.
func packageDiff(out string) string {
	return strings.Join(regexp.MustCompile(`(?m)^[-+]`+dummyPkg+`: .*$`).FindAllString(out, -1), "\n")
}

// The apt backend against a real dpkg, from a local repository: check mode
// predicts the change (and the same diff) without making it, the real run
// makes it, the second run changes nothing; for install with a pin,
// upgrade to latest, removal with purge and a local .deb, through the
// package, apt and ansible.builtin.apt names.
func TestAptInstallUpgradeRemoveDummy(t *testing.T) {
	aptConfig, repo := aptDummyRepo(t)
	if r, changed := packageStep(t, aptConfig, "apt: {update_cache: true}", false); !changed {
		t.Fatalf("update_cache alone must report the refresh as the change: %s", r)
	}
	lists, _ := filepath.Glob(filepath.Join(filepath.Dir(aptConfig), "lists", "*Packages*"))
	if len(lists) != 1 {
		t.Fatalf("the test's lists directory holds %q, want only the dummy repository's index", lists)
	}
	if r, changed := packageStep(t, aptConfig, "apt: {update_cache: true, cache_valid_time: 3600}", false); changed {
		t.Errorf("fresh lists with cache_valid_time were refreshed again: %s", r)
	}
	steps := []struct {
		task       string
		before     string // the installed version before the step
		after      string
		wantDiff   string
		checkSkips bool
	}{
		{task: "package: {name: " + dummyPkg + "=1.0}", before: "", after: "1.0",
			wantDiff: "-" + dummyPkg + ": absent\n+" + dummyPkg + ": 1.0"},
		{task: "apt: {name: " + dummyPkg + ", state: latest, install_recommends: false}", before: "1.0", after: "1.1",
			wantDiff: "-" + dummyPkg + ": 1.0\n+" + dummyPkg + ": 1.1"},
		{task: "ansible.builtin.apt: {name: [" + dummyPkg + "], state: absent, purge: true}", before: "1.1", after: "",
			wantDiff: "-" + dummyPkg + ": 1.1\n+" + dummyPkg + ": absent (purged)"},
		{task: "apt: {deb: " + filepath.Join(repo, dummyPkg+"_1.0_all.deb") + "}", before: "", after: "1.0",
			wantDiff: "-" + dummyPkg + ": absent\n+" + dummyPkg + ": 1.0"},
		{task: "package: {name: " + dummyPkg + ", state: removed, use: apt}", before: "1.0", after: "",
			wantDiff: "-" + dummyPkg + ": 1.0\n+" + dummyPkg + ": absent"},
	}
	for _, s := range steps {
		if got := dummyVersion(t); got != s.before {
			t.Fatalf("before %s: installed %q, want %q", s.task, got, s.before)
		}
		check, predicted := packageStep(t, aptConfig, s.task, true)
		if got := dummyVersion(t); got != s.before {
			t.Fatalf("--check of %s changed the installed version to %q", s.task, got)
		}
		real, changed := packageStep(t, aptConfig, s.task, false)
		if got := dummyVersion(t); got != s.after {
			t.Fatalf("%s installed %q, want %q:\n%s", s.task, got, s.after, real)
		}
		if !predicted || !changed {
			t.Errorf("%s: check predicted change %v, the real run changed %v:\n%s\n%s", s.task, predicted, changed, check, real)
		}
		if p, d := packageDiff(check.stdout), packageDiff(real.stdout); p != s.wantDiff || d != s.wantDiff {
			t.Errorf("%s: check diff %q, real diff %q, want %q", s.task, p, d, s.wantDiff)
		}
		if again, changed := packageStep(t, aptConfig, s.task, false); changed {
			t.Errorf("%s is not idempotent: the second run changed:\n%s", s.task, again)
		}
	}
}

// A dpkg lock another process holds makes apt wait lock_timeout seconds,
// then fail naming the task, the host and the lock instead of hanging.
func TestAptHeldLockFailsBounded(t *testing.T) {
	aptConfig, _ := aptDummyRepo(t)
	packageStep(t, aptConfig, "apt: {update_cache: true}", false)
	f, err := os.OpenFile("/var/lib/dpkg/lock-frontend", os.O_RDWR|os.O_CREATE, 0o640)
	must(t, err)
	defer f.Close()
	// apt locks with fcntl; a lock this process holds blocks the child's.
	must(t, syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}))
	dir := workdir(t, map[string]string{
		"hosts.ini": "[web]\nh1 ansible_connection=local\n",
		"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: install dummy\n      apt: {name: " + dummyPkg + ", lock_timeout: 1}\n      environment: {APT_CONFIG: \"" + aptConfig + "\"}\n",
	})
	start := time.Now()
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.code, r)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("a held lock with lock_timeout 1 took %v", took)
	}
	mustContain(t, r, "TASK [install dummy]", "h1", "the dpkg lock on h1 is held by another process", "lock_timeout (1s)", "dpkg frontend lock")
	if v := dummyVersion(t); v != "" {
		t.Errorf("installed %q while the lock was held", v)
	}
}

// Over real OpenSSH as a user that is not root: without become the task
// fails saying the login user is not root and become is off; with become
// (sudo, with its password) it installs, then reports ok.
func TestAptOverSSHNeedsBecome(t *testing.T) {
	aptConfig, _ := aptDummyRepo(t)
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	play := func(become bool) result {
		dir := workdir(t, map[string]string{"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  become: %v
  environment: {APT_CONFIG: "%s"}
  tasks:
    - name: install dummy
      apt: {name: %s, update_cache: true}
`, become, aptConfig, dummyPkg)})
		inv, kh := sudoUserInventory(t, dir, s, u)
		return runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	}
	r := play(false)
	if r.code != 2 {
		t.Fatalf("without become: exit %d, want 2: %s", r.code, r)
	}
	mustContain(t, r, "TASK [install dummy]", "needs root", "the login user "+u.Name, "become is off", "become: true")
	if v := dummyVersion(t); v != "" {
		t.Fatalf("installed %q without become", v)
	}
	if r = play(true); r.code != 0 || recap(t, r.stdout)["a"]["changed"] != 1 {
		t.Fatalf("with become: %s", r)
	}
	if v := dummyVersion(t); v != "1.1" {
		t.Fatalf("with become: installed %q, want 1.1", v)
	}
	if r = play(true); r.code != 0 || recap(t, r.stdout)["a"]["changed"] != 0 {
		t.Errorf("second run with become: %s", r)
	}
}
