package runner

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// A play's vars_files whose paths are templated with a host's variables
// ("vars/{{ ansible_os_family }}.yml", the pattern Ansible's docs teach) are
// read per host and per task, as Ansible's variable manager does: the
// gathered facts are there from the first task after fact gathering on. An
// entry whose path needs a variable the host does not have is skipped while
// the host's facts are not gathered yet, and an error after (as in
// Ansible); an entry none of whose files exists is an error. Entries
// without templates (or templated only with play and extra vars) are read
// once when the play starts.

// hostVarsFiles loads the templated vars_files entries for a host, given
// the host's variables without them.
func (e *engine) hostVarsFiles(pr *playRun, h *hostState, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	_, gathered := h.facts["module_setup"]
	for _, vf := range pr.hostVarsFiles {
		var tried []string
		found := false
		for _, p := range vf.Paths {
			v, err := eval.Render(p, vars)
			var u *eval.UndefinedError
			if errors.As(err, &u) && !gathered {
				found = true // skipped until the facts are there
				break
			}
			if err != nil {
				return nil, &playbook.Error{Pos: vf.Pos, Msg: "vars_files", Err: err}
			}
			path := fmt.Sprint(v)
			if !strings.HasPrefix(path, "/") {
				path = pr.play.Pos.Dir() + "/" + path
			}
			tried = append(tried, path)
			loaded, err := e.varsFileCache.load(path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, &playbook.Error{Pos: vf.Pos, Msg: "vars_files", Err: err}
			}
			for k, val := range loaded {
				out[k] = val
			}
			found = true
			break
		}
		if !found {
			return nil, &playbook.Error{Pos: vf.Pos, Msg: fmt.Sprintf("vars_files: none of these files exists: %s", strings.Join(tried, ", "))}
		}
	}
	e.opt.Redactor.Add(collectSecrets(out, nil)...)
	return out, nil
}

// varsFileCache reads each vars file once per run.
type varsFileCache struct {
	mu    sync.Mutex
	files map[string]varsFileEntry
}

type varsFileEntry struct {
	vars map[string]any
	err  error
}

func (c *varsFileCache) load(path string) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.files[path]; ok {
		return f.vars, f.err
	}
	var ent varsFileEntry
	if _, err := os.Stat(path); err != nil {
		ent.err = err
	} else {
		ent.vars, ent.err = playbook.LoadVarsFile(path)
	}
	if c.files == nil {
		c.files = map[string]varsFileEntry{}
	}
	c.files[path] = ent
	return ent.vars, ent.err
}
