package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlerr"
	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// Load reads the given sources and merges them in order into one inventory.
// Hosts and groups are unions; when two sources set the same variable on the
// same host or group, the later source wins.
//
// A source is one of:
//   - a file: a sealer Clusterfile (recognised by a "kind: Cluster"
//     document, whatever its name), else an Ansible YAML inventory when it
//     parses as a YAML mapping of groups, else an Ansible INI inventory;
//   - a directory: every file in it, sorted by name, skipping hidden files,
//     subdirectories and files ending in .retry, .md, .orig, .bak or ~;
//   - a comma-separated host list such as "h1,h2" or "h1," (a string with a
//     comma that is not an existing path); its hosts are ungrouped.
//
// A leading "~/" is expanded to the home directory. Errors name the file and,
// where possible, the line (and column for YAML); they are *Error values.
// Loading no sources gives an empty inventory.
func Load(sources []string) (*Inventory, error) {
	srcs := make([]Source, len(sources))
	for i, s := range sources {
		srcs[i] = Source{Path: s}
	}
	return LoadSources(srcs)
}

// Source is one inventory source: a path as Load takes it, or content
// already read from elsewhere (such as a Clusterfile read from the cluster).
type Source struct {
	// Path is a file, directory or host list, as for Load.
	Path string
	// Name and Data, when Data is not nil, give the content of a file and
	// the name errors and Inventory.Sources use for it; Path is ignored.
	Name string
	Data []byte
}

// LoadSources is Load for sources that may also be content; see Source.
func LoadSources(sources []Source) (*Inventory, error) {
	inv := newInventory()
	for _, src := range sources {
		var err error
		if src.Data != nil {
			inv.Sources = append(inv.Sources, src.Name)
			err = inv.loadData(src.Name, src.Data, false)
		} else {
			inv.Sources = append(inv.Sources, src.Path)
			err = inv.loadSource(src.Path)
		}
		if err != nil {
			return nil, err
		}
	}
	inv.finalize()
	return inv, nil
}

// DefaultSources returns the Clusterfile sealer would use: ["./Clusterfile"]
// when that file exists, else the expanded "~/.sealer/Clusterfile" (sealer
// v0.9+), else "~/.sealer/<cluster>/Clusterfile" (sealer v0.8) when exactly
// one cluster has one, else nil. Several v0.8 clusters are an error naming
// them: which one to use is the operator's choice.
func DefaultSources() ([]string, error) {
	if st, err := os.Stat("./Clusterfile"); err == nil && !st.IsDir() {
		return []string{"./Clusterfile"}, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, nil
	}
	dir := filepath.Join(home, ".sealer")
	if p := filepath.Join(dir, "Clusterfile"); isFile(p) {
		return []string{p}, nil
	}
	ents, _ := os.ReadDir(dir)
	var found []string
	for _, e := range ents {
		if p := filepath.Join(dir, e.Name(), "Clusterfile"); e.IsDir() && isFile(p) {
			found = append(found, p)
		}
	}
	if len(found) > 1 {
		return nil, &Error{File: dir, Msg: fmt.Sprintf("%d sealer v0.8 clusters have a Clusterfile here (%s): choose one with -i", len(found), strings.Join(found, ", "))}
	}
	return found, nil
}

// isFile reports whether p is (or links to) a regular file.
func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func (inv *Inventory) loadSource(src string) error {
	path := expandHome(src)
	st, err := os.Stat(path)
	if err != nil {
		if strings.Contains(src, ",") {
			return inv.loadHostList(src)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{File: src, Msg: "inventory source does not exist " + missingSourceHint(src), Err: err}
		}
		return &Error{File: src, Msg: err.Error(), Err: err}
	}
	if st.IsDir() {
		return inv.loadDir(path)
	}
	return inv.loadFile(path)
}

// missingSourceHint says what a source could have been: an address given
// alone is most likely a one-host list without its comma.
func missingSourceHint(src string) string {
	host := src
	if h, _, err := net.SplitHostPort(src); err == nil {
		host = h
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return fmt.Sprintf("(for a single host, end the list with a comma: -i %s,)", src)
	}
	return "(give a Clusterfile, an Ansible inventory file or directory, or a host list such as -i 'h1,h2,')"
}

// loadHostList reads "h1,h2:2222,[::1]:22," as ungrouped hosts.
func (inv *Inventory) loadHostList(src string) error {
	for _, item := range strings.Split(src, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		names, port, err := parseHostEntry(item)
		if err == nil {
			err = inv.roomFor(len(names))
		}
		if err != nil {
			return &Error{File: src, Msg: fmt.Sprintf("host list: %v", err)}
		}
		for _, n := range names {
			h := inv.addHost(n)
			if port != 0 {
				h.Vars["ansible_port"] = port
			}
		}
	}
	return nil
}

// skipInDir reports whether a directory source ignores the file name.
func skipInDir(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".retry", ".md", ".orig", ".bak":
		return true
	}
	return false
}

