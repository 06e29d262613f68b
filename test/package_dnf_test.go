package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dnfStandIn is NOT dnf: a scripted stand-in for dnf and rpm, since neither
// can be installed on the Debian hosts these tests run on. It keeps a
// package database in $STANDIN_STATE (installed/NAME and available/NAME
// hold versions, orphans/NAME unneeded dependencies), answers rpm -q from
// it as rpm does (a NAME-VERSION spec matches that version only), and
// records every argv in $STANDIN_STATE/argv.log. The dnf backend's
// commands and its reading of the answers are what the tests check.
const dnfStandIn = `#!/bin/sh
PATH=/usr/bin:/bin
S=$STANDIN_STATE
echo "$(basename "$0") $*" >> "$S/argv.log"
find_spec() { # prints NAME VERSION of the installed package a spec names
	if [ -f "$S/installed/$1" ]; then echo "$1 $(cat "$S/installed/$1")"; return 0; fi
	for f in "$S"/installed/*; do
		[ -f "$f" ] || continue
		n=$(basename "$f"); v=$(cat "$f")
		if [ "$1" = "$n-$v" ]; then echo "$n $v"; return 0; fi
	done
	return 1
}
if [ "$(basename "$0")" = rpm ]; then
	spec=$(eval echo "\${$#}")
	if nv=$(find_spec "$spec"); then echo "${nv#* }-1"; exit 0; fi
	echo "package $spec is not installed"; exit 1
fi
assumeno=; verb=; names=
for a do
	case $a in
	--assumeno) assumeno=1 ;;
	-*) ;;
	*) if [ -z "$verb" ]; then verb=$a; else names="$names $a"; fi ;;
	esac
done
case $verb in
makecache) exit 0 ;;
install)
	for n in $names; do
		if [ -f "$S/available/$n" ]; then cp "$S/available/$n" "$S/installed/$n"
		elif [ -f "$S/available/${n%-*}" ]; then echo "${n##*-}" > "$S/installed/${n%-*}"
		else echo "Error: Unable to find a match: $n" >&2; exit 1; fi
	done ;;
upgrade) for n in $names; do cp "$S/available/$n" "$S/installed/$n"; done ;;
remove) for n in $names; do rm -f "$S/installed/$n"; done ;;
check-update)
	rc=0
	for n in $names; do
		if [ -f "$S/installed/$n" ] && ! cmp -s "$S/installed/$n" "$S/available/$n"; then
			echo "$n.noarch   $(cat "$S/available/$n")   standin"; rc=100
		fi
	done
	exit $rc ;;
autoremove)
	[ -n "$(ls "$S/orphans")" ] || { echo "Nothing to do."; exit 0; }
	if [ -n "$assumeno" ]; then
		echo "Removing unused dependencies:"
		for f in "$S"/orphans/*; do echo " $(basename "$f")   noarch   $(cat "$f")   @System   10 k"; done
		echo; echo "Operation aborted."; exit 1
	fi
	for f in "$S"/orphans/*; do rm -f "$S/installed/$(basename "$f")" "$f"; done ;;
*) echo "stand-in: unexpected $*" >&2; exit 2 ;;
esac
`

// standInHost makes a directory of commands holding only the stand-in dnf
// and rpm (and the few tools the module's scripts use, so apt-get is not on the task's PATH) and its
// state, with the packages given as available.
func standInHost(t *testing.T, available map[string]string) (bin, state string) {
	t.Helper()
	dir := t.TempDir()
	bin, state = filepath.Join(dir, "bin"), filepath.Join(dir, "state")
	for _, d := range []string{bin, state + "/installed", state + "/available", state + "/orphans"} {
		must(t, os.MkdirAll(d, 0o755))
	}
	for _, name := range []string{"dnf", "rpm"} {
		must(t, os.WriteFile(filepath.Join(bin, name), []byte(dnfStandIn), 0o755))
	}
	for _, tool := range []string{"/bin/sh", "/usr/bin/head", "/usr/bin/id", "/usr/bin/date", "/usr/bin/tr", "/usr/bin/sleep"} {
		must(t, os.Symlink(tool, filepath.Join(bin, filepath.Base(tool))))
	}
	for name, v := range available {
		must(t, os.WriteFile(filepath.Join(state, "available", name), []byte(v+"\n"), 0o644))
	}
	return bin, state
}

