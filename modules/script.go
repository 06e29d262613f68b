package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(scriptModule{}) }

type scriptModule struct{}

var scriptSpec = &Spec{
	Name:  "script",
	Short: "Upload a local script and run it on the host",
	Doc: "Copies a script from the controller to a private temporary directory on the host (mode 0700), runs it " +
		"there through /bin/sh -c with its arguments (so the arguments are shell words: quotes and $VARS work), " +
		"and removes it. The script is found as given when absolute, else next to the playbook, then in the " +
		"playbook's files/ directory. Without executable the host runs it by its #! line, so the temporary " +
		"directory ($TMPDIR, else /tmp) must not be mounted noexec. creates/removes and check mode follow command's " +
		"rules: with creates/removes check mode reports what would happen; without them the task is skipped. " +
		"Always reports changed when the script runs.",
	Params: []Param{
		{Name: "cmd", Type: TypeString, Doc: "The script's path on the controller followed by its arguments (the free-form value)."},
		{Name: "executable", Type: TypeString, Doc: "The interpreter that runs the script (for example /bin/bash or python3), instead of its #! line."},
		cmdParamChdir, cmdParamCreates, cmdParamRemoves,
	},
	FreeForm: "cmd",
	Check:    CheckPartial,
	Returns:  commandReturns,
	Example: `- name: Prepare the node
  script: prepare-node.sh --role worker --registry "{{ registry }}"
  args:
    creates: /etc/node-prepared`,
	Validate: func(a Args) error {
		if strings.TrimSpace(a.String("cmd")) == "" {
			return errors.New("no script given")
		}
		return nil
	},
}

func (scriptModule) Spec() *Spec { return scriptSpec }

func (scriptModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	line := strings.TrimSpace(args.String("cmd"))
	words, err := shellwords.Words(line, false)
	if err != nil || len(words) == 0 {
		return nil, &ArgError{Module: "script", Param: "cmd", Msg: fmt.Sprintf("cannot split %q into words", line)}
	}
	name, rest := words[0].Value, line[words[0].End:]
	src, err := scriptFind(mc.PlaybookDir, name)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	body, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("script: reading %s: %w", src, err)
	}
	// The command is prepared with a placeholder path; scriptConn uploads
	// the script when runHostCommand runs it, after creates/removes and
	// check mode had their say.
	up := &scriptConn{Transport: mc.Conn, mc: mc, body: body, name: path.Base(filepath.ToSlash(src))}
	up.cmd = &transport.Cmd{}
	up.build = func(remote string) {
		prog := transport.Quote(remote)
		if exe := args.String("executable"); exe != "" {
			prog = transport.Quote(exe) + " " + prog
		}
		up.cmd.Shell = prog + rest
	}
	sub := *mc
	sub.Conn = up
	return runHostCommand(ctx, &sub, args, "script", up.cmd, line)
}

// scriptFind resolves the script on the controller.
func scriptFind(dir, name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	tried := []string{filepath.Join(dir, name), filepath.Join(dir, "files", name)}
	for _, p := range tried {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("could not find %s (looked for %s)", name, strings.Join(tried, " and "))
}

// scriptConn passes everything to the host's connection, except that running
// the script's command first uploads the script into a new private
// directory, and removes the directory afterwards.
type scriptConn struct {
	transport.Transport
	mc    *Context
	body  []byte
	name  string
	cmd   *transport.Cmd
	build func(remote string)
}

func (c *scriptConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	if cmd != c.cmd {
		return c.Transport.Run(ctx, cmd)
	}
	mk, err := hostRun(ctx, c.mc, "", &transport.Cmd{Shell: `mktemp -d "${TMPDIR:-/tmp}/runbook-script-XXXXXXXX"`})
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory on %s: %w", c.mc.Host, err)
	}
	dir := strings.TrimSpace(string(mk.Stdout))
	if !path.IsAbs(dir) {
		return nil, fmt.Errorf("creating a temporary directory on %s: %s", c.mc.Host, textStderr(mk))
	}
	defer func() {
		// Clean up even when the task was cancelled.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = c.Transport.Run(cctx, &transport.Cmd{Args: []string{"rm", "-rf", "--", dir}, Become: c.mc.Become})
	}()
	remote := path.Join(dir, c.name)
	opts := transport.KeepOwner()
	opts.Mode, opts.Become = 0o700, c.mc.Become
	if err := c.Transport.WriteFile(ctx, remote, bytes.NewReader(c.body), opts); err != nil {
		return nil, fmt.Errorf("uploading the script to %s on %s: %w", remote, c.mc.Host, err)
	}
	c.build(remote)
	return c.Transport.Run(ctx, cmd)
}
