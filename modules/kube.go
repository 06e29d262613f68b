package modules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/runbook-dev/runbook/internal/kubeapi"
)

// Reaching the Kubernetes API, shared by configmap and secret. By default
// the admin kubeconfig is read from a master over SSH and the API server is
// dialled THROUGH that master's SSH connection (internal/kubeapi, also used
// by the cluster inventory source), so the controller needs no route to the
// API; masters are tried in order until one answers (master0 may be dead).
// A local kubeconfig works too.

// kubeParams are the connection parameters of the Kubernetes modules.
var kubeParams = []Param{
	{Name: "kubeconfig", Type: TypePath, Doc: "A kubeconfig file on the controller; when set, the API is reached from the controller directly (KUBECONFIG is used when neither this nor via is set and no master group exists)."},
	{Name: "kubeconfig_path", Type: TypePath, Default: "/etc/kubernetes/admin.conf", Doc: "Where the admin kubeconfig is on the masters."},
	{Name: "via", Type: TypeList, Doc: "Hosts to reach the API through, tried in order until one answers. Default: the master group, in inventory order."},
	{Name: "timeout", Type: TypeInt, Default: 10, Doc: "Seconds each attempt (reading the kubeconfig, dialling, the first request) may take."},
}

// kubeClient is a working client and the host it goes through.
type kubeClient struct {
	cs  kubernetes.Interface
	via string // "" when from a controller kubeconfig
}

// newKubeClient returns a client that answered a version request.
func newKubeClient(ctx context.Context, mc *Context, a Args) (*kubeClient, error) {
	timeout := time.Duration(max(a.Int("timeout"), 1)) * time.Second
	if p := a.String("kubeconfig"); p != "" {
		return kubeFromControllerFile(ctx, p, timeout)
	}
	hosts := a.StringList("via")
	if len(hosts) == 0 {
		hosts = groupHosts(mc, "master")
	}
	if len(hosts) == 0 {
		if p := os.Getenv("KUBECONFIG"); p != "" {
			return kubeFromControllerFile(ctx, p, timeout)
		}
		return nil, errors.New("no way to reach the API: give via (hosts), kubeconfig, or an inventory with a master group")
	}
	var failures []string
	for _, h := range hosts {
		c, err := kubeThrough(ctx, mc, h, a.String("kubeconfig_path"), timeout)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		failures = append(failures, fmt.Sprintf("%s: %v", h, err))
	}
	return nil, fmt.Errorf("no master answered (tried %d): %s", len(hosts), strings.Join(failures, "; "))
}

// groupHosts reads a group's hosts from the magic variable groups.
func groupHosts(mc *Context, group string) []string {
	groups, _ := mc.Vars["groups"].(map[string][]any)
	if groups == nil {
		if g, ok := mc.Vars["groups"].(map[string]any); ok {
			l, _ := g[group].([]any)
			return anyStrings(l)
		}
		return nil
	}
	return anyStrings(groups[group])
}

func anyStrings(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func kubeFromControllerFile(ctx context.Context, path string, timeout time.Duration) (*kubeClient, error) {
	cs, err := kubeapi.FromFile(ctx, path, timeout)
	if err != nil {
		return nil, err
	}
	return &kubeClient{cs: cs}, nil
}

// kubeThrough reads the kubeconfig on host and dials the API through it.
func kubeThrough(ctx context.Context, mc *Context, host, path string, timeout time.Duration) (*kubeClient, error) {
	if mc.Connect == nil {
		return nil, errors.New("this run cannot reach other hosts")
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := mc.Connect(actx, host)
	if err != nil {
		return nil, err
	}
	cs, err := kubeapi.Through(ctx, conn, mc.BecomeFor(host), host, path, timeout)
	if err != nil {
		return nil, err
	}
	return &kubeClient{cs: cs, via: host}, nil
}
