// Package secret holds the one rule that decides which variables are
// secrets and which of their values output must mask. The inventory's
// listings (runbook inventory) and play output (the runner and its
// reporter) both use it, so a variable masked by one is masked by the other.
package secret

import (
	"fmt"
	"strconv"
	"strings"
)

// words in a variable name that make it a secret.
var words = []string{"password", "passwd", "passphrase", "secret", "token", "credential", "private_key"}

// pathSuffixes end the names of variables that hold paths, not secrets:
// ansible_ssh_private_key_file, tls_key_path, secret_files.
var pathSuffixes = []string{"_file", "_files", "_path", "_paths", "_dir", "_dirs"}

// IsName reports whether a variable of this name holds a secret: its name
// contains password, passwd, passphrase, secret, token, credential or
// private_key, or it is pass or ends in _pass, or it ends in _key (but not
// public_key). Names ending in _file, _path or _dir (or their plurals) hold
// paths and are not secrets, nor is getent_passwd (the getent module's
// copy of the passwd database, which holds no password); getent_shadow and
// getent_gshadow, which hold password hashes, are. Case does not matter.
func IsName(name string) bool {
	n := strings.ToLower(name)
	switch {
	case isPath(n) || n == "getent_passwd": // getent's passwd database: names, ids, homes, shells; no password
		return false
	case n == "getent_shadow" || n == "getent_gshadow": // password hashes
		return true
	}
	for _, w := range words {
		if strings.Contains(n, w) {
			return true
		}
	}
	if n == "pass" || strings.HasSuffix(n, "_pass") {
		return true
	}
	return strings.HasSuffix(n, "_key") && !strings.HasSuffix(n, "public_key")
}

// Collect appends to out the values of vars that output must mask (see
// Named), for every variable.
func Collect(vars map[string]any, out []string) []string {
	for k, v := range vars {
		out = Named(k, v, out)
	}
	return out
}

// Named appends to out the values of variable name that output must mask:
//   - a string or number held by a secret-named variable (see IsName), as it
//     prints (a number as its digits);
//   - inside a map or list, by the same rule, key by key; a map under a
//     secret name whose keys do not say which value is the secret
//     (api_tokens: {github: …}) has all its values masked, one that does
//     (db_credentials: {user: …, password: …}) only those;
//   - any string holding a PEM private key, under any name.
//
// Strings still holding {{ }} are skipped: they are templates, and their
// rendered value is what a run collects.
func Named(name string, v any, out []string) []string {
	return collect(v, IsName(name), out)
}

// All appends every string and number inside v to out: the whole value is
// a secret (a module parameter declared secret).
func All(v any, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			out = All(e, out)
		}
	case []any:
		for _, e := range x {
			out = All(e, out)
		}
	default:
		out = scalar(x, true, out)
	}
	return out
}

func collect(v any, secret bool, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		whole := secret && !anySecretKey(x)
		for k, e := range x {
			out = collect(e, IsName(k) || whole && !isPath(strings.ToLower(k)), out)
		}
	case []any:
		for _, e := range x {
			out = collect(e, secret, out)
		}
	default:
		out = scalar(x, secret, out)
	}
	return out
}

// isPath reports a lower-case name that holds a path.
func isPath(n string) bool {
	for _, s := range pathSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

func anySecretKey(m map[string]any) bool {
	for k := range m {
		if IsName(k) {
			return true
		}
	}
	return false
}

// scalar appends the printed forms of a string or number.
func scalar(v any, secret bool, out []string) []string {
	switch x := v.(type) {
	case string:
		if x != "" && !strings.Contains(x, "{{") && (secret || strings.Contains(x, "PRIVATE KEY-----")) {
			out = append(out, x)
		}
	case float64:
		if secret {
			// JSON prints 55512345.0 as 55512345, %v as 5.5512345e+07.
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64), fmt.Sprint(x))
		}
	case float32:
		if secret {
			out = append(out, strconv.FormatFloat(float64(x), 'f', -1, 32), fmt.Sprint(x))
		}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		if secret {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}
