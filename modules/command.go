package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(commandModule{}) }

type commandModule struct{}

// Parameters shared by command and shell.
var (
	cmdParamChdir = Param{Name: "chdir", Type: TypePath,
		Doc: "Change into this directory on the host before running the command (and before checking creates/removes)."}
	cmdParamCreates = Param{Name: "creates", Type: TypePath,
		Doc: "A path or glob on the host; when it matches anything the command is not run and the task is ok."}
	cmdParamRemoves = Param{Name: "removes", Type: TypePath,
		Doc: "A path or glob on the host; when it matches nothing the command is not run and the task is ok."}
	cmdParamStdin = Param{Name: "stdin", Type: TypeString,
		Doc: "Text fed to the command's standard input."}
	cmdParamStdinNewline = Param{Name: "stdin_add_newline", Type: TypeBool, Default: true,
		Doc: "Append a newline to stdin."}
	cmdParamStripEnds = Param{Name: "strip_empty_ends", Type: TypeBool, Default: true,
		Doc: "Strip trailing newlines from stdout and stderr."}
)

// Return values shared by command and shell.
var commandReturns = []Return{
	{Name: "cmd", Type: TypeAny, Doc: "The command that ran: a list of arguments (command) or the script (shell)."},
	{Name: "rc", Type: TypeInt, Doc: "Exit status (0 when the command was not run)."},
	{Name: "stdout", Type: TypeString, Doc: "Standard output; stdout_lines holds it split into lines."},
	{Name: "stderr", Type: TypeString, Doc: "Standard error; stderr_lines holds it split into lines."},
	{Name: "start", Type: TypeString, Doc: "When the command started, as 2006-01-02 15:04:05.000000 (null when not run)."},
	{Name: "end", Type: TypeString, Doc: "When the command ended (null when not run)."},
	{Name: "delta", Type: TypeString, Doc: "How long it ran, as H:MM:SS.ffffff (null when not run)."},
	{Name: "msg", Type: TypeString, Doc: "Why the command was not run, or \"non-zero return code\"."},
}

var commandSpec = &Spec{
	Name:  "command",
	Short: "Run a program on the host without a shell",
	Doc: "Runs a program with arguments, without a shell: $VAR, pipes, redirections, globs and ; " +
		"are passed to the program literally. The free-form string is split into words like a shell " +
		"does (quotes and backslashes are honoured, nothing is expanded); argv avoids splitting. " +
		"Always reports changed when the program runs; use creates/removes or changed_when. " +
		"Check mode: with creates/removes the module reports what it would do; without them the task is skipped.",
	Params: []Param{
		{Name: "cmd", Type: TypeString, Doc: "The command line, split into words shell-style (the free-form value)."},
		{Name: "argv", Type: TypeList, Doc: "The program and its arguments as a list; nothing is split. Use instead of cmd."},
		cmdParamChdir, cmdParamCreates, cmdParamRemoves, cmdParamStdin, cmdParamStdinNewline, cmdParamStripEnds,
	},
	FreeForm: "cmd",
	Check:    CheckPartial,
	Returns:  commandReturns,
	Example: `- name: Initialise the database once
  command: /usr/local/bin/db-init --data /var/lib/db creates=/var/lib/db/PG_VERSION

- name: Arguments with spaces, no splitting
  command:
    argv: [/usr/bin/logger, -t, deploy, "release {{ version }} done"]`,
	Validate: func(a Args) error {
		hasCmd, hasArgv := a.Has("cmd"), len(a.List("argv")) > 0
		switch {
		case hasCmd && hasArgv:
			return errors.New("parameters are mutually exclusive: cmd|argv")
		case !hasArgv && strings.TrimSpace(a.String("cmd")) == "":
			return errors.New("no command given")
		}
		return nil
	},
}

func (commandModule) Spec() *Spec { return commandSpec }

func (commandModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	argv := args.StringList("argv")
	if len(argv) == 0 {
		var err error
		if argv, err = shellwords.Split(args.String("cmd")); err != nil {
			return nil, fmt.Errorf("command: splitting %q: %w", args.String("cmd"), err)
		}
	}
	if len(argv) == 0 {
		return &Result{Failed: true, RC: IntPtr(256), Msg: "no command given"}, nil
	}
	display := make([]any, len(argv))
	for i, a := range argv {
		display[i] = a
	}
	return runHostCommand(ctx, mc, args, "command", &transport.Cmd{Args: argv}, display)
}

