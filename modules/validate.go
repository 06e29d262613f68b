package modules

// The validate parameter of copy, template, lineinfile and blockinfile: the
// new content is written to a temporary file next to dest, the command is
// run on it, and only when it exits 0 is that very file renamed over dest.
// A configuration a daemon would refuse (sudoers, sshd_config, nginx.conf)
// never replaces a working one.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/transport"
)

// paramValidate is the validate parameter, the same in the four modules.
var paramValidate = Param{Name: "validate", Type: TypeString,
	Doc: "A command run on the host to check the new content before it replaces dest, with %s standing for the " +
		"path of a temporary file holding it (next to dest, with dest's mode and owner), as in " +
		"`visudo -cf %s` or `sshd -t -f %s`. Split into words like a shell would but run without one (Ansible's " +
		"rule). Only when it exits 0 is the temporary file renamed over dest; otherwise the task fails with the " +
		"command's output and dest is untouched. Not run in check mode or when nothing changes."}

// validateError is a validate command that refused the new content; the
// module's own error wrapping names the module and host.
type validateError struct {
	cmd, dest string
	res       *transport.Result
}

func (e *validateError) Error() string {
	out := strings.TrimSpace(string(e.res.Stderr) + "\n" + string(e.res.Stdout))
	if out == "" {
		out = "no output"
	}
	return fmt.Sprintf("failed to validate: %q exited %d, %s is untouched: %s", e.cmd, e.res.ExitCode, e.dest, out)
}

// validateArgv splits a validate command into its words and puts p where %s
// stands. A command without %s is refused as Ansible refuses it: it would
// check something other than the new content.
func validateArgv(module, validate, p string) ([]string, error) {
	if !strings.Contains(validate, "%s") {
		return nil, &ArgError{Module: module, Param: "validate", Msg: fmt.Sprintf("validate must contain %%s: %q", validate)}
	}
	words, err := shellwords.Split(validate)
	if err != nil {
		return nil, &ArgError{Module: module, Param: "validate", Msg: err.Error()}
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "%s", p)
	}
	return words, nil
}

// validatedPut writes dest through put. With a validate command, put writes
// a temporary file next to dest instead; the command is run on it, and only
// when it exits 0 is the file given dest's mode and owner (unless opts sets
// them) and renamed over dest. The temporary file never outlives the call.
func validatedPut(ctx context.Context, mc *Context, module, dest, validate string, opts transport.WriteOptions, put func(p string) error) error {
	if validate == "" {
		return put(dest)
	}
	tmp, err := validateTemp(dest)
	if err != nil {
		return err
	}
	argv, err := validateArgv(module, validate, tmp)
	if err != nil {
		return err
	}
	defer func() {
		// Gone after the rename; after a failure it must not linger next to dest.
		_, _ = hostRun(context.WithoutCancel(ctx), mc, "", &transport.Cmd{Args: []string{"rm", "-f", "--", tmp}})
	}()
	if err := put(tmp); err != nil {
		return err
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: argv, Become: mc.Become})
	if err != nil {
		return fmt.Errorf("%s: running validate on %s: %w", module, mc.Host, err)
	}
	if res.ExitCode != 0 {
		return &validateError{cmd: validate, dest: dest, res: res}
	}
	keepMode, keepOwner := "", ""
	if opts.Mode == 0 {
		keepMode = "1"
	}
	if opts.UID < 0 && opts.GID < 0 {
		keepOwner = "1"
	}
	_, err = hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c", validateRenameScript, "runbook-validate",
		tmp, dest, keepMode, keepOwner}})
	if err != nil {
		return fmt.Errorf("%s: renaming the validated file over %s on %s: %w", module, dest, mc.Host, err)
	}
	return nil
}

// validateTemp names the temporary file next to dest. It starts with a dot
// and contains one, so directories read as a whole (sudoers.d, sshd_config.d
// with *.conf) skip it while it exists.
func validateTemp(dest string) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return path.Join(path.Dir(dest), "."+path.Base(dest)+".runbook-validate-"+hex.EncodeToString(b)), nil
}

// validateRenameScript renames the validated file $1 over $2, first giving
// it the mode ($3 set) and owner ($4 set) of an existing regular file at $2.
// A symbolic link at $2 is replaced, not followed, as the writes without
// validate do.
const validateRenameScript = `set -e
if [ -f "$2" ] && [ ! -L "$2" ]; then
  if [ -n "$4" ]; then chown -- "$(stat -c %u:%g -- "$2")" "$1" 2>/dev/null || true; fi
  if [ -n "$3" ]; then chmod -- "$(stat -c %a -- "$2")" "$1"; fi
fi
if [ -L "$2" ]; then mv -fT -- "$1" "$2"; else mv -f -- "$1" "$2"; fi`

// isValidateError reports whether err is a validate command's refusal.
func isValidateError(err error) bool {
	var ve *validateError
	return errors.As(err, &ve)
}
