package modules

// The apt module, and package's apt backend: dpkg-query says what is
// installed, apt-get -s what a change would do (the prediction check mode
// reports and the diff lists), apt-get -y does it.

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(aptModule{}) }

type aptModule struct{}

var aptParams = []Param{
	pkgNameParam,
	pkgStateParam,
	pkgUpdateCacheParam,
	{Name: "cache_valid_time", Type: TypeInt, Default: 0,
		Doc: "(apt) Update the package lists only when they are older than this many seconds; sets update_cache."},
	{Name: "install_recommends", Type: TypeBool, Aliases: []string{"install-recommends"},
		Doc: "(apt) Install recommended packages too (APT::Install-Recommends); unset keeps the host's apt setting."},
	pkgAutoremoveParam,
	{Name: "purge", Type: TypeBool, Default: false, Doc: "(apt) With state=absent, also remove configuration files (apt-get --purge)."},
	{Name: "deb", Type: TypePath, Doc: "(apt) A .deb file on the host to install (with its dependencies); skipped when that version is installed."},
	{Name: "allow_downgrade", Type: TypeBool, Default: false, Aliases: []string{"allow-downgrade", "allow_downgrades", "allow-downgrades"},
		Doc: "(apt) Allow a pinned version lower than the installed one (apt-get --allow-downgrades)."},
	{Name: "lock_timeout", Type: TypeInt, Default: 60,
		Doc: "Seconds to wait for another package manager's lock (dpkg's, rpm's) before failing."},
	{Name: "default_release", Type: TypeString, Aliases: []string{"default-release"},
		Doc: "(apt) Install from this release (apt-get -t), such as bookworm-backports."},
	{Name: "only_upgrade", Type: TypeBool, Default: false, Doc: "(apt) Only upgrade packages that are installed (apt-get --only-upgrade)."},
	{Name: "allow_unauthenticated", Type: TypeBool, Default: false, Aliases: []string{"allow-unauthenticated"},
		Doc: "(apt) Install packages that cannot be authenticated (apt-get --allow-unauthenticated)."},
	{Name: "dpkg_options", Type: TypeString, Default: "force-confdef,force-confold",
		Doc: "(apt) Comma-separated dpkg options, each passed as -o Dpkg::Options::=--OPTION."},
	{Name: "force_apt_get", Type: TypeBool, Default: false, Doc: "(apt) Accepted for compatibility: runbook always uses apt-get."},
}

var aptReturns = []Return{
	{Name: "cache_updated", Type: TypeBool, Doc: "(apt) Whether the package lists were updated."},
	{Name: "cache_update_time", Type: TypeInt, Doc: "(apt) When the package lists were last updated, in seconds since the epoch."},
	{Name: "stdout", Type: TypeString, Doc: "apt-get's output, when it changed something."},
	{Name: "stderr", Type: TypeString, Doc: "apt-get's error output, when it changed something."},
}

var aptSpec = &Spec{
	Name:  "apt",
	Short: "Install, upgrade or remove Debian packages with apt-get",
	Doc: "Queries the packages with dpkg-query, asks apt-get -s what installing, upgrading (state=latest) or " +
		"removing them would do, and runs apt-get -y only when that changes something, with " +
		"DEBIAN_FRONTEND=noninteractive and the configuration files kept (--force-confdef, --force-confold). " +
		"Check mode reports apt-get -s's prediction and changes nothing; --diff lists each package's version " +
		"before and after. apt waits at most lock_timeout seconds for a dpkg lock another process holds, then " +
		"fails saying so. With update_cache (or cache_valid_time) the lists are refreshed first; alone, that " +
		"is the change reported when it moved the lists directory's mtime, as in Ansible. The environment " +
		"keyword reaches apt (APT_CONFIG, whose Dir::State::Lists is the directory read, proxies). Needs root: " +
		"a login user that is not root with become off is an error saying so.",
	Params:  aptParams,
	Check:   CheckFull,
	Returns: aptReturns,
	Example: `- apt:
    name: [chrony, socat=1.7.*]
    update_cache: true
    cache_valid_time: 3600
    install_recommends: false
  become: true`,
	Validate: func(a Args) error {
		if a.String("deb") != "" && pkgState(a) == "absent" {
			return errors.New("deb installs a package: it needs state present or latest")
		}
		if a.Int("cache_valid_time") < 0 || a.Int("lock_timeout") < 0 {
			return errors.New("cache_valid_time and lock_timeout must not be negative")
		}
		return pkgValidate(a)
	},
}

