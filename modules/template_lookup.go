package modules

// RenderJinja2 renders a Jinja2 template read from the controller file
// where (includes are looked up next to it) with vars, as the template
// module renders a .j2 src with its defaults (trim_blocks on, lstrip_blocks
// off). The template lookup uses it, so both render alike.
func RenderJinja2(where, text string, vars map[string]any) (string, error) {
	return renderJinja2(where, text, vars, true, false)
}
