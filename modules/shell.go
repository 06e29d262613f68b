package modules

import (
	"context"
	"errors"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(shellModule{}) }

type shellModule struct{}

var shellSpec = &Spec{
	Name:  "shell",
	Short: "Run a shell script on the host",
	Doc: "Runs the script through /bin/sh -c (or executable -c), so pipes, redirections, " +
		"variables, globs and && work. Prefer command when no shell feature is needed. " +
		"Always reports changed when the script runs; use creates/removes or changed_when. " +
		"Check mode: with creates/removes the module reports what it would do; without them the task is skipped.",
	Params: []Param{
		{Name: "cmd", Type: TypeString, Doc: "The shell script to run (the free-form value)."},
		{Name: "executable", Type: TypePath, Default: "/bin/sh",
			Doc: "The shell that runs the script, called as EXECUTABLE -c SCRIPT."},
		cmdParamChdir, cmdParamCreates, cmdParamRemoves, cmdParamStdin, cmdParamStdinNewline, cmdParamStripEnds,
	},
	FreeForm: "cmd",
	Check:    CheckPartial,
	Returns:  commandReturns,
	Example: `- name: Count the failed logins
  shell: grep -c 'Failed password' /var/log/auth.log || true
  register: failed_logins
  changed_when: false

- name: Build once
  shell:
    cmd: ./configure && make && make install
    chdir: /usr/src/tool
    creates: /usr/local/bin/tool
    executable: /bin/bash`,
	Validate: func(a Args) error {
		if strings.TrimSpace(a.String("cmd")) == "" {
			return errors.New("no command given")
		}
		return nil
	},
}

func (shellModule) Spec() *Spec { return shellSpec }

func (shellModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	script := args.String("cmd")
	if strings.TrimSpace(script) == "" {
		return &Result{Failed: true, RC: IntPtr(256), Msg: "no command given"}, nil
	}
	cmd := &transport.Cmd{Shell: script}
	if exe := args.String("executable"); exe != "" && exe != "/bin/sh" {
		cmd = &transport.Cmd{Args: []string{exe, "-c", script}}
	}
	return runHostCommand(ctx, mc, args, "shell", cmd, script)
}
