package modules

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
)

func init() { Register(tlsCertModule{}) }

type tlsCertModule struct{}

var tlsCertSpec = &Spec{
	Name:  "tls_cert",
	Short: "Ensure a TLS server certificate (CA-signed or self-signed), generated in Go on the controller",
	Doc: "Makes cert and key on the host hold a valid server certificate for the requested names, generating keys " +
		"and certificates on the controller with crypto/x509 (no openssl on the host). With ca_cert and ca_key the " +
		"certificate is signed by that CA; when neither CA file exists a CA is generated first (both are written), " +
		"an existing CA is reused as it is (only one of the two existing is an error, as with sealer; an existing " +
		"CA certificate without its key is enough as long as nothing needs signing). With self_signed the certificate " +
		"is its own CA, which is what sealer lays down as <rootfs>/certs/<domain>.crt|key.\n\n" +
		"An existing certificate is reused, and nothing is written, when it parses, the key file holds its private " +
		"key, it is valid now and not within renew_before_days of expiry, its SANs include every requested DNS name " +
		"and IP address (extra SANs are fine), and it is signed by the CA (self_signed: by itself); otherwise, or " +
		"with force, a new key and certificate are written (key mode 0600, atomically; the key first). Common name " +
		"and key type of an existing certificate are not compared: use force to rotate. Entries of dns_names that " +
		"are IP addresses are taken as IP SANs (sealer puts IPs in its DNS list; Go clients only match IPs against " +
		"IP SANs). Key material never leaves the module: results and diffs show paths, SHA-256 fingerprints, SANs " +
		"and expiry only. Check mode predicts exactly.",
	Params: []Param{
		{Name: "cert", Type: TypePath, Required: true, Aliases: []string{"cert_path"}, Doc: "Certificate file (PEM) on the host."},
		{Name: "key", Type: TypePath, Required: true, Aliases: []string{"key_path"}, Doc: "Private key file (PEM, PKCS#8) on the host; written with mode 0600."},
		{Name: "ca_cert", Type: TypePath, Doc: "CA certificate on the host: reused when present, generated with ca_key when both are missing."},
		{Name: "ca_key", Type: TypePath, Doc: "CA private key on the host (mode 0600 when generated)."},
		{Name: "self_signed", Type: TypeBool, Default: false, Doc: "Write one self-signed CA-type certificate instead of a CA-signed one (sealer's layout)."},
		{Name: "common_name", Type: TypeString, Aliases: []string{"cn"}, Doc: "Subject CN; default the first DNS name (or IP)."},
		{Name: "dns_names", Type: TypeList, Default: []any{}, Aliases: []string{"dns", "dnsNames"}, Doc: "DNS SANs; IP addresses here become IP SANs."},
		{Name: "ip_addresses", Type: TypeList, Default: []any{}, Aliases: []string{"ips"}, Doc: "IP SANs."},
		{Name: "validity_days", Type: TypeInt, Default: 3650, Doc: "Validity of a generated certificate (sealer's self-signed certificate: 36500)."},
		{Name: "renew_before_days", Type: TypeInt, Default: 30, Doc: "Regenerate a certificate that expires within this many days."},
		{Name: "ca_common_name", Type: TypeString, Default: "registry-ca", Doc: "CN of a generated CA."},
		{Name: "ca_validity_days", Type: TypeInt, Default: 3650, Doc: "Validity of a generated CA."},
		{Name: "key_type", Type: TypeString, Default: "ecdsa", Choices: []string{"ecdsa", "rsa"}, Doc: "Type of generated keys: ecdsa (P-256) or rsa (2048 bits)."},
		{Name: "force", Type: TypeBool, Default: false, Doc: "Generate a new key and certificate even when the existing one is valid (the CA is kept)."},
		{Name: "keep_existing", Type: TypeBool, Default: false, Doc: "Keep an existing certificate that parses with its key, is valid now and not within renew_before_days, and names the first requested name (the registry domain), whoever signed it and whatever other SANs it has (a site's own, or sealer's self-signed one); the CA files are then neither read nor created."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "cert", Type: TypePath, Doc: "Path of the certificate."},
		{Name: "key", Type: TypePath, Doc: "Path of the private key."},
		{Name: "ca_cert", Type: TypePath, Doc: "Path of the CA certificate (\"\" when self_signed)."},
		{Name: "generated", Type: TypeBool, Doc: "A new certificate was (or would be) written."},
		{Name: "ca_generated", Type: TypeBool, Doc: "A new CA was (or would be) written."},
		{Name: "reason", Type: TypeString, Doc: "Why the certificate is (re)generated, \"\" when reused."},
		{Name: "fingerprint_sha256", Type: TypeString, Doc: "SHA-256 of the certificate (DER, hex); \"\" in check mode when it would be generated."},
		{Name: "ca_fingerprint_sha256", Type: TypeString, Doc: "SHA-256 of the CA certificate (\"\" when unknown)."},
		{Name: "dns_names", Type: TypeList, Doc: "DNS SANs of the certificate."},
		{Name: "ip_addresses", Type: TypeList, Doc: "IP SANs of the certificate."},
		{Name: "not_after", Type: TypeString, Doc: "Expiry of the certificate (RFC 3339, UTC)."},
		{Name: "trust", Type: TypePath, Doc: "The file clients should trust: the certificate itself when it is self-signed, else ca_cert."},
	},
	Example: `- name: Registry certificate signed by the cluster's registry CA
  tls_cert:
    cert: "{{ rootfs }}/certs/sea.hub.crt"
    key: "{{ rootfs }}/certs/sea.hub.key"
    ca_cert: "{{ rootfs }}/certs/ca.crt"
    ca_key: "{{ rootfs }}/certs/ca.key"
    dns_names: [sea.hub]
    ip_addresses: "{{ registry_ips }}"`,
	Validate: func(a Args) error {
		if a.Bool("self_signed") == (a.Has("ca_cert") || a.Has("ca_key")) {
			return errors.New("give either self_signed: true or ca_cert and ca_key")
		}
		if !a.Bool("self_signed") && (!a.Has("ca_cert") || !a.Has("ca_key")) {
			return errors.New("ca_cert and ca_key go together")
		}
		if a.Int("validity_days") <= 0 || a.Int("ca_validity_days") <= 0 || a.Int("renew_before_days") < 0 {
			return errors.New("validity_days and ca_validity_days must be positive, renew_before_days not negative")
		}
		dns, ips, err := tlsSANs(a)
		if err == nil && len(dns)+len(ips) == 0 {
			err = errors.New("at least one of dns_names or ip_addresses is required")
		}
		return err
	},
}

