package modules

// The dnf and yum modules, and package's backend for them: rpm -q says what
// is installed, dnf check-update what has a newer version, and dnf (or yum)
// -y installs, upgrades or removes only what differs.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() {
	Register(dnfModule{spec: dnfSpec("dnf", "yum")})
	Register(dnfModule{spec: dnfSpec("yum", "dnf")})
}

// dnfModule is dnf or yum: the same module with the other program as the
// fallback (yum is dnf on current Red Hat systems, as in Ansible).
type dnfModule struct{ spec *Spec }

var dnfParams = []Param{
	pkgNameParam,
	pkgStateParam,
	{Name: "update_cache", Type: TypeBool, Default: false, Aliases: []string{"expire-cache"},
		Doc: "Refresh the repositories' metadata first (makecache); not reported as a change."},
	pkgAutoremoveParam,
	{Name: "enablerepo", Type: TypeList, Doc: "(dnf, yum) Repositories to enable for this run (--enablerepo)."},
	{Name: "disablerepo", Type: TypeList, Doc: "(dnf, yum) Repositories to disable for this run (--disablerepo)."},
	{Name: "lock_timeout", Type: TypeInt, Default: 30, Doc: "Seconds to wait for another package manager's lock before failing."},
}

var dnfReturns = []Return{
	{Name: "results", Type: TypeList, Doc: "(dnf, yum) What changed, as Installed: NAME-VERSION / Upgraded: / Removed: lines."},
	{Name: "rc", Type: TypeInt, Doc: "(dnf, yum) The package manager's exit status."},
}

func dnfSpec(name, other string) *Spec {
	return &Spec{
		Name:  name,
		Short: "Install, upgrade or remove RPM packages with " + name,
		Doc: "Queries each package with rpm -q (a name-version pin is satisfied by that version), asks " +
			name + " check-update which installed ones have a newer version (state=latest), and runs " + name +
			" -y install, upgrade or remove only for what differs; " + other + " is used when the host has no " +
			name + ". Check mode reports that prediction and changes nothing; --diff lists each package's version " +
			"before and after. update_cache runs makecache first. The environment keyword reaches " + name +
			". Needs root: a login user that is not root with become off is an error saying so.",
		Params:  dnfParams,
		Check:   CheckFull,
		Returns: dnfReturns,
		Example: "- " + name + ":\n    name: [chrony, socat-1.7.4]\n    state: present\n  become: true",
		Validate: func(a Args) error {
			if a.Int("lock_timeout") < 0 {
				return fmt.Errorf("lock_timeout must not be negative")
			}
			return pkgValidate(a)
		},
	}
}

func (m dnfModule) Spec() *Spec { return m.spec }

func (m dnfModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	return dnfRun(ctx, mc, args, m.spec.Name)
}

// dnf is one dnf or yum task on one host.
type dnf struct {
	ctx    context.Context
	mc     *Context
	args   Args
	env    map[string]string
	module string // dnf or yum, for errors
	bin    string // the program the host has
}

// dnfRun is the dnf and yum modules and package's backend for them.
func dnfRun(ctx context.Context, mc *Context, args Args, module string) (*Result, error) {
	d := &dnf{ctx: ctx, mc: mc, args: args, env: pkgEnv(mc), module: module}
	if err := d.findBin(); err != nil {
		return nil, err
	}
	r := &Result{Data: map[string]any{"results": []any{}}}
	if args.Bool("update_cache") && !mc.Check {
		if err := pkgNeedRoot(ctx, mc, module); err != nil {
			return nil, err
		}
		if _, err := d.run(true, "makecache"); err != nil {
			return nil, err
		}
	}
	specs := pkgNames(args)
	installed, err := d.query(specs)
	if err != nil {
		return nil, err
	}
	var install, upgrade, remove []string
	var changes []pkgChange
	for _, s := range specs {
		v, ok := installed[s]
		switch {
		case pkgState(args) == "absent" && ok:
			remove = append(remove, s)
			changes = append(changes, pkgChange{Name: s, Before: v, After: "absent"})
		case pkgState(args) != "absent" && !ok:
			install = append(install, s)
			changes = append(changes, pkgChange{Name: s, Before: "absent", After: "present"})
		case pkgState(args) == "latest":
			upgrade = append(upgrade, s)
		}
	}
	if len(upgrade) > 0 {
		newer, err := d.checkUpdate(upgrade)
		if err != nil {
			return nil, err
		}
		upgrade = upgrade[:0]
		for _, c := range newer {
			c.Before = installed[c.Name]
			upgrade = append(upgrade, c.Name)
			changes = append(changes, c)
		}
	}
	autoremove := false
	if args.Bool("autoremove") {
		// --assumeno lists the transaction, then exits 1 ("Operation aborted").
		res, err := d.run(false, "--assumeno", "autoremove")
		if res == nil {
			return nil, err
		}
		orphans := dnfRemoving(string(res.Stdout))
		if err != nil && len(orphans) == 0 {
			return nil, err
		}
		autoremove = len(orphans) > 0
		changes = append(changes, orphans...)
	}
	if !mc.Check && len(changes) > 0 {
		if err := pkgNeedRoot(ctx, mc, module); err != nil {
			return nil, err
		}
		if err := d.apply(install, upgrade, remove, autoremove); err != nil {
			return nil, err
		}
		d.settle(changes)
	}
	pkgFinish(mc, r, changes)
	results := []any{}
	for _, c := range changes {
		results = append(results, dnfResultLine(c))
	}
	r.Data["results"] = results
	r.Data["rc"] = 0
	if r.Msg == "" {
		r.Msg = "Nothing to do"
	}
	return r, nil
}

