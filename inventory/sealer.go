package inventory

import (
	"fmt"
	"net"
	"path"
	"path/filepath"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// What differs between sealer generations (shared/reference/sealer-reality.md
// section 1): v0.8 keeps its Clusterfile at ~/.sealer/<cluster>/Clusterfile,
// encrypts SSH passwords there, converts v1 Clusterfiles, has no
// spec.registry (the registry's settings are <rootfs>/etc/registry.yml,
// usually written by a kind: Config document) and runs one registry; v0.9+
// fills spec.registry and runs the registry on every master unless ha is
// false.

// v1APIVersion is the only apiVersion sealer decodes as a v1 Clusterfile
// (spec.masters.ipList, spec.nodes.ipList); sealer v0.8 converts it.
const v1APIVersion = "zlink.aliyun.com/v1alpha1"

// The values of the sealer_layout variable.
const (
	layoutV08 = "v08"
	layoutV09 = "v09"
)

// registryYML is where sealer v0.8 reads its registry settings, relative to
// the cluster rootfs.
const registryYML = "etc/registry.yml"

// savedByV08 reports whether p is where sealer v0.8 saves a cluster's
// Clusterfile: .sealer/<cluster>/Clusterfile.
func savedByV08(p string) bool {
	dir := filepath.Dir(p)
	return filepath.Base(p) == "Clusterfile" && filepath.Base(filepath.Dir(dir)) == ".sealer" && filepath.Base(dir) != ".sealer"
}

// v1Hosts builds spec.hosts from a v1 Clusterfile's spec.masters.ipList and
// spec.nodes.ipList, as sealer v0.8's ConvertV1ClusterToV2Cluster does. The
// ipList nodes are reused, so errors still point into the file.
func (p *cfParser) v1Hosts(spec map[string]*yaml.Node) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, g := range []struct{ key, role string }{{"masters", "master"}, {"nodes", "node"}} {
		f, err := p.fields(spec[g.key], "spec."+g.key)
		if err != nil {
			return nil, err
		}
		list := f["ipList"]
		if r := yamlnode.Resolve(list); isNull(r) || (r.Kind == yaml.SequenceNode && len(r.Content) == 0) {
			continue
		}
		str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
		seq.Content = append(seq.Content, &yaml.Node{
			Kind: yaml.MappingNode, Tag: "!!map", Line: list.Line, Column: list.Column,
			Content: []*yaml.Node{
				str("ips"), list,
				str("roles"), {Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{str(g.role)}},
			},
		})
	}
	if len(seq.Content) == 0 {
		return nil, nil
	}
	return seq, nil
}

// layout tells which sealer generation wrote the Clusterfile. Fields only
// v0.9+ knows win; then any mark of v0.8 (a v1 Clusterfile, an encrypted
// password, a Config document for etc/registry.yml, the v0.8 location);
// a file with neither is read as v0.9+.
func (p *cfParser) layout(spec map[string]*yaml.Node, regConf *yaml.Node, v1, savedByV08 bool) string {
	for _, k := range []string{"registry", "containerRuntime", "dataRoot", "hostAliases", "appNames"} {
		if _, ok := spec[k]; ok {
			return layoutV09
		}
	}
	if v1 || p.encrypted || regConf != nil || savedByV08 {
		return layoutV08
	}
	return layoutV09
}

// registryConfigDoc returns the spec of the last kind: Config document that
// writes etc/registry.yml (sealer writes them in order, so the last wins),
// or nil.
func registryConfigDoc(docs []*yaml.Node) *yaml.Node {
	var found *yaml.Node
	for _, doc := range docs {
		if topKind(doc) != "Config" {
			continue
		}
		spec := mapValue(docRoot(doc), "spec")
		if p := mapValue(spec, "path"); p != nil && p.Kind == yaml.ScalarNode &&
			strings.TrimPrefix(path.Clean("/"+strings.TrimSpace(p.Value)), "/") == registryYML {
			found = spec
		}
	}
	return found
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = yamlnode.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := yamlnode.Resolve(n.Content[i]); k != nil && k.Value == key {
			return yamlnode.Resolve(n.Content[i+1])
		}
	}
	return nil
}

