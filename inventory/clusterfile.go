package inventory

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// Clusterfile defaults, as sealer applies them when decoding.
const (
	defaultDataRoot         = "/var/lib/sealer/data"
	defaultRegistryDomain   = "sea.hub"
	defaultRegistryPort     = 5000
	defaultSSHPort          = 22
	defaultSSHUser          = "root"
	defaultContainerRuntime = "docker"
)

// reservedRoles are group names a Clusterfile role may not take because the
// inventory fills them itself.
var reservedRoles = map[string]bool{groupAll: true, groupUngrouped: true, "master0": true, "registry": true}

// clusterKindRE finds a top-level "kind: Cluster" line, so a Clusterfile
// whose YAML is broken is still recognised and its syntax error reported.
var clusterKindRE = regexp.MustCompile(`(?m)^kind:[ \t]*["']?Cluster["']?[ \t]*(#.*)?\r?$`)

// clusterDocs returns the documents whose top-level kind is Cluster, in
// file order.
func clusterDocs(docs []*yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for _, doc := range docs {
		if topKind(doc) == "Cluster" {
			out = append(out, docRoot(doc))
		}
	}
	return out
}

// topKind returns the scalar value of a document's top-level kind, or "".
func topKind(doc *yaml.Node) string {
	root := docRoot(doc)
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := yamlnode.Resolve(root.Content[i]), yamlnode.Resolve(root.Content[i+1])
		if k != nil && v != nil && k.Value == "kind" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// sshConf is spec.ssh or spec.hosts[i].ssh.
type sshConf struct {
	user, passwd, pk, pkPasswd, port string
	portNode                         *yaml.Node
}

// merge fills empty fields of c from def (per-host settings win).
func (c sshConf) merge(def sshConf) sshConf {
	if c.user == "" {
		c.user = def.user
	}
	if c.passwd == "" {
		c.passwd = def.passwd
	}
	if c.pk == "" {
		c.pk = def.pk
	}
	if c.pkPasswd == "" {
		c.pkPasswd = def.pkPasswd
	}
	if c.port == "" {
		c.port, c.portNode = def.port, def.portNode
	}
	return c
}

type cfParser struct {
	inv *Inventory
	d   *ydec
	// allVars are the variables of group "all" (spec.env, then computed).
	allVars map[string]any
	// encrypted records an ssh.encrypted: true, the mark of sealer v0.8's
	// saved form.
	encrypted bool
}

// parseClusterfile reads a Clusterfile's documents into inv. clusters are
// its kind: Cluster documents; savedByV08 says the file is where sealer
// v0.8 saves it (~/.sealer/<cluster>/Clusterfile).
func parseClusterfile(inv *Inventory, d *ydec, docs, clusters []*yaml.Node, savedByV08 bool) error {
	root := clusters[len(clusters)-1]
	if len(clusters) > 1 {
		// sealer v0.9+ keeps the last Cluster document it decodes.
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s:%d: %d kind: Cluster documents: using the last one (line %d), as sealer v0.9 and later do (sealer v0.8 used the first, line %d)",
			d.file, clusters[1].Line, len(clusters), root.Line, clusters[0].Line))
	}
	p := &cfParser{inv: inv, d: d, allVars: inv.groups[groupAll].pub.Vars}
	top, err := p.fields(root, "")
	if err != nil {
		return err
	}
	apiVersion, err := p.str(top["apiVersion"], "apiVersion")
	if err != nil {
		return err
	}
	meta, err := p.fields(top["metadata"], "metadata")
	if err != nil {
		return err
	}
	name, err := p.str(meta["name"], "metadata.name")
	if err != nil {
		return err
	}
	if name == "" {
		at := top["metadata"]
		if at == nil {
			at = root
		}
		return p.d.errf(at, "metadata.name is required: the cluster rootfs path depends on it")
	}
	spec, err := p.fields(top["spec"], "spec")
	if err != nil {
		return err
	}
	v1 := apiVersion == v1APIVersion
	hostsNode := spec["hosts"]
	if v1 {
		if hostsNode, err = p.v1Hosts(spec); err != nil {
			return err
		}
	}
	if err := p.env(spec["env"], "spec.env", p.allVars); err != nil {
		return err
	}
	globalSSH, err := p.ssh(spec["ssh"], "spec.ssh")
	if err != nil {
		return err
	}
	masters, n, err := p.hosts(hostsNode, globalSSH)
	if err != nil {
		return err
	}
	cluster, ha, local, err := p.clusterVars(spec, name)
	if err != nil {
		return err
	}
	if n == 0 {
		return p.noHosts(root, top["spec"], hostsNode, v1)
	}
	regConf := registryConfigDoc(docs)
	layout := p.layout(spec, regConf, v1, savedByV08)
	cluster["sealer_layout"] = layout
	var deploy []string
	switch {
	case layout == layoutV08:
		if deploy, err = p.v08Registry(regConf, cluster, masters, globalSSH); err != nil {
			return err
		}
	case local && ha:
		deploy = masters
	case local && len(masters) > 0:
		deploy = masters[:1]
	}
	for k, v := range cluster {
		p.allVars[k] = v
	}
	inv.addGroup("master0")
	inv.addGroup("registry")
	if len(masters) > 0 {
		inv.addHostToGroup(masters[0], "master0")
	}
	for _, h := range deploy {
		inv.addHostToGroup(h, "registry")
	}
	return nil
}

