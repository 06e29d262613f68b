package modules

// ciphers: Ansible hands an OpenSSL cipher list to OpenSSL; runbook's
// controller speaks TLS with Go, so the names are mapped to Go's suites.

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// opensslSuites maps OpenSSL's names of the TLS 1.2 (and older) suites Go
// implements to Go's IDs. Go's own (IANA) names are accepted too.
var opensslSuites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"RC4-SHA":                       tls.TLS_RSA_WITH_RC4_128_SHA,
	"ECDHE-RSA-RC4-SHA":             tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	"ECDHE-ECDSA-RC4-SHA":           tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
}

// tls13Suites are the TLS 1.3 suites: Go always offers all three and lets
// nobody choose (nor does OpenSSL's cipher list, which Ansible sets).
var tls13Suites = map[string]bool{"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true, "TLS_CHACHA20_POLY1305_SHA256": true}

// uriCiphers turns ciphers (a list, each element possibly "A:B:C" as
// OpenSSL writes a list) into Go's TLS 1.2 suites. A list naming only TLS
// 1.3 suites means TLS 1.3 only. OpenSSL's keywords and operators (HIGH,
// DEFAULT, !aNULL, +, -, @STRENGTH) have no Go equivalent and are refused.
func uriCiphers(list []string) (suites []uint16, only13 bool, err error) {
	iana := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		iana[s.Name] = s.ID
	}
	named13 := false
	for _, item := range list {
		for _, name := range strings.FieldsFunc(item, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
			id, ok := opensslSuites[name]
			if !ok {
				id, ok = iana[name]
			}
			switch {
			case ok:
				suites = append(suites, id)
			case tls13Suites[name]:
				named13 = true
			default:
				return nil, false, fmt.Errorf("ciphers: %q is not a cipher suite runbook can use: give OpenSSL names of the "+
					"TLS 1.2 suites Go implements (such as ECDHE-RSA-AES128-GCM-SHA256) or their IANA names; OpenSSL's "+
					"keywords and operators (HIGH, DEFAULT, !, +, -, @) are not supported", name)
			}
		}
	}
	if len(suites) == 0 && !named13 {
		return nil, false, fmt.Errorf("ciphers: the list is empty")
	}
	return suites, len(suites) == 0, nil
}
