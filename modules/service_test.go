package modules_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

// The service module against real systemd and OpenRC needs hosts booted
// with them (TestServiceOnTheLab); these tests drive the generic path with
// fake init tools put first on PATH, so no real service is touched.

// skipIfSystemdBooted: on a host booted with systemd the module rightly
// uses systemctl whatever is on PATH.
func skipIfSystemdBooted(t *testing.T) {
	t.Helper()
	comm, _ := os.ReadFile("/proc/1/comm")
	for _, c := range []string{"/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/"} {
		if _, err := os.Stat(c); err == nil || strings.Contains(string(comm), "systemd") {
			t.Skip("this host is booted with systemd: the generic path is not taken")
		}
	}
}

// fakeTools writes executable scripts into a new directory; $D in a script
// is that directory. It returns the directory and a context whose PATH
// starts there.
func fakeTools(t *testing.T, scripts map[string]string) (string, *modules.Context) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		body = "#!/bin/sh\nD=" + dir + "\necho \"" + name + " $*\" >>$D/calls\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mc := helperContext(t, nil)
	mc.Env = map[string]string{"PATH": dir + ":" + os.Getenv("PATH")}
	return dir, mc
}

// calls reads what the fake tools were asked, and forgets it.
func calls(t *testing.T, dir string) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(dir, "calls"))
	_ = os.Remove(filepath.Join(dir, "calls"))
	return strings.TrimSpace(string(b))
}

// The OpenRC fakes keep a service's state in $D/NAME.started and its
// runlevels in $D/NAME.levels.
var openrcFakes = map[string]string{
	"rc-service": `case $2 in
status) if [ -f $D/$1.started ]; then echo " * status: started"; else echo " * status: stopped"; exit 3; fi;;
start|restart) touch $D/$1.started;;
stop) rm -f $D/$1.started;;
*) echo "unknown action $2" >&2; exit 1;;
esac`,
	"rc-update": `case $1 in
show) for f in $D/*.levels; do [ -f "$f" ] && echo " $(basename $f .levels) | $(cat $f)"; done; exit 0;;
add) echo "$3" >$D/$2.levels;;
delete) rm -f $D/$2.levels;;
esac`,
}

func TestServiceOpenRC(t *testing.T) {
	skipIfSystemdBooted(t)
	dir, mc := fakeTools(t, openrcFakes)
	run := func(check bool, args map[string]any) *modules.Result {
		t.Helper()
		mc.Check = check
		args["name"] = "rbsvc"
		return helperMustRun(t, mc, "service", args)
	}
	want := map[string]any{"state": "started", "enabled": true}
	if r := run(true, copyArgs(want)); !r.Changed {
		t.Errorf("check mode must predict the start and the enable: %+v", r)
	}
	if c := calls(t, dir); strings.Contains(c, "start") || strings.Contains(c, "add") {
		t.Fatalf("check mode changed something: %s", c)
	}
	r := run(false, copyArgs(want))
	if !r.Changed || r.Data["state"] != "started" || r.Data["enabled"] != true || r.Data["name"] != "rbsvc" {
		t.Errorf("start+enable: %+v", r)
	}
	if c := calls(t, dir); !strings.Contains(c, "rc-update add rbsvc default") || !strings.Contains(c, "rc-service rbsvc start") {
		t.Errorf("commands run: %s", c)
	}
	if _, err := os.Stat(filepath.Join(dir, "rbsvc.started")); err != nil {
		t.Fatal("the service was not started")
	}
	if r := run(false, copyArgs(want)); r.Changed {
		t.Errorf("second run must be ok: %+v", r)
	}
	if r := run(true, map[string]any{"state": "stopped"}); !r.Changed || r.Data["state"] != "stopped" {
		t.Errorf("check: a running service would stop: %+v", r)
	}
	if r := run(false, map[string]any{"state": "restarted"}); !r.Changed {
		t.Error("restarted always changes")
	}
	if c := calls(t, dir); !strings.Contains(c, "rc-service rbsvc restart") {
		t.Errorf("OpenRC restarts in one command: %s", c)
	}
	if r := run(false, map[string]any{"enabled": false, "runlevel": "boot"}); r.Changed {
		t.Error("not in the boot runlevel: disabling there changes nothing")
	}
	if r := run(false, map[string]any{"enabled": false, "state": "stopped"}); !r.Changed {
		t.Error("disable+stop must change")
	}
	if _, err := os.Stat(filepath.Join(dir, "rbsvc.levels")); err == nil {
		t.Error("rc-update delete was not run")
	}
}

