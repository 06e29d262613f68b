package eval

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// Ansible's to_uuid, type_debug, urlsplit and regex_search with groups,
// and Jinja's urlencode.

// ansibleUUIDNamespace is Ansible's UUID_NAMESPACE_ANSIBLE.
var ansibleUUIDNamespace = mustUUID("361E6D51-FAEC-444A-9079-341386DA8E2E")

func mustUUID(s string) []byte {
	b, err := parseUUID(s)
	if err != nil {
		panic(err)
	}
	return b
}

// parseUUID reads a UUID as Python's uuid.UUID(hex) does: braces, a
// "urn:uuid:" prefix and hyphens are ignored; 32 hex digits must remain.
func parseUUID(s string) ([]byte, error) {
	h := strings.TrimPrefix(s, "urn:uuid:")
	h = strings.ReplaceAll(strings.Trim(h, "{}"), "-", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("invalid value %q for namespace: badly formed hexadecimal UUID string", s)
	}
	return b, nil
}

// fnToUUID is Ansible's to_uuid(string, namespace): a version 5 (SHA-1)
// UUID of the string in Ansible's namespace.
func fnToUUID(args ...any) (any, error) {
	ns := ansibleUUIDNamespace
	if n := argOr(args, 1); n != nil {
		var err error
		if ns, err = parseUUID(str(n)); err != nil {
			return nil, err
		}
	}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(str(args[0])))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:], nil
}

// fnTypeDebug is Ansible's type_debug: the Python type name of the value.
func fnTypeDebug(args ...any) (any, error) { return pyTypeName(args[0]), nil }

// pyTypeName names v's type as Python does (type_debug, error messages).
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case string, []byte:
		return "str"
	case bool:
		return "bool"
	case pyTuple:
		return "tuple"
	case DateTime:
		return "datetime"
	case Timedelta:
		return "timedelta"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "dict"
	case reflect.String:
		return "str"
	}
	return fmt.Sprintf("%T", v)
}

// urlQuote is Python's urllib.parse.quote: letters, digits and _.-~ stay,
// and "/" unless forQuery; everything else is %XX of its UTF-8 bytes. In a
// query a space is "+".
func urlQuote(s string, forQuery bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0, c == '/' && !forQuery:
			b.WriteByte(c)
		case c == ' ' && forQuery:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// fnURLEncode is Jinja's urlencode: a string quoted for a URL path, a map
// (or a list of pairs) as a query string.
func fnURLEncode(args ...any) (any, error) {
	v := args[0]
	if m, ok := v.(map[string]any); ok {
		keys := yamlOrderedKeys(m)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = urlQuote(k, true) + "=" + urlQuote(str(m[k]), true)
		}
		return strings.Join(parts, "&"), nil
	}
	if _, isString := v.(string); !isString {
		if l, ok := asList(v); ok && v != nil {
			parts := make([]string, len(l))
			for i, item := range l {
				pair, ok := asList(item)
				if !ok || len(pair) != 2 {
					return nil, fmt.Errorf("item %d is not a (key, value) pair", i)
				}
				parts[i] = urlQuote(str(pair[0]), true) + "=" + urlQuote(str(pair[1]), true)
			}
			return strings.Join(parts, "&"), nil
		}
	}
	return urlQuote(str(v), false), nil
}

// fnURLSplit is Ansible's urlsplit(url, query=”): the parts of
// Python's urllib.parse.urlsplit as a map, or the one part named.
func fnURLSplit(args ...any) (any, error) {
	parts, err := urlSplit(str(args[0]))
	if err != nil {
		return nil, err
	}
	q := argOr(args, 1)
	if q == nil || str(q) == "" {
		return parts, nil
	}
	v, ok := parts[str(q)]
	if !ok {
		return nil, fmt.Errorf("unknown URL component: %s", str(q))
	}
	return v, nil
}

const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

// urlSplit follows Python 3.11's urlsplit and its SplitResult properties.
func urlSplit(url string) (map[string]any, error) {
	url = strings.TrimLeft(url, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	var scheme, netloc, query, fragment string
	if i := strings.IndexByte(url, ':'); i > 0 && isASCIILetter(url[0]) && strings.Trim(url[:i], schemeChars) == "" {
		scheme, url = strings.ToLower(url[:i]), url[i+1:]
	}
	if strings.HasPrefix(url, "//") {
		end := len(url)
		if i := strings.IndexAny(url[2:], "/?#"); i >= 0 {
			end = i + 2
		}
		netloc, url = url[2:end], url[end:]
		if strings.Contains(netloc, "[") != strings.Contains(netloc, "]") {
			return nil, fmt.Errorf("invalid IPv6 URL %q", netloc)
		}
	}
	url, fragment, _ = strings.Cut(url, "#")
	url, query, _ = strings.Cut(url, "?")
	out := map[string]any{"scheme": scheme, "netloc": netloc, "path": url, "query": query, "fragment": fragment,
		"username": nil, "password": nil, "hostname": nil, "port": nil}
	userinfo, hostinfo := "", netloc
	if i := strings.LastIndexByte(netloc, '@'); i >= 0 {
		userinfo, hostinfo = netloc[:i], netloc[i+1:]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		out["username"] = user
		if hasPass {
			out["password"] = pass
		}
	}
	var host, port string
	if _, bracketed, ok := strings.Cut(hostinfo, "["); ok {
		var rest string
		host, rest, _ = strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(rest, ":")
	} else {
		host, port, _ = strings.Cut(hostinfo, ":")
	}
	if host != "" {
		h, zone, hasZone := strings.Cut(host, "%")
		h = strings.ToLower(h)
		if hasZone {
			h += "%" + zone
		}
		out["hostname"] = h
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || strings.Trim(port, "0123456789") != "" {
			return nil, fmt.Errorf("port could not be cast to integer value as %q", port)
		}
		if n > 65535 {
			return nil, fmt.Errorf("port out of range 0-65535")
		}
		out["port"] = n
	}
	return out, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

var (
	groupNameRE = regexp.MustCompile(`^\\g<(\S+)>`)
	groupNumRE  = regexp.MustCompile(`^\\(\d+)`)
)

// fnRegexSearchGroups is Ansible's regex_search(value, pattern, '\1',
// '\g<name>', …): the listed groups of the first match (nil for a group
// that did not take part), or nil when nothing matches.
func fnRegexSearchGroups(args ...any) (any, error) {
	re, err := compileRegexp(str(args[1]))
	if err != nil {
		return nil, err
	}
	groups := make([]int, 0, len(args)-2)
	for _, a := range args[2:] {
		ref := str(a)
		if m := groupNameRE.FindStringSubmatch(ref); m != nil {
			i := re.SubexpIndex(m[1])
			if i < 0 {
				return nil, fmt.Errorf("no such group %q in %q", m[1], str(args[1]))
			}
			groups = append(groups, i)
			continue
		}
		m := groupNumRE.FindStringSubmatch(ref)
		if m == nil {
			return nil, fmt.Errorf("unknown argument %q (a group is given as '\\\\1' or '\\\\g<name>')", ref)
		}
		i, err := strconv.Atoi(m[1])
		if err != nil || i > re.NumSubexp() {
			return nil, fmt.Errorf("no such group %s in %q", m[1], str(args[1]))
		}
		groups = append(groups, i)
	}
	s := str(args[0])
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return nil, nil
	}
	if len(groups) == 0 {
		return s[loc[0]:loc[1]], nil
	}
	out := make([]any, len(groups))
	for j, g := range groups {
		if loc[2*g] >= 0 {
			out[j] = s[loc[2*g]:loc[2*g+1]]
		}
	}
	return out, nil
}
