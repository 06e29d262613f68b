package modules

import "path/filepath"

// RenderJinja2 renders a Jinja2 template read from the controller file
// where (includes are looked up next to it, then in the templates/ of the
// role and playbook the variables name) with vars, as the template module
// renders a .j2 src with its defaults (trim_blocks on, lstrip_blocks off).
// The template lookup uses it, so both render alike.
func RenderJinja2(where, text string, vars map[string]any) (string, error) {
	o := newJinjaOptions(Args{"trim_blocks": true, "lstrip_blocks": false})
	for _, k := range []string{"role_path", "playbook_dir"} {
		if r, ok := vars[k].(string); ok && r != "" {
			o.searchDirs = appendUnique(o.searchDirs, filepath.Join(r, "templates"), r)
		}
	}
	return renderJinja2(where, text, vars, o)
}
