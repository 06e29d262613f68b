package runner

import (
	"os"
	"path/filepath"
	"strings"
)

// warnUnloadedVarsDirs warns about group_vars/ and host_vars/ directories
// next to an inventory source or a playbook. ansible-playbook loads them;
// runbook does not (yet), so every variable in them is undefined in this
// run, which without a word changes what the playbook does.
func (e *engine) warnUnloadedVarsDirs() {
	var dirs []string
	for _, src := range e.inv.Sources {
		if strings.HasPrefix(src, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				src = filepath.Join(home, src[2:])
			}
		}
		st, err := os.Stat(src)
		switch {
		case err != nil: // a host list such as "h1,h2"
		case st.IsDir():
			dirs = append(dirs, src)
		default:
			dirs = append(dirs, filepath.Dir(src))
		}
	}
	dirs = append(dirs, filepath.Dir(e.pb.Path))
	for _, play := range e.pb.Plays { // plays of imported playbooks
		dirs = append(dirs, play.Pos.Dir())
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, sub := range []string{"group_vars", "host_vars"} {
			p := filepath.Join(d, sub)
			abs, err := filepath.Abs(p)
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				e.warn("%s/ found but NOT loaded: runbook does not read %s/ directories yet, so the variables in it are undefined in this run; "+
					"move them into the inventory (group or host variables) or into the play's vars_files", p, sub)
			}
		}
	}
}
