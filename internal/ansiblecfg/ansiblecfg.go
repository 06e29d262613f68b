// Package ansiblecfg reads the settings of an ansible.cfg that runbook has
// an equivalent of, from the file Ansible itself would use: $ANSIBLE_CONFIG
// (a file, or a directory holding ansible.cfg), ./ansible.cfg (skipped in a
// world-writable directory, as Ansible does), ~/.ansible.cfg, then
// /etc/ansible/ansible.cfg; the first that exists wins. Other keys and
// sections are ignored; a value runbook cannot use is an error naming the
// file and line.
package ansiblecfg

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds the settings read. Zero values mean "not set".
type Config struct {
	// Path is the file read.
	Path string
	// Inventory: [defaults] inventory, comma-separated, relative paths
	// resolved against the file's directory.
	Inventory []string
	// RolesPath: [defaults] roles_path, colon-separated, resolved likewise.
	RolesPath []string
	// RemoteUser: [defaults] remote_user.
	RemoteUser string
	// PrivateKeyFile: [defaults] private_key_file, resolved likewise.
	PrivateKeyFile string
	// HostKeyChecking: [defaults] host_key_checking.
	HostKeyChecking *bool
	// Timeout: [defaults] timeout (seconds).
	Timeout time.Duration
	// Forks: [defaults] forks.
	Forks int
	// Become, BecomeUser: [privilege_escalation] become, become_user.
	// become_method is checked only: runbook becomes with sudo.
	Become     *bool
	BecomeUser string
}

// Find returns the ansible.cfg Ansible would read ("" when none exists),
// and a warning when ./ansible.cfg was skipped because the directory is
// world-writable.
func Find() (path, warning string) {
	var candidates []string
	if env, ok := os.LookupEnv("ANSIBLE_CONFIG"); ok {
		env = expand(env)
		if st, err := os.Stat(env); err == nil && st.IsDir() {
			env = filepath.Join(env, "ansible.cfg")
		}
		candidates = append(candidates, env)
	}
	if cwd, err := os.Getwd(); err == nil {
		local := filepath.Join(cwd, "ansible.cfg")
		if st, err := os.Stat(cwd); err == nil && st.Mode().Perm()&0o002 != 0 {
			if _, err := os.Stat(local); err == nil {
				warning = fmt.Sprintf("runbook is being run in a world writable directory (%s), ignoring it as an ansible.cfg source", cwd)
			}
		} else {
			candidates = append(candidates, local)
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".ansible.cfg"))
	}
	candidates = append(candidates, "/etc/ansible/ansible.cfg")
	for _, c := range candidates {
		if f, err := os.Open(c); err == nil {
			f.Close()
			if st, err := os.Stat(c); err == nil && !st.IsDir() {
				return c, warning
			}
		}
	}
	return "", warning
}

// Load reads the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Parse(path, data)
}

// entry is one key's value and the line it was set on.
type entry struct {
	value string
	line  int
}

