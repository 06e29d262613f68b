package inventory

import (
	"net"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// clusterVars computes the variables a Clusterfile puts into group "all":
// cluster_name, cluster_image, data_root, rootfs, container_runtime, the
// local registry (registry_*) and, when set, the external registry
// (external_registry_*). It also returns localRegistry.ha and whether a
// local registry is deployed at all.
func (p *cfParser) clusterVars(spec map[string]*yaml.Node, name string) (vars map[string]any, ha, local bool, err error) {
	vars = map[string]any{"cluster_name": name}
	image, err := p.str(spec["image"], "spec.image")
	if err != nil {
		return nil, false, false, err
	}
	if image != "" {
		vars["cluster_image"] = image
	}
	dataRoot, err := p.str(spec["dataRoot"], "spec.dataRoot")
	if err != nil {
		return nil, false, false, err
	}
	if dataRoot == "" {
		dataRoot = defaultDataRoot
	}
	vars["data_root"] = dataRoot
	vars["rootfs"] = strings.TrimRight(dataRoot, "/") + "/" + name + "/rootfs"

	cr, err := p.fields(spec["containerRuntime"], "spec.containerRuntime")
	if err != nil {
		return nil, false, false, err
	}
	runtime, err := p.str(cr["type"], "spec.containerRuntime.type")
	if err != nil {
		return nil, false, false, err
	}
	if runtime == "" {
		runtime = defaultContainerRuntime
	}
	vars["container_runtime"] = runtime

	reg, err := p.fields(spec["registry"], "spec.registry")
	if err != nil {
		return nil, false, false, err
	}
	local = !isNull(reg["localRegistry"]) || isNull(reg["externalRegistry"])
	vars["local_registry_enabled"] = local
	if ha, err = p.localRegistry(reg["localRegistry"], vars); err != nil {
		return nil, false, false, err
	}
	if !isNull(reg["externalRegistry"]) {
		if err := p.externalRegistry(reg["externalRegistry"], vars); err != nil {
			return nil, false, false, err
		}
	}
	return vars, ha, local, nil
}

// registryConfig reads the fields shared by both registry kinds.
func (p *cfParser) registryConfig(f map[string]*yaml.Node, path string) (domain string, port int, user, pass string, err error) {
	if domain, err = p.str(f["domain"], path+".domain"); err != nil {
		return
	}
	if port, err = p.port(f["port"], path+".port", 0); err != nil {
		return
	}
	if user, err = p.str(f["username"], path+".username"); err != nil {
		return
	}
	pass, err = p.str(f["password"], path+".password")
	return
}

// localRegistry sets registry_* (with sealer's defaults, also when the
// Clusterfile has no local registry) and returns ha.
func (p *cfParser) localRegistry(n *yaml.Node, vars map[string]any) (bool, error) {
	const path = "spec.registry.localRegistry"
	f, err := p.fields(n, path)
	if err != nil {
		return false, err
	}
	r, err := p.localRegistryConfig(f, path)
	if err != nil {
		return false, err
	}
	ha, err := p.boolOr(f["ha"], path+".ha", true)
	if err != nil {
		return false, err
	}
	insecure, err := p.boolOr(f["insecure"], path+".insecure", false)
	if err != nil {
		return false, err
	}
	cert, err := p.fields(f["cert"], path+".cert")
	if err != nil {
		return false, err
	}
	san, err := p.fields(cert["subjectAltName"], path+".cert.subjectAltName")
	if err != nil {
		return false, err
	}
	dnsNames, _, err := p.d.stringList(san["dnsNames"], path+".cert.subjectAltName.dnsNames")
	if err != nil {
		return false, err
	}
	ips, ipNodes, err := p.d.stringList(san["ips"], path+".cert.subjectAltName.ips")
	if err != nil {
		return false, err
	}
	for i, ip := range ips {
		if net.ParseIP(strings.TrimSpace(ip)) == nil {
			return false, p.d.errf(ipNodes[i], "%s.cert.subjectAltName.ips[%d] %q is not an IP address", path, i, ip)
		}
	}
	r.ha, r.insecure, r.dnsNames, r.ips = ha, insecure, dnsNames, ips
	setRegistryVars(vars, r)
	return ha, nil
}

// localRegistryConfig reads the local registry's domain, port and login
// with sealer's defaults for domain and port.
func (p *cfParser) localRegistryConfig(f map[string]*yaml.Node, path string) (registrySettings, error) {
	domain, port, user, pass, err := p.registryConfig(f, path)
	if err != nil {
		return registrySettings{}, err
	}
	if domain == "" {
		domain = defaultRegistryDomain
	}
	if port == 0 {
		port = defaultRegistryPort
	}
	return registrySettings{domain: domain, port: port, user: user, pass: pass}, nil
}

// registrySettings are the local registry's settings, whichever sealer
// generation they come from.
type registrySettings struct {
	domain, user, pass string
	port               int
	ha, insecure       bool
	dnsNames, ips      []string
}

// setRegistryVars sets the registry_* variables.
func setRegistryVars(vars map[string]any, r registrySettings) {
	vars["registry_domain"] = r.domain
	vars["registry_port"] = r.port
	vars["registry_url"] = r.domain + ":" + strconv.Itoa(r.port)
	vars["registry_username"] = r.user
	vars["registry_password"] = r.pass
	vars["registry_ha"] = r.ha
	vars["registry_insecure"] = r.insecure
	vars["registry_cert_dns_names"] = toAnyList(r.dnsNames)
	vars["registry_cert_ips"] = toAnyList(r.ips)
}

// externalRegistry sets external_registry_* from spec.registry.externalRegistry.
func (p *cfParser) externalRegistry(n *yaml.Node, vars map[string]any) error {
	const path = "spec.registry.externalRegistry"
	f, err := p.fields(n, path)
	if err != nil {
		return err
	}
	domain, port, user, pass, err := p.registryConfig(f, path)
	if err != nil {
		return err
	}
	if domain == "" {
		return p.d.errf(n, "%s.domain is required", path)
	}
	url := domain
	if port != 0 {
		vars["external_registry_port"] = port
		url += ":" + strconv.Itoa(port)
	}
	vars["external_registry_domain"] = domain
	vars["external_registry_url"] = url
	vars["external_registry_username"] = user
	vars["external_registry_password"] = pass
	return nil
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}
