package modules

// The package module: picks the host's package manager (apt, dnf or yum)
// and hands the task to that backend (package_apt.go, package_dnf.go). The
// helpers every backend shares live here too: the request's names and
// state, the root check, the environment and the diff of packages.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(packageModule{}) }

type packageModule struct{}

// The parameters the backends share.
var (
	pkgNameParam = Param{Name: "name", Type: TypeList, Aliases: []string{"pkg", "package"},
		Doc: "The packages, as a list or a comma-separated string. apt pins a version as name=version " +
			"(a trailing * matches, as name=1.2*); dnf and yum as name-version. Wildcards in names are refused."}
	pkgStateParam = Param{Name: "state", Type: TypeString, Default: "present",
		Choices: []string{"present", "installed", "latest", "absent", "removed"},
		Doc:     "present (installed: any version, or the pinned one), latest (the newest available) or absent (removed)."}
	pkgUpdateCacheParam = Param{Name: "update_cache", Type: TypeBool, Default: false, Aliases: []string{"update-cache"},
		Doc: "Refresh the package lists first (apt-get update; dnf/yum makecache)."}
	pkgAutoremoveParam = Param{Name: "autoremove", Type: TypeBool, Default: false,
		Doc: "Also remove packages installed as dependencies that nothing needs any more."}
)

// aptOnlyParams and dnfOnlyParams are the parameters only one backend
// knows; package refuses them when the host has the other.
var (
	aptOnlyParams = []string{"cache_valid_time", "install_recommends", "purge", "deb", "allow_downgrade"}
	dnfOnlyParams = []string{"enablerepo", "disablerepo"}
)

var packageSpec = &Spec{
	Name:  "package",
	Short: "Install, upgrade or remove packages with the host's package manager (apt, dnf or yum)",
	Doc: "Finds the host's package manager (the ansible_pkg_mgr fact when gathered, otherwise the first of " +
		"apt-get, dnf and yum on PATH; or use: names it) and does what the apt, dnf or yum module does with " +
		"the same parameters. Installed packages are queried first (dpkg-query, rpm -q) and only what " +
		"differs is changed, so a second run reports ok. Check mode predicts with the query and apt-get -s and " +
		"changes nothing; --diff lists each package's version before and after. Changing packages needs root: " +
		"a login user that is not root with become off is an error saying so.",
	Params: append(pkgMergeParams(aptParams, dnfParams),
		Param{Name: "use", Type: TypeString, Default: "auto", Choices: []string{"auto", "apt", "dnf", "yum"},
			Doc: "The package manager; auto detects it."}),
	Check:   CheckFull,
	Returns: append(append([]Return{}, aptReturns...), dnfReturns...),
	Example: `- package:
    name: [chrony, socat]
    state: present
  become: true`,
	Validate: pkgValidate,
}

func (packageModule) Spec() *Spec { return packageSpec }

func (packageModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	use := args.String("use")
	if use == "auto" {
		var err error
		if use, err = pkgDetect(ctx, mc); err != nil {
			return nil, err
		}
	}
	foreign := dnfOnlyParams
	if use != "apt" {
		foreign = aptOnlyParams
	}
	for _, p := range foreign {
		if args.Has(p) && !reflect.DeepEqual(args[p], pkgParamDefault(p)) {
			return nil, fmt.Errorf("package: %s is not a parameter of %s, the package manager on %s", p, use, mc.Host)
		}
	}
	if use == "apt" {
		return aptRun(ctx, mc, args)
	}
	return dnfRun(ctx, mc, args, use)
}

// pkgDetect names the host's package manager: the gathered fact when there
// is one, else the first of apt-get, dnf and yum on the host's PATH.
func pkgDetect(ctx context.Context, mc *Context) (string, error) {
	if f, ok := mc.Vars["ansible_pkg_mgr"].(string); ok {
		switch f {
		case "apt", "dnf", "yum":
			return f, nil
		case "dnf5":
			return "dnf", nil // its dnf command takes the same words
		}
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Env: mc.Env,
		Shell: `for p in apt-get dnf yum; do if command -v "$p" >/dev/null 2>&1; then echo "$p"; exit 0; fi; done; exit 1`})
	if err != nil {
		return "", fmt.Errorf("package: finding the package manager on %s: %w", mc.Host, err)
	}
	switch p := strings.TrimSpace(string(res.Stdout)); {
	case res.ExitCode == 0 && p == "apt-get":
		return "apt", nil
	case res.ExitCode == 0 && (p == "dnf" || p == "yum"):
		return p, nil
	}
	return "", fmt.Errorf("package: %s has none of apt-get, dnf and yum on its PATH; name the package manager with the use parameter", mc.Host)
}

