package test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// TestRegistryKeyMaterialOnlyInSecret proves the README's rule: after
// registry-deploy, the private key and htpasswd (and the registry password)
// are in the Secret kube-system/sealer-registry, never in the ConfigMap of
// the same name, which anyone who can read kube-system ConfigMaps reads.
func TestRegistryKeyMaterialOnlyInSecret(t *testing.T) {
	l, dir, ctx := freshLab(t, lab.DefaultSeedOptions())
	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml"), 0, "registry-deploy")
	pw, err := l.RegistryPassword()
	if err != nil || pw == "" {
		t.Fatalf("registry password: %q %v", pw, err)
	}

	cm, found, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry")
	if err != nil || !found {
		t.Fatalf("ConfigMap kube-system/sealer-registry: found=%v %v", found, err)
	}
	if !strings.Contains(cm.Data["tls.crt"], "BEGIN CERTIFICATE") {
		t.Errorf("the ConfigMap should hold the certificate (tls.crt); keys: %v", secretKeys(cm.Data))
	}
	for k, v := range cm.Data {
		if k == "registry" {
			// sealer's own record (v0.10+), which holds the password in
			// plain text: sealer wrote it, runbook keeps it as it is.
			continue
		}
		for _, bad := range []string{"PRIVATE KEY", "$2a$", "$2y$", "$2b$", pw} {
			if strings.Contains(v, bad) {
				t.Errorf("ConfigMap sealer-registry key %q holds secret material (%.8s…)", k, bad)
			}
		}
	}

	code, body, err := l.Kube(ctx, http.MethodGet, "/api/v1/namespaces/kube-system/secrets/sealer-registry", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("Secret kube-system/sealer-registry: HTTP %d %v", code, err)
	}
	var sec struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &sec); err != nil {
		t.Fatal(err)
	}
	decoded := map[string]string{}
	for k, v := range sec.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("Secret key %q: %v", k, err)
		}
		decoded[k] = string(b)
	}
	if !strings.Contains(decoded["tls.key"], "PRIVATE KEY") {
		t.Errorf("the Secret lacks the private key (tls.key); keys: %v", secretKeys(decoded))
	}
	if !strings.HasPrefix(decoded["htpasswd"], "sealer:$2") {
		t.Errorf("the Secret lacks the bcrypt htpasswd; keys: %v", secretKeys(decoded))
	}
}

func secretKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