// noHosts is the error for a Clusterfile that names no host: an empty
// inventory would make every play match nothing and succeed.
func (p *cfParser) noHosts(root, spec, hosts *yaml.Node, v1 bool) error {
	at := hosts
	if at == nil {
		at = spec
	}
	if at == nil {
		at = root
	}
	if v1 {
		return p.d.errf(at, "no host: this v1 Clusterfile (%s) has no IP in spec.masters.ipList or spec.nodes.ipList (a cloud-provider Clusterfile lists counts, not hosts)", v1APIVersion)
	}
	return p.d.errf(at, "no host: spec.hosts lists no IP, so there is nothing to run on")
}

// fields returns the keys of mapping n (null gives none); path names n.
func (p *cfParser) fields(n *yaml.Node, path string) (map[string]*yaml.Node, error) {
	if isNull(n) {
		return map[string]*yaml.Node{}, nil
	}
	if r := yamlnode.Resolve(n); r == nil || r.Kind != yaml.MappingNode {
		return nil, p.d.errf(n, "%s must be a mapping, got %s", orRoot(path), kindName(r))
	}
	es, err := p.d.mapEntries(n)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*yaml.Node, len(es))
	for _, e := range es {
		out[e.Key] = e.Value
	}
	return out, nil
}

func orRoot(path string) string {
	if path == "" {
		return "the Cluster document"
	}
	return path
}

func (p *cfParser) str(n *yaml.Node, path string) (string, error) {
	s, err := p.d.scalarString(n, path)
	return strings.TrimSpace(s), err
}

// boolOr reads a boolean, or def when absent.
func (p *cfParser) boolOr(n *yaml.Node, path string, def bool) (bool, error) {
	if isNull(n) {
		return def, nil
	}
	r := yamlnode.Resolve(n)
	if r.Kind == yaml.ScalarNode {
		if b, err := strconv.ParseBool(r.Value); err == nil {
			return b, nil
		}
	}
	return false, p.d.errf(n, "%s must be true or false, got %s", path, kindName(r))
}

// port reads a port number given as an int or a string; absent gives def.
func (p *cfParser) port(n *yaml.Node, path string, def int) (int, error) {
	s, err := p.str(n, path)
	if err != nil || s == "" {
		return def, err
	}
	v, perr := parsePort(s)
	if perr != nil {
		return 0, p.d.errf(n, "%s %v", path, perr)
	}
	return v, nil
}

func (p *cfParser) ssh(n *yaml.Node, path string) (sshConf, error) {
	f, err := p.fields(n, path)
	if err != nil {
		return sshConf{}, err
	}
	var c sshConf
	for _, fd := range []struct {
		key string
		dst *string
	}{{"user", &c.user}, {"passwd", &c.passwd}, {"pk", &c.pk}, {"pkPasswd", &c.pkPasswd}, {"port", &c.port}} {
		if *fd.dst, err = p.str(f[fd.key], path+"."+fd.key); err != nil {
			return sshConf{}, err
		}
	}
	encrypted, err := p.boolOr(f["encrypted"], path+".encrypted", false)
	if err != nil {
		return sshConf{}, err
	}
	if encrypted && c.passwd != "" {
		p.encrypted = true
		plain, err := decryptSealerPasswd(c.passwd)
		if err != nil {
			return sshConf{}, p.d.errf(f["passwd"], "%s.passwd: %s.encrypted is true but the password is not one sealer encrypted: %v", path, path, err)
		}
		c.passwd = plain
	}
	if c.port != "" {
		c.portNode = f["port"]
		if _, err := p.port(f["port"], path+".port", defaultSSHPort); err != nil {
			return sshConf{}, err
		}
	}
	return c, nil
}

// env reads "k=v" entries into dst; "k=v1;v2" gives the list [v1, v2].
func (p *cfParser) env(n *yaml.Node, path string, dst map[string]any) error {
	items, nodes, err := p.d.stringList(n, path)
	if err != nil {
		return err
	}
	for i, it := range items {
		k, v, ok := strings.Cut(it, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return p.d.errf(nodes[i], "%s[%d] %q is not key=value", path, i, it)
		}
		if strings.Contains(v, ";") {
			var list []any
			for _, part := range strings.Split(v, ";") {
				if part != "" {
					list = append(list, part)
				}
			}
			dst[k] = list
			continue
		}
		dst[k] = v
	}
	return nil
}