// The SysV fakes: service NAME ACTION, with the state in $D/NAME.running.
var sysvFakes = map[string]string{
	"service": `case $2 in
status) if [ -f $D/$1.running ]; then echo "$1 is running"; else echo "$1 is not running"; exit 3; fi;;
start) touch $D/$1.running;;
reload) [ -f $D/$1.running ] || exit 7;;
stop) rm -f $D/$1.running;;
*) exit 1;;
esac`,
	"update-rc.d": "exit 0",
}

// initScript is a SysV script this machine has (read only: the fakes do
// the work) and whether it is enabled in some runlevel.
func initScript(t *testing.T) (string, bool) {
	t.Helper()
	entries, _ := os.ReadDir("/etc/init.d")
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "README" && !strings.Contains(e.Name(), "*") {
			links, _ := filepath.Glob("/etc/rc?.d/S??" + e.Name())
			return e.Name(), len(links) > 0
		}
	}
	t.Skip("no SysV script in /etc/init.d")
	return "", false
}

func TestServiceSysV(t *testing.T) {
	skipIfSystemdBooted(t)
	if _, err := exec.LookPath("rc-service"); err == nil {
		t.Skip("an OpenRC host: the OpenRC path is taken")
	}
	name, enabled := initScript(t)
	dir, mc := fakeTools(t, sysvFakes)
	run := func(check bool, args map[string]any) *modules.Result {
		t.Helper()
		mc.Check = check
		args["name"] = name
		return helperMustRun(t, mc, "service", args)
	}
	if r := run(true, map[string]any{"state": "started"}); !r.Changed || r.Data["state"] != "started" {
		t.Errorf("check: a stopped service would start: %+v", r)
	}
	if c := calls(t, dir); c != "service "+name+" status" {
		t.Fatalf("check mode ran more than status: %q", c)
	}
	if r := run(false, map[string]any{"state": "started"}); !r.Changed {
		t.Errorf("start: %+v", r)
	}
	if r := run(false, map[string]any{"state": "reloaded"}); !r.Changed {
		t.Error("reloaded always acts")
	}
	calls(t, dir)
	if r := run(false, map[string]any{"state": "started"}); r.Changed {
		t.Errorf("a running service: ok, got %+v", r)
	}
	// restarted is stop then start for SysV, with the arguments parameter.
	if r := run(false, map[string]any{"state": "restarted", "args": "--quiet"}); !r.Changed {
		t.Error("restarted always changes")
	}
	if c := calls(t, dir); !strings.HasSuffix(c, "service "+name+" stop --quiet\nservice "+name+" start --quiet") {
		t.Errorf("SysV restart: %q", c)
	}
	// enabled goes through update-rc.d, judged from the rc?.d links.
	r := run(false, map[string]any{"enabled": !enabled})
	if c := calls(t, dir); !r.Changed || !strings.Contains(c, "update-rc.d "+name+" "+map[bool]string{true: "enable", false: "disable"}[!enabled]) {
		t.Errorf("enabled=%v: %+v, calls %q", !enabled, r, c)
	}
	if r := run(false, map[string]any{"enabled": enabled}); r.Changed {
		t.Errorf("enabled=%v is how the links are: ok, got %+v", enabled, r)
	}
	// A failing control command fails the task with its output.
	_, mc2 := fakeTools(t, map[string]string{"service": `[ "$2" = status ] && exit 3; echo "cannot start $1" >&2; exit 1`, "update-rc.d": "exit 0"})
	mc2.Host = "web1"
	r, err := helperRun(t, mc2, "service", map[string]any{"name": name, "state": "started"})
	if err != nil || !r.Failed || r.Msg != "cannot start "+name {
		t.Errorf("failing start: %v %+v", err, r)
	}
}

