package eval

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/runbook-dev/runbook/internal/pyre"
)

// Helpers on strings: encodings, regular expressions, paths, quoting, hashes.

// str converts a helper argument to a string (nil becomes "").
func str(v any) string {
	s, err := toString(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// strArg requires a string argument (or []byte).
func strArg(v any, what string) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case []byte:
		return string(t), nil
	}
	return "", fmt.Errorf("%s must be a string, got %s", what, typeName(v))
}

func fnToJSON(args ...any) (any, error) {
	return toJSON(args[0], "")
}

func fnToNiceJSON(args ...any) (any, error) {
	indent := 4
	if len(args) > 1 {
		n, err := toInt(args[1])
		if err != nil {
			return nil, fmt.Errorf("indent: %w", err)
		}
		indent = min(max(n, 1), 16)
	}
	return toJSON(args[0], strings.Repeat(" ", indent))
}

func fnFromJSON(args ...any) (any, error) {
	s, err := strArg(args[0], "the argument")
	if err != nil {
		return nil, err
	}
	return decodeJSON([]byte(s))
}

func fnToYAML(args ...any) (any, error) {
	j, err := toJSON(args[0], "")
	if err != nil {
		return nil, err
	}
	out, err := yaml.JSONToYAML([]byte(j))
	if err != nil {
		return nil, err
	}
	return string(out), nil
}

func fnFromYAML(args ...any) (any, error) {
	s, err := strArg(args[0], "the argument")
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		return nil, err
	}
	return decodeJSON(j)
}

func fnB64Encode(args ...any) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(str(args[0]))), nil
}

func fnB64Decode(args ...any) (any, error) {
	s := strings.TrimSpace(str(args[0]))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), nil
		}
	}
	return nil, fmt.Errorf("invalid base64 data")
}

func fnLower(args ...any) (any, error) { return strings.ToLower(str(args[0])), nil }

func fnUpper(args ...any) (any, error) { return strings.ToUpper(str(args[0])), nil }

func fnTrim(args ...any) (any, error) {
	if len(args) > 1 {
		return strings.Trim(str(args[0]), str(args[1])), nil
	}
	return strings.TrimSpace(str(args[0])), nil
}

func fnReplace(args ...any) (any, error) {
	return strings.ReplaceAll(str(args[0]), str(args[1]), str(args[2])), nil
}

// fnSplit splits on a separator, or on runs of whitespace when there is none.
func fnSplit(args ...any) (any, error) {
	s := str(args[0])
	var parts []string
	if len(args) < 2 || str(args[1]) == "" {
		parts = strings.Fields(s)
	} else {
		parts = strings.Split(s, str(args[1]))
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// fnJoin joins the items of a list, each turned into a string.
func fnJoin(args ...any) (any, error) {
	list, ok := asList(args[0])
	if !ok {
		return nil, fmt.Errorf("expected a list, got %s", typeName(args[0]))
	}
	sep := ""
	if len(args) > 1 {
		sep = str(args[1])
	}
	var b strings.Builder
	for i, x := range list {
		if i > 0 {
			b.WriteString(sep)
		}
		s, err := toString(x)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func fnStartsWith(args ...any) (any, error) {
	return strings.HasPrefix(str(args[0]), str(args[1])), nil
}

func fnEndsWith(args ...any) (any, error) {
	return strings.HasSuffix(str(args[0]), str(args[1])), nil
}

// fnContains: substring for strings, element for lists, key for maps.
func fnContains(args ...any) (any, error) {
	switch c := args[0].(type) {
	case nil:
		return false, nil
	case string:
		return strings.Contains(c, str(args[1])), nil
	}
	if list, ok := asList(args[0]); ok {
		for _, x := range list {
			if equal(x, args[1]) {
				return true, nil
			}
		}
		return false, nil
	}
	if m, ok := asMap(args[0]); ok {
		_, found := m[str(args[1])]
		return found, nil
	}
	return nil, fmt.Errorf("cannot look into %s", typeName(args[0]))
}

// regexps caches compiled patterns.
var regexps = newCache[*regexp.Regexp](2000)

func compileRegexp(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexps.get(pattern); ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid pattern %q: %w", pattern, err)
	}
	return regexps.put(pattern, re), nil
}

// fnRegexReplace replaces every match as Python's re.sub does: the
// replacement refers to groups as \1, \g<1> or \g<name>, and a "$" in it
// is plain text (as in Ansible).
func fnRegexReplace(args ...any) (any, error) {
	re, err := compileRegexp(str(args[1]))
	if err != nil {
		return nil, err
	}
	return pyre.ReplaceAll(re, str(args[0]), str(args[2]))
}

// fnRegexSearch returns the first match, or nil when there is none.
func fnRegexSearch(args ...any) (any, error) {
	re, err := compileRegexp(str(args[1]))
	if err != nil {
		return nil, err
	}
	s := str(args[0])
	loc := re.FindStringIndex(s)
	if loc == nil {
		return nil, nil
	}
	return s[loc[0]:loc[1]], nil
}

// fnRegexFindall returns all matches; like Python's re.findall, a pattern
// with one group gives that group's text, with several a list per match.
func fnRegexFindall(args ...any) (any, error) {
	re, err := compileRegexp(str(args[1]))
	if err != nil {
		return nil, err
	}
	matches := re.FindAllStringSubmatch(str(args[0]), -1)
	out := make([]any, len(matches))
	for i, m := range matches {
		switch len(m) {
		case 1:
			out[i] = m[0]
		case 2:
			out[i] = m[1]
		default:
			groups := make([]any, len(m)-1)
			for j, g := range m[1:] {
				groups[j] = g
			}
			out[i] = groups
		}
	}
	return out, nil
}

// fnQuote quotes a string as one POSIX shell word.
func fnQuote(args ...any) (any, error) {
	return shellQuote(str(args[0])), nil
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./_-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// fnBasename: the part after the last "/" (Python's os.path.basename:
// "/a/b/" gives "").
func fnBasename(args ...any) (any, error) {
	s := str(args[0])
	return s[strings.LastIndexByte(s, '/')+1:], nil
}

// fnDirname: the part before the last "/", without trailing slashes unless
// it is all slashes (Python's os.path.dirname).
func fnDirname(args ...any) (any, error) {
	s := str(args[0])
	head := s[:strings.LastIndexByte(s, '/')+1]
	if trimmed := strings.TrimRight(head, "/"); trimmed != "" {
		head = trimmed
	}
	return head, nil
}

// fnHash returns the hex digest of a string: sha256 unless another
// algorithm (md5, sha1, sha224, sha256, sha384, sha512) is named.
func fnHash(args ...any) (any, error) {
	algo := "sha256"
	if len(args) > 1 {
		algo = strings.ToLower(str(args[1]))
	}
	var h hash.Hash
	switch algo {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unknown hash algorithm %q (use md5, sha1, sha224, sha256, sha384 or sha512)", algo)
	}
	h.Write([]byte(str(args[0])))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnSHA256(args ...any) (any, error) {
	sum := sha256.Sum256([]byte(str(args[0])))
	return hex.EncodeToString(sum[:]), nil
}
