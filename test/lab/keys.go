package lab

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Secrets are generated once per lab directory and kept, so that known_hosts,
// kubeconfigs and the Clusterfile stay valid across lab-down/lab-up.

// ensureSecrets creates the lab key, password file, node host keys,
// known_hosts, the API server PKI and the admin kubeconfig when missing.
func (l *Lab) ensureSecrets() error {
	if err := os.MkdirAll(l.cfg.Dir, 0o755); err != nil {
		return err
	}
	if err := ensureSSHKey(l.KeyPath(), "runbook-lab"); err != nil {
		return err
	}
	if err := writeIfChanged(l.PasswordPath(), []byte(RootPassword+"\n"), 0o600); err != nil {
		return err
	}
	var kh bytes.Buffer
	for _, n := range l.nodes {
		key := filepath.Join(l.nodeDir(n), "ssh_host_ed25519_key")
		if err := ensureSSHKey(key, "root@"+n.Name); err != nil {
			return err
		}
		pub, err := os.ReadFile(key + ".pub")
		if err != nil {
			return err
		}
		f := strings.Fields(string(pub))
		fmt.Fprintf(&kh, "%s,%s %s %s\n", n.IP, n.Name, f[0], f[1])
	}
	if err := writeIfChanged(l.KnownHostsPath(), kh.Bytes(), 0o644); err != nil {
		return err
	}
	return l.ensurePKI()
}

// ensureSSHKey writes an ed25519 key pair in OpenSSH format at path and
// path.pub unless path exists.
func ensureSSHKey(path, comment string) error {
	if exists(path) && exists(path+".pub") {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return err
	}
	spub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spub))) + " " + comment + "\n"
	return os.WriteFile(path+".pub", []byte(line), 0o644)
}

// API server PKI: pki/ca.{crt,key} (CA), pki/apiserver.{crt,key} (serving
// cert for the API server's address), pki/sa.{key,pub} (service account
// signing) and pki/token (the admin bearer token; tokens.csv on the node
// maps it to user kubernetes-admin in group system:masters).

func (l *Lab) ensurePKI() error {
	dir := l.pkiDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caCrt, caKey := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if !exists(caCrt) || !exists(caKey) {
		if err := writeSelfSigned(caCrt, caKey, "runbook-lab-ca", nil, nil); err != nil {
			return err
		}
	}
	srvCrt, srvKey := filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key")
	if !exists(srvCrt) || !exists(srvKey) {
		ips := []net.IP{net.ParseIP(l.APIServerNode().IP), net.ParseIP("10.96.0.1")}
		dns := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", l.APIServerNode().Name}
		if err := writeSigned(srvCrt, srvKey, caCrt, caKey, "kube-apiserver", dns, ips); err != nil {
			return err
		}
	}
	saKey := filepath.Join(dir, "sa.key")
	if !exists(saKey) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		if err := writeKey(saKey, k); err != nil {
			return err
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
			return err
		}
	}
	tok := filepath.Join(dir, "token")
	if !exists(tok) {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		if err := os.WriteFile(tok, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
	}
	conf, err := l.adminKubeconfig()
	if err != nil {
		return err
	}
	return writeIfChanged(l.KubeconfigPath(), conf, 0o600)
}

// KubeToken is the admin bearer token of the API server.
func (l *Lab) KubeToken() (string, error) {
	b, err := os.ReadFile(filepath.Join(l.pkiDir(), "token"))
	return strings.TrimSpace(string(b)), err
}

func (l *Lab) adminKubeconfig() ([]byte, error) {
	ca, err := os.ReadFile(filepath.Join(l.pkiDir(), "ca.crt"))
	if err != nil {
		return nil, err
	}
	tok, err := l.KubeToken()
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: kubernetes-admin
  user:
    token: %[4]s
contexts:
- name: kubernetes-admin@%[1]s
  context:
    cluster: %[1]s
    user: kubernetes-admin
current-context: kubernetes-admin@%[1]s
`, ClusterName, l.APIServerURL(), b64(ca), tok)), nil
}

// writeSelfSigned writes a self-signed CA certificate (ECDSA P-256) that is
// also valid as a server certificate for dns and ips.
func writeSelfSigned(crtPath, keyPath, cn string, dns []string, ips []net.IP) error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := certTemplate(cn, dns, ips)
	tmpl.IsCA = true
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return err
	}
	return writePair(crtPath, keyPath, der, k)
}

// writeSigned writes a server certificate signed by the CA at caCrt/caKey.
func writeSigned(crtPath, keyPath, caCrt, caKey, cn string, dns []string, ips []net.IP) error {
	ca, caPriv, err := loadPair(caCrt, caKey)
	if err != nil {
		return err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, certTemplate(cn, dns, ips), ca, &k.PublicKey, caPriv)
	if err != nil {
		return err
	}
	return writePair(crtPath, keyPath, der, k)
}

func certTemplate(cn string, dns []string, ips []net.IP) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              dns,
		IPAddresses:           ips,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
}

func writePair(crtPath, keyPath string, der []byte, k crypto.Signer) error {
	if err := os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return writeKey(keyPath, k)
}

func writeKey(path string, k crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func loadPair(crtPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cb, err := os.ReadFile(crtPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, nil, fmt.Errorf("lab: bad PEM in %s or %s", crtPath, keyPath)
	}
	crt, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(kp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("lab: %s is not a signing key", keyPath)
	}
	return crt, signer, nil
}

// writeIfChanged writes data to path (atomically) unless it already holds it.
func writeIfChanged(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return os.Chmod(path, mode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