// standInStep runs one task on a local host whose PATH holds only the
// stand-in; it returns the run, the argv lines dnf recorded (rpm queries
// left out) and whether the recap counted a change.
func standInStep(t *testing.T, bin, state, task string, check bool) (result, string, bool) {
	t.Helper()
	log := filepath.Join(state, "argv.log")
	_ = os.Remove(log)
	dir := workdir(t, map[string]string{
		"hosts.ini": "[web]\nh1 ansible_connection=local\n",
		"site.yaml": "- hosts: web\n  gather_facts: false\n  environment: {PATH: \"" + bin + "\", STANDIN_STATE: \"" + state + "\"}\n  tasks:\n    - name: step\n      " + task + "\n",
	})
	args := []string{"play", "site.yaml", "-i", "hosts.ini", "--diff"}
	if check {
		args = append(args, "--check")
	}
	r := runbook(t, dir, args...)
	data, _ := os.ReadFile(log)
	var ran []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "dnf ") {
			ran = append(ran, line)
		}
	}
	if r.code != 0 {
		return r, strings.Join(ran, "; "), false
	}
	return r, strings.Join(ran, "; "), recap(t, r.stdout)["h1"]["changed"] > 0
}

// The dnf/yum backend against a scripted stand-in (not a real dnf): auto
// detection, install, upgrade to latest, a version pin, removal through
// yum falling back to dnf, autoremove and update_cache. Check mode runs no
// changing command and predicts the real run's change; the second run
// changes nothing.
func TestDnfBackendAgainstStandIn(t *testing.T) {
	bin, state := standInHost(t, map[string]string{dummyPkg: "1.1", "other-dummy": "2.0"})
	installed := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(state, "installed", name))
		return strings.TrimSpace(string(b))
	}
	steps := []struct {
		task, ran, diff string
		setup           func()
		want            map[string]string // installed versions after
	}{
		{task: "package: {name: [" + dummyPkg + ", other-dummy]}", ran: "dnf -y install -- " + dummyPkg + " other-dummy",
			diff: "-other-dummy: absent\n-" + dummyPkg + ": absent\n+other-dummy: present\n+" + dummyPkg + ": present",
			want: map[string]string{dummyPkg: "1.1", "other-dummy": "2.0"}},
		{task: "dnf: {name: " + dummyPkg + ", state: latest}", ran: "dnf check-update -- " + dummyPkg + "; dnf -y upgrade -- " + dummyPkg,
			setup: func() { must(t, os.WriteFile(filepath.Join(state, "available", dummyPkg), []byte("1.2\n"), 0o644)) },
			diff:  "-" + dummyPkg + ": 1.1-1\n+" + dummyPkg + ": 1.2",
			want:  map[string]string{dummyPkg: "1.2"}},
		{task: "ansible.builtin.yum: {name: [" + dummyPkg + ", other-dummy], state: absent, update_cache: true}",
			ran:  "dnf -y makecache; dnf -y remove -- " + dummyPkg + " other-dummy",
			diff: "-other-dummy: 2.0-1\n-" + dummyPkg + ": 1.2-1\n+other-dummy: absent\n+" + dummyPkg + ": absent",
			want: map[string]string{dummyPkg: "", "other-dummy": ""}},
		{task: "yum: {name: " + dummyPkg + "-1.0}", ran: "dnf -y install -- " + dummyPkg + "-1.0",
			diff: "-" + dummyPkg + "-1.0: absent\n+" + dummyPkg + "-1.0: present",
			want: map[string]string{dummyPkg: "1.0"}},
		{task: "dnf: {autoremove: true}", ran: "dnf --assumeno autoremove; dnf -y autoremove",
			setup: func() {
				must(t, os.WriteFile(filepath.Join(state, "installed", "libdummy"), []byte("0.9\n"), 0o644))
				must(t, os.WriteFile(filepath.Join(state, "orphans", "libdummy"), []byte("0.9\n"), 0o644))
			},
			diff: "-libdummy: 0.9\n+libdummy: absent",
			want: map[string]string{"libdummy": "", dummyPkg: "1.0"}},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		check, ranCheck, predicted := standInStep(t, bin, state, s.task, true)
		if strings.Contains(ranCheck, "-y") {
			t.Errorf("--check of %s ran a changing command: %s", s.task, ranCheck)
		}
		real, ran, changed := standInStep(t, bin, state, s.task, false)
		if !predicted || !changed {
			t.Errorf("%s: check predicted change %v, the real run changed %v:\n%s\n%s", s.task, predicted, changed, check, real)
		}
		if ran != s.ran {
			t.Errorf("%s ran %q, want %q", s.task, ran, s.ran)
		}
		if d := packageDiffLines(check.stdout); d != s.diff {
			t.Errorf("%s: check diff %q, want %q", s.task, d, s.diff)
		}
		for name, v := range s.want {
			if got := installed(name); got != v {
				t.Errorf("after %s: %s installed at %q, want %q", s.task, name, got, v)
			}
		}
		if again, ran, changed := standInStep(t, bin, state, s.task, false); changed || strings.Contains(ran, "-y install") || strings.Contains(ran, "-y remove") {
			t.Errorf("%s is not idempotent: ran %q\n%s", s.task, ran, again)
		}
	}
}

