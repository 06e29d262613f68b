package modules

// Jinja2 templates for the template module: a src ending in .j2 is rendered
// as Jinja2 (github.com/nikolalohinski/gonja/v2) the way Ansible's template
// module renders it — trim_blocks on, lstrip_blocks off, the trailing
// newline kept, an undefined variable an error — with Jinja's filters plus
// the Ansible filters templates use most. Go text/template stays for every
// other src (.tmpl and runbook's built-in templates).

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// quietGonja silences gonja's logger once.
var quietGonja sync.Once

// isJinja2 says whether a template source is rendered as Jinja2.
func isJinja2(src string) bool { return strings.HasSuffix(src, ".j2") }

// jinjaOptions are the template module's Jinja2 settings and what the
// render needs to know of the task.
type jinjaOptions struct {
	cfg        *config.Config
	dest       string   // template_destpath
	searchDirs []string // where includes are looked for, after the template's own directory
}

// newJinjaOptions reads the template module's environment parameters
// (Ansible's defaults: trim_blocks on, the trailing newline kept).
func newJinjaOptions(args Args) *jinjaOptions {
	cfg := config.New()
	// Jinja drops one trailing newline (keep_trailing_newline off) and
	// Ansible adds back as many as the source ends with (jinjaTrailingNewlines).
	cfg.TrimBlocks, cfg.LeftStripBlocks, cfg.StrictUndefined = args.Bool("trim_blocks"), args.Bool("lstrip_blocks"), true
	for name, p := range map[string]*string{
		"block_start_string": &cfg.BlockStartString, "block_end_string": &cfg.BlockEndString,
		"variable_start_string": &cfg.VariableStartString, "variable_end_string": &cfg.VariableEndString,
		"comment_start_string": &cfg.CommentStartString, "comment_end_string": &cfg.CommentEndString,
	} {
		if v := args.String(name); v != "" {
			*p = v
		}
	}
	return &jinjaOptions{cfg: cfg, dest: args.String("dest")}
}

// renderJinja2 renders text (read from where) with vars.
func renderJinja2(where, text string, vars map[string]any, o *jinjaOptions) (out string, err error) {
	defer func() {
		// A template must never take the run down: gonja panics on some
		// malformed input.
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: the template engine failed: %v", path.Base(where), r)
		}
	}()
	quietGonja.Do(func() { gonja.SetLoggerOutput(io.Discard) })
	cfg := o.cfg.Inherit()
	name := path.Base(where)
	if text, err = applyJinjaHeader(text, cfg); err != nil {
		return "", fmt.Errorf("%s:1: %w", name, err)
	}
	dirs := []string{}
	if !strings.HasPrefix(where, "builtin:") {
		dirs = append(dirs, filepath.Dir(where))
	}
	dirs = appendUnique(dirs, o.searchDirs...)
	used, rec := map[string]bool{}, &jinjaRecorder{}
	loader := &jinjaLoader{rootID: "runbook-template:" + name, dirs: dirs, cfg: cfg, rec: rec}
	loader.root = prepareJinjaSource(text, cfg, used)
	loader.filters = jinjaFilterSet(used, rec)
	data := make(map[string]any, len(vars)+8)
	for k, v := range vars {
		data[k] = v
	}
	for k, v := range templateMagicVars(where, o.dest) {
		data[k] = v
	}
	if hv, ok := data["hostvars"].(map[string]any); ok {
		data["hostvars"] = renderedHostvars(hv)
	}
	env := &exec.Environment{
		Context:           jinjaGlobals(data, dirs, rec),
		Filters:           loader.filters,
		Tests:             jinjaTestSet(rec),
		ControlStructures: builtins.ControlStructures,
		Methods:           jinjaMethods(),
	}
	tpl, err := exec.NewTemplate(loader.rootID, cfg, loader, env)
	if err != nil {
		return "", jinjaError(name, err, rec)
	}
	out, err = tpl.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", jinjaError(name, err, rec)
	}
	return jinjaTrailingNewlines(text, out, cfg), nil
}

// appendUnique appends the directories of more not in dirs yet.
func appendUnique(dirs []string, more ...string) []string {
	for _, d := range more {
		if d != "" && !slices.Contains(dirs, filepath.Clean(d)) {
			dirs = append(dirs, filepath.Clean(d))
		}
	}
	return dirs
}

// jinjaTaskOptions are the Jinja2 options of a template task: its
// parameters, and the directories Ansible searches for included templates
// after the template's own (the role's, then the playbook's, each with its
// templates/ first).
func jinjaTaskOptions(mc *Context, args Args) *jinjaOptions {
	o := newJinjaOptions(args)
	var roots []string
	if rp, ok := mc.Vars["role_path"].(string); ok {
		roots = append(roots, rp)
	}
	roots = append(roots, mc.PlaybookDir, mc.ProjectDir)
	for _, r := range roots {
		if r != "" {
			o.searchDirs = appendUnique(o.searchDirs, filepath.Join(r, "templates"), r)
		}
	}
	return o
}
