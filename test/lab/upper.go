package lab

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Each node's differences from the shared base are files written into its
// overlay upper directory while the node is stopped (writing into an upper
// under a mounted overlay is undefined). Lab files are rewritten at every
// start, so a node always comes up with its own address, keys and units;
// first-boot files (/etc/hosts) are written only when missing, so what a
// test or playbook changed in them survives restarts.

// upperFile is one file to place in a node's upper directory.
type upperFile struct {
	path  string // absolute path inside the node
	data  string
	mode  os.FileMode
	link  string // if set, a symlink to this target instead of a file
	first bool   // write only when missing (first boot)
}

func (l *Lab) nodeFiles(n Node) ([]upperFile, error) {
	hostKey, err := os.ReadFile(filepath.Join(l.nodeDir(n), "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	hostPub, err := os.ReadFile(filepath.Join(l.nodeDir(n), "ssh_host_ed25519_key.pub"))
	if err != nil {
		return nil, err
	}
	userPub, err := os.ReadFile(l.KeyPath() + ".pub")
	if err != nil {
		return nil, err
	}
	files := []upperFile{
		{path: "/etc/hostname", data: n.Name + "\n", mode: 0o644},
		{path: "/etc/hosts", first: true, mode: 0o644, data: fmt.Sprintf(
			"127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", n.IP, n.Name)},
		{path: "/etc/ssh/sshd_config.d/00-lab-node.conf", mode: 0o644, data: fmt.Sprintf(
			"# runbook lab: this node's sshd listens on its own loopback address only.\nListenAddress %s:%d\n", n.IP, SSHPort)},
		{path: "/etc/ssh/ssh_host_ed25519_key", data: string(hostKey), mode: 0o600},
		{path: "/etc/ssh/ssh_host_ed25519_key.pub", data: string(hostPub), mode: 0o644},
		{path: "/root/.ssh/authorized_keys", data: string(userPub), mode: 0o600},
		{path: "/etc/containerd/config.toml", mode: 0o644, data: containerdConfig(n)},
		{path: NodeEnvPath, mode: 0o644, data: fmt.Sprintf("LAB_NODE=%s\nLAB_NODE_IP=%s\n", n.Name, n.IP)},
		// docker shares the machine's network namespace with every node
		// and the host: it must create no bridge, rule or forwarding.
		{path: "/etc/docker/daemon.json", mode: 0o644, data: dockerDaemonJSON},
		{path: "/etc/systemd/system/lab-cgroups.service", mode: 0o644, data: cgroupsUnit},
		{path: "/usr/local/sbin/lab-cgroups", mode: 0o755, data: cgroupsScript},
		{path: "/etc/systemd/system/multi-user.target.wants/lab-cgroups.service", link: "/etc/systemd/system/lab-cgroups.service"},
		// Login accounting (utmp/wtmp) means nothing in a lab node, and its
		// unit timed out when the machine was very busy, leaving the node
		// "degraded": masked.
		{path: "/etc/systemd/system/systemd-update-utmp.service", link: "/dev/null"},
		{path: "/etc/systemd/system/systemd-update-utmp-runlevel.service", link: "/dev/null"},
	}
	if n.IsMaster() {
		conf, err := os.ReadFile(l.KubeconfigPath())
		if err != nil {
			return nil, err
		}
		files = append(files, upperFile{path: "/etc/kubernetes/admin.conf", data: string(conf), mode: 0o600})
	}
	if n == l.APIServerNode() {
		more, err := l.apiserverFiles(n)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

// containerdConfig keeps containerd's CRI streaming server on the node's
// address (its default, 127.0.0.1, is shared by every node and the host) and
// points CRI at the hosts directory sealer's cluster images configure
// (basefs's containerd config: config_path = "/etc/docker/certs.d/").
func containerdConfig(n Node) string {
	return fmt.Sprintf(`# runbook lab: containerd of %s
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "%s"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "%s"
`, n.Name, n.IP, ContainerdConfigPath)
}

// NodeEnvPath holds the node's name and address (LAB_NODE, LAB_NODE_IP) for
// the lab's scripts: init-registry.sh binds the registry to LAB_NODE_IP.
const NodeEnvPath = "/etc/runbook-lab/node.env"

// ContainerdConfigPath is containerd's hosts directory in sealer's cluster
// images (basefs context/containerd/rootfs/etc/dump-config.toml).
const ContainerdConfigPath = "/etc/docker/certs.d/"

const dockerDaemonJSON = `{"bridge": "none", "iptables": false, "ip6tables": false, "ip-forward": false, "ip-masq": false}
`

// cgroupsUnit runs lab-cgroups before containerd and docker start.
const cgroupsUnit = `[Unit]
Description=runbook lab: cgroup controllers writable for container runtimes
DefaultDependencies=no
Before=containerd.service docker.service
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-cgroups

[Install]
WantedBy=multi-user.target
`

// cgroupsScript: on a cgroup v1 host systemd-nspawn mounts the controllers
// read-only inside the node, and runc cannot create a container's cgroups;
// each controller is re-mounted read-write (the node's own view only). On a
// cgroup v2 host (one unified hierarchy) nspawn delegates the node's subtree
// writable already, and nothing is done.
const cgroupsScript = `#!/bin/sh
set -eu
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  exit 0
fi
for c in blkio cpu cpuacct cpuset devices freezer memory pids; do
  d=/sys/fs/cgroup/$c
  [ -d "$d" ] || mkdir -p "$d" 2>/dev/null || continue
  if grep -qs " $d cgroup rw" /proc/mounts; then continue; fi
  umount "$d" 2>/dev/null || true
  mount -t cgroup -o "$c" cgroup "$d"
done
`

// apiserverFiles are etcd and kube-apiserver, as units, with their PKI.
func (l *Lab) apiserverFiles(n Node) ([]upperFile, error) {
	pki := map[string]string{}
	for _, f := range []string{"ca.crt", "apiserver.crt", "apiserver.key", "sa.key", "sa.pub"} {
		b, err := os.ReadFile(filepath.Join(l.pkiDir(), f))
		if err != nil {
			return nil, err
		}
		pki[f] = string(b)
	}
	tok, err := l.KubeToken()
	if err != nil {
		return nil, err
	}
	files := []upperFile{
		{path: "/etc/systemd/system/etcd.service", mode: 0o644, data: fmt.Sprintf(`[Unit]
Description=etcd for the lab's kube-apiserver
After=network.target

[Service]
Type=notify
User=etcd
ExecStart=/usr/bin/etcd --name %[1]s --data-dir /var/lib/etcd/lab \
  --listen-client-urls http://%[2]s:2379 --advertise-client-urls http://%[2]s:2379 \
  --listen-peer-urls http://%[2]s:2380 --initial-advertise-peer-urls http://%[2]s:2380 \
  --initial-cluster %[1]s=http://%[2]s:2380 --initial-cluster-state new
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`, n.Name, n.IP)},
		{path: "/etc/systemd/system/kube-apiserver.service", mode: 0o644, data: fmt.Sprintf(`[Unit]
Description=Kubernetes API server (runbook lab; binary bind-mounted read-only)
After=etcd.service
Wants=etcd.service

[Service]
ExecStart=/usr/local/bin/kube-apiserver \
  --advertise-address=%[1]s --bind-address=%[1]s --secure-port=%[2]d \
  --etcd-servers=http://%[1]s:2379 \
  --tls-cert-file=/etc/kubernetes/pki/apiserver.crt --tls-private-key-file=/etc/kubernetes/pki/apiserver.key \
  --client-ca-file=/etc/kubernetes/pki/ca.crt \
  --token-auth-file=/etc/kubernetes/pki/tokens.csv \
  --authorization-mode=RBAC --anonymous-auth=false \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file=/etc/kubernetes/pki/sa.pub \
  --service-account-signing-key-file=/etc/kubernetes/pki/sa.key \
  --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true \
  --profiling=false --enable-priority-and-fairness=false
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`, n.IP, APIServerPort)},
		{path: "/etc/systemd/system/multi-user.target.wants/etcd.service", link: "/etc/systemd/system/etcd.service"},
		{path: "/etc/systemd/system/multi-user.target.wants/kube-apiserver.service", link: "/etc/systemd/system/kube-apiserver.service"},
		{path: "/etc/kubernetes/pki/tokens.csv", mode: 0o600, data: tok + `,kubernetes-admin,kubernetes-admin,"system:masters"` + "\n"},
	}
	for f, data := range pki {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f, ".key") {
			mode = 0o600
		}
		files = append(files, upperFile{path: "/etc/kubernetes/pki/" + f, data: data, mode: mode})
	}
	return files, nil
}

// writeUpper places files into the (stopped) node's upper directory,
// creating parent directories with the mode and owner they have in the base
// so the merged tree looks like the base (e.g. /root stays 0700).
func (l *Lab) writeUpper(n Node, files []upperFile) error {
	upper := l.upperDir(n)
	for _, f := range files {
		dst := filepath.Join(upper, f.path)
		if f.first && exists(dst) {
			continue
		}
		if err := l.mkdirLikeBase(upper, filepath.Dir(f.path)); err != nil {
			return err
		}
		if f.link != "" {
			if cur, err := os.Readlink(dst); err == nil && cur == f.link {
				continue
			}
			_ = os.Remove(dst)
			if err := os.Symlink(f.link, dst); err != nil {
				return err
			}
			continue
		}
		if fi, err := os.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
			_ = os.Remove(dst) // e.g. a unit masked as a symlink to /dev/null
		}
		if err := writeIfChanged(dst, []byte(f.data), f.mode); err != nil {
			return err
		}
	}
	return nil
}

// mkdirLikeBase creates upper/dir (and parents), copying mode and owner
// from the same directory in the base rootfs where it exists there.
func (l *Lab) mkdirLikeBase(upper, dir string) error {
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	cur := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		cur += "/" + p
		dst := filepath.Join(upper, cur)
		if exists(dst) {
			continue
		}
		mode, uid, gid := os.FileMode(0o755), 0, 0
		if fi, err := os.Stat(filepath.Join(l.baseDir(), cur)); err == nil {
			mode = fi.Mode().Perm()
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				uid, gid = int(st.Uid), int(st.Gid)
			}
		} else if cur == "/root/.ssh" {
			mode = 0o700
		}
		if err := os.Mkdir(dst, mode); err != nil && !os.IsExist(err) {
			return err
		}
		if err := os.Chmod(dst, mode); err != nil {
			return err
		}
		if err := os.Lchown(dst, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
