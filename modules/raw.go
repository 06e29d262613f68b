package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(rawModule{}) }

type rawModule struct{}

var rawSpec = &Spec{
	Name:  "raw",
	Short: "Send a command line to the host's shell as it is",
	Doc: "Runs the free-form command line through /bin/sh -c (or EXECUTABLE -c) with none of " +
		"command's or shell's machinery: no creates/removes, no chdir, output kept exactly as the " +
		"command wrote it (trailing newlines included), and — as in Ansible — the task's environment " +
		"keyword is not applied. Become applies. Always reports changed; a non-zero exit status fails the " +
		"task. In check mode the task is skipped, as Ansible skips raw.",
	Params: []Param{
		{Name: "free_form", Type: TypeString, Doc: "The command line (the free-form value)."},
		{Name: "executable", Type: TypePath,
			Doc: "The shell that runs the command line, called as EXECUTABLE -c LINE (default /bin/sh)."},
	},
	FreeForm: "free_form",
	Check:    CheckNone,
	Returns: []Return{
		{Name: "rc", Type: TypeInt, Doc: "Exit status."},
		{Name: "stdout", Type: TypeString, Doc: "Standard output as written; stdout_lines holds it split into lines."},
		{Name: "stderr", Type: TypeString, Doc: "Standard error as written; stderr_lines holds it split into lines."},
	},
	Example: `- name: Bootstrap Python on a bare host
  raw: test -e /usr/bin/python3 || (apt-get update && apt-get install -y python3-minimal)
  become: true

- raw: echo $0
  args:
    executable: /bin/bash`,
	Validate: func(a Args) error {
		if strings.TrimSpace(a.String("free_form")) == "" {
			return errors.New("no command given: raw takes the command line as its free-form value")
		}
		return nil
	},
}

func (rawModule) Spec() *Spec { return rawSpec }

func (rawModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	line := args.String("free_form")
	cmd := &transport.Cmd{Shell: line, Become: mc.Become}
	if exe := args.String("executable"); exe != "" {
		cmd = &transport.Cmd{Args: []string{exe, "-c", line}, Become: mc.Become}
	}
	res, err := mc.Conn.Run(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("raw: %w", err)
	}
	r := &Result{Changed: true, RC: IntPtr(res.ExitCode), Stdout: string(res.Stdout), Stderr: string(res.Stderr)}
	if res.ExitCode != 0 {
		r.Failed, r.Msg = true, "non-zero return code"
	}
	return r, nil
}
