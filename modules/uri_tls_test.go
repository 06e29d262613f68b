package modules_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// uriClientPKI writes a client CA and a client certificate signed by it:
// the certificate alone, its key alone, and both in one file.
func uriClientPKI(t *testing.T, dir string) (pool *x509.CertPool, cert, key, both string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "runbook"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(k)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, key, both = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"), filepath.Join(dir, "client.pem")
	for p, b := range map[string][]byte{cert: certPEM, key: keyPEM, both: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, cert, key, both
}

// uriTLSServer starts a TLS server with conf's settings and writes its
// certificate as a CA file.
func uriTLSServer(t *testing.T, conf *tls.Config) (*httptest.Server, string) {
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(uriServer(&hits))
	srv.TLS = conf
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes that fail on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "server-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func TestURIClientCert(t *testing.T) {
	dir := t.TempDir()
	pool, cert, key, both := uriClientPKI(t, dir)
	srv, ca := uriTLSServer(t, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
	keyPEM, _ := os.ReadFile(key)
	secret := strings.Split(string(keyPEM), "\n")[1] // a line of the key's base64
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		run := func(raw map[string]any) *modules.Result {
			raw["url"], raw["ca_path"], raw["from"] = srv.URL+"/json", ca, from
			return helperMustRun(t, mc, "uri", raw)
		}
		if r := run(map[string]any{}); !r.Failed || r.Data["status"] != -1 {
			t.Errorf("no client certificate: %+v", r)
		}
		for _, raw := range []map[string]any{{"client_cert": cert, "client_key": key}, {"client_cert": both}} {
			if r := run(raw); r.Failed || r.Data["status"] != 200 {
				t.Errorf("%v: %+v", raw, r)
			}
		}
	})
	// Relative controller paths: next to the playbook or in its files/.
	mc := helperContext(t, nil)
	mc.PlaybookDir = filepath.Dir(dir)
	r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "ca_path": ca,
		"client_cert": filepath.Join(filepath.Base(dir), "client.crt"), "client_key": filepath.Join(filepath.Base(dir), "client.key")})
	if r.Failed {
		t.Errorf("relative: %+v", r)
	}
	// A key that does not match: the error does not show the key.
	_, other, _, _ := uriClientPKI(t, t.TempDir())
	_, err := helperRun(t, helperContext(t, nil), "uri", map[string]any{"url": srv.URL + "/json", "client_cert": other, "client_key": key})
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "client_cert") {
		t.Errorf("mismatched key: %v", err)
	}
}

func TestURICiphers(t *testing.T) {
	srv, ca := uriTLSServer(t, &tls.Config{MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	mc := helperContext(t, nil)
	run := func(ciphers any) (*modules.Result, error) {
		return helperRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "ca_path": ca, "ciphers": ciphers})
	}
	for _, ok := range []any{
		[]any{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
		"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
		[]any{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"},
	} {
		if r, err := run(ok); err != nil || r.Failed {
			t.Errorf("%v: %v %+v", ok, err, r)
		}
	}
	for _, bad := range []any{[]any{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"}, "TLS_AES_256_GCM_SHA384"} {
		if r, err := run(bad); err != nil || !r.Failed || r.Data["status"] != -1 {
			t.Errorf("%v: the server takes none of them: %v %+v", bad, err, r)
		}
	}
	// From the host the list goes to curl (OpenSSL) as it is.
	eachConn(t, func(t *testing.T, c testConn) {
		run := func(ciphers string) *modules.Result {
			return helperMustRun(t, connContext(t, c, nil), "uri", map[string]any{"url": srv.URL + "/json", "ca_path": ca,
				"ciphers": ciphers, "from": "host"})
		}
		if r := run("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"); r.Failed {
			t.Errorf("host, matching: %+v", r)
		}
		if r := run("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384"); !r.Failed {
			t.Errorf("host, none matching: %+v", r)
		}
	})
	for _, c := range []struct{ ciphers, name string }{{"ECDHE-RSA-AES128-GCM-SHA256:HIGH", `"HIGH"`}, {"!aNULL", `"!aNULL"`},
		{"CAMELLIA128-SHA", `"CAMELLIA128-SHA"`}} {
		_, err := run(c.ciphers)
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "ciphers") {
			t.Errorf("%s: %v", c.ciphers, err)
		}
	}
}

// unix_socket, unredirected_headers and follow_redirects: urllib2.
func TestURIConnectionOptions(t *testing.T) {
	var hits atomic.Int64
	mux := uriServer(&hits).(*http.ServeMux)
	mux.HandleFunc("/to-echo", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusFound
		if r.URL.Query().Get("code") != "" {
			fmt.Sscan(r.URL.Query().Get("code"), &code)
		}
		http.Redirect(w, r, "/echo", code)
	})
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	unix := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go unix.Serve(l)
	t.Cleanup(func() { unix.Close() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		r := helperMustRun(t, mc, "uri", map[string]any{"url": "http://docker/json", "unix_socket": sock, "from": from})
		if r.Failed || r.Data["status"] != 200 {
			t.Errorf("unix_socket: %+v", r)
		}
	})
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/to-echo", "headers": map[string]any{"X-Token": "t1"},
		"unredirected_headers": []any{"x-token"}})
	if j, _ := r.Data["json"].(map[string]any); r.Failed || j["token"] != "" || r.Data["redirected"] != true {
		t.Errorf("unredirected_headers: %+v", r.Data)
	}
	r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/to-echo?code=307", "method": "POST", "body": "x",
		"follow_redirects": "urllib2", "status_code": 307})
	if r.Failed || r.Data["status"] != 307 {
		t.Errorf("urllib2 does not repeat a POST: %+v", r.Data)
	}
	r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/to-echo?code=303", "method": "POST", "body": "x",
		"follow_redirects": "urllib2"})
	if j, _ := r.Data["json"].(map[string]any); r.Failed || j["method"] != "GET" {
		t.Errorf("urllib2 follows a 303 with GET: %+v", r.Data)
	}
	if _, err := helperRun(t, mc, "uri", map[string]any{"url": srv.URL, "from": "host", "unredirected_headers": []any{"a"}}); err == nil {
		t.Error("unredirected_headers from: host accepted")
	}
}

// get_url shares uri's client, and its ciphers.
func TestGetURLCiphers(t *testing.T) {
	srv, ca := uriTLSServer(t, &tls.Config{MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	dest := filepath.Join(t.TempDir(), "doc.json")
	run := func(ciphers string) (*modules.Result, error) {
		return helperRun(t, helperContext(t, nil), "get_url", map[string]any{"url": srv.URL + "/json", "dest": dest,
			"ca_path": ca, "ciphers": ciphers, "force": true})
	}
	if r, err := run("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"); err != nil || r.Failed {
		t.Fatalf("matching: %v %+v", err, r)
	}
	if _, err := run("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384"); err == nil {
		t.Error("none matching: no error")
	}
	if _, err := run("DEFAULT"); err == nil || !strings.Contains(err.Error(), `"DEFAULT"`) {
		t.Errorf("DEFAULT: %v", err)
	}
}
