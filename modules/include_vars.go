package modules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/module"
)

func init() { Register(includeVarsModule{}) }

type includeVarsModule struct{}

var includeVarsSpec = &Spec{
	Name:  "include_vars",
	Short: "Load variables from YAML or JSON files on the controller",
	Doc: "Reads a file, or every matching file of a directory (sorted, later files winning), and sets " +
		"its variables for the host for the rest of the run: above task vars, below set_fact and registered " +
		"results (Ansible's precedence) whichever ran last. Relative paths are looked up " +
		"next to the task's file (in a role: the role's directory), then in its vars/ directory, then the same " +
		"in the directory of the playbook that was run. Runs the same in check mode.",
	Params: []Param{
		{Name: "file", Type: TypePath, Doc: "The file to load. Not with dir."},
		{Name: "dir", Type: TypePath, Doc: "A directory whose files are loaded, in name order. Not with file."},
		{Name: "name", Type: TypeString, Doc: "Put the variables under this one variable instead of at the top level."},
		{Name: "depth", Type: TypeInt, Default: 0, Doc: "With dir: how deep to descend (0: no limit)."},
		{Name: "files_matching", Type: TypeString, Doc: "With dir: only files whose name matches this regular expression."},
		{Name: "ignore_files", Type: TypeList, Doc: "With dir: file names (regular expressions) to leave out."},
		{Name: "extensions", Type: TypeList, Default: []any{"yaml", "yml", "json"}, Doc: "With dir: the file extensions to load."},
		{Name: "ignore_unknown_extensions", Type: TypeBool, Default: false, Doc: "With dir: skip other files silently instead of failing."},
	},
	FreeForm:         "file",
	Check:            CheckFull,
	RunsOnController: true,
	Returns: []Return{
		{Name: "ansible_facts", Type: TypeMap, Doc: "The variables that were loaded."},
		{Name: "ansible_included_var_files", Type: TypeList, Doc: "The files read, in order."},
	},
	Example: `- include_vars: vars/{{ env }}.yml

- include_vars:
    dir: vars/common
    files_matching: '\.yml$'
    name: common`,
	Validate: func(a Args) error {
		if a.Has("file") == a.Has("dir") {
			return errors.New("exactly one of file or dir is required")
		}
		if s := a.String("files_matching"); s != "" {
			if _, err := regexp.Compile(s); err != nil {
				return fmt.Errorf("files_matching: %w", err)
			}
		}
		if a.Int("depth") < 0 {
			return errors.New("depth must not be negative")
		}
		return nil
	},
}

func (includeVarsModule) Spec() *Spec { return includeVarsSpec }

func (includeVarsModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	var files []string
	if f := args.String("file"); f != "" {
		p, err := findLocal(mc, f, "vars")
		if err != nil {
			return nil, fmt.Errorf("include_vars: %s: %w", f, err)
		}
		files = []string{p}
	} else {
		dir, err := findLocal(mc, args.String("dir"), "vars")
		if err != nil {
			return nil, fmt.Errorf("include_vars: %s: %w", args.String("dir"), err)
		}
		if files, err = includeVarsDir(dir, args); err != nil {
			return nil, fmt.Errorf("include_vars: %w", err)
		}
	}
	vars := map[string]any{}
	loaded := make([]any, 0, len(files))
	for _, f := range files {
		m, err := loadVarsYAML(f)
		if err != nil {
			return nil, fmt.Errorf("include_vars: %w", err)
		}
		for k, v := range m {
			vars[k] = v
		}
		loaded = append(loaded, f)
	}
	facts := vars
	if name := args.String("name"); name != "" {
		facts = map[string]any{name: vars}
	}
	for k := range facts {
		if !module.FreeFormKey(k) {
			return nil, fmt.Errorf("include_vars: %q is not a valid variable name", k)
		}
	}
	return &Result{Facts: facts, Data: map[string]any{"ansible_included_var_files": loaded}}, nil
}

// includeVarsDir lists the files of dir to load: sorted by path, down to
// depth levels, filtered by files_matching, ignore_files and extensions.
func includeVarsDir(dir string, args Args) ([]string, error) {
	match := regexp.MustCompile(".*")
	if s := args.String("files_matching"); s != "" {
		match = regexp.MustCompile(s)
	}
	var ignore []*regexp.Regexp
	for _, s := range args.StringList("ignore_files") {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("ignore_files: %w", err)
		}
		ignore = append(ignore, re)
	}
	exts := map[string]bool{}
	for _, e := range args.StringList("extensions") {
		exts[strings.TrimPrefix(e, ".")] = true
	}
	depth := args.Int("depth")
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		level := len(strings.Split(rel, string(filepath.Separator)))
		if d.IsDir() {
			if p != dir && depth > 0 && level >= depth {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !match.MatchString(name) {
			return nil
		}
		for _, re := range ignore {
			if re.MatchString(name) {
				return nil
			}
		}
		if !exts[strings.TrimPrefix(filepath.Ext(name), ".")] {
			if args.Bool("ignore_unknown_extensions") {
				return nil
			}
			return fmt.Errorf("%s: the extension is not one of %s (set ignore_unknown_extensions to skip it)", p, strings.Join(args.StringList("extensions"), ", "))
		}
		out = append(out, p)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// loadVarsYAML reads a YAML or JSON file whose top level is a mapping.
func loadVarsYAML(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
