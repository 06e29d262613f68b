package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/runbook-dev/runbook/internal/exitcode"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// playFlags are the flags of `runbook play`.
type playFlags struct {
	inv         invFlags
	extraVars   []string
	check       bool
	diff        bool
	limit       string
	tags        []string
	skipTags    []string
	forks       int
	startAt     string
	listTasks   bool
	listHosts   bool
	syntaxCheck bool
	verbosity   int
	output      string
	force       bool
	timing      bool
	// -b, --become-user, --become-method: ansible-playbook's spellings of
	// the [privilege_escalation] defaults.
	become       bool
	becomeUser   string
	becomeMethod string
}

func newPlayCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &playFlags{}
	c := &cobra.Command{
		Use:   "play PLAYBOOK",
		Short: "Run a playbook",
		Long: `Run a playbook against the hosts of an inventory.

Exit codes: 0 success; 1 unexpected error; 2 a host failed; 3 invalid playbook,
inventory or vars; 4 a host was unreachable (wins over 2); 5 bad command-line
usage; 130 interrupted.`,
		Example: `  runbook play site.yaml -i Clusterfile --check --diff
  runbook play recover-master0.yaml -i Clusterfile -e host=10.0.0.12`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlay(cmd.Context(), args[0], f, stdout, stderr)
		},
	}
	fl := c.Flags()
	fl.StringArrayVarP(&f.extraVars, "extra-vars", "e", nil, "variables that win over all others: key=value, @file.yaml, or a JSON/YAML object (repeatable)")
	fl.BoolVarP(&f.check, "check", "C", false, "change nothing; report what would change")
	fl.BoolVarP(&f.diff, "diff", "D", false, "show the differences in changed files")
	fl.StringVarP(&f.limit, "limit", "l", "", "further limit the hosts with a pattern")
	fl.StringSliceVarP(&f.tags, "tags", "t", nil, "only run tasks with these tags (comma-separated, repeatable)")
	fl.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip tasks with these tags (comma-separated, repeatable)")
	fl.IntVarP(&f.forks, "forks", "f", 5, "how many hosts to work on at once")
	fl.StringVar(&f.startAt, "start-at-task", "", "start at the task with this name (a glob), skipping the ones before it")
	fl.BoolVar(&f.listTasks, "list-tasks", false, "list the tasks that would run, then exit")
	fl.BoolVar(&f.listHosts, "list-hosts", false, "list the hosts each play would target, then exit")
	fl.BoolVar(&f.syntaxCheck, "syntax-check", false, "validate the playbook, then exit")
	fl.CountVarP(&f.verbosity, "verbose", "v", "more output: -v results, -vv task paths, -vvv connection details")
	fl.StringVar(&f.output, "output", outputFormats[0].name, outputFlagHelp())
	fl.BoolVar(&f.force, "force-handlers", false, "run notified handlers even on hosts that failed")
	fl.BoolVar(&f.timing, "timing", false, "after the recap, list the slowest tasks and hosts")
	fl.BoolVarP(&f.become, "become", "b", false, "run every task with become (sudo), as if each play said become: true")
	fl.StringVar(&f.becomeUser, "become-user", "", "the user become switches to (default root)")
	fl.StringVar(&f.becomeMethod, "become-method", "sudo", "how to become the user: sudo (the only method runbook has)")
	f.inv.register(c)
	return c
}