// findBin picks the program: the module's own, else the other one.
func (d *dnf) findBin() error {
	first, second := "dnf", "yum"
	if d.module == "yum" {
		first, second = second, first
	}
	res, err := d.mc.Conn.Run(d.ctx, &transport.Cmd{Args: []string{"sh", "-c", `for p do if command -v "$p" >/dev/null 2>&1; then echo "$p"; exit 0; fi; done; exit 1`, "sh", first, second}, Env: d.env})
	if err != nil {
		return fmt.Errorf("%s: looking for %s on %s: %w", d.module, first, d.mc.Host, err)
	}
	if d.bin = strings.TrimSpace(string(res.Stdout)); res.ExitCode != 0 || d.bin == "" {
		return fmt.Errorf("%s: %s has neither %s nor %s on its PATH", d.module, d.mc.Host, first, second)
	}
	return nil
}

// run runs the program with the repository options; sim commands
// (--assumeno) may exit non-zero and still return their output.
func (d *dnf) run(change bool, args ...string) (*transport.Result, error) {
	cmd := []string{d.bin}
	if change {
		if err := d.waitLock(); err != nil {
			return nil, err
		}
		cmd = append(cmd, "-y")
	}
	for _, r := range d.args.StringList("enablerepo") {
		cmd = append(cmd, "--enablerepo="+r)
	}
	for _, r := range d.args.StringList("disablerepo") {
		cmd = append(cmd, "--disablerepo="+r)
	}
	cmd = append(cmd, args...)
	res, err := d.mc.Conn.Run(d.ctx, &transport.Cmd{Args: cmd, Env: d.env, Become: d.mc.Become})
	if err != nil {
		return nil, fmt.Errorf("%s: %s on %s: %w", d.module, d.bin, d.mc.Host, err)
	}
	if res.ExitCode == 0 {
		return res, nil
	}
	err = exitError(res)
	if msg := err.Error(); strings.Contains(msg, "Existing lock") || strings.Contains(msg, "another copy is running") || strings.Contains(msg, "Waiting for process with pid") {
		return res, fmt.Errorf("%s: the rpm lock on %s is held by another process; let it finish and run again: %w", d.module, d.mc.Host, err)
	}
	return res, fmt.Errorf("%s: %s on %s: %w", d.module, strings.Join(cmd, " "), d.mc.Host, err)
}

// dnfLockWait waits at most $1 seconds while a live process holds one of
// dnf's or yum's pid lock files, then prints the file and the pid and exits
// 3: dnf and yum themselves wait for each other without a bound.
const dnfLockWait = `end=$(( $(date +%s) + $1 ))
while :; do
	busy=
	for f in /var/run/yum.pid /var/run/dnf.pid /var/cache/dnf/*_lock.pid /var/lib/dnf/rpmdb_lock.pid; do
		[ -f "$f" ] || continue
		p=$(tr -dc 0-9 < "$f" 2>/dev/null)
		if [ -n "$p" ] && [ -d "/proc/$p" ]; then busy="$f (pid $p)"; fi
	done
	[ -z "$busy" ] && exit 0
	if [ "$(date +%s)" -ge "$end" ]; then echo "$busy"; exit 3; fi
	sleep 1
done`