func (aptModule) Spec() *Spec { return aptSpec }

func (aptModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	return aptRun(ctx, mc, args)
}

// apt is one apt task on one host.
type apt struct {
	ctx  context.Context
	mc   *Context
	args Args
	env  map[string]string
}

// aptRun is the apt module and package's apt backend.
func aptRun(ctx context.Context, mc *Context, args Args) (*Result, error) {
	a := &apt{ctx: ctx, mc: mc, args: args, env: pkgEnv(mc)}
	data := map[string]any{"cache_updated": false}
	r := &Result{Data: data}
	if args.Bool("update_cache") || args.Int("cache_valid_time") > 0 {
		updated, when, err := a.updateCache()
		if err != nil {
			return nil, err
		}
		data["cache_updated"], data["cache_update_time"] = updated, when
		if len(pkgNames(args)) == 0 && args.String("deb") == "" && !args.Bool("autoremove") {
			r.Changed = updated // Ansible: the cache alone is the change
			return r, nil
		}
	}
	verb, targets, err := a.targets()
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 && args.Bool("autoremove") {
		verb = "autoremove"
	}
	if len(targets) == 0 && verb != "autoremove" {
		return r, nil
	}
	sim, err := a.run(a.command("-s", verb, targets))
	if err != nil {
		return nil, err
	}
	changes := aptSimChanges(string(sim.Stdout))
	pkgFinish(mc, r, changes)
	if mc.Check || len(changes) == 0 {
		return r, nil
	}
	if err := pkgNeedRoot(ctx, mc, "apt"); err != nil {
		return nil, err
	}
	res, err := a.run(a.command("-y", verb, targets))
	if err != nil {
		return nil, err
	}
	r.RC, r.Stdout, r.Stderr = IntPtr(0), string(res.Stdout), string(res.Stderr)
	return r, nil
}

// run runs an apt command; a failure names the host and, for a held lock,
// says what the wait was.
func (a *apt) run(args []string) (*transport.Result, error) {
	res, err := a.mc.Conn.Run(a.ctx, &transport.Cmd{Args: args, Env: a.env, Become: a.mc.Become})
	if err != nil {
		return nil, fmt.Errorf("apt: %s on %s: %w", args[0], a.mc.Host, err)
	}
	if res.ExitCode == 0 {
		return res, nil
	}
	err = exitError(res)
	if aptLockHeld(err.Error()) {
		return nil, fmt.Errorf("apt: the dpkg lock on %s is held by another process and was not freed within lock_timeout (%ds); let it finish or raise lock_timeout: %w",
			a.mc.Host, a.args.Int("lock_timeout"), err)
	}
	return nil, fmt.Errorf("apt: %s on %s: %w", strings.Join(aptShort(args), " "), a.mc.Host, err)
}

