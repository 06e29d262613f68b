package eval

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// The lookups that read controller files: file, first_found, fileglob and
// template, with Ansible's search path for relative names.

// searchDirs are the directories a relative name is looked for in, as
// Ansible's lookups search: ansible_search_path (the task's role, then the
// directory of the task's file; the runner sets it), then playbook_dir, the
// base directory (the current directory when there is none).
func searchDirs(vars map[string]any) []string {
	var dirs []string
	if l, ok := asList(vars["ansible_search_path"]); ok {
		for _, d := range l {
			if s, ok := d.(string); ok && s != "" {
				dirs = append(dirs, s)
			}
		}
	}
	return append(dirs, baseDir(vars))
}

// baseDir is playbook_dir, or the current directory without one.
func baseDir(vars map[string]any) string {
	if d, ok := vars["playbook_dir"].(string); ok && d != "" {
		return d
	}
	return "."
}

// findFile finds a controller file as Ansible's find_file_in_search_path
// does: an absolute (or ~) name as it is; a relative one under each search
// directory's sub/ (unless the name starts with sub/), then the directory
// itself. It returns the places tried when nothing is there.
func findFile(vars map[string]any, sub, name string) (string, error) {
	if name == "~" || strings.HasPrefix(name, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			name = filepath.Join(home, name[1:])
		}
	}
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return "", err
		}
		return name, nil
	}
	var tried []string
	for _, dir := range searchDirs(vars) {
		if strings.SplitN(filepath.ToSlash(name), "/", 2)[0] != sub {
			tried = append(tried, filepath.Join(dir, sub, name))
		}
		tried = append(tried, filepath.Join(dir, name))
	}
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("looked for %s: %w", strings.Join(tried, ", "), fs.ErrNotExist)
}

// lookupFileRun reads files: whitespace stripped at the end (rstrip=false
// keeps it), and at the start with lstrip=true.
func lookupFileRun(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(func(name string) ([]any, error) {
		_, s, err := readFound(lc.vars, "files", name, "could not locate file in lookup")
		if err != nil {
			return nil, err
		}
		if Truthy(lc.option("lstrip", false)) {
			s = strings.TrimLeftFunc(s, unicode.IsSpace)
		}
		if Truthy(lc.option("rstrip", true)) {
			s = strings.TrimRightFunc(s, unicode.IsSpace)
		}
		return []any{s}, nil
	})
}

// readFound finds a file (findFile) and reads it; notFound starts the
// error when it is not there.
func readFound(vars map[string]any, sub, name, notFound string) (path, text string, err error) {
	p, err := findFile(vars, sub, name)
	if err != nil {
		return "", "", fmt.Errorf("%s: %s (%w)", notFound, name, err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", "", fmt.Errorf("could not read %s: %w", p, err)
	}
	return p, string(data), nil
}

// firstFoundSubdir is where first_found looks (files/; the with_first_found
// loop of a template task looks in templates/, as Ansible's does).
func (lc *lookupCall) firstFoundSubdir() string {
	if lc.subdir != "" {
		return lc.subdir
	}
	return "files"
}

// lookupFirstFound gives the first file found among the names: the terms
// (strings, lists of them, or mappings {files, paths, skip}), or the
// files=/paths= options, as Ansible's first_found combines them.
func lookupFirstFound(lc *lookupCall) ([]any, error) {
	candidates, skip, err := firstFoundCandidates(lc.terms, lc.opts)
	if err != nil {
		return nil, err
	}
	for _, c := range candidates {
		if p, err := findFile(lc.vars, lc.firstFoundSubdir(), c); err == nil {
			return []any{p}, nil
		}
	}
	if skip {
		return []any{}, nil
	}
	return nil, fmt.Errorf("no file was found when using first_found (tried %s)", strings.Join(candidates, ", "))
}

// firstFoundCandidates lists the names to try, in order. A mapping's (or
// the options') files and paths may be lists or strings split on , ; (and
// : for paths); with paths, every path/file is tried.
func firstFoundCandidates(terms []any, opts map[string]any) (out []string, skip bool, err error) {
	for _, t := range terms {
		var set map[string]any
		switch x := t.(type) {
		case map[string]any:
			set = x
		case string:
			set = opts
		case []any:
			sub, s, err := firstFoundCandidates(x, opts)
			if err != nil {
				return nil, false, err
			}
			out, skip = append(out, sub...), s
			continue
		default:
			return nil, false, fmt.Errorf("a term must be a file name, a list of them or a mapping {files, paths, skip}, got %s", typeName(t))
		}
		files, err := splitNames(set["files"], ",;")
		if err != nil {
			return nil, false, err
		}
		paths, err := splitNames(set["paths"], ",:;")
		if err != nil {
			return nil, false, err
		}
		skip = Truthy(set["skip"])
		switch {
		case len(paths) > 0:
			for _, p := range paths {
				for _, f := range files {
					out = append(out, filepath.Join(p, f))
				}
			}
		case len(files) > 0:
			out = files // as Ansible: the files of this set replace what came before
		default:
			out = append(out, t.(string))
		}
	}
	return out, skip, nil
}

// splitNames reads first_found's files or paths: a string or a list of
// strings, each split on seps.
func splitNames(v any, seps string) ([]string, error) {
	var out []string
	switch x := v.(type) {
	case nil:
	case string:
		out = strings.FieldsFunc(x, func(r rune) bool { return strings.ContainsRune(seps, r) })
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("files and paths must be strings, got %s", typeName(e))
			}
			out = append(out, strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })...)
		}
	default:
		return nil, fmt.Errorf("files and paths must be a string or a list of strings, got %s", typeName(v))
	}
	return out, nil
}

