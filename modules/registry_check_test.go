package modules_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"github.com/runbook-dev/runbook/modules"
)

// testRegistry is Debian's docker-registry (distribution 2.8) on a
// 127.0.13.x address, with TLS from a CA made for the test and htpasswd
// basic authentication, storing into Root.
type testRegistry struct {
	Addr, Root, CAPath string
	User, Pass         string
	tr                 *http.Transport
}

// regTestAddr picks a free port on a random 127.0.13.x address.
func regTestAddr(t *testing.T) (string, net.Listener) {
	t.Helper()
	for range 20 {
		n, _ := rand.Int(rand.Reader, big.NewInt(253))
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.13.%d:0", 2+n.Int64()))
		if err == nil {
			return l.Addr().String(), l
		}
	}
	t.Fatal("no free address in 127.0.13.0/24")
	return "", nil
}

// regTestPKI writes a CA and a server certificate for ip into dir.
func regTestPKI(t *testing.T, dir, ip string) (caPath, certPath, keyPath string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "runbook test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP(ip)}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	caPath, certPath, keyPath = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	for p, b := range map[string][]byte{
		caPath:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPath: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPath:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caPath, certPath, keyPath
}

// startTestRegistry serves root (created when missing) until the test ends.
func startTestRegistry(t *testing.T, root string) *testRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("CI") == "true" { // .ci/run installs it: never pass CI by skipping
			t.Fatal("docker-registry is not installed (apt-get install docker-registry)")
		}
		t.Skip("docker-registry is not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	addr, l := regTestAddr(t)
	host, _, _ := net.SplitHostPort(addr)
	l.Close()
	caPath, certPath, keyPath := regTestPKI(t, dir, host)
	r := &testRegistry{Addr: addr, Root: root, CAPath: caPath, User: "runbook", Pass: "s3cret-" + rand.Text()[:8]}
	hash, _ := bcrypt.GenerateFromPassword([]byte(r.Pass), bcrypt.MinCost)
	htpasswd := filepath.Join(dir, "htpasswd")
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: %s}
  maintenance: {uploadpurging: {enabled: false}}
http:
  addr: %s
  tls: {certificate: %s, key: %s}
auth:
  htpasswd: {realm: runbook-test, path: %s}