// Parse reads ansible.cfg text (Python configparser's INI dialect, as
// Ansible reads it: "key = value" or "key: value", # and ; comment lines, a
// ; after a space starts a comment, indented lines continue a value); path
// names the file in errors and is the base of relative paths.
func Parse(path string, data []byte) (*Config, error) {
	sections, err := parseINI(path, data)
	if err != nil {
		return nil, err
	}
	c := &Config{Path: path}
	dir := filepath.Dir(path)
	bad := func(e entry, key, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", path, e.line, key, fmt.Sprintf(format, args...))
	}
	boolean := func(sec map[string]entry, key string, dst **bool) error {
		if e, ok := sec[key]; ok {
			b, ok := parseBool(e.value)
			if !ok {
				return bad(e, key, "expected a boolean (true/false, yes/no), got %q", e.value)
			}
			*dst = &b
		}
		return nil
	}
	def := sections["defaults"]
	if e, ok := def["inventory"]; ok {
		c.Inventory = resolveList(dir, e.value, ",")
	}
	if e, ok := def["roles_path"]; ok {
		c.RolesPath = resolveList(dir, e.value, string(os.PathListSeparator))
	}
	if e, ok := def["remote_user"]; ok {
		c.RemoteUser = e.value
	}
	if e, ok := def["private_key_file"]; ok && e.value != "" {
		c.PrivateKeyFile = resolve(dir, e.value)
	}
	if err := boolean(def, "host_key_checking", &c.HostKeyChecking); err != nil {
		return nil, err
	}
	if e, ok := def["timeout"]; ok {
		n, err := strconv.Atoi(e.value)
		if err != nil || n <= 0 {
			return nil, bad(e, "timeout", "expected a positive number of seconds, got %q", e.value)
		}
		c.Timeout = time.Duration(n) * time.Second
	}
	if e, ok := def["forks"]; ok {
		n, err := strconv.Atoi(e.value)
		if err != nil || n < 1 {
			return nil, bad(e, "forks", "expected a whole number of at least 1, got %q", e.value)
		}
		c.Forks = n
	}
	priv := sections["privilege_escalation"]
	if err := boolean(priv, "become", &c.Become); err != nil {
		return nil, err
	}
	if e, ok := priv["become_user"]; ok {
		c.BecomeUser = e.value
	}
	if e, ok := priv["become_method"]; ok && e.value != "sudo" {
		return nil, bad(e, "become_method", "runbook becomes with sudo only, got %q", e.value)
	}
	return c, nil
}

// parseINI reads the sections and keys (lowercased) of an INI file.
func parseINI(path string, data []byte) (map[string]map[string]entry, error) {
	sections := map[string]map[string]entry{}
	var cur map[string]entry
	var lastKey string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		raw := strings.TrimRight(sc.Text(), "\r")
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			// A continuation of the previous value.
			if cur == nil || lastKey == "" {
				return nil, fmt.Errorf("%s:%d: indented line without a key before it", path, n)
			}
			e := cur[lastKey]
			e.value = strings.TrimSpace(e.value + "\n" + stripComment(line))
			cur[lastKey] = e
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: a section header must end with ]", path, n)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if sections[name] != nil {
				return nil, fmt.Errorf("%s:%d: section [%s] appears twice", path, n, name)
			}
			cur, lastKey = map[string]entry{}, ""
			sections[name] = cur
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: a key before any [section] header (start with [defaults])", path, n)
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("%s:%d: expected key = value, got %q", path, n, line)
		}
		key := strings.ToLower(strings.TrimSpace(line[:i]))
		if prev, dup := cur[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is set twice in its section (also on line %d)", path, n, key, prev.line)
		}
		cur[key] = entry{value: stripComment(strings.TrimSpace(line[i+1:])), line: n}
		lastKey = key
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return sections, nil
}

// stripComment drops an inline "; comment" (a ; after whitespace).
func stripComment(v string) string {
	for i := 1; i < len(v); i++ {
		if v[i] == ';' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[:i])
		}
	}
	return v
}

// parseBool reads a boolean as Ansible's settings spell them.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "y", "t":
		return true, true
	case "false", "no", "off", "0", "n", "f":
		return false, true
	}
	return false, false
}

// resolveList splits a list of paths and resolves each.
func resolveList(dir, v, sep string) []string {
	var out []string
	for _, p := range strings.Split(v, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, resolve(dir, p))
		}
	}
	return out
}

// resolve expands ~ and $VARS and makes a relative path relative to dir
// (the config file's directory), as Ansible does for path settings. A
// host list such as "a,b," is not a path: Ansible's inventory setting is a
// list of paths.
func resolve(dir, p string) string {
	p = expand(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p
}

// expand expands $VARS and a leading ~.
func expand(p string) string {
	p = os.ExpandEnv(p)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	return p
}
