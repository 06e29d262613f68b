package test

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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// uri over mutual TLS through the CLI: the client certificate and key are
// found in files/ next to the playbook, the server sees the certificate,
// and the key never shows, even at -vvv with --diff.
func TestURIClientCertCLI(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no certificate", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "hello %s\n", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "operator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	play := `
- hosts: all
  gather_facts: false
  tasks:
    - uri:
        url: "` + srv.URL + `/"
        validate_certs: false
        client_cert: client.crt
        client_key: client.key
        return_content: true
      register: r
    - assert: {that: ["r.content == 'hello operator\n'"]}
`
	dir := workdir(t, map[string]string{"site.yaml": play, "hosts": "localhost ansible_connection=local\n",
		"files/client.crt": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), "files/client.key": keyPEM})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-vvv", "--diff")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, line := range strings.Split(strings.TrimSpace(keyPEM), "\n")[1:3] {
		if strings.Contains(r.stdout+r.stderr, line) {
			t.Fatalf("the key was printed:\n%s", r)
		}
	}
}