// waitLock waits lock_timeout seconds at most for another dnf or yum to
// finish, failing with a message naming its lock file and pid.
func (d *dnf) waitLock() error {
	t := strconv.Itoa(d.args.Int("lock_timeout"))
	res, err := d.mc.Conn.Run(d.ctx, &transport.Cmd{Args: []string{"sh", "-c", dnfLockWait, "sh", t}, Env: d.env})
	switch {
	case err != nil:
		return fmt.Errorf("%s: waiting for the package manager's lock on %s: %w", d.module, d.mc.Host, err)
	case res.ExitCode == 3:
		return fmt.Errorf("%s: the package manager's lock on %s is held by another process and was not freed within lock_timeout (%ss): %s; let it finish or raise lock_timeout",
			d.module, d.mc.Host, t, strings.TrimSpace(string(res.Stdout)))
	case res.ExitCode != 0:
		return fmt.Errorf("%s: waiting for the package manager's lock on %s: %w", d.module, d.mc.Host, exitError(res))
	}
	return nil
}

// query returns the installed version of each spec rpm -q finds (a
// name-version spec is found only at that version).
func (d *dnf) query(specs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(specs) == 0 {
		return out, nil
	}
	script := `for s do if v=$(rpm -q --qf '%{VERSION}-%{RELEASE}\n' "$s" 2>/dev/null); then printf 'I\t%s\t%s\n' "$s" "$(printf '%s\n' "$v" | head -n 1)"; else printf 'N\t%s\n' "$s"; fi; done`
	res, err := d.mc.Conn.Run(d.ctx, &transport.Cmd{Args: append([]string{"sh", "-c", script, "sh"}, specs...), Env: d.env})
	if err == nil && res.ExitCode != 0 {
		err = exitError(res)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: rpm -q on %s: %w", d.module, d.mc.Host, err)
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 && f[0] == "I" {
			out[f[1]] = f[2]
		}
	}
	return out, nil
}

// checkUpdate returns the packages of names with a newer version (exit
// status 100 and one "name.arch version repo" line each).
func (d *dnf) checkUpdate(names []string) ([]pkgChange, error) {
	res, err := d.run(false, append([]string{"check-update", "--"}, names...)...)
	if err != nil && (res == nil || res.ExitCode != 100) {
		return nil, err
	}
	var out []pkgChange
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.Contains(f[0], ".") {
			continue
		}
		name := f[0][:strings.LastIndex(f[0], ".")]
		for _, n := range names {
			if n == name {
				out = append(out, pkgChange{Name: n, After: f[1]})
			}
		}
	}
	return out, nil
}

// apply runs the transactions: install, upgrade, remove, autoremove.
func (d *dnf) apply(install, upgrade, remove []string, autoremove bool) error {
	steps := []struct {
		verb  string
		names []string
	}{{"install", install}, {"upgrade", upgrade}, {"remove", remove}}
	for _, s := range steps {
		if len(s.names) > 0 {
			if _, err := d.run(true, append([]string{s.verb, "--"}, s.names...)...); err != nil {
				return err
			}
		}
	}
	if autoremove {
		_, err := d.run(true, "autoremove")
		return err
	}
	return nil
}

// settle fills in the versions a run installed, which the prediction
// could only call "present".
func (d *dnf) settle(changes []pkgChange) {
	var names []string
	for _, c := range changes {
		if c.After == "present" {
			names = append(names, c.Name)
		}
	}
	now, err := d.query(names)
	if err != nil {
		return // the change is made; the versions only decorate the diff
	}
	for i, c := range changes {
		if v, ok := now[c.Name]; ok && c.After == "present" {
			changes[i].After = v
		}
	}
}

// dnfRemoving reads the packages listed under "Removing…:" headings of a
// transaction summary (dnf --assumeno autoremove).
func dnfRemoving(out string) []pkgChange {
	var changes []pkgChange
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Removing"):
			in = true
		case !strings.HasPrefix(line, " ") || strings.TrimSpace(line) == "":
			in = false
		case in:
			if f := strings.Fields(line); len(f) >= 3 {
				changes = append(changes, pkgChange{Name: f[0], Before: f[2], After: "absent"})
			}
		}
	}
	return changes
}

// dnfResultLine is a change as Ansible's dnf module lists it in results.
func dnfResultLine(c pkgChange) string {
	switch {
	case c.Before == "absent" && c.After == "present":
		return "Installed: " + c.Name
	case c.Before == "absent":
		return "Installed: " + c.Name + "-" + c.After
	case c.After == "absent":
		return "Removed: " + c.Name + "-" + c.Before
	default:
		return "Upgraded: " + c.Name + "-" + c.After
	}
}