// v08Registry sets the registry variables of a v0.8 cluster from the Config
// document for etc/registry.yml (regConf, may be nil) over sealer's
// defaults, and returns the one registry host: ip: from that file, else
// master0. A registry IP that is not a Clusterfile host is added with the
// cluster's SSH settings, as sealer reaches it.
func (p *cfParser) v08Registry(regConf *yaml.Node, vars map[string]any, masters []string, globalSSH sshConf) ([]string, error) {
	const where = "Config " + registryYML
	var conf map[string]*yaml.Node
	if regConf == nil {
		p.inv.Warnings = append(p.inv.Warnings, fmt.Sprintf("%s: sealer v0.8 Clusterfile without a kind: Config document for %s: assuming sealer's registry defaults (%s:%d on master0, no login); the real settings are in <rootfs>/%s on the registry host",
			p.d.file, registryYML, defaultRegistryDomain, defaultRegistryPort, registryYML))
		conf = map[string]*yaml.Node{}
	} else {
		var err error
		if conf, err = p.registryYMLData(regConf); err != nil {
			return nil, err
		}
	}
	reg, err := p.localRegistryConfig(conf, where)
	if err != nil {
		return nil, err
	}
	ip, err := p.str(conf["ip"], where+" ip")
	if err != nil {
		return nil, err
	}
	if ip == "" && len(masters) > 0 {
		ip = masters[0]
	}
	// v0.8 runs one registry (not HA), over TLS.
	setRegistryVars(vars, reg)
	if ip == "" {
		return nil, nil
	}
	if net.ParseIP(ip) == nil {
		return nil, p.d.errf(conf["ip"], "%s ip %q is not an IP address", where, ip)
	}
	vars["registry_ip"] = ip
	if _, ok := p.inv.hosts[ip]; !ok {
		hv, err := p.hostVars(map[string]*yaml.Node{}, "spec", globalSSH)
		if err != nil {
			return nil, err
		}
		h := p.inv.addHost(ip)
		for k, v := range hv {
			h.Vars[k] = v
		}
		h.Vars["ansible_host"] = ip
	}
	return []string{ip}, nil
}

// registryYMLData parses the spec.data of the Config document for
// etc/registry.yml, with its nodes renumbered to lines of the Clusterfile.
func (p *cfParser) registryYMLData(spec *yaml.Node) (map[string]*yaml.Node, error) {
	data := mapValue(spec, "data")
	if isNull(data) {
		return map[string]*yaml.Node{}, nil
	}
	if data.Kind != yaml.ScalarNode {
		return nil, p.d.errf(data, "Config %s: spec.data must be a string holding YAML, got %s", registryYML, kindName(data))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(data.Value), &doc); err != nil {
		return nil, p.d.errf(data, "Config %s: spec.data is not YAML: %v", registryYML, err)
	}
	// A block scalar's text starts on the line after its indicator.
	offset := data.Line - 1
	if data.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		offset = data.Line
	}
	renumber(&doc, offset)
	root := docRoot(&doc)
	if root == nil {
		return map[string]*yaml.Node{}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.d.errf(data, "Config %s: spec.data must be a YAML mapping (ip, domain, port, username, password), got %s", registryYML, kindName(root))
	}
	return p.fields(root, "Config "+registryYML)
}

// renumber shifts the lines of n and its children by offset; columns of a
// nested document mean nothing in the file, so they are dropped.
func renumber(n *yaml.Node, offset int) {
	if n == nil {
		return
	}
	n.Line += offset
	n.Column = 0
	for _, c := range n.Content {
		renumber(c, offset)
	}
}

// become sets ansible_become (and the SSH password as the become password)
// for a non-root SSH user: sealer runs every command through sudo -E. What
// spec.env or the host's env sets itself is left alone.
func (p *cfParser) become(vars map[string]any, ssh sshConf) {
	if ssh.user == "" || ssh.user == "root" {
		return
	}
	if _, ok := p.allVars["ansible_become"]; !ok {
		vars["ansible_become"] = true
	}
	_, pw := p.allVars["ansible_become_password"]
	_, pass := p.allVars["ansible_become_pass"]
	if ssh.passwd != "" && !pw && !pass {
		vars["ansible_become_password"] = ssh.passwd
	}
}