func (tlsCertModule) Spec() *Spec { return tlsCertSpec }

// tlsSANs reads the requested names: IP addresses in dns_names move to the IPs.
func tlsSANs(a Args) (dns []string, ips []net.IP, err error) {
	addIP := func(ip net.IP) {
		if !slices.ContainsFunc(ips, ip.Equal) {
			ips = append(ips, ip)
		}
	}
	for _, n := range a.StringList("dns_names") {
		n = strings.TrimSpace(n)
		if ip := net.ParseIP(n); ip != nil {
			addIP(ip)
		} else if n == "" || strings.ContainsAny(n, " /\\:") {
			return nil, nil, fmt.Errorf("dns_names: %q is not a DNS name", n)
		} else if !slices.Contains(dns, strings.ToLower(n)) {
			dns = append(dns, strings.ToLower(n))
		}
	}
	for _, s := range a.StringList("ip_addresses") {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return nil, nil, fmt.Errorf("ip_addresses: %q is not an IP address", s)
		}
		addIP(ip)
	}
	return dns, ips, nil
}

// tlsPair is a certificate and key as found on the host.
type tlsPair struct {
	certFile, keyFile *textFile
	cert              *x509.Certificate
	key               crypto.Signer
	problem           string // why the pair is unusable, "" when it parses and matches
}

