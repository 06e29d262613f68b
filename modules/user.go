package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(userModule{}) }

type userModule struct{}

var userSpec = &Spec{
	Name:  "user",
	Short: "Ensure a local user account exists with its uid, groups, shell and home, or does not",
	Doc: "Looks the account up (getent passwd, id, and getent shadow for password), then runs useradd, one " +
		"usermod with only what differs, or userdel (usually with become). groups are supplementary groups: " +
		"the exact set, or with append only added to. password is a crypt hash, as in Ansible, never shown. " +
		"Check mode and --diff report what would change without changing it.",
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Aliases: []string{"user"}, Doc: "The account's name."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"}, Doc: "Whether the account exists."},
		{Name: "uid", Type: TypeInt, Doc: "Its user id."},
		{Name: "group", Type: TypeString, Doc: "Its primary group (name or gid); it must exist."},
		{Name: "groups", Type: TypeList, Doc: "Its supplementary groups (a list or a comma-separated string); they must exist. [] or \"\" removes all, unless append."},
		{Name: "append", Type: TypeBool, Default: false, Doc: "Only add the account to groups, leaving its other groups."},
		{Name: "shell", Type: TypeString, Doc: "Its login shell."},
		{Name: "home", Type: TypePath, Doc: "Its home directory."},
		{Name: "create_home", Type: TypeBool, Default: true, Aliases: []string{"createhome"}, Doc: "Create the home directory of a new account."},
		{Name: "move_home", Type: TypeBool, Default: false, Doc: "When home changes, move the old directory's content there."},
		{Name: "system", Type: TypeBool, Default: false, Doc: "Create a system account (useradd -r); no effect on an existing one."},
		{Name: "comment", Type: TypeString, Doc: "Its GECOS field (full name)."},
		{Name: "password", Type: TypeString, NoLog: true, Doc: "Its password as a crypt hash (such as from mkpasswd -m sha-512); never shown."},
		{Name: "update_password", Type: TypeString, Default: "always", Choices: []string{"always", "on_create"}, Doc: "on_create sets password only when the account is created."},
		{Name: "remove", Type: TypeBool, Default: false, Doc: "With state=absent, also remove the home directory and mail spool (userdel -r)."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "name", Type: TypeString, Doc: "The account's name."},
		{Name: "state", Type: TypeString, Doc: "present or absent."},
		{Name: "uid", Type: TypeInt, Doc: "Its uid (when present)."},
		{Name: "group", Type: TypeInt, Doc: "Its primary gid (when present)."},
		{Name: "home", Type: TypeString, Doc: "Its home directory (when present)."},
		{Name: "shell", Type: TypeString, Doc: "Its shell (when present)."},
		{Name: "password", Type: TypeString, Doc: "NOT_LOGGING_PASSWORD when password was given."},
	},
	Example: `- user:
    name: registry
    uid: 1500
    group: registry
    groups: [docker]
    append: true
    shell: /usr/sbin/nologin
  become: true`,
	Validate: func(a Args) error {
		name := a.String("name")
		switch {
		case name == "" || strings.ContainsAny(name, ": \t\n,/") || strings.HasPrefix(name, "-"):
			return fmt.Errorf("name %q is not a valid user name", name)
		case a.Has("uid") && a.Int("uid") < 0:
			return errors.New("uid must not be negative")
		case strings.ContainsAny(a.String("comment"), ":\n"):
			return errors.New("comment must not contain ':' or a newline")
		}
		return nil
	},
}

func (userModule) Spec() *Spec { return userSpec }

// userAccount is what the host knows of an account.
type userAccount struct {
	uid, gid     int
	comment      string
	home, shell  string
	primary      string   // primary group's name
	groups       []string // supplementary groups, sorted
	passwordHash string   // "" when unknown (not root)
}

