// Package kubefake is a kube-apiserver stand-in for tests: an HTTPS server
// on loopback answering the requests runbook's cluster inventory source
// makes (the kube-system namespace, ConfigMap kube-system/sealer-clusterfile),
// with bearer-token authentication, and a kubeconfig that trusts it. The
// real API server is only on the lab; this is the fast test.
package kubefake

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// Token is the bearer token the server accepts.
const Token = "tok-kubefake-0123456789"

// Server is a running fake API server.
type Server struct {
	*httptest.Server
}

// Start serves data as the ConfigMap's data (nil: no such ConfigMap) until
// the test ends.
func Start(t testing.TB, data map[string]string) *Server {
	t.Helper()
	s := &Server{httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+Token {
			status(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		switch {
		case r.Method != http.MethodGet:
			status(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		case r.URL.Path == "/api/v1/namespaces/kube-system":
			fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system"}}`)
		case r.URL.Path == "/api/v1/namespaces/kube-system/configmaps/sealer-clusterfile" && data != nil:
			body, _ := json.Marshal(map[string]any{"kind": "ConfigMap", "apiVersion": "v1",
				"metadata": map[string]any{"name": "sealer-clusterfile", "namespace": "kube-system"}, "data": data})
			_, _ = w.Write(body)
		default:
			status(w, http.StatusNotFound, "NotFound")
		}
	}))}
	t.Cleanup(s.Close)
	return s
}

func status(w http.ResponseWriter, code int, reason string) {
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":%q,"code":%d}`, reason, code)
}

// Kubeconfig writes dir/admin.conf, a kubeconfig for the server that
// trusts its certificate and carries Token, and returns its path.
func (s *Server) Kubeconfig(t testing.TB, dir string) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q, certificate-authority-data: %q}
users:
- name: u
  user: {token: %q}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`, s.URL, base64.StdEncoding.EncodeToString(ca), Token)
	p := filepath.Join(dir, "admin.conf")
	if err := os.WriteFile(p, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
