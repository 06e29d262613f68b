package modules

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// This file holds the TOML work of containerd_registry: setting config_path
// of the CRI registry in containerd's config.toml while keeping every other
// setting, and the checks that go with it.

// containerdEdit is the outcome of setting config_path in a config.toml.
type containerdEdit struct {
	Version   int      // the config version the file is in (1 when it has no version key)
	Table     []string // the CRI registry table for that version
	Old       string   // config_path before ("" when unset)
	After     []byte   // the new file content (the old one when unchanged)
	Changed   bool     // config_path differs (semantic change)
	Rewritten bool     // the surgical edit was not possible: the whole file was re-encoded
}

// containerdRegistryTable is where the CRI registry settings live for a
// config version: version 1 (containerd 1.x, no version key) uses short
// plugin names, version 2 (containerd 1.x) the grpc CRI plugin, version 3
// (containerd 2.x) the CRI images plugin.
func containerdRegistryTable(version int) ([]string, error) {
	switch version {
	case 1:
		return []string{"plugins", "cri", "registry"}, nil
	case 2:
		return []string{"plugins", "io.containerd.grpc.v1.cri", "registry"}, nil
	case 3:
		return []string{"plugins", "io.containerd.cri.v1.images", "registry"}, nil
	}
	return nil, fmt.Errorf("unsupported containerd config version %d (1, 2 and 3 are known)", version)
}

