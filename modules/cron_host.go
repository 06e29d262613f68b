package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// cronWhere is the crontab cron edits: a user's (file == "") or a cron_file.
type cronWhere struct {
	user string
	file string
	tf   *textFile // the cron_file as read
}

// cronScript reads ($1 = -l) or installs from stdin ($1 = -) the crontab
// of user $2 (the command's own user when empty), passing -u only for
// another user, as Ansible does: crontab refuses -u to most users.
const cronScript = `op=$1 u=$2
set --
if [ -n "$u" ] && [ "$(id -un)" != "$u" ]; then set -- -u "$u"; fi
exec crontab "$@" "$op"`

func (w *cronWhere) crontab(ctx context.Context, mc *Context, op, stdin string) (*transport.Result, error) {
	cmd := &transport.Cmd{Args: []string{"/bin/sh", "-c", cronScript, "runbook-cron", op, w.user}, Become: mc.Become, Env: mc.Env}
	if op == "-" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return mc.Conn.Run(ctx, cmd)
}

// read loads the crontab; a missing one is empty.
func (w *cronWhere) read(ctx context.Context, mc *Context) (*cronTab, error) {
	if w.file != "" {
		tf, err := readTextFile(ctx, mc, "cron", w.file)
		if err != nil {
			return nil, err
		}
		w.tf = tf
		return newCronTab(string(tf.Data), false), nil
	}
	res, err := w.crontab(ctx, mc, "-l", "")
	if err != nil {
		return nil, fmt.Errorf("cron: reading the crontab on %s: %w", mc.Host, err)
	}
	switch res.ExitCode {
	case 0:
		return newCronTab(string(res.Stdout), true), nil
	case 1: // no crontab yet
		return newCronTab(string(res.Stdout), true), nil
	}
	return nil, fmt.Errorf("cron: Unable to read crontab on %s: %s", mc.Host, textStderr(res))
}

// header names the crontab in a diff, as Ansible does.
func (w *cronWhere) header() string {
	switch {
	case w.file != "":
		return w.file
	case w.user != "":
		return fmt.Sprintf("crontab for user %q", w.user)
	}
	return "crontab"
}

// write installs the new crontab: crontab - for a user's, an atomic
// write keeping mode and owner for a cron_file.
func (w *cronWhere) write(ctx context.Context, mc *Context, text string) error {
	if w.file != "" {
		return writeTextFile(ctx, mc, "cron", w.tf, []byte(text), textAttrs{uid: -1, gid: -1})
	}
	res, err := w.crontab(ctx, mc, "-", text)
	if err == nil && res.ExitCode != 0 {
		err = exitError(res)
	}
	if err != nil {
		return fmt.Errorf("cron: installing the crontab on %s: %w", mc.Host, err)
	}
	return nil
}

// backup copies the crontab as it was into a new temporary file on the
// host (Python's mkstemp(prefix='crontab')) and returns its path.
func (w *cronWhere) backup(ctx context.Context, mc *Context, text string) (string, error) {
	res, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c",
		`p=$(mktemp --tmpdir crontabXXXXXXXX) && cat > "$p" && printf %s "$p"`}, Stdin: strings.NewReader(text)})
	if err != nil {
		return "", fmt.Errorf("cron: backing up the crontab on %s: %w", mc.Host, err)
	}
	return string(res.Stdout), nil
}

// removeFile deletes a cron_file its last job left empty, as Ansible
// does; the result carries only cron_file and state, like Ansible's.
func (w *cronWhere) removeFile(ctx context.Context, mc *Context, args Args) (*Result, error) {
	r := &Result{Changed: w.tf.Exists, Data: map[string]any{"cron_file": args.String("cron_file"), "state": "absent"}}
	if mc.Diff {
		r.Diff = []Diff{{BeforeHeader: w.file, AfterHeader: "/dev/null", Before: string(w.tf.Data), After: ""}}
	}
	if mc.Check || !w.tf.Exists {
		return r, nil
	}
	if _, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"rm", "-f", "--", w.tf.Real}}); err != nil {
		return nil, fmt.Errorf("cron: removing %s on %s: %w", w.tf.Real, mc.Host, err)
	}
	return r, nil
}