func tlsRead(ctx context.Context, mc *Context, certPath, keyPath string) (*tlsPair, error) {
	p := &tlsPair{}
	var err error
	if p.certFile, err = readTextFile(ctx, mc, "tls_cert", certPath); err != nil {
		return nil, err
	}
	if p.keyFile, err = readTextFile(ctx, mc, "tls_cert", keyPath); err != nil {
		return nil, err
	}
	p.problem = tlsParseCert(p, certPath)
	why := keyPath + " does not exist"
	if p.keyFile.Exists {
		why = ""
		if p.key, err = tlsParseKey(p.keyFile.Data); err != nil {
			why = keyPath + ": " + err.Error()
		} else if pub, ok := p.key.Public().(interface{ Equal(crypto.PublicKey) bool }); p.cert != nil && (!ok || !pub.Equal(p.cert.PublicKey)) {
			why = keyPath + " does not hold the certificate's private key"
		}
	}
	if p.problem == "" {
		p.problem = why
	}
	return p, nil
}

func tlsParseCert(p *tlsPair, certPath string) string {
	if !p.certFile.Exists {
		return certPath + " does not exist"
	}
	blk, _ := pem.Decode(p.certFile.Data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return certPath + " holds no PEM certificate"
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return certPath + ": " + err.Error()
	}
	p.cert = c
	return ""
}

// tlsParseKey reads a PKCS#8, PKCS#1 or SEC 1 private key. Its errors never
// quote the key.
func tlsParseKey(data []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, errors.New("no PEM private key")
	}
	var k any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, errors.New("unreadable private key")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("unsupported private key type")
	}
	return s, nil
}

// tlsReuseProblem says why an existing certificate cannot be kept ("" when it can).
func tlsReuseProblem(p *tlsPair, ca *x509.Certificate, dns []string, ips []net.IP, renew time.Duration, now time.Time) string {
	if why := tlsValidProblem(p, dns, ips, renew, now); why != "" {
		return why
	}
	return tlsSignerProblem(p.cert, ca, now)
}

// tlsValidProblem says why a certificate is unusable whoever signed it: it
// must parse with its key, be valid now and hold every requested SAN.
func tlsValidProblem(p *tlsPair, dns []string, ips []net.IP, renew time.Duration, now time.Time) string {
	c := p.cert
	switch {
	case p.problem != "":
		return p.problem
	case now.Before(c.NotBefore):
		return "the certificate is not valid yet"
	case now.Add(renew).After(c.NotAfter):
		return "the certificate expires " + c.NotAfter.UTC().Format(time.RFC3339)
	}
	for _, n := range dns {
		if !slices.ContainsFunc(c.DNSNames, func(h string) bool { return strings.EqualFold(h, n) }) {
			return "DNS name " + n + " is not in the certificate"
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return "IP address " + ip.String() + " is not in the certificate"
		}
	}
	return ""
}

// tlsSignerProblem says why c is not signed by ca (by itself when ca is nil).
func tlsSignerProblem(c, ca *x509.Certificate, now time.Time) string {
	if ca == nil {
		if err := c.CheckSignatureFrom(c); err != nil || !c.IsCA {
			return "the certificate is not self-signed"
		}
		return ""
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return "the certificate does not verify with the CA: " + err.Error()
	}
	return ""
}