// packageDiffLines is the -/+ lines of a run's package diff.
func packageDiffLines(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "+++") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// Errors the dnf backend gives before changing anything: an apt-only
// parameter through package, and a login user that is not root with
// become off (the stand-in's id says uid 1000).
func TestDnfBackendErrors(t *testing.T) {
	bin, state := standInHost(t, map[string]string{dummyPkg: "1.1"})
	r, ran, _ := standInStep(t, bin, state, "package: {name: "+dummyPkg+", purge: true}", false)
	if r.code != 2 || ran != "" {
		t.Errorf("purge on a dnf host: exit %d, ran %q", r.code, ran)
	}
	mustContain(t, r, "TASK [step]", "purge is not a parameter of dnf, the package manager on h1")
	must(t, os.Remove(filepath.Join(bin, "id")))
	must(t, os.WriteFile(filepath.Join(bin, "id"), []byte("#!/bin/sh\nif [ \"$1\" = -un ]; then echo deploy; else echo 1000; fi\n"), 0o755))
	r, ran, _ = standInStep(t, bin, state, "dnf: {name: "+dummyPkg+"}", false)
	if r.code != 2 || strings.Contains(ran, "install") {
		t.Errorf("not root without become: exit %d, ran %q\n%s", r.code, ran, r)
	}
	mustContain(t, r, "on host h1", "dnf: changing packages on h1 needs root, but the login user deploy (uid 1000) is not root and become is off")
}

// Another dnf holding its lock (a live pid in /var/run/dnf.pid) makes the
// task wait lock_timeout seconds, then fail naming the lock file and pid,
// without running a changing command: dnf itself would wait unbounded.
func TestDnfHeldLockFailsBounded(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writing /var/run/dnf.pid needs root")
	}
	const pidFile = "/var/run/dnf.pid"
	if _, err := os.Stat(pidFile); err == nil {
		t.Skip(pidFile + " exists: a real dnf may be running here")
	}
	bin, state := standInHost(t, map[string]string{dummyPkg: "1.1"})
	must(t, os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644))
	t.Cleanup(func() { _ = os.Remove(pidFile) })
	start := time.Now()
	r, ran, _ := standInStep(t, bin, state, "dnf: {name: "+dummyPkg+", lock_timeout: 1}", false)
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("a held lock with lock_timeout 1 took %v", took)
	}
	if r.code != 2 || strings.Contains(ran, "-y") {
		t.Errorf("exit %d, ran %q\n%s", r.code, ran, r)
	}
	mustContain(t, r, "TASK [step]", "dnf: the package manager's lock on h1 is held by another process and was not freed within lock_timeout (1s)",
		pidFile+" (pid "+strconv.Itoa(os.Getpid())+")")
}