func tomlMap(data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := toml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// tomlTable walks path through nested tables; found is false when a table
// is missing, err set when something else than a table is in the way.
func tomlTable(m map[string]any, path []string, create bool) (t map[string]any, found bool, err error) {
	t = m
	for i, k := range path {
		v, ok := t[k]
		if !ok {
			if !create {
				return nil, false, nil
			}
			v = map[string]any{}
			t[k] = v
		}
		next, ok := v.(map[string]any)
		if !ok {
			return nil, false, fmt.Errorf("%s is not a table", strings.Join(path[:i+1], "."))
		}
		t = next
	}
	return t, true, nil
}

// containerdSetConfigPath sets config_path in the CRI registry table of the
// config.toml content data. The file's version key decides the table; a file
// without settings becomes a minimal version 2 config, which containerd 1.x
// reads and 2.x migrates on load. Only config_path is touched: the edit is
// made on the text (other lines, comments and formatting stay as they are)
// and verified by parsing; when that is not possible (the table is written as
// an inline table or with dotted keys) the whole file is re-encoded from its
// parsed content, which keeps every setting but not comments or layout.
func containerdSetConfigPath(data []byte, value string) (*containerdEdit, error) {
	m, err := tomlMap(data)
	if err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	ed := &containerdEdit{After: data, Version: 1}
	empty := len(m) == 0
	switch v := m["version"].(type) {
	case nil:
		if empty {
			ed.Version = 2
		}
	case int64:
		ed.Version = int(v)
	default:
		return nil, fmt.Errorf("version = %v is not a number", v)
	}
	if ed.Table, err = containerdRegistryTable(ed.Version); err != nil {
		return nil, err
	}
	table, found, err := tomlTable(m, ed.Table, false)
	if err != nil {
		return nil, err
	}
	if found {
		if mirrors, _ := table["mirrors"].(map[string]any); len(mirrors) > 0 {
			return nil, fmt.Errorf("%s.mirrors is set: containerd refuses mirrors together with config_path; "+
				"move those mirrors to hosts.toml files and remove them first", strings.Join(ed.Table, "."))
		}
		configs, _ := table["configs"].(map[string]any)
		for host, c := range configs {
			if c, _ := c.(map[string]any); c != nil && c["tls"] != nil {
				return nil, fmt.Errorf("%s.configs.%q.tls is set: containerd refuses it together with config_path; "+
					"move it to that registry's hosts.toml (ca, skip_verify) and remove it first", strings.Join(ed.Table, "."), host)
			}
		}
		if old, ok := table["config_path"]; ok {
			if ed.Old, ok = old.(string); !ok {
				return nil, fmt.Errorf("%s.config_path is not a string", strings.Join(ed.Table, "."))
			}
		}
		if ed.Old == value {
			return ed, nil
		}
	}
	ed.Changed = true
	want, _ := tomlMap(data)
	if empty {
		want["version"] = int64(2)
	}
	wt, _, err := tomlTable(want, ed.Table, true)
	if err != nil {
		return nil, err
	}
	wt["config_path"] = value
	if out, err := tomlEditText(data, ed.Table, value, empty); err == nil {
		if got, err := tomlMap(out); err == nil && reflect.DeepEqual(got, want) {
			ed.After = out
			return ed, nil
		}
	}
	out, err := toml.Marshal(want)
	if err != nil {
		return nil, fmt.Errorf("encoding the new config: %w", err)
	}
	ed.After, ed.Rewritten = out, true
	return ed, nil
}

var tomlConfigPathKey = regexp.MustCompile(`^(\s*)(config_path|"config_path"|'config_path')\s*=`)

// tomlEditText sets config_path = value in the [table] of data on the text:
// it replaces the key's line, adds it under the table's header, or appends
// the table. addVersion first adds version = 2 (data has no settings).
func tomlEditText(data []byte, table []string, value string, addVersion bool) ([]byte, error) {
	kv, err := toml.Marshal(map[string]string{"config_path": value})
	if err != nil {
		return nil, err
	}
	line := strings.TrimRight(string(kv), "\n")
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	head, end := -1, len(lines)
	for i, l := range lines {
		p, isHeader := tomlHeader(l)
		if !isHeader {
			continue
		}
		if head >= 0 {
			end = i
			break
		}
		if slices.Equal(p, table) {
			head = i
		}
	}
	var b strings.Builder
	if head < 0 {
		b.WriteString(string(data))
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteString("\n")
		}
		if addVersion {
			b.WriteString("version = 2\n")
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		quote := `"` // as the file quotes plugin names, if it does
		if bytes.Contains(data, []byte(".'io.containerd.")) {
			quote = "'"
		}
		b.WriteString("[" + tomlHeaderKey(table, quote) + "]\n  " + line + "\n")
		return []byte(b.String()), nil
	}
	if addVersion {
		return nil, errors.New("table header in a file without settings")
	}
	indent := tomlIndent(lines[head]) + "  "
	for j := head + 1; j < end; j++ {
		if m := tomlConfigPathKey.FindStringSubmatch(lines[j]); m != nil {
			lines[j] = m[1] + line + "\n"
			return []byte(strings.Join(lines, "")), nil
		}
	}
	for j := head + 1; j < end; j++ {
		if t := strings.TrimSpace(lines[j]); t != "" && !strings.HasPrefix(t, "#") {
			indent = tomlIndent(lines[j])
			break
		}
	}
	if !strings.HasSuffix(lines[head], "\n") {
		lines[head] += "\n"
	}
	out := append(append(append([]string{}, lines[:head+1]...), indent+line+"\n"), lines[head+1:]...)
	return []byte(strings.Join(out, "")), nil
}

// tomlHeader reports whether line is a table header ([a.b] or [[a]]) and,
// for a standard table, its key path.
func tomlHeader(line string) ([]string, bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "[") {
		return nil, false
	}
	if strings.HasPrefix(t, "[[") {
		var m map[string]any
		return nil, toml.Unmarshal([]byte(t), &m) == nil
	}
	m := map[string]any{}
	if toml.Unmarshal([]byte(t), &m) != nil {
		return nil, false
	}
	var p []string
	for len(m) == 1 {
		for k, v := range m {
			p = append(p, k)
			m, _ = v.(map[string]any)
		}
	}
	return p, len(p) > 0
}

var tomlBareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// tomlHeaderKey writes a dotted key, quoting the parts that need it.
func tomlHeaderKey(path []string, quote string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if tomlBareKey.MatchString(p) {
			parts[i] = p
		} else {
			parts[i] = quote + p + quote
		}
	}
	return strings.Join(parts, ".")
}

func tomlIndent(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}