// runHostCommand carries out command and shell: the creates/removes checks,
// check mode, and the run itself. display is the returned cmd value.
func runHostCommand(ctx context.Context, mc *Context, args Args, module string, cmd *transport.Cmd, display any) (*Result, error) {
	chdir, err := hostPath(ctx, mc, module, args.String("chdir"))
	if err != nil {
		return nil, err
	}
	data := map[string]any{"cmd": display, "start": nil, "end": nil, "delta": nil}
	verb := "Did"
	if mc.Check {
		verb = "Would"
	}
	notRun := func(msg, stdout string) *Result {
		return &Result{RC: IntPtr(0), Msg: msg, Stdout: stdout, Data: data}
	}
	creates, removes := args.String("creates"), args.String("removes")
	if chdir != "" && creates == "" && removes == "" && !mc.Predicted.Has(chdir) { // creates/removes look from chdir
		if failed, err := checkChdir(ctx, mc, chdir, module); err != nil || failed != nil {
			return failed, err
		}
	}
	if creates != "" {
		found, failed, err := hostGlobMatches(ctx, mc, chdir, creates, module)
		if err != nil || failed != nil {
			return failed, err
		}
		if found {
			return notRun(fmt.Sprintf("%s not run command since '%s' exists", verb, creates),
				fmt.Sprintf("skipped, since %s exists", creates)), nil
		}
	}
	if removes != "" {
		found, failed, err := hostGlobMatches(ctx, mc, chdir, removes, module)
		if err != nil || failed != nil {
			return failed, err
		}
		if !found {
			return notRun(fmt.Sprintf("%s not run command since '%s' does not exist", verb, removes),
				fmt.Sprintf("skipped, since %s does not exist", removes)), nil
		}
	}
	if mc.Check {
		r := notRun("Command would have run if not in check mode", "")
		if creates == "" && removes == "" {
			r.Skipped = true
		} else {
			r.Changed = true
		}
		return r, nil
	}

	cmd.Dir, cmd.Env, cmd.Become = chdir, mc.Env, mc.Become
	if args.Has("stdin") {
		in := args.String("stdin")
		if args.Bool("stdin_add_newline") {
			in += "\n"
		}
		cmd.Stdin = strings.NewReader(in)
	}
	start := time.Now()
	res, err := mc.Conn.Run(ctx, cmd)
	end := time.Now()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", module, err)
	}
	stdout, stderr := string(res.Stdout), string(res.Stderr)
	if args.Bool("strip_empty_ends") {
		stdout, stderr = strings.TrimRight(stdout, "\r\n"), strings.TrimRight(stderr, "\r\n")
	}
	data["start"], data["end"], data["delta"] = pyTime(start), pyTime(end), pyDelta(end.Sub(start))
	r := &Result{Changed: true, RC: IntPtr(res.ExitCode), Stdout: stdout, Stderr: stderr, Data: data}
	if res.ExitCode != 0 {
		r.Failed, r.Msg = true, "non-zero return code"
	}
	return r, nil
}

// chdirCheckScript says why the become user cannot enter $1, if it cannot.
const chdirCheckScript = `cd -- "$1" 2>/dev/null && exit 0
if [ ! -e "$1" ]; then echo "No such file or directory: $1"
elif [ ! -d "$1" ]; then echo "Not a directory: $1"
else echo "Permission denied: $1"; fi
exit 1`

// checkChdir makes sure chdir can be entered before the command runs, so a
// missing directory fails the task unchanged with the reason (as Ansible
// does) rather than as the command's non-zero return code.
func checkChdir(ctx context.Context, mc *Context, chdir, module string) (*Result, error) {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", chdirCheckScript, "runbook-chdir", chdir},
		Env: mc.Env, Become: mc.Become})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: checking chdir %s: %w", module, chdir, err)
	case res.ExitCode == 0:
		return nil, nil
	}
	return &Result{Failed: true, Msg: "Unable to change directory before execution: " + textStderr(&transport.Result{
		Stderr: res.Stdout, ExitCode: res.ExitCode}), Data: map[string]any{"cmd": nil}}, nil
}

// hostGlobScript exits 0 when the glob $1 matches something (a dangling
// symbolic link counts), 1 when not. A leading ~ is the host user's home;
// IFS is empty so a path with blanks is one word.
const hostGlobScript = `p=$1
case $p in "~"|"~/"*) p=$HOME${p#"~"};; esac
IFS=
set +f
for f in $p; do
  if [ -e "$f" ] || [ -L "$f" ]; then exit 0; fi
done
exit 1`

// hostGlobMatches evaluates a creates/removes glob on the host, in chdir and
// as the become user, like the module would there. A check that cannot be
// made returns a failed result.
func hostGlobMatches(ctx context.Context, mc *Context, chdir, pattern, module string) (bool, *Result, error) {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{
		Args:   []string{"/bin/sh", "-c", hostGlobScript, "runbook-glob", pattern},
		Dir:    chdir,
		Env:    mc.Env,
		Become: mc.Become,
	})
	if err != nil {
		return false, nil, fmt.Errorf("%s: checking %q: %w", module, pattern, err)
	}
	switch res.ExitCode {
	case 0:
		return true, nil, nil
	case 1:
		return false, nil, nil
	}
	msg := strings.TrimSpace(string(res.Stderr))
	if chdir != "" {
		msg = "Unable to change directory before execution: " + msg
	} else {
		msg = fmt.Sprintf("checking %q on the host failed (rc=%d): %s", pattern, res.ExitCode, msg)
	}
	return false, &Result{Failed: true, RC: IntPtr(res.ExitCode), Msg: msg, Data: map[string]any{}}, nil
}

// pyTime formats t as Python's str(datetime) does.
func pyTime(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// pyDelta formats d as Python's str(timedelta) does: [D day[s], ]H:MM:SS[.ffffff].
func pyDelta(d time.Duration) string {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	days := us / (86400 * 1e6)
	us -= days * 86400 * 1e6
	secs, frac := us/1e6, us%1e6
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if frac != 0 {
		s += fmt.Sprintf(".%06d", frac)
	}
	switch {
	case days == 1:
		s = "1 day, " + s
	case days > 1:
		s = fmt.Sprintf("%d days, %s", days, s)
	}
	return s
}
