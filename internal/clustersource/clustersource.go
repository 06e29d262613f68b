// Package clustersource reads the Clusterfile a sealer cluster keeps in
// itself — ConfigMap kube-system/sealer-clusterfile, key Clusterfile,
// written by sealer v0.9 and later — as an inventory source. It is the copy
// that survives master0: ~/.sealer/Clusterfile lived on master0.
//
// A source is spelled "cluster://" (through a kubeconfig on this machine:
// Options.Kubeconfig, default /etc/kubernetes/admin.conf) or
// "cluster://HOST[:PORT][,HOST...]" (through SSH to a surviving master:
// its admin kubeconfig is read there and the API is dialled through that
// SSH connection, as the configmap module does; the hosts are tried in
// order until one answers). The package stands apart from inventory's
// parsers so that inventory needs no Kubernetes client.
package clustersource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/runbook-dev/runbook/internal/kubeapi"
	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/transport"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// Where sealer keeps the Clusterfile in the cluster.
const (
	Scheme    = "cluster://"
	Namespace = "kube-system"
	ConfigMap = "sealer-clusterfile"
	Key       = "Clusterfile"
)

// ErrNotFound means the API answered but holds no Clusterfile: the cluster
// was not made by sealer v0.9 or later.
var ErrNotFound = errors.New("the cluster has no ConfigMap " + Namespace + "/" + ConfigMap + " with key " + Key +
	" (sealer v0.9 and later write it; a sealer v0.8 cluster keeps its Clusterfile only in ~/.sealer/<cluster>/ on master0)")

// Is reports whether an inventory source names the cluster.
func Is(src string) bool { return strings.HasPrefix(src, Scheme) }

// Options says how to reach the cluster.
type Options struct {
	// Kubeconfig is the kubeconfig "cluster://" reads through; "" means
	// /etc/kubernetes/admin.conf.
	Kubeconfig string
	// SSH holds the settings for reaching masters named in the source
	// (user, keys, known_hosts, timeout, become password); Name, Addr and
	// Port are filled per master.
	SSH ssh.Config
	// MasterKubeconfig is the admin kubeconfig on a master; "" means
	// /etc/kubernetes/admin.conf.
	MasterKubeconfig string
	// Timeout bounds each attempt: connecting, reading the kubeconfig, and
	// each API request. 0 means 10s.
	Timeout time.Duration
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 10 * time.Second
}

// KubeconfigPath returns the kubeconfig a "cluster://" source reads through.
func (o Options) KubeconfigPath() string {
	if o.Kubeconfig != "" {
		return o.Kubeconfig
	}
	return kubeapi.AdminConf
}

// Read reads the Clusterfile the source names. The returned source's Name
// says where it came from (it is used in messages and parse errors).
func Read(ctx context.Context, src string, opt Options) (inventory.Source, error) {
	if !Is(src) {
		return inventory.Source{}, fmt.Errorf("%q is not a cluster source (%sHOST or %s)", src, Scheme, Scheme)
	}
	rest := strings.TrimPrefix(src, Scheme)
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		kc := opt.KubeconfigPath()
		cs, err := kubeapi.FromFile(ctx, kc, opt.timeout())
		if err != nil {
			return inventory.Source{}, fmt.Errorf("%s: %w", src, err)
		}
		return fetch(ctx, cs, opt.timeout(), "kubeconfig "+kc)
	}
	var failures []string
	for _, item := range strings.Split(rest, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		s, err := throughMaster(ctx, item, opt)
		if err == nil || errors.Is(err, ErrNotFound) || ctx.Err() != nil {
			return s, err
		}
		failures = append(failures, err.Error())
	}
	if len(failures) == 0 {
		return inventory.Source{}, fmt.Errorf("%s names no master: write %sHOST[,HOST...] or %s for the local kubeconfig", src, Scheme, Scheme)
	}
	return inventory.Source{}, fmt.Errorf("%s: no master answered: %s", src, strings.Join(failures, "; "))
}

// throughMaster reads the ConfigMap through one master, "host[:port]".
func throughMaster(ctx context.Context, item string, opt Options) (inventory.Source, error) {
	host, port, err := splitHostPort(item)
	if err != nil {
		return inventory.Source{}, err
	}
	cfg := opt.SSH
	cfg.Name, cfg.Addr, cfg.Port = host, host, port
	if cfg.Timeout == 0 {
		cfg.Timeout = opt.timeout()
	}
	dctx, cancel := context.WithTimeout(ctx, opt.timeout())
	conn, err := ssh.Dial(dctx, cfg)
	cancel()
	if err != nil {
		return inventory.Source{}, err
	}
	defer conn.Close()
	var become *transport.Become
	if cfg.User != "" && cfg.User != "root" {
		// admin.conf is root's: read it through sudo when plain reading is
		// refused.
		become = &transport.Become{}
	}
	path := opt.MasterKubeconfig
	if path == "" {
		path = kubeapi.AdminConf
	}
	cs, err := kubeapi.Through(ctx, conn, become, host, path, opt.timeout())
	if err != nil {
		return inventory.Source{}, err
	}
	return fetch(ctx, cs, opt.timeout(), "through "+host)
}

// splitHostPort reads "host", "host:port", "[v6]" or "[v6]:port"; port 0
// leaves it to ssh_config (else 22).
func splitHostPort(s string) (string, int, error) {
	if ip := net.ParseIP(s); ip != nil {
		return s, 0, nil
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return strings.Trim(s, "[]"), 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("%s: port %q is not a number from 1 to 65535", s, p)
	}
	return h, n, nil
}

// fetch reads the Clusterfile from the ConfigMap; via says how the API was
// reached.
func fetch(ctx context.Context, cs kubernetes.Interface, timeout time.Duration, via string) (inventory.Source, error) {
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := fmt.Sprintf("ConfigMap %s/%s (%s)", Namespace, ConfigMap, via)
	cm, err := cs.CoreV1().ConfigMaps(Namespace).Get(gctx, ConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return inventory.Source{}, fmt.Errorf("%s: %w", via, ErrNotFound)
	}
	if err != nil {
		return inventory.Source{}, fmt.Errorf("%s: %w", name, err)
	}
	data, ok := cm.Data[Key]
	if !ok {
		return inventory.Source{}, fmt.Errorf("%s: %w", via, ErrNotFound)
	}
	return inventory.Source{Name: name, Data: []byte(data)}, nil
}
