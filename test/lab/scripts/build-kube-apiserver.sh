#!/usr/bin/env bash
# build-kube-apiserver.sh OUT
#
# Builds k8s.io/kubernetes/cmd/kube-apiserver from the module in
# ../kube-apiserver (its go.mod pins the version and replaces every k8s.io
# staging module with its v0.31.x release) and installs it at OUT.
# Called by the lab package (cache.go) when the cache has no binary for the
# current key. About 6 minutes on 2 cores with a cold Go build cache.
set -euo pipefail

out=${1:?usage: build-kube-apiserver.sh OUT}
cd "$(dirname "$0")/../kube-apiserver"

version=$(go list -mod=readonly -m -f '{{.Version}}' k8s.io/kubernetes)
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
ldflags="$ldflags -X $pkg/verflag.programName=kube-apiserver"
mkdir -p "$(dirname "$out")"
start=$(date +%s)
CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -ldflags "$ldflags" \
  -o "$out.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver
mv -f "$out.tmp.$$" "$out"
echo "lab: kube-apiserver $version built in $(( $(date +%s) - start ))s ($(du -h "$out" | cut -f1))" >&2
