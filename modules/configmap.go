package modules

import "context"

// configmapModule manages ConfigMaps through client-go.
type configmapModule struct{ kubeModule }

func init() {
	Register(configmapModule{kubeModule{name: "configmap", obj: configMapObject{}}})
}

func (m configmapModule) Spec() *Spec {
	return m.spec("Get, apply, delete or dump a Kubernetes ConfigMap",
		`Manages a ConfigMap with client-go. By default the admin kubeconfig is read from
a master over SSH and the API server is dialled through that master's SSH connection,
so the controller needs no route to the API; masters are tried in order until one
answers, so a dead master0 is skipped. changed is true only when the data differs.
Check mode uses a server-side dry run; --diff shows the keys that change.`,
		`- name: record the registry's configuration
  configmap:
    name: sealer-registry
    namespace: kube-system
    data:
      domain: "{{ registry_domain }}"
      port: "{{ registry_port }}"
    from_host_files:
      registry_config.yml: "{{ rootfs }}/etc/registry_config.yml"`)
}

func (m configmapModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	return m.run(ctx, mc, a)
}
