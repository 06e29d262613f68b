package modules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(tempfileModule{}) }

type tempfileModule struct{}

var tempfileSpec = &Spec{
	Name:  "tempfile",
	Short: "Create a temporary file or directory on the host",
	Doc: "Creates a file (mode 0600) or directory (0700) with a new random name, PREFIX + 8 characters + SUFFIX, " +
		"in path or else the host's temporary directory ($TMPDIR, else /tmp), owned by the task's user (the " +
		"become user with become), with mktemp(1) on the host. Always changed, as in Ansible; remove it with " +
		"file state=absent when done. Like Ansible's, it has no check mode: under --check the task is skipped.",
	Params: []Param{
		{Name: "state", Type: TypeString, Default: "file", Choices: []string{"file", "directory"}, Doc: "Create a file or a directory."},
		{Name: "path", Type: TypePath, Doc: "The directory to create it in (it must exist); default: the host's temporary directory."},
		{Name: "prefix", Type: TypeString, Default: "ansible.", Doc: "The start of the name."},
		{Name: "suffix", Type: TypeString, Default: "", Doc: "The end of the name."},
	},
	Check: CheckNone,
	Returns: []Return{
		{Name: "path", Type: TypeString, Doc: "The path created."},
		{Name: "state", Type: TypeString, Doc: "file or directory."},
		{Name: "mode", Type: TypeString, Doc: "Its mode (\"0600\" or \"0700\")."},
		{Name: "uid", Type: TypeInt, Doc: "Its owner's uid (owner: the name), gid and group likewise, and size."},
	},
	Example: `- tempfile:
    state: directory
    suffix: build
  register: build

- file:
    path: "{{ build.path }}"
    state: absent`,
	Validate: func(a Args) error {
		for _, k := range []string{"prefix", "suffix"} {
			if strings.ContainsAny(a.String(k), "\x00\n") {
				return &ArgError{Module: "tempfile", Param: k, Msg: "contains a newline or NUL byte"}
			}
		}
		return nil
	},
}

func (tempfileModule) Spec() *Spec { return tempfileSpec }

// tempfileScript creates the file ($1 is -d for a directory) from the
// template $2 and suffix $3, in $4 when given, and prints its stat line
// and then its path.
const tempfileScript = `if [ -n "$4" ]; then p=$(mktemp $1 --tmpdir="$4" --suffix="$3" -- "$2") || exit 1
else p=$(mktemp $1 --tmpdir --suffix="$3" -- "$2") || exit 1; fi
LC_ALL=C stat -c '%a %u %g %s %U %G' -- "$p" && printf %s "$p"`

func (tempfileModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	dir := ""
	if args.Has("path") {
		var err error
		if dir, err = hostPath(ctx, mc, "tempfile", args.String("path")); err != nil {
			return nil, err
		}
	}
	flag, state := "", args.String("state")
	if state == "directory" {
		flag = "-d"
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", tempfileScript, "runbook-tempfile",
		flag, args.String("prefix") + "XXXXXXXX", args.String("suffix"), dir}, Become: mc.Become})
	if err != nil {
		return nil, fmt.Errorf("tempfile on %s: %w", mc.Host, err)
	}
	if res.ExitCode != 0 {
		return &Result{Failed: true, Msg: textStderr(res)}, nil
	}
	line, p, _ := strings.Cut(string(res.Stdout), "\n")
	f := strings.Fields(line)
	if len(f) != 6 || p == "" {
		return nil, fmt.Errorf("tempfile on %s: unexpected output %q", mc.Host, line)
	}
	mode, _ := strconv.ParseUint(f[0], 8, 32)
	uid, _ := strconv.Atoi(f[1])
	gid, _ := strconv.Atoi(f[2])
	size, _ := strconv.ParseInt(f[3], 10, 64)
	return &Result{Changed: true, Data: map[string]any{"path": p, "state": state, "mode": fmtMode(uint32(mode)),
		"uid": uid, "gid": gid, "size": size, "owner": f[4], "group": f[5]}}, nil
}
