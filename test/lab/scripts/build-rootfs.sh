#!/usr/bin/env bash
# build-rootfs.sh OUT.tar.zst SUITE PACKAGES
#
# Builds the lab's base root filesystem with debootstrap and stores it as a
# zstd tarball at OUT.tar.zst. Everything every node shares goes here; what is
# per node (hostname, listen addresses, host keys, units) is written later into
# the node's overlay upper directory by the lab package.
#
# Called by the lab package (cache.go) when the cache has no tarball for the
# current key; the key covers SUITE, PACKAGES and this file, so editing this
# script rebuilds the base.
set -euo pipefail

out=${1:?usage: build-rootfs.sh OUT.tar.zst SUITE PACKAGES}
suite=${2:?suite}
packages=${3:?comma-separated package list}
password=${RUNBOOK_LAB_ROOT_PASSWORD:-runbook-lab}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror=${RUNBOOK_LAB_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(awk '
    /^URIs:/ { uri=$2 }
    /^Suites:/ { for (i=2;i<=NF;i++) if ($i=="'"$suite"'") found=uri }
    /^deb / && $3=="'"$suite"'" { found=$2 }
    END { print found }' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "$(dirname "$out")/.rootfs.XXXXXX")
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT

echo "lab: debootstrap $suite from $mirror into $work" >&2
start=$(date +%s)
debootstrap --variant=minbase --include="$packages" "$suite" "$work" "$mirror" >"$work.log" 2>&1 || {
  tail -40 "$work.log" >&2; rm -f "$work.log"; exit 1; }
rm -f "$work.log"
echo "lab: debootstrap took $(( $(date +%s) - start ))s" >&2

r=$work
# Root password (documented in test/lab/README.md) and root login over SSH.
echo "root:$password" | chroot "$r" chpasswd
rm -f "$r"/etc/ssh/ssh_host_*
cat >"$r/etc/ssh/sshd_config.d/50-runbook-lab.conf" <<'EOF'
# runbook lab: root logs in by key or password; each node's host key and
# ListenAddress come from 00-lab-node.conf in the node's own upper directory.
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
EOF

# Services the packages enable but only some nodes run (the lab enables them
# per node), or that must not touch the shared host network.
rm -f "$r"/etc/systemd/system/multi-user.target.wants/etcd.service \
      "$r"/etc/systemd/system/multi-user.target.wants/docker-registry.service \
      "$r"/etc/systemd/system/etcd2.service
for u in systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
         systemd-resolved.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
         fstrim.timer e2scrub_all.timer e2scrub_reap.service docker-registry.service etcd.service \
         systemd-hwdb-update.service ldconfig.service; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
# containerd's own default config is replaced per node; keep the package's aside.
[ -f "$r/etc/containerd/config.toml" ] && mv "$r/etc/containerd/config.toml" "$r/etc/containerd/config.toml.dpkg-dist"
: >"$r/etc/machine-id"
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*.log
echo "$(basename "$out")" >"$r/etc/runbook-lab-base"

chmod 0755 "$r"
tmp="$out.tmp.$$"
tar -C "$r" --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -q -T0 -3 -o "$tmp"
mv -f "$tmp" "$out"
echo "lab: base rootfs $(du -h "$out" | cut -f1) in $(( $(date +%s) - start ))s" >&2
