package modules

import "context"

// secretModule manages Secrets through client-go; values never show.
type secretModule struct{ kubeModule }

func init() {
	Register(secretModule{kubeModule{name: "secret", obj: secretObject{typ: "Opaque"}, secret: true}})
}

func (m secretModule) Spec() *Spec {
	return m.spec("Get, apply, delete or dump a Kubernetes Secret (values never shown)",
		`Manages a Secret like the configmap module manages ConfigMaps (same reach through
a master's SSH connection, same actions). Values are masked in diffs and output at
every verbosity; values read with action get are registered for later tasks and
masked wherever they would be printed. Key material belongs in a Secret, not in a
ConfigMap.`,
		`- name: keep the registry's private key and htpasswd in the cluster
  secret:
    name: sealer-registry
    namespace: kube-system
    from_host_files:
      sea.hub.key: "{{ rootfs }}/certs/sea.hub.key"
      registry_htpasswd: "{{ rootfs }}/etc/registry_htpasswd"`)
}

func (m secretModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	return m.run(ctx, mc, a)
}
