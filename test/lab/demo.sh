#!/usr/bin/env bash
# make demo: the whole story on the lab, one step at a time, in the shape
# LAB_SHAPE says (ha, sealer's default: every master runs the registry and
# workers use a VIP; single: master0 runs the only registry). runbook
# prepares the masters, master0 is killed, runbook recovers onto master1 and
# proves every node pulls every image; node1 pulls once more to show it.
set -euo pipefail
RUNBOOK=${RUNBOOK:-bin/runbook}
LABCTL=${LABCTL:-go run -buildvcs=false ./test/lab/cmd/labctl}
LAB=${RUNBOOK_LAB_DIR:-/var/lib/runbook-lab}
CF="$LAB/Clusterfile"
KH="$LAB/known_hosts"
M0=127.0.10.2 M1=127.0.10.3
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1/7 Bring the lab up and seed it the way a sealer install leaves a cluster (LAB_SHAPE=${LAB_SHAPE:-ha})"
run $LABCTL seed

step "2/7 What runbook sees in the Clusterfile"
run "$RUNBOOK" inventory -i "$CF" --graph

step "3/7 Deploy the registry on the registry hosts (a no-op where it already runs)"
run "$RUNBOOK" play registry-deploy.yaml -i "$CF" --known-hosts "$KH"

step "4/7 Pre-distribute: every master holds what it needs to serve the registry"
apps=$(mktemp --suffix=.yaml)
trap 'rm -f "$apps"' EXIT
cat >"$apps" <<'APPS'
sealer_apps:
  type: kube-installer
  applications: [{name: coredns, image_id: "", type: kube, launch_cmd: "kubectl apply -f apps/coredns/", version: v1}]
  launch: {app_names: [coredns]}
  images: ["pause:3.10", "coredns/coredns:v1.11.3", "sealerio/lvscare:v1.1.3-beta.8"]
APPS
run "$RUNBOOK" play pre-distribute.yaml -i "$CF" --known-hosts "$KH" -e @"$apps"

step "5/7 Disaster: master0 ($M0) is hard-killed"
run $LABCTL kill master0

step "6/7 Recover the registry onto master1 ($M1): dry run first, then for real"
run "$RUNBOOK" play recover-master0.yaml -i "$CF" --known-hosts "$KH" -e host=$M1 --check
run "$RUNBOOK" play recover-master0.yaml -i "$CF" --known-hosts "$KH" -e host=$M1

step "7/7 node1 pulls through sea.hub:5000 with docker, as kubelet would"
pull='grep sea.hub /etc/hosts; docker rmi -f sea.hub:5000/coredns/coredns:v1.11.3 >/dev/null 2>&1; docker pull sea.hub:5000/coredns/coredns:v1.11.3'
run $LABCTL run node1 "$pull"

printf '\n\033[1mDone.\033[0m master0 stays down: "make lab-seed" restarts and reseeds it, "make lab-down" stops the lab.\n'