// pkgMergeParams is every parameter of the given lists once, in order;
// package declares what its backends declare.
func pkgMergeParams(lists ...[]Param) []Param {
	var out []Param
	seen := map[string]bool{}
	for _, l := range lists {
		for _, p := range l {
			if !seen[p.Name] {
				seen[p.Name] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// pkgParamDefault is the default of a package parameter (nil when none),
// so a backend-only parameter left at its default is not "given".
func pkgParamDefault(name string) any {
	if p, ok := packageSpec.Param(name); ok {
		return p.Default
	}
	return nil
}

// pkgValidate checks what every package module shares: names without
// wildcards or blanks, and no version pin with state=latest.
func pkgValidate(a Args) error {
	names := pkgNames(a)
	for _, n := range names {
		switch {
		case n == "" || strings.ContainsAny(n, " \t\n"):
			return fmt.Errorf("name %q is not a package name", n)
		case strings.HasPrefix(n, "-"):
			return fmt.Errorf("name %q starts with '-'", n)
		case strings.ContainsAny(strings.SplitN(n, "=", 2)[0], "*?["):
			return fmt.Errorf("name %q: wildcards are not supported; list the packages", n)
		case pkgState(a) == "latest" && strings.Contains(n, "="):
			return fmt.Errorf("name %q: a version pin needs state=present, not latest", n)
		}
	}
	if len(names) == 0 && !a.Bool("update_cache") && a.Int("cache_valid_time") == 0 && !a.Bool("autoremove") && a.String("deb") == "" {
		return errors.New("name is required (or update_cache, autoremove or deb alone)")
	}
	return nil
}

// pkgNames is the name parameter as a list; a comma-separated string is
// split as Ansible splits it.
func pkgNames(a Args) []string {
	var out []string
	for _, v := range a.StringList("name") {
		for _, n := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(n))
		}
	}
	return out
}

// pkgState is the state parameter with installed/removed as present/absent.
func pkgState(a Args) string {
	switch s := a.String("state"); s {
	case "installed":
		return "present"
	case "removed":
		return "absent"
	default:
		return s
	}
}

// pkgEnv is the task's environment plus what keeps package managers quiet
// and their output parseable: no questions, C locale.
func pkgEnv(mc *Context) map[string]string {
	env := map[string]string{"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C", "LANG": "C"}
	for k, v := range mc.Env {
		env[k] = v
	}
	return env
}

// pkgNeedRoot fails, saying so, when the change would run as a login user
// that is not root with become off: the package manager's own "permission
// denied" names neither the user nor the fix.
func pkgNeedRoot(ctx context.Context, mc *Context, module string) error {
	if mc.Become != nil {
		return nil
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"sh", "-c", `echo "$(id -u) $(id -un)"`}, Env: mc.Env})
	if err != nil {
		return fmt.Errorf("%s: checking the login user on %s: %w", module, mc.Host, err)
	}
	uid, user, _ := strings.Cut(strings.TrimSpace(string(res.Stdout)), " ")
	if res.ExitCode != 0 || uid == "0" {
		return nil
	}
	return fmt.Errorf("%s: changing packages on %s needs root, but the login user %s (uid %s) is not root and become is off: add become: true to the task or play", module, mc.Host, user, uid)
}

// pkgChange is one package a run installs, upgrades or removes; a version
// is "absent" when the package is not (or no longer) installed.
type pkgChange struct {
	Name, Before, After string
}

// pkgDiff lists the changed packages, one "name: version" line each side.
func pkgDiff(host string, changes []pkgChange) Diff {
	sorted := append([]pkgChange(nil), changes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var before, after strings.Builder
	for _, c := range sorted {
		fmt.Fprintf(&before, "%s: %s\n", c.Name, c.Before)
		fmt.Fprintf(&after, "%s: %s\n", c.Name, c.After)
	}
	h := host + " (packages)"
	return Diff{BeforeHeader: h, AfterHeader: h, Before: before.String(), After: after.String()}
}

// pkgFinish fills the result every backend returns: changed, the diff and
// a message naming what changed.
func pkgFinish(mc *Context, r *Result, changes []pkgChange) {
	r.Changed = r.Changed || len(changes) > 0
	if len(changes) == 0 {
		return
	}
	if mc.Diff {
		r.Diff = append(r.Diff, pkgDiff(mc.Host, changes))
	}
	var parts []string
	for _, c := range changes {
		switch {
		case c.Before == "absent":
			parts = append(parts, "install "+c.Name+" "+c.After)
		case strings.HasPrefix(c.After, "absent"):
			parts = append(parts, "remove "+c.Name+" "+c.Before)
		default:
			parts = append(parts, "upgrade "+c.Name+" "+c.Before+" -> "+c.After)
		}
	}
	verb := ""
	if mc.Check {
		verb = "would "
	}
	r.Msg = verb + strings.Join(parts, ", ")
}
