package lab

import (
	"context"
	"fmt"
	"strings"
)

// Pull pulls img on node n through sea.hub:5000 the way the node's runtime
// does for kubelet, after removing any local copy: with docker, `docker
// pull` (trust from /etc/docker/certs.d, credentials from
// ~/.docker/config.json); with containerd, `ctr images pull` with
// containerd's hosts directory (sealer's config_path) and the credentials
// kubelet has in /var/lib/kubelet/config.json. Name resolution is the
// node's /etc/hosts, so the pull goes where the node's alias points.
func (l *Lab) Pull(ctx context.Context, o SeedOptions, n Node, img SeedImage) error {
	ref := img.Ref()
	var cmd string
	if o.Runtime == RuntimeDocker {
		cmd = fmt.Sprintf("docker rmi -f %[1]s >/dev/null 2>&1; docker pull -q %[1]s", ref)
	} else {
		// kubelet's credentials, as ctr takes them.
		cmd = fmt.Sprintf(`auth=$(sed -n 's/.*"auth": *"\([^"]*\)".*/\1/p' /var/lib/kubelet/config.json | head -1 | base64 -d)
ctr -n k8s.io images rm %[1]s >/dev/null 2>&1; ctr -n k8s.io images pull --hosts-dir %[2]s --user "$auth" %[1]s >/dev/null`,
			ref, strings.TrimRight(ContainerdConfigPath, "/"))
	}
	out, stderr, code, err := l.RunContext(ctx, n.Name, cmd, nil)
	if err != nil || code != 0 {
		return fmt.Errorf("%s cannot pull %s with %s (exit %d, %v): %s%s", n.Name, ref, o.Runtime, code, err, out, stderr)
	}
	return nil
}