// hosts reads spec.hosts and returns the master IPs in file order and how
// many IPs it listed.
func (p *cfParser) hosts(n *yaml.Node, globalSSH sshConf) ([]string, int, error) {
	r := yamlnode.Resolve(n)
	if isNull(r) {
		return nil, 0, nil
	}
	if r.Kind != yaml.SequenceNode {
		return nil, 0, p.d.errf(n, "spec.hosts must be a list, got %s", kindName(r))
	}
	var masters []string
	count := 0
	seen := map[string]int{}
	for i, hn := range r.Content {
		path := fmt.Sprintf("spec.hosts[%d]", i)
		f, err := p.fields(hn, path)
		if err != nil {
			return nil, 0, err
		}
		ips, ipNodes, err := p.d.stringList(f["ips"], path+".ips")
		if err != nil {
			return nil, 0, err
		}
		if len(ips) == 0 {
			return nil, 0, p.d.errf(hn, "%s has no ips", path)
		}
		roles, roleNodes, err := p.d.stringList(f["roles"], path+".roles")
		if err != nil {
			return nil, 0, err
		}
		for j, role := range roles {
			role = strings.TrimSpace(role)
			roles[j] = role
			switch {
			case role == "" || strings.ContainsAny(role, " \t:,!&~*?[]"):
				return nil, 0, p.d.errf(roleNodes[j], "%s.roles[%d] %q is not a valid group name", path, j, role)
			case reservedRoles[role]:
				return nil, 0, p.d.errf(roleNodes[j], "%s.roles[%d] %q is reserved: the inventory fills that group itself", path, j, role)
			}
		}
		hostSSH, err := p.ssh(f["ssh"], path+".ssh")
		if err != nil {
			return nil, 0, err
		}
		vars, err := p.hostVars(f, path, hostSSH.merge(globalSSH))
		if err != nil {
			return nil, 0, err
		}
		for j, ip := range ips {
			ip = strings.TrimSpace(ip)
			if net.ParseIP(ip) == nil {
				return nil, 0, p.d.errf(ipNodes[j], "%s.ips[%d] %q is not an IP address", path, j, ip)
			}
			if line, dup := seen[ip]; dup {
				return nil, 0, p.d.errf(ipNodes[j], "%s.ips[%d] %s is already listed on line %d", path, j, ip, line)
			}
			seen[ip] = ipNodes[j].Line
			count++
			h := p.inv.addHost(ip)
			for k, v := range vars {
				h.Vars[k] = deepCopy(v)
			}
			h.Vars["ansible_host"] = ip
			for _, role := range roles {
				p.inv.addHostToGroup(ip, role)
				if role == "master" {
					masters = append(masters, ip)
				}
			}
		}
	}
	return masters, count, nil
}

// hostVars builds the variables shared by every IP of one spec.hosts entry.
func (p *cfParser) hostVars(f map[string]*yaml.Node, path string, ssh sshConf) (map[string]any, error) {
	port, err := p.port(ssh.portNode, path+".ssh.port", defaultSSHPort)
	if err != nil {
		return nil, err
	}
	user := ssh.user
	if user == "" {
		user = defaultSSHUser
	}
	vars := map[string]any{"ansible_port": port, "ansible_user": user}
	for k, v := range map[string]string{
		"ansible_password":                   ssh.passwd,
		"ansible_ssh_private_key_file":       ssh.pk,
		"ansible_ssh_private_key_passphrase": ssh.pkPasswd,
	} {
		if v != "" {
			vars[k] = v
		}
	}
	p.become(vars, ssh)
	if err := p.env(f["env"], path+".env", vars); err != nil {
		return nil, err
	}
	if !isNull(f["labels"]) {
		if r := yamlnode.Resolve(f["labels"]); r == nil || r.Kind != yaml.MappingNode {
			return nil, p.d.errf(f["labels"], "%s.labels must be a mapping, got %s", path, kindName(r))
		}
		es, err := p.d.mapEntries(f["labels"])
		if err != nil {
			return nil, err
		}
		labels := map[string]any{}
		for _, e := range es {
			if labels[e.Key], err = p.str(e.Value, path+".labels."+e.Key); err != nil {
				return nil, err
			}
		}
		vars["labels"] = labels
	}
	if !isNull(f["taints"]) {
		taints, _, err := p.d.stringList(f["taints"], path+".taints")
		if err != nil {
			return nil, err
		}
		list := make([]any, len(taints))
		for i, t := range taints {
			list[i] = t
		}
		vars["taints"] = list
	}
	return vars, nil
}