// userLookup reads an account; found is false when it does not exist.
func userLookup(ctx context.Context, mc *Context, name string) (acc userAccount, found bool, err error) {
	run := func(args ...string) (*transport.Result, error) {
		return mc.Conn.Run(ctx, &transport.Cmd{Args: args, Become: mc.Become})
	}
	res, err := run("getent", "passwd", name)
	if err != nil {
		return acc, false, err
	}
	if res.ExitCode == 2 {
		return acc, false, nil
	} else if res.ExitCode != 0 {
		return acc, false, exitError(res)
	}
	f := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), ":")
	if len(f) < 7 {
		return acc, false, fmt.Errorf("getent passwd %s: unexpected answer %q", name, res.Stdout)
	}
	acc.uid, _ = strconv.Atoi(f[2])
	acc.gid, _ = strconv.Atoi(f[3])
	acc.comment, acc.home, acc.shell = f[4], f[5], f[6]
	if res, err = run("id", "-gn", name); err != nil {
		return acc, false, err
	}
	acc.primary = strings.TrimSpace(string(res.Stdout))
	if res, err = run("id", "-Gn", name); err != nil {
		return acc, false, err
	}
	for _, g := range strings.Fields(string(res.Stdout)) {
		if g != acc.primary {
			acc.groups = append(acc.groups, g)
		}
	}
	sort.Strings(acc.groups)
	if res, err = run("getent", "shadow", name); err == nil && res.ExitCode == 0 {
		if sf := strings.Split(string(res.Stdout), ":"); len(sf) > 1 {
			acc.passwordHash = sf[1]
		}
	}
	return acc, true, nil
}

// userGroups is the groups parameter as a sorted set; given is false when
// the task does not set it.
func userGroups(args Args) (groups []string, given bool) {
	if !args.Has("groups") {
		return nil, false
	}
	for _, g := range args.StringList("groups") {
		for _, s := range strings.Split(g, ",") {
			if s = strings.TrimSpace(s); s != "" {
				groups = append(groups, s)
			}
		}
	}
	sort.Strings(groups)
	return groups, true
}

func (userModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	name := args.String("name")
	acc, found, err := userLookup(ctx, mc, name)
	if err != nil {
		return nil, fmt.Errorf("user: looking up %s on %s: %w", name, mc.Host, err)
	}
	data := map[string]any{"name": name, "state": args.String("state")}
	if args.Has("password") {
		data["password"] = "NOT_LOGGING_PASSWORD"
	}
	var cmd []string
	var what []string // the fields that change, for the diff
	switch {
	case args.String("state") == "absent":
		if found {
			cmd = []string{"userdel", name}
			if args.Bool("remove") {
				cmd = []string{"userdel", "-r", name}
			}
			what = []string{"state"}
		}
	case !found:
		cmd, what = userAddCmd(args, name), []string{"state"}
	default:
		cmd, what = userModCmd(args, name, acc)
	}
	if found && args.String("state") == "present" {
		data["uid"], data["group"], data["home"], data["shell"] = acc.uid, acc.gid, acc.home, acc.shell
	}
	r := &Result{Changed: cmd != nil, Data: data}
	if cmd == nil {
		return r, nil
	}
	if mc.Diff {
		r.Diff = []Diff{userDiff(name, args, acc, found, what)}
	}
	if mc.Check {
		return r, nil
	}
	if _, err := hostRun(ctx, mc, "", &transport.Cmd{Args: cmd}); err != nil {
		return nil, fmt.Errorf("user: %s %s on %s: %w", cmd[0], name, mc.Host, err)
	}
	if args.String("state") == "present" {
		if acc, _, err := userLookup(ctx, mc, name); err == nil {
			data["uid"], data["group"], data["home"], data["shell"] = acc.uid, acc.gid, acc.home, acc.shell
		}
	}
	return r, nil
}