func runPlay(ctx context.Context, path string, f *playFlags, stdout, stderr io.Writer) error {
	if _, ok := lookupFormat(f.output); !ok {
		return withCode(exitUsage, fmt.Errorf("--output must be %s, got %q", formatChoices(), f.output))
	}
	if f.forks < 1 {
		return withCode(exitUsage, fmt.Errorf("--forks must be at least 1, got %d", f.forks))
	}
	cfg, err := f.inv.ansibleConfig(f.verbosity, stderr)
	if err != nil {
		return withCode(exitInvalid, err)
	}
	var become *bool
	var becomeUser string
	if cfg != nil {
		if cfg.Forks > 0 && !f.inv.flags.Changed("forks") {
			f.forks = cfg.Forks
		}
		playbook.ConfigRolesPath = cfg.RolesPath
		become, becomeUser = cfg.Become, cfg.BecomeUser
	}
	if f.becomeMethod != "sudo" {
		return withCode(exitUsage, fmt.Errorf("--become-method %q is not supported: runbook becomes another user with sudo only", f.becomeMethod))
	}
	if f.become {
		become = &f.become
	}
	if f.becomeUser != "" {
		becomeUser = f.becomeUser
	}
	connection, err := f.inv.conn.defaultConnection()
	if err != nil {
		return withCode(exitUsage, err)
	}
	path, cleanup, err := resolvePlaybook(path)
	if err != nil {
		return withCode(exitInvalid, err)
	}
	defer cleanup()
	pb, err := playbook.Load(path)
	if err != nil {
		return withCode(exitInvalid, err)
	}
	if f.syntaxCheck {
		fmt.Fprintf(stdout, "\nplaybook: %s\n", path)
		return nil
	}
	extra, err := parseExtraVars(f.extraVars)
	if err != nil {
		return err // carries its exit code: 5 for a malformed -e, 3 for a bad vars file
	}
	inv, err := loadInventory(ctx, &f.inv, f.verbosity, stderr)
	if err != nil {
		return withCode(exitInvalid, err)
	}
	if f.limit != "" {
		if _, err := inv.Select(f.limit); err != nil {
			return withCode(exitUsage, fmt.Errorf("--limit %q: %w", f.limit, err))
		}
	}
	if f.listTasks || f.listHosts {
		return listPlaybook(stdout, pb, inv, extra, f)
	}
	redactor := &report.Redactor{}
	rep, doneReporting, err := newReporter(f, stdout, stderr, redactor)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer doneReporting()
	connector, err := f.inv.conn.connector()
	if err != nil {
		return withCode(exitUsage, err)
	}
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer handleInterrupts(stop, cancel, stderr)()
	out, err := runner.Run(ctx, pb, runner.Options{
		Inventory: inv, ExtraVars: extra, Check: f.check, Diff: f.diff, Limit: f.limit,
		Tags: f.tags, SkipTags: f.skipTags, Forks: f.forks, StartAtTask: f.startAt,
		Verbosity: f.verbosity, ForceHandlers: f.force, Reporter: rep, Redactor: redactor,
		Connector: connector, Stop: stop, Become: become, BecomeUser: becomeUser, Connection: connection,
	})
	if err != nil {
		err = redactedError{err, redactor} // printed by main, outside the reporter
		// A playbook error means 3, a missing required variable 5 (the
		// errors say so themselves), anything else 1.
		return withCode(exitcode.Of(err, exitError1), err)
	}
	if code := out.ExitCode(); code != 0 {
		return withCode(code, errSilent)
	}
	return nil
}

// redactedError masks the run's secrets in an error that ends the run.
type redactedError struct {
	err error
	r   *report.Redactor
}

func (e redactedError) Error() string { return e.r.Redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

// handleInterrupts: the first Ctrl-C stops new tasks from starting and lets
// running ones finish; the second cancels them. It returns a cleanup func.
func handleInterrupts(stop chan struct{}, cancel context.CancelFunc, stderr io.Writer) func() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			fmt.Fprintln(stderr, "\n[runbook] interrupted: no new tasks will start; running tasks are finishing (interrupt again to abort them)")
			close(stop)
		case <-done:
			return
		}
		select {
		case <-sig:
			fmt.Fprintln(stderr, "[runbook] aborting running tasks")
			cancel()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

func textOptions(stdout, stderr io.Writer, verbosity int, r *report.Redactor) report.TextOptions {
	opt := report.TextOptions{Out: stdout, Err: stderr, Verbosity: verbosity, Redactor: r}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opt.Color = os.Getenv("NO_COLOR") == ""
		opt.Terminal = os.Getenv("TERM") != "dumb" // progress bars move the cursor
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			opt.Width = w
		}
	}
	return opt
}