func (inv *Inventory) loadDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return &Error{File: dir, Msg: err.Error(), Err: err}
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() || skipInDir(e.Name()) {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			continue // dangling symlink or link to a directory
		}
		if err := inv.loadFile(p); err != nil {
			return err
		}
	}
	return nil
}

// isYAMLName reports whether the file name says YAML (or JSON).
func isYAMLName(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yml", ".yaml", ".json":
		return true
	}
	return false
}

// loadFile detects the format of one file and reads it: Clusterfile by
// content, then YAML inventory, then INI.
func (inv *Inventory) loadFile(p string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return &Error{File: p, Msg: err.Error(), Err: err}
	}
	return inv.loadData(p, data, isYAMLName(p))
}

// loadData reads the content of the file p; yamlName says its name ends in
// .yml, .yaml or .json, so it cannot be INI. The first of fileFormats that
// takes the file reads it.
func (inv *Inventory) loadData(p string, data []byte, yamlName bool) error {
	if line, col, msg, bad := yamlerr.InvalidUTF8(data); bad {
		return &Error{File: p, Line: line, Col: col, Msg: msg}
	}
	in := &inventoryFile{path: p, data: data, yamlName: yamlName, dec: newYdec(p)}
	in.docs, in.yamlErr = parseYAMLDocs(p, data)
	for _, f := range fileFormats {
		if took, err := f.load(inv, in); took {
			return err
		}
	}
	return nil
}

// inventoryFile is one inventory file as the formats see it: its content,
// parsed as YAML once for all of them.
type inventoryFile struct {
	path     string
	data     []byte
	yamlName bool // the name ends in .yml, .yaml or .json
	dec      *ydec
	docs     []*yaml.Node
	yamlErr  error // why data is not YAML, if it is not
}

// fileFormat is one kind of inventory file. load reports whether the file
// is of this kind (took) and, if so, the error of reading it.
type fileFormat struct {
	name string
	load func(inv *Inventory, f *inventoryFile) (took bool, err error)
}

// fileFormats are tried in order; INI, which takes any file, is last. A
// new format is a file with its load function and one line here.
var fileFormats = []fileFormat{
	{"sealer Clusterfile", loadClusterfileFormat},
	{"Ansible YAML", loadYAMLFormat},
	{"Ansible INI", loadINIFormat},
}

// loadClusterfileFormat takes a file with a "kind: Cluster" document.
func loadClusterfileFormat(inv *Inventory, f *inventoryFile) (bool, error) {
	if clusters := clusterDocs(f.docs); len(clusters) > 0 {
		if f.yamlErr != nil {
			return true, f.yamlErr
		}
		return true, parseClusterfile(inv, f.dec, f.docs, clusters, savedByV08(f.path))
	}
	if f.yamlErr != nil && clusterKindRE.Match(f.data) {
		return true, f.yamlErr
	}
	return false, nil
}

// loadYAMLFormat takes a single YAML document that is a mapping of groups.
func loadYAMLFormat(inv *Inventory, f *inventoryFile) (bool, error) {
	if f.yamlErr == nil && len(f.docs) == 1 && yamlInventoryFits(docRoot(f.docs[0])) {
		return true, parseYAMLInventory(inv, f.dec, docRoot(f.docs[0]))
	}
	return false, nil
}

// loadINIFormat takes any other file: a .yml/.yaml/.json name gets the
// reason it is not a YAML inventory, anything else is read as INI.
func loadINIFormat(inv *Inventory, f *inventoryFile) (bool, error) {
	if f.yamlName {
		return true, yamlShapeError(f.path, f.docs, f.yamlErr)
	}
	if err := parseINI(inv, f.path, f.data); err != nil {
		// A YAML mapping of the wrong shape gets the YAML error, which
		// says more than the INI one.
		if f.yamlErr == nil && len(f.docs) == 1 {
			if root := docRoot(f.docs[0]); root != nil && root.Kind == yaml.MappingNode {
				return true, yamlShapeError(f.path, f.docs, nil)
			}
		}
		return true, err
	}
	return true, nil
}

// yamlShapeError explains why a YAML file is not a YAML inventory; nil for
// an empty file.
func yamlShapeError(p string, docs []*yaml.Node, yerr error) error {
	if yerr != nil {
		return yerr
	}
	if len(docs) > 1 {
		return nodeErr(p, docs[1], "a YAML inventory must be a single document")
	}
	if len(docs) == 0 || docRoot(docs[0]) == nil {
		return nil // empty file
	}
	root := docRoot(docs[0])
	if root.Kind == yaml.MappingNode {
		for i := 1; i < len(root.Content); i += 2 {
			v := yamlnode.Resolve(root.Content[i])
			if !isNull(v) && (v == nil || v.Kind != yaml.MappingNode) {
				return nodeErr(p, root.Content[i], "group %q must be a mapping with hosts, vars or children, got %s", root.Content[i-1].Value, kindName(v))
			}
		}
	}
	return nodeErr(p, root, "a YAML inventory must be a mapping of group names to hosts, vars and children, got %s", kindName(root))
}
