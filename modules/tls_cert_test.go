package modules_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// tlsTestSelfSigned makes a self-signed CA certificate the way sealer does
// (CA-type, IPs in the DNS list), independently of the module.
func tlsTestSelfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "registry-ca"},
		DNSNames: []string{"sea.hub", "192.168.0.2"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(100, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

type tlsTestPaths struct{ dir, cert, key, caCert, caKey string }

func tlsTestSetup(t *testing.T) tlsTestPaths {
	d := filepath.Join(t.TempDir(), "rootfs", "certs")
	return tlsTestPaths{d, filepath.Join(d, "sea.hub.crt"), filepath.Join(d, "sea.hub.key"), filepath.Join(d, "ca.crt"), filepath.Join(d, "ca.key")}
}

func (p tlsTestPaths) args(extra map[string]any) map[string]any {
	a := map[string]any{"cert": p.cert, "key": p.key, "ca_cert": p.caCert, "ca_key": p.caKey,
		"dns_names": []any{"sea.hub", "192.168.0.9"}, "ip_addresses": []any{"127.0.0.1"}}
	for k, v := range extra {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	return a
}

func tlsTestCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", p)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tlsTestNoSecrets fails when the result shows any key material.
func tlsTestNoSecrets(t *testing.T, r *modules.Result, keyFiles ...string) {
	t.Helper()
	out, err := json.Marshal(r.Map())
	if err != nil {
		t.Fatal(err)
	}
	s := string(out) + r.Msg
	for _, d := range r.Diff {
		s += d.Before + d.After
	}
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "BEGIN") {
		t.Fatalf("PEM material in the result: %s", s)
	}
	for _, f := range keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		blk, _ := pem.Decode(b)
		if blk != nil && strings.Contains(s, string(blk.Bytes)) || strings.Contains(s, strings.TrimSpace(string(b))) {
			t.Fatalf("key %s in the result", f)
		}
	}
}

func tlsTestStat(t *testing.T, files ...string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(f)
		b.WriteString(fi.ModTime().String() + string(data))
	}
	return b.String()
}

func TestTLSCertCASigned(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := tlsTestSetup(t)
		mc := connContext(t, c, nil)
		mc.Diff = true
		r := helperMustRun(t, mc, "tls_cert", p.args(nil))
		if !r.Changed || r.Data["generated"] != true || r.Data["ca_generated"] != true {
			t.Fatalf("result %+v", r.Map())
		}
		tlsTestNoSecrets(t, r, p.key, p.caKey)
		ca, leaf := tlsTestCert(t, p.caCert), tlsTestCert(t, p.cert)
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		for _, name := range []string{"sea.hub", "192.168.0.9", "127.0.0.1"} {
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				t.Errorf("verify %s: %v", name, err)
			}
		}
		if !ca.IsCA || leaf.IsCA || leaf.Subject.CommonName != "sea.hub" || ca.Subject.CommonName != "registry-ca" {
			t.Fatalf("ca %v leaf %v", ca.Subject, leaf.Subject)
		}
		if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Fatalf("default key type %T", leaf.PublicKey)
		}
		if _, err := tls.LoadX509KeyPair(p.cert, p.key); err != nil {
			t.Fatalf("key does not match: %v", err)
		}
		for f, mode := range map[string]os.FileMode{p.key: 0o600, p.caKey: 0o600, p.cert: 0o644, p.caCert: 0o644} {
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != mode {
				t.Errorf("%s: mode %v, want %v (%v)", f, fi.Mode(), mode, err)
			}
		}
		sum := sha256.Sum256(leaf.Raw)
		if r.Data["fingerprint_sha256"] != hex.EncodeToString(sum[:]) || r.Data["not_after"] != leaf.NotAfter.UTC().Format(time.RFC3339) {
			t.Fatalf("fingerprint/not_after %+v", r.Data)
		}
		// Valid: reused, nothing written.
		before := tlsTestStat(t, p.cert, p.key, p.caCert, p.caKey)
		r = helperMustRun(t, mc, "tls_cert", p.args(nil))
		if r.Changed || r.Data["generated"] != false || tlsTestStat(t, p.cert, p.key, p.caCert, p.caKey) != before {
			t.Fatalf("valid certificate not reused: %+v", r.Map())
		}
		// A missing SAN: a new certificate from the same CA.
		r = helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"dns_names": []any{"sea.hub", "reg.example.com"}}))
		if !r.Changed || r.Data["ca_generated"] != false || !strings.Contains(r.Data["reason"].(string), "reg.example.com") {
			t.Fatalf("missing SAN: %+v", r.Map())
		}
		if tlsTestCert(t, p.caCert).Equal(ca) == false || tlsTestCert(t, p.cert).Equal(leaf) {
			t.Fatal("the CA changed or the certificate did not")
		}
		tlsTestNoSecrets(t, r, p.key, p.caKey)
	})
}

