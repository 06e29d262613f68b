package clustersource_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/clustersource"
	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/test/kubefake"
	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport/ssh"
)

const clusterfile = `apiVersion: sealer.io/v2
kind: Cluster
metadata: {name: my-cluster}
spec:
  ssh: {passwd: Seal3r!pw}
  hosts:
  - ips: [10.0.0.11, 10.0.0.12]
    roles: [master]
  registry:
    localRegistry: {ha: true, password: reg-Secret}
`

func TestReadThroughKubeconfig(t *testing.T) {
	api := kubefake.Start(t, map[string]string{"Clusterfile": clusterfile})
	kc := api.Kubeconfig(t, t.TempDir())
	src, err := clustersource.Read(context.Background(), "cluster://", clustersource.Options{Kubeconfig: kc, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ConfigMap kube-system/sealer-clusterfile (kubeconfig " + kc + ")"; src.Name != want {
		t.Errorf("name %q, want %q", src.Name, want)
	}
	inv, err := inventory.LoadSources([]inventory.Source{src})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.GroupHosts()["registry"]; strings.Join(got, ",") != "10.0.0.11,10.0.0.12" {
		t.Errorf("registry group %v", got)
	}
	if inv.HostVars("10.0.0.12")["ansible_password"] != "Seal3r!pw" {
		t.Errorf("host vars %v", inv.HostVars("10.0.0.12"))
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	none := kubefake.Start(t, nil)
	_, err := clustersource.Read(context.Background(), "cluster://", clustersource.Options{Kubeconfig: none.Kubeconfig(t, dir)})
	if !errors.Is(err, clustersource.ErrNotFound) {
		t.Errorf("no ConfigMap: got %v, want ErrNotFound", err)
	}
	otherKey := kubefake.Start(t, map[string]string{"other": "x"})
	_, err = clustersource.Read(context.Background(), "cluster://", clustersource.Options{Kubeconfig: otherKey.Kubeconfig(t, t.TempDir())})
	if !errors.Is(err, clustersource.ErrNotFound) {
		t.Errorf("no Clusterfile key: got %v, want ErrNotFound", err)
	}
	_, err = clustersource.Read(context.Background(), "cluster://", clustersource.Options{Kubeconfig: filepath.Join(dir, "missing.conf")})
	if err == nil || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("missing kubeconfig: got %v", err)
	}
	// An API that is gone fails within the timeout, naming the server.
	gone := kubefake.Start(t, map[string]string{"Clusterfile": clusterfile})
	kc := gone.Kubeconfig(t, t.TempDir())
	gone.Close()
	start := time.Now()
	_, err = clustersource.Read(context.Background(), "cluster://", clustersource.Options{Kubeconfig: kc, Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "API server "+gone.URL) || time.Since(start) > 10*time.Second {
		t.Errorf("dead API: got %v after %s", err, time.Since(start))
	}
	for _, bad := range []string{"cluster://,", "cluster://h:99999", "10.0.0.1,"} {
		if _, err := clustersource.Read(context.Background(), bad, clustersource.Options{}); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

// Through a master over real OpenSSH: the kubeconfig is read on the host
// and the API dialled through the SSH connection; a dead first master is
// skipped.
func TestReadThroughMaster(t *testing.T) {
	sshd.Require(t)
	srv := sshd.Start(t, sshd.Options{})
	api := kubefake.Start(t, map[string]string{"Clusterfile": clusterfile})
	kc := api.Kubeconfig(t, srv.Dir)
	opt := clustersource.Options{
		MasterKubeconfig: kc,
		Timeout:          5 * time.Second,
		SSH:              ssh.Config{User: "root", KeyFiles: []string{srv.KeyPath}, KnownHostsFile: srv.KnownHosts},
	}
	dead := "127.0.0.1:1" // nothing listens on port 1 of loopback
	src, err := clustersource.Read(context.Background(), fmt.Sprintf("cluster://%s,%s", dead, srv.Addr), opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ConfigMap kube-system/sealer-clusterfile (through " + srv.Host + ")"; src.Name != want {
		t.Errorf("name %q, want %q", src.Name, want)
	}
	if string(src.Data) != clusterfile {
		t.Errorf("data %q", src.Data)
	}
	_, err = clustersource.Read(context.Background(), "cluster://"+dead, opt)
	if err == nil || !strings.Contains(err.Error(), "no master answered") {
		t.Errorf("dead master: got %v", err)
	}
}