`, root, addr, certPath, keyPath, htpasswd)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	pem, _ := os.ReadFile(caPath)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	r.tr = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return r
		}
		select {
		case <-exited:
			t.Fatalf("docker-registry exited: %s", &log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not listen on %s: %s", addr, &log)
		}
	}
}

// push writes a small random image (or, with index, an OCI index of two) as repo:tag.
func (r *testRegistry) push(t *testing.T, repo, tag string, index bool) {
	t.Helper()
	ref, err := name.ParseReference(r.Addr + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{remote.WithAuth(&authn.Basic{Username: r.User, Password: r.Pass}), remote.WithTransport(r.tr)}
	if index {
		idx, err := random.Index(2048, 2, 2)
		if err == nil {
			err = remote.WriteIndex(ref, idx, opts...)
		}
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		return
	}
	img, err := random.Image(4096, 3)
	if err == nil {
		err = remote.Write(ref, img, opts...)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// checkArgs are registry_check's arguments for this registry.
func (r *testRegistry) checkArgs(images ...string) map[string]any {
	l := make([]any, len(images))
	for i, s := range images {
		l[i] = s
	}
	return map[string]any{"images": l, "registry": r.Addr, "ca_path": r.CAPath, "username": r.User, "password": r.Pass}
}

func anyList(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	slices.Sort(out)
	return out
}

func TestRegistryCheckServedAndMissing(t *testing.T) {
	reg := startTestRegistry(t, t.TempDir())
	reg.push(t, "pause", "3.10", false)
	reg.push(t, "coredns/coredns", "v1.11.3", false)
	reg.push(t, "multi/arch", "v1", true)
	eachConn(t, func(t *testing.T, c testConn) {
		for _, from := range []string{"controller", "host"} {
			t.Run(from, func(t *testing.T) {
				mc := connContext(t, c, nil)
				mc.Check = true // read-only: runs the same in check mode
				a := reg.checkArgs("pause:3.10", reg.Addr+"/coredns/coredns:v1.11.3", "multi/arch:v1")
				a["from"] = from
				r := helperMustRun(t, mc, "registry_check", a)
				if r.Failed || r.Changed || len(r.Data["present"].([]any)) != 3 {
					t.Fatalf("all present: %s %v", r.Msg, r.Data)
				}
				if d := r.Data["digests"].(map[string]any)["pause:3.10"]; !strings.HasPrefix(fmt.Sprint(d), "sha256:") {
					t.Errorf("digest of pause: %v", d)
				}
				a = reg.checkArgs("pause:3.10", "pause:3.9", "nothere/at-all:v1", "multi/arch:v1", "coredns/coredns@sha256:"+strings.Repeat("0", 64))
				a["from"] = from
				r = helperMustRun(t, mc, "registry_check", a)
				want := []string{"coredns/coredns@sha256:" + strings.Repeat("0", 64), "nothere/at-all:v1", "pause:3.9"}
				if !r.Failed || !slices.Equal(anyList(r.Data["missing"]), want) || len(r.Data["present"].([]any)) != 2 {
					t.Fatalf("missing: %s %v", r.Msg, r.Data)
				}
				if !strings.Contains(r.Msg, "3 of 5 images are not served") {
					t.Errorf("message: %s", r.Msg)
				}
				a = reg.checkArgs("pause:3.10")
				a["from"], a["password"] = from, "wrong"
				r = helperMustRun(t, mc, "registry_check", a)
				if !r.Failed || len(r.Data["missing"].([]any)) != 0 || !strings.Contains(r.Msg, "not authorized") || strings.Contains(r.Msg, reg.Pass) {
					t.Errorf("wrong password: %s %v", r.Msg, r.Data)
				}
				a = reg.checkArgs("pause:3.10")
				a["from"] = from
				delete(a, "ca_path")
				if r = helperMustRun(t, mc, "registry_check", a); !r.Failed || len(r.Data["errors"].(map[string]any)) != 1 {
					t.Errorf("unknown CA: %s %v", r.Msg, r.Data)
				}
			})
		}
	})
}

// A registry behind a token service: 401 with a Bearer challenge, a token
// for basic credentials, then the manifest.
func TestRegistryCheckBearerToken(t *testing.T) {
	addr, l := regTestAddr(t)
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = l
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("robot:pw"))
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			if r.Header.Get("Authorization") != basic || r.URL.Query().Get("scope") != "repository:app/web:pull" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"token":"tok-123"}`)
		case r.Header.Get("Authorization") != "Bearer tok-123":
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test",scope="repository:app/web:pull"`, addr))
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/app/web/manifests/v1" && strings.Contains(r.Header.Get("Accept"), "application/vnd.oci.image.index.v1+json"):
			w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	srv.Start()
	t.Cleanup(srv.Close)
	eachConn(t, func(t *testing.T, c testConn) {
		for _, from := range []string{"controller", "host"} {
			mc := connContext(t, c, nil)
			r := helperMustRun(t, mc, "registry_check", map[string]any{"images": []any{"app/web:v1", "app/web:v2"},
				"registry": addr, "scheme": "http", "username": "robot", "password": "pw", "from": from})
			if !slices.Equal(anyList(r.Data["missing"]), []string{"app/web:v2"}) || !slices.Equal(anyList(r.Data["present"]), []string{"app/web:v1"}) {
				t.Errorf("%s: %s %v", from, r.Msg, r.Data)
			}
		}
	})
}

func TestRegistryCheckArguments(t *testing.T) {
	m, _ := modules.Lookup("registry_check")
	for _, bad := range []map[string]any{
		{"images": []any{"pause:3.10"}},                            // no registry at all
		{"images": []any{"Pause:3.10"}, "registry": "r:5000"},      // upper case name
		{"images": []any{"x@sha256"}, "registry": "r:5000"},        // bad digest
		{"images": []any{"x:1"}, "registry": "r", "password": "p"}, // password without user
	} {
		if _, err := m.Spec().Bind(bad, true); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

// ca_content replaces ca_path; tls_server_name verifies the certificate as
// that name while asking the registry by address.
func TestRegistryCheckCAContentAndServerName(t *testing.T) {
	reg := startTestRegistry(t, t.TempDir())
	reg.push(t, "pause", "3.10", false)
	pem, err := os.ReadFile(reg.CAPath)
	if err != nil {
		t.Fatal(err)
	}
	mc := connContext(t, testConns(t)[0], nil)
	a := reg.checkArgs("pause:3.10")
	delete(a, "ca_path")
	a["ca_content"] = string(pem)
	if r := helperMustRun(t, mc, "registry_check", a); r.Failed {
		t.Fatalf("ca_content: %s", r.Msg)
	}
	host, _, _ := net.SplitHostPort(reg.Addr)
	a["tls_server_name"] = host
	if r := helperMustRun(t, mc, "registry_check", a); r.Failed {
		t.Fatalf("tls_server_name %s: %s", host, r.Msg)
	}
	a["tls_server_name"] = "sea.hub" // not in the test certificate
	if r := helperMustRun(t, mc, "registry_check", a); !r.Failed || !strings.Contains(r.Msg, "sea.hub") {
		t.Fatalf("a certificate without the name passed: %s %v", r.Msg, r.Data)
	}
	a["from"] = "host"
	if _, err := helperRun(t, mc, "registry_check", a); err == nil || !strings.Contains(err.Error(), "from: controller") {
		t.Fatalf("tls_server_name with from: host: %v", err)
	}
}
