#!/usr/bin/env bash
# test/lab/prereqs.sh — installs what the lab needs on this machine (Debian
# packages), so that `make lab-up`, `make demo` and CI work on a fresh
# machine with nothing installed by hand. Idempotent and quiet when all is
# present. Needs root to install; without root it only says what is missing.
set -euo pipefail

need=()
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "lab: missing ${need[*]}; run as root or: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "lab: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