func TestTLSCertExpiringAndForce(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := tlsTestSetup(t)
		mc := connContext(t, c, nil)
		helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"validity_days": 10, "key_type": "rsa", "renew_before_days": 0}))
		if k := tlsTestCert(t, p.cert).PublicKey.(*rsa.PublicKey); k.N.BitLen() != 2048 {
			t.Fatalf("rsa key of %d bits", k.N.BitLen())
		}
		if r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"renew_before_days": 5})); r.Changed {
			t.Fatalf("10-day certificate renewed 5 days ahead: %+v", r.Map())
		}
		r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"renew_before_days": 30}))
		if !r.Changed || r.Data["generated"] != true {
			t.Fatalf("expiring certificate not renewed: %+v", r.Map())
		}
		if d := time.Until(tlsTestCert(t, p.cert).NotAfter); d < 3000*24*time.Hour {
			t.Fatalf("renewed certificate valid for %v only", d)
		}
		old := tlsTestCert(t, p.cert)
		if r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"force": true})); !r.Changed || tlsTestCert(t, p.cert).Equal(old) {
			t.Fatalf("force: %+v", r.Map())
		}
		// A key that does not belong to the certificate is not reused.
		_, otherKey := tlsTestSelfSigned(t)
		if err := os.WriteFile(p.key, []byte(otherKey), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := helperMustRun(t, mc, "tls_cert", p.args(nil)); !r.Changed || !strings.Contains(r.Data["reason"].(string), "private key") {
			t.Fatalf("mismatched key: %+v", r.Map())
		}
		if _, err := tls.LoadX509KeyPair(p.cert, p.key); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTLSCertSelfSigned(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := tlsTestSetup(t)
		mc := connContext(t, c, nil)
		args := p.args(map[string]any{"self_signed": true, "ca_cert": nil, "ca_key": nil, "common_name": "registry-ca"})
		r := helperMustRun(t, mc, "tls_cert", args)
		if !r.Changed || r.Data["ca_cert"] != "" {
			t.Fatalf("result %+v", r.Map())
		}
		tlsTestNoSecrets(t, r, p.key)
		cert := tlsTestCert(t, p.cert)
		roots := x509.NewCertPool()
		roots.AddCert(cert)
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: "sea.hub", Roots: roots}); err != nil || !cert.IsCA || cert.Subject.CommonName != "registry-ca" {
			t.Fatalf("self-signed certificate: %v (ca %v)", err, cert.IsCA)
		}
		if !cert.IPAddresses[0].Equal(net.ParseIP("192.168.0.9")) {
			t.Fatalf("IP from the DNS list not an IP SAN: %v", cert.IPAddresses)
		}
		before := tlsTestStat(t, p.cert, p.key)
		if r := helperMustRun(t, mc, "tls_cert", args); r.Changed || tlsTestStat(t, p.cert, p.key) != before {
			t.Fatalf("valid self-signed certificate not reused: %+v", r.Map())
		}
		// A sealer certificate (IPs only in its DNS list) is reused for DNS names...
		sealerCert, sealerKey := tlsTestSelfSigned(t)
		os.WriteFile(p.cert, []byte(sealerCert), 0o644)
		os.WriteFile(p.key, []byte(sealerKey), 0o600)
		if r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"self_signed": true, "ca_cert": nil, "ca_key": nil, "dns_names": "sea.hub", "ip_addresses": nil})); r.Changed {
			t.Fatalf("sealer certificate not reused: %+v", r.Map())
		}
		// ...and replaced when an IP SAN is needed.
		if r := helperMustRun(t, mc, "tls_cert", args); !r.Changed || !strings.Contains(r.Data["reason"].(string), "IP address") {
			t.Fatalf("sealer certificate without IP SANs: %+v", r.Map())
		}
	})
}

