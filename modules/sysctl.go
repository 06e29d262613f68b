package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(sysctlModule{}) }

type sysctlModule struct{}

var sysctlSpec = &Spec{
	Name:  "sysctl",
	Short: "Set a kernel parameter in a sysctl file, and optionally in the running kernel",
	Doc: "Keeps name=value in sysctl_file (state=present) or removes the name from it (absent), as Ansible's " +
		"sysctl does: a value that already matches (spaces collapsed, yes/true as 1, no/false as 0) changes " +
		"nothing; when the file changes, the other settings in it are rewritten as name=value and duplicates " +
		"dropped. With reload, a changed file is then applied with sysctl -p FILE; with sysctl_set, the running " +
		"value is read with sysctl -n and set with sysctl -w when it differs. Check mode and --diff show the " +
		"file's change without making it.",
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Aliases: []string{"key"}, Doc: "The parameter, such as net.ipv4.ip_forward."},
		{Name: "value", Type: TypeAny, Aliases: []string{"val"}, Doc: "Its value (required with state=present)."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"}, Doc: "Whether the setting is in the file."},
		{Name: "sysctl_file", Type: TypePath, Default: "/etc/sysctl.conf", Doc: "The file holding the setting; created when missing."},
		{Name: "reload", Type: TypeBool, Default: true, Doc: "Apply a changed file with sysctl -p."},
		{Name: "sysctl_set", Type: TypeBool, Default: false, Doc: "Also compare and set the running kernel's value (sysctl -n / -w)."},
		{Name: "ignoreerrors", Type: TypeBool, Default: false, Doc: "Ignore unknown keys when reloading (sysctl -e)."},
	},
	Check: CheckFull,
	Example: `- sysctl:
    name: net.ipv4.ip_forward
    value: 1
    sysctl_set: true
  become: true`,
	Validate: func(a Args) error {
		name := a.String("name")
		switch {
		case strings.TrimSpace(name) == "" || strings.ContainsAny(name, "= \t\n"):
			return fmt.Errorf("name %q is not a sysctl parameter name", name)
		case a.String("state") == "present" && !a.Has("value"):
			return errors.New("value is required with state=present")
		}
		return nil
	},
}

func (sysctlModule) Spec() *Spec { return sysctlSpec }

// sysctlValue normalises a value as Ansible compares them.
func sysctlValue(v any) string {
	s := strings.Join(strings.Fields(fmt.Sprint(v)), " ")
	switch strings.ToLower(s) {
	case "yes", "true":
		return "1"
	case "no", "false":
		return "0"
	}
	return s
}

func (sysctlModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	name := strings.TrimSpace(args.String("name"))
	present := args.String("state") == "present"
	value := ""
	if present {
		value = sysctlValue(args["value"])
	}
	path, err := textHostPath(ctx, mc, "sysctl", args.String("sysctl_file"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "sysctl", path)
	if err != nil {
		return nil, err
	}
	current, found := sysctlFileValue(tf.Data, name)
	fileChanged := present && (!found || sysctlValue(current) != value) || !present && found
	after := tf.Data
	if fileChanged {
		after = sysctlFixLines(tf.Data, name, value, present)
	}
	setChanged := false
	if present && args.Bool("sysctl_set") {
		res, err := hostRun(ctx, mc, "sysctl", &transport.Cmd{Args: []string{"sysctl", "-n", name}})
		if err != nil {
			return nil, fmt.Errorf("reading %s on %s: %w", name, mc.Host, err)
		}
		setChanged = sysctlValue(strings.TrimSpace(string(res.Stdout))) != value
	}
	r, err := finishText(ctx, mc, args, textChange{module: "sysctl", file: tf, after: after, changed: fileChanged})
	if err != nil {
		return nil, err
	}
	r.Changed = r.Changed || setChanged
	if mc.Check {
		return r, nil
	}
	if setChanged {
		if _, err := hostRun(ctx, mc, "sysctl", &transport.Cmd{Args: []string{"sysctl", "-w", name + "=" + value}}); err != nil {
			return nil, fmt.Errorf("setting %s on %s: %w", name, mc.Host, err)
		}
	}
	if fileChanged && args.Bool("reload") {
		cmd := []string{"sysctl", "-p", path}
		if args.Bool("ignoreerrors") {
			cmd = []string{"sysctl", "-e", "-p", path}
		}
		if _, err := hostRun(ctx, mc, "sysctl", &transport.Cmd{Args: cmd}); err != nil {
			return nil, fmt.Errorf("reloading %s on %s: %w", path, mc.Host, err)
		}
	}
	return r, nil
}

// sysctlSetting splits a settings line into name and value; ok is false
// for blank lines, comments (# or ;) and lines without "=".
func sysctlSetting(line string) (k, v string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
		return "", "", false
	}
	k, v, ok = strings.Cut(t, "=")
	return strings.TrimSpace(k), strings.TrimSpace(v), ok
}

// sysctlFileValue is the value the file gives name (its last setting).
func sysctlFileValue(data []byte, name string) (string, bool) {
	value, found := "", false
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := sysctlSetting(line); ok && k == name {
			value, found = v, true
		}
	}
	return value, found
}

// sysctlFixLines rewrites the file as Ansible does when it changes: the
// first setting of each name is kept as name=value (name's with the new
// value, or dropped when absent), later ones are dropped, comments and
// blank lines stay, and a missing name is appended.
func sysctlFixLines(data []byte, name, value string, present bool) []byte {
	var b strings.Builder
	seen := map[string]bool{}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	lines := strings.SplitAfter(text, "\n")
	for _, line := range lines {
		if line == "" {
			continue
		}
		k, v, ok := sysctlSetting(line)
		switch {
		case !ok:
			b.WriteString(line)
		case seen[k]:
		case k == name:
			seen[k] = true
			if present {
				fmt.Fprintf(&b, "%s=%s\n", k, value)
			}
		default:
			seen[k] = true
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
	}
	if present && !seen[name] {
		fmt.Fprintf(&b, "%s=%s\n", name, value)
	}
	return []byte(b.String())
}