// lookupFileglob gives the controller files matching each pattern: a
// pattern with a directory globs in the first search directory that has
// it; a bare one in each search directory's files/, then the directory,
// stopping at the first that matches. Sorted (Ansible: directory order).
func lookupFileglob(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(func(term string) ([]any, error) {
		var dirs []string
		base := filepath.Base(term)
		if dir := filepath.Dir(term); base != term {
			if d, err := findFile(lc.vars, "files", dir); err == nil {
				dirs = []string{d}
			}
		} else {
			for _, d := range searchDirs(lc.vars) {
				dirs = append(dirs, filepath.Join(d, "files"), d)
			}
		}
		for _, dir := range dirs {
			files, err := globFiles(dir, base)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", term, err)
			}
			if len(files) > 0 {
				return files, nil
			}
		}
		return nil, nil
	})
}

// globFiles gives the regular files in dir whose names match pattern as
// Python's glob matches them: [!a] negates, and a name starting with a
// dot only matches a pattern starting with one. Sorted (Python: the
// directory's order).
func globFiles(dir, pattern string) ([]any, error) {
	pattern = strings.ReplaceAll(pattern, "[!", "[^")
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil // no such directory: no match
	}
	var out []any
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
			continue
		}
		if ok, _ := filepath.Match(pattern, name); !ok {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}

// lookupTemplate renders template files (looked for under templates/) with
// the task's variables and template_vars, as the template module renders
// them: .j2 as Jinja2, anything else as Go text/template.
func lookupTemplate(lc *lookupCall) ([]any, error) {
	vars := lc.vars
	if tv, ok := lc.opts["template_vars"]; ok {
		m, ok := tv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("template_vars must be a mapping, got %s", typeName(tv))
		}
		vars = make(map[string]any, len(lc.vars)+len(m))
		for k, v := range lc.vars {
			vars[k] = v
		}
		for k, v := range m {
			vars[k] = v
		}
	}
	return lc.eachTerm(func(name string) ([]any, error) {
		p, text, err := readFound(lc.vars, "templates", name, "could not find the template file for the lookup")
		if err != nil {
			return nil, err
		}
		var s string
		if strings.HasSuffix(p, ".j2") {
			if RenderJinja2 == nil {
				return nil, fmt.Errorf("rendering %s: no Jinja2 renderer (the runner sets eval.RenderJinja2)", p)
			}
			s, err = RenderJinja2(p, text, vars)
		} else {
			s, err = RenderTemplate(p, text, vars)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		return []any{s}, nil
	})
}

// RenderJinja2 renders a .j2 file for the template lookup exactly as the
// template module does. The runner sets it to the module's renderer: eval
// sits below the modules and does not import them.
var RenderJinja2 func(path, text string, vars map[string]any) (string, error)
