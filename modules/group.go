package modules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(groupModule{}) }

type groupModule struct{}

var groupSpec = &Spec{
	Name:  "group",
	Short: "Ensure a local group exists (with a gid) or does not",
	Doc: "Looks the group up with getent, then runs groupadd, groupmod -g or groupdel only when something " +
		"differs (usually with become). Check mode and --diff report what would change without changing it.",
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Doc: "The group's name."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"}, Doc: "Whether the group exists."},
		{Name: "gid", Type: TypeInt, Doc: "The group id to have (changed with groupmod when it differs)."},
		{Name: "system", Type: TypeBool, Default: false, Doc: "Create a system group (groupadd -r); no effect on an existing group."},
		{Name: "non_unique", Type: TypeBool, Default: false, Doc: "Allow a gid another group has (-o); needs gid."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "name", Type: TypeString, Doc: "The group's name."},
		{Name: "state", Type: TypeString, Doc: "present or absent."},
		{Name: "gid", Type: TypeInt, Doc: "Its gid (when present)."},
		{Name: "system", Type: TypeBool, Doc: "The system parameter."},
	},
	Example: `- group:
    name: registry
    gid: 1500
  become: true`,
	Validate: func(a Args) error {
		name := a.String("name")
		switch {
		case name == "" || strings.ContainsAny(name, ": \t\n,") || strings.HasPrefix(name, "-"):
			return fmt.Errorf("name %q is not a valid group name", name)
		case a.Has("gid") && a.Int("gid") < 0:
			return errors.New("gid must not be negative")
		case a.Bool("non_unique") && !a.Has("gid"):
			return errors.New("non_unique needs gid")
		}
		return nil
	},
}

func (groupModule) Spec() *Spec { return groupSpec }

// getentGroup looks a group up: its gid, or found false.
func getentGroup(ctx context.Context, mc *Context, name string) (gid int, found bool, err error) {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"getent", "group", name}, Become: mc.Become})
	if err != nil {
		return 0, false, err
	}
	switch res.ExitCode {
	case 0:
	case 2: // not found
		return 0, false, nil
	default:
		return 0, false, exitError(res)
	}
	f := strings.Split(strings.TrimSpace(string(res.Stdout)), ":")
	if len(f) < 3 {
		return 0, false, fmt.Errorf("getent group %s: unexpected answer %q", name, res.Stdout)
	}
	gid, err = strconv.Atoi(f[2])
	return gid, err == nil, err
}

func (groupModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	name := args.String("name")
	gid, found, err := getentGroup(ctx, mc, name)
	if err != nil {
		return nil, fmt.Errorf("group: looking up %s on %s: %w", name, mc.Host, err)
	}
	data := map[string]any{"name": name, "state": args.String("state"), "system": args.Bool("system")}
	before := groupState(found, gid)
	var cmd []string
	switch {
	case args.String("state") == "absent":
		if found {
			cmd = []string{"groupdel", name}
		}
	case !found:
		cmd = []string{"groupadd"}
		if args.Has("gid") {
			cmd = append(cmd, "-g", strconv.Itoa(args.Int("gid")))
			if args.Bool("non_unique") {
				cmd = append(cmd, "-o")
			}
		}
		if args.Bool("system") {
			cmd = append(cmd, "-r")
		}
		cmd = append(cmd, name)
	case args.Has("gid") && args.Int("gid") != gid:
		cmd = []string{"groupmod", "-g", strconv.Itoa(args.Int("gid"))}
		if args.Bool("non_unique") {
			cmd = append(cmd, "-o")
		}
		cmd = append(cmd, name)
	}
	r := &Result{Changed: cmd != nil, Data: data}
	if found {
		data["gid"] = gid
	}
	if cmd == nil {
		return r, nil
	}
	if mc.Diff {
		afterGID, known := gid, found
		if args.Has("gid") {
			afterGID, known = args.Int("gid"), true
		}
		after := "absent\n"
		if args.String("state") == "present" {
			after = "present\n"
			if known {
				after = groupState(true, afterGID)
			}
		}
		r.Diff = []Diff{{BeforeHeader: "group " + name, AfterHeader: "group " + name, Before: before, After: after}}
	}
	if mc.Check {
		return r, nil
	}
	if _, err := hostRun(ctx, mc, "", &transport.Cmd{Args: cmd}); err != nil {
		return nil, fmt.Errorf("group: %s on %s: %w", strings.Join(cmd, " "), mc.Host, err)
	}
	if args.String("state") == "present" {
		if gid, _, err = getentGroup(ctx, mc, name); err == nil {
			data["gid"] = gid
		}
	} else {
		delete(data, "gid")
	}
	return r, nil
}

func groupState(present bool, gid int) string {
	if !present {
		return "absent\n"
	}
	return fmt.Sprintf("present\ngid: %d\n", gid)
}