// aptShort is an apt-get command line without its -o options, for errors.
func aptShort(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-o" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// aptLockHeld recognises apt's and dpkg's messages for a held lock.
func aptLockHeld(msg string) bool {
	for _, s := range []string{"Could not get lock", "Unable to acquire the dpkg frontend lock", "Unable to lock directory", "Unable to lock the administration directory"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// command is an apt-get command line; mode is -s (simulate) or -y.
func (a *apt) command(mode, verb string, targets []string) []string {
	c := []string{"apt-get", mode, "-q", "-o", "DPkg::Lock::Timeout=" + strconv.Itoa(a.args.Int("lock_timeout"))}
	for _, o := range strings.Split(a.args.String("dpkg_options"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c = append(c, "-o", "Dpkg::Options::=--"+o)
		}
	}
	if r := a.args.String("default_release"); r != "" && verb == "install" {
		c = append(c, "-t", r)
	}
	if a.args.Bool("only_upgrade") && verb == "install" {
		c = append(c, "--only-upgrade")
	}
	if a.args.Bool("allow_unauthenticated") && verb == "install" {
		c = append(c, "--allow-unauthenticated")
	}
	if a.args.Has("install_recommends") && verb == "install" {
		c = append(c, "-o", "APT::Install-Recommends="+strconv.FormatBool(a.args.Bool("install_recommends")))
	}
	if a.args.Bool("allow_downgrade") && verb == "install" {
		c = append(c, "--allow-downgrades")
	}
	if a.args.Bool("purge") && verb != "install" {
		c = append(c, "--purge")
	}
	if a.args.Bool("autoremove") && verb != "autoremove" {
		c = append(c, "--auto-remove")
	}
	c = append(c, verb)
	if len(targets) > 0 {
		c = append(append(c, "--"), targets...)
	}
	return c
}

// updateCache refreshes the package lists unless cache_valid_time says
// they are fresh enough. As Ansible, it reports an update when the lists
// directory's mtime moved (always in check mode, which only predicts), and
// that mtime as the cache's time; APT_CONFIG in the environment is
// honoured (Ansible reads /var/lib/apt/lists whatever apt is told).
func (a *apt) updateCache() (bool, int64, error) {
	mtime, stamp, now, err := a.listsTime()
	if err != nil {
		return false, 0, err
	}
	if valid := int64(a.args.Int("cache_valid_time")); valid > 0 && mtime+valid >= now {
		return false, mtime, nil
	}
	if a.mc.Check {
		return true, mtime, nil
	}
	if err := pkgNeedRoot(a.ctx, a.mc, "apt"); err != nil {
		return false, 0, err
	}
	if _, err := a.run([]string{"apt-get", "-q", "-o", "DPkg::Lock::Timeout=" + strconv.Itoa(a.args.Int("lock_timeout")), "update"}); err != nil {
		return false, 0, err
	}
	after, afterStamp, _, err := a.listsTime()
	return afterStamp != stamp || after != mtime, after, err
}

// listsTime is the package lists directory's mtime in seconds and as
// stat prints it in full (nanoseconds, where the host's stat shows them: an
// update within the same second still moves it), and the host's time.
func (a *apt) listsTime() (mtime int64, stamp string, now int64, err error) {
	res, err := a.run([]string{"sh", "-c", `eval "$(apt-config shell L Dir::State::Lists/d)"; L=${L:-/var/lib/apt/lists}; echo "$(stat -c %Y "$L" 2>/dev/null || echo 0) $(date +%s) $(stat -c %y "$L" 2>/dev/null)"`})
	if err != nil {
		return 0, "", 0, err
	}
	f := strings.SplitN(strings.TrimSpace(string(res.Stdout)), " ", 3)
	if len(f) == 3 {
		stamp = f[2]
	}
	if _, err := fmt.Sscan(string(res.Stdout), &mtime, &now); err != nil {
		return 0, "", 0, fmt.Errorf("apt: reading the package lists' age on %s: %q: %w", a.mc.Host, res.Stdout, err)
	}
	return mtime, stamp, now, nil
}

// dpkgState is what dpkg knows of one package.
type dpkgState struct {
	installed, configFiles bool
	version                string
}

// query asks dpkg-query about packages; one it does not know is missing
// from the answer.
func (a *apt) query(names []string) (map[string]dpkgState, error) {
	out := map[string]dpkgState{}
	if len(names) == 0 {
		return out, nil
	}
	cmd := append([]string{"dpkg-query", "-W", "-f=${binary:Package}\t${Package}\t${db:Status-Abbrev}\t${Version}\n", "--"}, names...)
	res, err := a.mc.Conn.Run(a.ctx, &transport.Cmd{Args: cmd, Env: a.env})
	if err != nil {
		return nil, fmt.Errorf("apt: dpkg-query on %s: %w", a.mc.Host, err)
	}
	if res.ExitCode > 1 { // 1: some package is unknown, which is an answer
		return nil, fmt.Errorf("apt: dpkg-query on %s: %w", a.mc.Host, exitError(res))
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || len(f[2]) < 2 {
			continue
		}
		st := dpkgState{version: f[3]}
		switch f[2][1] {
		case 'i', 'W', 't': // installed, or only its triggers pending
			st.installed = true
		case 'c':
			st.configFiles = true
		}
		for _, k := range []string{f[0], f[1]} {
			if old, ok := out[k]; !ok || !old.installed {
				out[k] = st
			}
		}
	}
	return out, nil
}

// targets is the apt-get verb and the packages it must be given: only
// those whose state differs (state=latest gives every name: apt-get -s
// then says which have a newer version).
func (a *apt) targets() (string, []string, error) {
	state := pkgState(a.args)
	names := pkgNames(a.args)
	pkgs := make([]string, len(names))
	for i, n := range names {
		pkgs[i], _, _ = strings.Cut(n, "=")
	}
	deb := a.args.String("deb")
	var debPkg, debVersion string
	if deb != "" {
		var err error
		if debPkg, debVersion, err = a.debInfo(deb); err != nil {
			return "", nil, err
		}
	}
	queried := pkgs
	if debPkg != "" {
		queried = append(append([]string{}, pkgs...), debPkg)
	}
	installed, err := a.query(queried)
	if err != nil {
		return "", nil, err
	}
	var targets []string
	if state == "absent" {
		for _, p := range pkgs {
			if st := installed[p]; st.installed || a.args.Bool("purge") && st.configFiles {
				targets = append(targets, p)
			}
		}
		return "remove", targets, nil
	}
	for i, n := range names {
		_, pin, pinned := strings.Cut(n, "=")
		st := installed[pkgs[i]]
		if state == "present" && st.installed && (!pinned || aptVersionMatch(pin, st.version)) {
			continue
		}
		targets = append(targets, n)
	}
	if deb != "" && !(installed[debPkg].installed && installed[debPkg].version == debVersion) {
		if !strings.Contains(deb, "/") {
			deb = "./" + deb // apt-get takes a file only as a path
		}
		targets = append(targets, deb)
	}
	return "install", targets, nil
}

// debInfo reads a .deb file's package name and version on the host.
func (a *apt) debInfo(deb string) (string, string, error) {
	res, err := a.mc.Conn.Run(a.ctx, &transport.Cmd{Args: []string{"dpkg-deb", "-f", "--", deb, "Package", "Version"}, Env: a.env, Become: a.mc.Become})
	if err == nil && res.ExitCode != 0 {
		err = exitError(res)
	}
	if err != nil {
		return "", "", fmt.Errorf("apt: reading deb %s on %s: %w", deb, a.mc.Host, err)
	}
	var name, version string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "Package":
			name = strings.TrimSpace(v)
		case "Version":
			version = strings.TrimSpace(v)
		}
	}
	if name == "" || version == "" {
		return "", "", fmt.Errorf("apt: deb %s on %s has no Package or Version field", deb, a.mc.Host)
	}
	return name, version, nil
}

// aptVersionMatch reports whether an installed version satisfies a pin;
// a pin may end in * (name=1.2*), as apt-get takes it.
func aptVersionMatch(pin, version string) bool {
	if ok, err := path.Match(pin, version); err == nil && ok {
		return true
	}
	return pin == version
}

// aptSimLine is one action line of apt-get -s: Inst NAME [OLD] (NEW …),
// Remv NAME [OLD], Purg NAME [OLD].
var aptSimLine = regexp.MustCompile(`^(Inst|Remv|Purg) (\S+)(?: \[([^\]]*)\])?(?: \((\S+))?`)

// aptSimChanges reads the packages apt-get -s would change.
func aptSimChanges(out string) []pkgChange {
	var changes []pkgChange
	for _, line := range strings.Split(out, "\n") {
		m := aptSimLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := pkgChange{Name: m[2], Before: m[3], After: m[4]}
		switch m[1] {
		case "Inst":
			if c.Before == "" {
				c.Before = "absent"
			}
		case "Remv":
			c.After = "absent"
		case "Purg":
			c.After = "absent (purged)"
			if c.Before == "" {
				c.Before = "config-files"
			}
		}
		changes = append(changes, c)
	}
	return changes
}
