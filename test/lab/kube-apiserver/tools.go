//go:build tools

// Package tools pins k8s.io/kubernetes/cmd/kube-apiserver, the only program
// this module builds (see ../scripts/build-kube-apiserver.sh).
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
