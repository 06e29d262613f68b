package lab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// labTransport returns an HTTP transport that trusts caPEM, never uses a
// proxy, and dials only lab addresses; hosts maps names (sea.hub:5000) to
// lab addresses.
func labTransport(caPEM []byte, hosts map[string]string) (*http.Transport, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("lab: no certificate in CA PEM")
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if a, ok := hosts[addr]; ok {
				addr = a
			}
			if err := checkLabAddr(addr); err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		IdleConnTimeout:       10 * time.Second,
	}, nil
}

// Kube sends one request to the API server as the admin user and returns
// the status code and body. path is e.g. /api/v1/namespaces/kube-system/configmaps;
// body, if not nil, is sent as JSON.
func (l *Lab) Kube(ctx context.Context, method, path string, body any) (int, []byte, error) {
	ca, err := os.ReadFile(filepath.Join(l.pkiDir(), "ca.crt"))
	if err != nil {
		return 0, nil, err
	}
	tok, err := l.KubeToken()
	if err != nil {
		return 0, nil, err
	}
	tr, err := labTransport(ca, nil)
	if err != nil {
		return 0, nil, err
	}
	defer tr.CloseIdleConnections()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, l.APIServerURL()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

// apiserverReady checks /readyz once.
func (l *Lab) apiserverReady(ctx context.Context) error {
	code, body, err := l.Kube(ctx, http.MethodGet, "/readyz", nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("/readyz: %d %s", code, bytes.TrimSpace(body))
	}
	return nil
}

// WaitAPIServer waits until the API server's /readyz answers 200, for at
// most timeout.
func (l *Lab) WaitAPIServer(ctx context.Context, timeout time.Duration) error {
	var last error
	err := waitFor(ctx, timeout, func() bool {
		if WaitPort(ctx, l.APIServerNode().Addr(APIServerPort), 0) != nil {
			last = fmt.Errorf("port closed")
			return false
		}
		last = l.apiserverReady(ctx)
		return last == nil
	})
	if err != nil {
		return fmt.Errorf("lab: kube-apiserver on %s not ready: %w (last: %v)", l.APIServerNode().Name, err, last)
	}
	return nil
}

// ConfigMap is the part of a Kubernetes ConfigMap the lab reads and writes.
type ConfigMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   ObjectMeta        `json:"metadata"`
	Data       map[string]string `json:"data,omitempty"`
}

// ObjectMeta is the name and namespace of an object.
type ObjectMeta struct {
	Name            string `json:"name"`
	Namespace       string `json:"namespace,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// GetConfigMap reads a ConfigMap; found is false on 404.
func (l *Lab) GetConfigMap(ctx context.Context, ns, name string) (cm ConfigMap, found bool, err error) {
	code, body, err := l.Kube(ctx, http.MethodGet, "/api/v1/namespaces/"+ns+"/configmaps/"+name, nil)
	if err != nil {
		return cm, false, err
	}
	if code == http.StatusNotFound {
		return cm, false, nil
	}
	if code != http.StatusOK {
		return cm, false, fmt.Errorf("lab: get configmap %s/%s: %d %s", ns, name, code, body)
	}
	return cm, true, json.Unmarshal(body, &cm)
}

// ApplyConfigMap creates the ConfigMap or replaces its data.
func (l *Lab) ApplyConfigMap(ctx context.Context, ns, name string, data map[string]string) error {
	cur, found, err := l.GetConfigMap(ctx, ns, name)
	if err != nil {
		return err
	}
	cm := ConfigMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: ObjectMeta{Name: name, Namespace: ns}, Data: data}
	method, path := http.MethodPost, "/api/v1/namespaces/"+ns+"/configmaps"
	if found {
		cm.Metadata.ResourceVersion = cur.Metadata.ResourceVersion
		method, path = http.MethodPut, path+"/"+name
	}
	code, body, err := l.Kube(ctx, method, path, cm)
	if err != nil {
		return err
	}
	if code != http.StatusOK && code != http.StatusCreated {
		return fmt.Errorf("lab: %s configmap %s/%s: %d %s", method, ns, name, code, body)
	}
	return nil
}