func TestTLSCertCheckMode(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := tlsTestSetup(t)
		mc := connContext(t, c, nil)
		mc.Check, mc.Diff = true, true
		r := helperMustRun(t, mc, "tls_cert", p.args(nil))
		if !r.Changed || r.Data["generated"] != true || r.Data["ca_generated"] != true || len(r.Diff) != 4 {
			t.Fatalf("check mode %+v", r.Map())
		}
		tlsTestNoSecrets(t, r)
		if _, err := os.Stat(p.dir); !os.IsNotExist(err) {
			t.Fatal("check mode wrote files")
		}
		mc.Check = false
		if r := helperMustRun(t, mc, "tls_cert", p.args(nil)); !r.Changed {
			t.Fatal("real run did not generate")
		}
		mc.Check = true
		if r := helperMustRun(t, mc, "tls_cert", p.args(nil)); r.Changed {
			t.Fatalf("check after generation: %+v", r.Map())
		}
	})
}

func TestTLSCertCAProblems(t *testing.T) {
	p := tlsTestSetup(t)
	mc := helperContext(t, nil)
	os.MkdirAll(p.dir, 0o755)
	// Only the CA key: refuse rather than overwrite it.
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(p.caKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if _, err := helperRun(t, mc, "tls_cert", p.args(nil)); err == nil || strings.Contains(err.Error(), "PRIVATE") {
		t.Fatalf("CA key without CA certificate: %v", err)
	}
	// A CA certificate without its key is fine while nothing must be signed.
	helperMustRun(t, mc, "tls_cert", tlsTestSetup(t).args(nil))
	q := tlsTestSetup(t)
	helperMustRun(t, mc, "tls_cert", q.args(nil))
	os.Remove(q.caKey)
	if r := helperMustRun(t, mc, "tls_cert", q.args(nil)); r.Changed {
		t.Fatal("reuse needs the CA key")
	}
	if _, err := helperRun(t, mc, "tls_cert", q.args(map[string]any{"dns_names": "new.name"})); err == nil || !strings.Contains(err.Error(), "CA key") {
		t.Fatalf("signing without the CA key: %v", err)
	}
	m, _ := modules.Lookup("tls_cert")
	for _, bad := range []map[string]any{
		q.args(map[string]any{"self_signed": true}),
		q.args(map[string]any{"ca_key": nil}),
		q.args(map[string]any{"dns_names": nil, "ip_addresses": nil}),
		q.args(map[string]any{"ip_addresses": "not-an-ip"}),
		q.args(map[string]any{"key_type": "dsa"}),
	} {
		if _, err := m.Spec().Bind(bad, true); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestTLSCertKeepExisting(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := tlsTestSetup(t)
		mc := connContext(t, c, nil)
		os.MkdirAll(p.dir, 0o755)
		sealerCert, sealerKey := tlsTestSelfSigned(t)
		os.WriteFile(p.cert, []byte(sealerCert), 0o644)
		os.WriteFile(p.key, []byte(sealerKey), 0o600)
		// sealer's self-signed certificate lacks the IP SANs asked for and
		// no CA exists: kept as it is, the CA neither read nor created, and
		// clients are told to trust the certificate itself.
		keep := p.args(map[string]any{"keep_existing": true})
		r := helperMustRun(t, mc, "tls_cert", keep)
		if r.Changed || r.Data["trust"] != p.cert || r.Data["generated"] != false {
			t.Fatalf("sealer certificate not kept: %+v", r.Map())
		}
		if _, err := os.Stat(p.caCert); err == nil {
			t.Fatal("keep_existing created a CA")
		}
		// Without keep_existing the same request replaces it, CA-signed.
		r = helperMustRun(t, mc, "tls_cert", p.args(nil))
		if !r.Changed || r.Data["trust"] != p.caCert {
			t.Fatalf("CA-signed replacement: %+v", r.Map())
		}
		// A certificate that does not name the domain is never kept.
		if r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"keep_existing": true, "dns_names": []any{"reg.example.com"}})); !r.Changed || !strings.Contains(r.Data["reason"].(string), "reg.example.com") {
			t.Fatalf("certificate for another name kept: %+v", r.Map())
		}
		// An expiring one neither.
		os.Remove(p.caCert)
		os.Remove(p.caKey)
		os.WriteFile(p.cert, []byte(sealerCert), 0o644)
		os.WriteFile(p.key, []byte(sealerKey), 0o600)
		if r := helperMustRun(t, mc, "tls_cert", p.args(map[string]any{"keep_existing": true, "renew_before_days": 365 * 200, "ca_validity_days": 365 * 300, "validity_days": 365 * 250})); !r.Changed || r.Data["generated"] != true {
			t.Fatalf("expiring certificate kept: %+v", r.Map())
		}
	})
}
