#!/bin/bash
# init-registry.sh PORT DATA_DIR DOMAIN — the runbook lab's copy of the
# script sealer's cluster images ship at <rootfs>/scripts/init-registry.sh
# (sealerio/basefs, v0.9.1+). sealer runs it on every registry deploy host as
#
#   cd <rootfs>/scripts && bash init-registry.sh <port> <rootfs>/registry <domain>
#
# An existing "sealer-registry" container is started (a running one is left
# as it is). Otherwise the registry image is loaded from <rootfs>/images and
# the container created: registry:2.7.1, --restart=always, --net=host, the
# rootfs's certs, data, config and htpasswd mounted, TLS and auth from the
# environment. Written for the lab from the documented behaviour.
#
# The one deliberate difference from sealer's script: every lab node shares
# the machine's network namespace, so the registry listens on the node's own
# address (REGISTRY_HTTP_ADDR=<node ip>:<port>, debug <node ip>:5002) instead
# of :<port> on every address. The node's address is LAB_NODE_IP in
# /etc/runbook-lab/node.env.
set -e

REGISTRY_PORT=${1-5000}
VOLUME=${2-/var/lib/registry}
REGISTRY_DOMAIN=${3-sea.hub}

container=sealer-registry
rootfs=$(cd "$(dirname "$0")/.." && pwd)
config="$rootfs/etc/registry_config.yml"
htpasswd="$rootfs/etc/registry_htpasswd"
certs_dir="$rootfs/certs"
image_dir="$rootfs/images"
image=registry:2.7.1

# shellcheck source=/dev/null
. /etc/runbook-lab/node.env
listen="${LAB_NODE_IP:?no LAB_NODE_IP in /etc/runbook-lab/node.env}"

load_images() {
  for image_file in "$image_dir"/*; do
    if [ -f "$image_file" ]; then
      docker load -q -i "$image_file"
    fi
  done
}

check_registry() {
  n=1
  while (( n <= 3 )); do
    registry_status=$(docker inspect --format '{{json .State.Status}}' "$container")
    if [[ "$registry_status" == \"running\" ]]; then
      break
    fi
    if [[ $n -eq 3 ]]; then
      echo "sealer-registry is not running, status: $registry_status"
      exit 1
    fi
    (( n++ ))
    sleep 3
  done
}

startRegistry() {
  n=1
  while (( n <= 3 )); do
    docker start "$container" >/dev/null && break
    if [[ $n -eq 3 ]]; then
      echo "cannot start $container"
      exit 1
    fi
    (( n++ ))
    sleep 3
  done
}

mkdir -p "$VOLUME"
if docker inspect "$container" >/dev/null 2>&1; then
  startRegistry
  check_registry
  exit 0
fi

load_images

regArgs="-d --restart=always --net=host --name $container \
  -v $certs_dir:/certs -v $VOLUME:/var/lib/registry \
  -e REGISTRY_HTTP_TLS_CERTIFICATE=/certs/$REGISTRY_DOMAIN.crt \
  -e REGISTRY_HTTP_TLS_KEY=/certs/$REGISTRY_DOMAIN.key \
  -e REGISTRY_HTTP_DEBUG_ADDR=$listen:5002 -e REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED=true \
  -e REGISTRY_HTTP_ADDR=$listen:$REGISTRY_PORT"

if [ -f "$config" ]; then
  sed -i "s/5000/$REGISTRY_PORT/g" "$config"
  regArgs="$regArgs -v $config:/etc/docker/registry/config.yml"
fi

if [ -f "$htpasswd" ]; then
  # shellcheck disable=SC2086
  docker run $regArgs \
    -v "$htpasswd":/htpasswd -e REGISTRY_AUTH=htpasswd \
    -e REGISTRY_AUTH_HTPASSWD_PATH=/htpasswd \
    -e REGISTRY_AUTH_HTPASSWD_REALM="Registry Realm" \
    "$image" >/dev/null || (docker start "$container" >/dev/null)
else
  # shellcheck disable=SC2086
  docker run $regArgs "$image" >/dev/null || (docker start "$container" >/dev/null)
fi

check_registry