func TestServiceMissingOrUnknown(t *testing.T) {
	skipIfSystemdBooted(t)
	if _, err := exec.LookPath("rc-service"); err == nil {
		t.Skip("an OpenRC host")
	}
	_, mc := fakeTools(t, map[string]string{"service": "exit 1", "update-rc.d": "exit 0"})
	r, err := helperRun(t, mc, "service", map[string]any{"name": "runbook-no-such-service", "state": "started"})
	if err != nil || !r.Failed || r.Msg != "Could not find the requested service runbook-no-such-service: host" {
		t.Errorf("missing service: %v %+v", err, r)
	}
	// A status command that says nothing useful: the state is unknown.
	name, _ := initScript(t)
	_, mc = fakeTools(t, map[string]string{"service": `echo "line one"; echo "line two"; exit 150`, "update-rc.d": "exit 0"})
	r, err = helperRun(t, mc, "service", map[string]any{"name": name, "state": "started"})
	if err != nil || !r.Failed || !strings.Contains(r.Msg, "failed determining service state") {
		t.Errorf("unknown status: %v %+v", err, r)
	}
	if _, err := helperRun(t, mc, "service", map[string]any{"name": name}); err == nil || !strings.Contains(err.Error(), "one of the following is required: state, enabled") {
		t.Errorf("neither state nor enabled: %v", err)
	}
}

// pattern: the process list stands in for the status command.
func TestServicePattern(t *testing.T) {
	skipIfSystemdBooted(t)
	name, _ := initScript(t)
	sleeper := exec.Command("sleep", "31.4159")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	dir, mc := fakeTools(t, sysvFakes)
	mc.Check = true
	r := helperMustRun(t, mc, "service", map[string]any{"name": name, "state": "started", "pattern": "sleep 31.4159"})
	if r.Changed {
		t.Errorf("the pattern is in ps: running, nothing to start: %+v", r)
	}
	if r := helperMustRun(t, mc, "service", map[string]any{"name": name, "state": "stopped", "pattern": "sleep 31.4159"}); !r.Changed {
		t.Errorf("running by pattern: stopping would change: %+v", r)
	}
	if c := calls(t, dir); strings.Contains(c, "status") {
		t.Errorf("with pattern no status command runs: %q", c)
	}
}

// use: systemd runs the systemd module: systemctl's answers and commands.
func TestServiceUsesSystemdModule(t *testing.T) {
	dir, mc := fakeTools(t, map[string]string{"systemctl": `case $1 in
show) if [ -f $D/active ]; then a=active; else a=inactive; fi
  if [ -f $D/enabled ]; then e=enabled; else e=disabled; fi
  printf 'Id=%s\nLoadState=loaded\nActiveState=%s\nSubState=x\nUnitFileState=%s\n' "$2" $a $e;;
start) touch $D/active;;
enable) touch $D/enabled;;
esac`})
	args := map[string]any{"name": "nginx", "state": "started", "enabled": true, "use": "systemd", "pattern": "nginx:", "runlevel": "3"}
	r := helperMustRun(t, mc, "service", args)
	st, _ := r.Data["status"].(map[string]any)
	if !r.Changed || r.Data["name"] != "nginx.service" || r.Data["enabled"] != true || st["ActiveState"] != "active" {
		t.Errorf("through systemd: %+v", r)
	}
	if c := calls(t, dir); !strings.Contains(c, "systemctl enable nginx.service") || !strings.Contains(c, "systemctl start nginx.service") {
		t.Errorf("systemctl calls: %q", c)
	}
	if r := helperMustRun(t, mc, "service", args); r.Changed {
		t.Errorf("second run: %+v", r)
	}
}
