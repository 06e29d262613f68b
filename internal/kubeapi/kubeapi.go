// Package kubeapi reaches a Kubernetes API server the way runbook does
// everywhere: from a kubeconfig on this machine, or from a master's admin
// kubeconfig read over SSH with the API dialled THROUGH that SSH connection,
// so this machine needs no route to the API. The Kubernetes modules
// (configmap, secret) and the cluster inventory source share it.
package kubeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/runbook-dev/runbook/transport"
)

// AdminConf is where a kubeadm (and sealer) master keeps the admin
// kubeconfig.
const AdminConf = "/etc/kubernetes/admin.conf"

// FromFile returns a client for the kubeconfig file at path on this
// machine, after the API answered; timeout bounds each request.
func FromFile(ctx context.Context, path string, timeout time.Duration) (kubernetes.Interface, error) {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return probe(ctx, cfg, timeout)
}

// Through reads the kubeconfig at path on the host behind conn (as become
// when it is not readable otherwise) and returns a client whose
// connections to the API are tunnelled through conn, after the API
// answered. host names the host in errors.
func Through(ctx context.Context, conn transport.Transport, become *transport.Become, host, path string, timeout time.Duration) (kubernetes.Interface, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var buf bytes.Buffer
	if err := transport.ReadFileAs(actx, conn, become, path, &buf); err != nil {
		return nil, fmt.Errorf("read %s on %s: %w", path, host, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s on %s: %w", path, host, err)
	}
	d, ok := conn.(transport.Dialer)
	if !ok {
		return nil, errors.New("its connection cannot open tunnels")
	}
	cfg.Dial = d.DialContext
	return probe(ctx, cfg, timeout)
}

// probe checks the API answers before the client is used, so a dead API
// server is one clear error and the caller can try the next master.
func probe(ctx context.Context, cfg *rest.Config, timeout time.Duration) (kubernetes.Interface, error) {
	cfg.Timeout = timeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("API client for %s: %w", cfg.Host, err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := cs.CoreV1().Namespaces().Get(pctx, "kube-system", metav1.GetOptions{}); err != nil {
		return nil, fmt.Errorf("API server %s: %w", cfg.Host, err)
	}
	return cs, nil
}