// userAddCmd is the useradd for a new account.
func userAddCmd(args Args, name string) []string {
	cmd := []string{"useradd"}
	add := func(flag, v string) { cmd = append(cmd, flag, v) }
	if args.Has("uid") {
		add("-u", strconv.Itoa(args.Int("uid")))
	}
	if args.Has("group") {
		add("-g", args.String("group"))
	}
	if gs, ok := userGroups(args); ok && len(gs) > 0 {
		add("-G", strings.Join(gs, ","))
	}
	for _, p := range []struct{ param, flag string }{{"shell", "-s"}, {"home", "-d"}, {"comment", "-c"}, {"password", "-p"}} {
		if args.Has(p.param) {
			add(p.flag, args.String(p.param))
		}
	}
	if args.Bool("create_home") {
		cmd = append(cmd, "-m")
	} else {
		cmd = append(cmd, "-M")
	}
	if args.Bool("system") {
		cmd = append(cmd, "-r")
	}
	return append(cmd, name)
}

// userModCmd is one usermod changing what differs; nil when nothing does.
func userModCmd(args Args, name string, acc userAccount) (cmd []string, what []string) {
	cmd = []string{"usermod"}
	add := func(field, flag, v string) {
		cmd = append(cmd, flag, v)
		what = append(what, field)
	}
	if args.Has("uid") && args.Int("uid") != acc.uid {
		add("uid", "-u", strconv.Itoa(args.Int("uid")))
	}
	if g := args.String("group"); args.Has("group") && g != acc.primary && g != strconv.Itoa(acc.gid) {
		add("group", "-g", g)
	}
	if want, ok := userGroups(args); ok {
		if args.Bool("append") {
			if missing := userMissing(want, acc.groups); len(missing) > 0 {
				cmd = append(cmd, "-a")
				add("groups", "-G", strings.Join(missing, ","))
			}
		} else if strings.Join(want, ",") != strings.Join(acc.groups, ",") {
			add("groups", "-G", strings.Join(want, ","))
		}
	}
	for _, p := range []struct{ param, flag, have string }{{"shell", "-s", acc.shell}, {"home", "-d", acc.home}, {"comment", "-c", acc.comment}} {
		if args.Has(p.param) && args.String(p.param) != p.have {
			add(p.param, p.flag, args.String(p.param))
			if p.param == "home" && args.Bool("move_home") {
				cmd = append(cmd, "-m")
			}
		}
	}
	if args.Has("password") && args.String("update_password") == "always" && args.String("password") != acc.passwordHash {
		add("password", "-p", args.String("password"))
	}
	if len(what) == 0 {
		return nil, nil
	}
	return append(cmd, name), what
}

func userMissing(want, have []string) []string {
	in := map[string]bool{}
	for _, g := range have {
		in[g] = true
	}
	var out []string
	for _, g := range want {
		if !in[g] {
			out = append(out, g)
		}
	}
	return out
}

// userDiff shows the fields that change, the password only as "(changed)".
func userDiff(name string, args Args, acc userAccount, found bool, what []string) Diff {
	d := Diff{BeforeHeader: "user " + name, AfterHeader: "user " + name}
	if !found || args.String("state") == "absent" {
		d.Before, d.After = "absent\n", "present\n"
		if found {
			d.Before, d.After = "present\n", "absent\n"
		}
		return d
	}
	have := map[string]string{"uid": strconv.Itoa(acc.uid), "group": acc.primary, "groups": strings.Join(acc.groups, ","),
		"shell": acc.shell, "home": acc.home, "comment": acc.comment, "password": "(set)"}
	for _, f := range what {
		want := args.String(f)
		switch f {
		case "uid":
			want = strconv.Itoa(args.Int("uid"))
		case "groups":
			gs, _ := userGroups(args)
			if args.Bool("append") {
				gs = append(append([]string{}, acc.groups...), userMissing(gs, acc.groups)...)
				sort.Strings(gs)
			}
			want = strings.Join(gs, ",")
		case "password":
			want = "(changed)"
		}
		d.Before += fmt.Sprintf("%s: %s\n", f, have[f])
		d.After += fmt.Sprintf("%s: %s\n", f, want)
	}
	return d
}