func tlsNewKey(kind string) (crypto.Signer, error) {
	if kind == "rsa" {
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// tlsIssue creates a certificate for key signed by parent/parentKey (itself
// when parent is nil) and returns it with the PEM of both.
func tlsIssue(tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, []byte, []byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage |= x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func tlsFingerprint(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// tlsSummary describes a certificate for a diff, without key material (and
// without the fingerprint of one only generated for check mode).
func tlsSummary(c *x509.Certificate, sum bool) string {
	if c == nil {
		return "(no usable certificate)\n"
	}
	s := fmt.Sprintf("subject: %s\nissuer: %s\ndns_names: %v\nip_addresses: %v\nnot_after: %s\n",
		c.Subject, c.Issuer, tlsList(c.DNSNames), tlsList(c.IPAddresses), c.NotAfter.UTC().Format(time.RFC3339))
	if sum {
		s += "sha256: " + tlsFingerprint(c) + "\n"
	}
	return s
}

// tlsWrite writes a key (0600) and then its certificate (0644), or in check
// mode only records the diffs.
func tlsWrite(ctx context.Context, mc *Context, r *Result, old *tlsPair, cert *x509.Certificate, certPEM, keyPEM []byte) error {
	r.Changed = true
	if mc.Diff {
		h, kh, kb := mc.Host+":"+old.certFile.Path+" (certificate)", mc.Host+":"+old.keyFile.Path+" (private key, not shown)", "(absent)\n"
		if old.keyFile.Exists {
			kb = "(existing key)\n"
		}
		r.Diff = append(r.Diff, Diff{BeforeHeader: h, AfterHeader: h, Before: tlsSummary(old.cert, true), After: tlsSummary(cert, !mc.Check)},
			Diff{BeforeHeader: kh, AfterHeader: kh, Before: kb, After: "(new key)\n"})
	}
	if mc.Check {
		return nil
	}
	if err := writeTextFile(ctx, mc, "tls_cert", old.keyFile, keyPEM, textAttrs{mode: "0600", uid: -1, gid: -1}); err != nil {
		return err
	}
	attrs := textAttrs{uid: -1, gid: -1}
	if !old.certFile.Exists {
		attrs.mode = "0644"
	}
	return writeTextFile(ctx, mc, "tls_cert", old.certFile, certPEM, attrs)
}

// tlsKeepProblem says why keep_existing cannot keep a certificate ("" when
// it can): it must be whole, valid now and name the first requested name.
func tlsKeepProblem(p *tlsPair, dns []string, ips []net.IP, renew time.Duration, now time.Time) string {
	if len(dns) > 0 {
		dns, ips = dns[:1], nil
	} else if len(ips) > 0 {
		ips = ips[:1]
	}
	return tlsValidProblem(p, dns, ips, renew, now)
}

func (tlsCertModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	dns, ips, err := tlsSANs(args)
	if err != nil {
		return nil, &ArgError{Module: "tls_cert", Msg: err.Error()}
	}
	paths := map[string]string{}
	for _, n := range []string{"cert", "key", "ca_cert", "ca_key"} {
		if args.Has(n) {
			if paths[n], err = textHostPath(ctx, mc, "tls_cert", args.String(n)); err != nil {
				return nil, err
			}
		}
	}
	now := time.Now()
	data := map[string]any{"cert": paths["cert"], "key": paths["key"], "ca_cert": paths["ca_cert"], "generated": false,
		"ca_generated": false, "reason": "", "fingerprint_sha256": "", "ca_fingerprint_sha256": "",
		"dns_names": tlsList(dns), "ip_addresses": tlsList(ips), "not_after": ""}
	r := &Result{Data: data}
	if args.Bool("keep_existing") && !args.Bool("force") {
		leaf, err := tlsRead(ctx, mc, paths["cert"], paths["key"])
		if err != nil {
			return nil, err
		}
		renew := time.Duration(args.Int("renew_before_days")) * 24 * time.Hour
		if tlsKeepProblem(leaf, dns, ips, renew, now) == "" {
			c := leaf.cert
			data["fingerprint_sha256"], data["not_after"] = tlsFingerprint(c), c.NotAfter.UTC().Format(time.RFC3339)
			data["dns_names"], data["ip_addresses"] = tlsList(c.DNSNames), tlsList(c.IPAddresses)
			data["trust"] = paths["ca_cert"]
			if c.IsCA && c.CheckSignatureFrom(c) == nil {
				data["trust"] = paths["cert"]
			}
			return r, nil
		}
	}
	data["trust"] = paths["ca_cert"]
	if args.Bool("self_signed") {
		data["trust"] = paths["cert"]
	}
	keyType := args.String("key_type")
	var ca *x509.Certificate
	var caKey crypto.Signer
	caGenerated := false
	if !args.Bool("self_signed") {
		cp, err := tlsRead(ctx, mc, paths["ca_cert"], paths["ca_key"])
		if err != nil {
			return nil, err
		}
		switch {
		case !cp.certFile.Exists && !cp.keyFile.Exists:
			k, err := tlsNewKey(keyType)
			if err != nil {
				return nil, err
			}
			tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: args.String("ca_common_name")}, IsCA: true,
				KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: now.Add(-time.Hour),
				NotAfter: now.AddDate(0, 0, args.Int("ca_validity_days"))}
			c, certPEM, keyPEM, err := tlsIssue(tmpl, k, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("tls_cert: generating the CA: %w", err)
			}
			if err := tlsWrite(ctx, mc, r, cp, c, certPEM, keyPEM); err != nil {
				return nil, err
			}
			ca, caKey, caGenerated = c, k, true
		case cp.cert == nil || cp.problem != "" && cp.keyFile.Exists:
			return nil, fmt.Errorf("tls_cert: the CA on %s is unusable: %s (remove both CA files to generate a new CA)", mc.Host, cp.problem)
		default: // a usable CA, possibly without its key
			ca, caKey = cp.cert, cp.key
		}
		if !ca.IsCA || ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0 {
			return nil, fmt.Errorf("tls_cert: %s on %s is not a CA certificate", paths["ca_cert"], mc.Host)
		}
		data["ca_generated"] = caGenerated
		if !caGenerated || !mc.Check {
			data["ca_fingerprint_sha256"] = tlsFingerprint(ca)
		}
	}
	leaf, err := tlsRead(ctx, mc, paths["cert"], paths["key"])
	if err != nil {
		return nil, err
	}
	reason := "a new CA was generated"
	if !caGenerated {
		reason = tlsReuseProblem(leaf, ca, dns, ips, time.Duration(args.Int("renew_before_days"))*24*time.Hour, now)
	}
	if reason == "" && args.Bool("force") {
		reason = "force"
	}
	if reason == "" {
		c := leaf.cert
		data["fingerprint_sha256"], data["not_after"] = tlsFingerprint(c), c.NotAfter.UTC().Format(time.RFC3339)
		data["dns_names"], data["ip_addresses"] = tlsList(c.DNSNames), tlsList(c.IPAddresses)
		return r, nil
	}
	if ca != nil && caKey == nil {
		return nil, fmt.Errorf("tls_cert: %s on %s must be regenerated (%s) but the CA key %s does not exist", paths["cert"], mc.Host, reason, paths["ca_key"])
	}
	cn := args.String("common_name")
	if cn == "" {
		cn = fmt.Sprint(append(tlsList(dns), tlsList(ips)...)[0])
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns, IPAddresses: ips,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, args.Int("validity_days")),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ca == nil {
		tmpl.IsCA, tmpl.KeyUsage = true, x509.KeyUsageCertSign
	} else if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter // a certificate cannot outlive its CA
		if now.AddDate(0, 0, args.Int("renew_before_days")).After(ca.NotAfter) {
			return nil, fmt.Errorf("tls_cert: the CA %s on %s expires %s, within renew_before_days: replace the CA", paths["ca_cert"], mc.Host, ca.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	k, err := tlsNewKey(keyType)
	if err != nil {
		return nil, err
	}
	c, certPEM, keyPEM, err := tlsIssue(tmpl, k, ca, caKey)
	if err != nil {
		return nil, fmt.Errorf("tls_cert: generating the certificate: %w", err)
	}
	if err := tlsWrite(ctx, mc, r, leaf, c, certPEM, keyPEM); err != nil {
		return nil, err
	}
	data["generated"], data["reason"] = true, reason
	r.Msg = "certificate generated: " + reason
	if !mc.Check {
		data["fingerprint_sha256"], data["not_after"] = tlsFingerprint(c), c.NotAfter.UTC().Format(time.RFC3339)
	}
	return r, nil
}

// tlsList turns names or addresses into a result list.
func tlsList[T any](l []T) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = fmt.Sprint(v)
	}
	return out
}
