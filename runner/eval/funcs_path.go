package eval

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
)

// Path filters, computed on the controller as in Ansible (expanduser,
// expandvars, realpath and relpath read the controller's environment and
// file system), with Python's os.path rules.

// fnSplitext is os.path.splitext: [root, ext], where ext starts at the last
// dot of the file name unless that name is only dots before it (".bashrc"
// has no extension).
func fnSplitext(args ...any) (any, error) {
	p := str(args[0])
	base := p[strings.LastIndexByte(p, '/')+1:]
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || strings.Trim(base[:dot], ".") == "" {
		return []any{p, ""}, nil
	}
	cut := len(p) - len(base) + dot
	return []any{p[:cut], p[cut:]}, nil
}

// fnPathJoin is Ansible's path_join: os.path.join of a list's items (an
// absolute item starts over), or a string as it is.
func fnPathJoin(args ...any) (any, error) {
	if s, ok := args[0].(string); ok {
		return s, nil
	}
	l, ok := asList(args[0])
	if !ok || args[0] == nil {
		return nil, fmt.Errorf("expects a string or a list, got %s", typeName(args[0]))
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("needs at least one path")
	}
	out := ""
	for i, item := range l {
		p, err := strArg(item, fmt.Sprintf("item %d", i))
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0 || strings.HasPrefix(p, "/"):
			out = p
		case out == "" || strings.HasSuffix(out, "/"):
			out += p
		default:
			out += "/" + p
		}
	}
	return out, nil
}

// fnExpanduser is os.path.expanduser on the controller: "~" is $HOME, and
// "~name" that user's home directory; anything else is left alone.
func fnExpanduser(args ...any) (any, error) {
	p := str(args[0])
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	end := strings.IndexByte(p, '/')
	if end < 0 {
		end = len(p)
	}
	var home string
	if end == 1 {
		home = os.Getenv("HOME")
		if home == "" {
			u, err := user.Current()
			if err != nil {
				return p, nil
			}
			home = u.HomeDir
		}
	} else {
		u, err := user.Lookup(p[1:end])
		if err != nil {
			return p, nil // Python leaves an unknown user's path unchanged
		}
		home = u.HomeDir
	}
	if home != "/" {
		home = strings.TrimRight(home, "/")
	}
	out := home + p[end:]
	if out == "" {
		out = "/"
	}
	return out, nil
}

var envVarRE = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// fnExpandvars is os.path.expandvars on the controller: $NAME and ${NAME}
// are replaced by the variable's value; unset ones stay as written.
func fnExpandvars(args ...any) (any, error) {
	return envVarRE.ReplaceAllStringFunc(str(args[0]), func(ref string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(ref[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return ref
	}), nil
}

// maxSymlinks bounds the links realpath follows (Linux's own limit).
const maxSymlinks = 40

// fnRealpath is os.path.realpath on the controller: the absolute path with
// every symbolic link of its existing part resolved; a missing part is
// kept as written (Python's non-strict mode).
func fnRealpath(args ...any) (any, error) {
	p := str(args[0])
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		p = filepath.Join(wd, p)
	}
	resolved := "/"
	rest := strings.Split(p, "/")
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		target, err := os.Readlink(next)
		if err != nil { // not a link, or missing: keep the name
			resolved = next
			continue
		}
		if links++; links > maxSymlinks {
			// A loop: Python gives the path with the rest unresolved.
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return resolved, nil
}

// fnRelpath is os.path.relpath(path, start) on the controller (start is
// the current directory when not given).
func fnRelpath(args ...any) (any, error) {
	p := str(args[0])
	if p == "" {
		return nil, fmt.Errorf("no path specified")
	}
	start := "."
	if s := argOr(args, 1); s != nil {
		start = str(s)
	}
	absP, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	absStart, err := filepath.Abs(start)
	if err != nil {
		return nil, err
	}
	return filepath.Rel(absStart, absP)
}
