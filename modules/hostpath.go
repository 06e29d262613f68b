package modules

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// hostPath is how every module takes a path on the host from its
// arguments. A leading "~" or "~/" is the home directory of the user the
// task runs as there (the become user, else the login user), as Ansible
// expands its path parameters; "~user" is left as it is. A NUL byte is
// refused: no path or command line can carry one.
func hostPath(ctx context.Context, mc *Context, module, p string) (string, error) {
	if strings.Contains(p, "\x00") {
		return "", fmt.Errorf("%s: path %q on %s: contains a NUL byte", module, p, mc.Host)
	}
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Shell: `printf %s "$HOME"`, Become: mc.Become, Env: mc.Env})
	if err != nil {
		return "", fmt.Errorf("%s: expanding %s on %s: %w", module, p, mc.Host, err)
	}
	home := string(res.Stdout)
	if res.ExitCode != 0 || !path.IsAbs(home) {
		return "", fmt.Errorf("%s: expanding %s on %s: no home directory", module, p, mc.Host)
	}
	return path.Join(home, p[1:]), nil
}
