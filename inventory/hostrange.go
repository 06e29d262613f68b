package inventory

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// maxRangeHosts bounds how many names one host pattern may expand to, and
// maxHosts how many hosts one inventory may hold: ten times the 5,000 nodes
// Kubernetes supports in one cluster, low enough that a typo like
// web[0:99999999] is an error, not an out-of-memory, and that the largest
// inventory loads in well under a second.
const (
	maxRangeHosts = 20000
	maxHosts      = 50000
)

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// parseHostEntry splits an inventory host entry into the names it expands to
// and an optional port: "web[01:03].example.com:2222", "10.0.0.1",
// "[2001:db8::1]:22", "2001:db8::1", "db-[a:c]". port is 0 when absent.
func parseHostEntry(entry string) (names []string, port int, err error) {
	if entry == "" {
		return nil, 0, errors.New("empty host name")
	}
	// A NUL or other control character cannot be in a host name; YAML
	// refuses raw ones itself, INI and host lists must too.
	if i := strings.IndexFunc(entry, unicode.IsControl); i >= 0 {
		return nil, 0, fmt.Errorf("%q: control character %U in host name", entry, []rune(entry[i:])[0])
	}
	if net.ParseIP(entry) != nil {
		return []string{entry}, 0, nil
	}
	base := entry
	if strings.HasPrefix(entry, "[") {
		if end := strings.IndexByte(entry, ']'); end > 0 {
			inner := entry[1:end]
			if ip := net.ParseIP(inner); ip != nil && strings.Contains(inner, ":") {
				rest := entry[end+1:]
				if rest == "" {
					return []string{inner}, 0, nil
				}
				if !strings.HasPrefix(rest, ":") {
					return nil, 0, fmt.Errorf("invalid address %q", entry)
				}
				p, err := parsePort(rest[1:])
				if err != nil {
					return nil, 0, fmt.Errorf("%q: %w", entry, err)
				}
				return []string{inner}, p, nil
			}
		}
	}
	if colons := colonsOutsideBrackets(entry); len(colons) == 1 {
		i := colons[0]
		p, err := parsePort(entry[i+1:])
		if err != nil {
			return nil, 0, fmt.Errorf("%q: %w", entry, err)
		}
		base, port = entry[:i], p
	}
	if base == "" {
		return nil, 0, fmt.Errorf("%q: empty host name", entry)
	}
	names, err = expandRanges(base)
	if err != nil {
		return nil, 0, fmt.Errorf("%q: %w", entry, err)
	}
	return names, port, nil
}

func parsePort(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 5 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	p, _ := strconv.Atoi(s)
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d out of range 1-65535", p)
	}
	return p, nil
}

// checkPortVar validates a literal ansible_port (or ansible_ssh_port) read
// from an inventory, so that "ansible_port=abc" is an inventory error at its
// line rather than every task failing on that host later. A value holding
// {{ }} is checked when it is used.
func checkPortVar(key string, v any) error {
	if key != "ansible_port" && key != "ansible_ssh_port" {
		return nil
	}
	var err error
	switch x := v.(type) {
	case int:
		_, err = parsePort(strconv.Itoa(x))
	case string:
		if strings.Contains(x, "{{") {
			return nil
		}
		_, err = parsePort(strings.TrimSpace(x))
	default:
		err = fmt.Errorf("not a port number: %v", v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// colonsOutsideBrackets returns the positions of ':' not inside [...].
func colonsOutsideBrackets(s string) []int {
	var out []int
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				out = append(out, i)
			}
		}
	}
	return out
}

// expandRanges expands every [beg:end] or [beg:end:step] range in name.
// Numeric ranges keep the zero padding of beg ("[01:10]"); alphabetic
// ranges take single ASCII letters ("[a:f]"). Brackets without ':' are kept
// as they are.
func expandRanges(name string) ([]string, error) {
	open := strings.IndexByte(name, '[')
	if open < 0 {
		return []string{name}, nil
	}
	closeRel := strings.IndexByte(name[open:], ']')
	if closeRel < 0 {
		return nil, errors.New("unclosed '[' in host range")
	}
	close := open + closeRel
	spec := name[open+1 : close]
	if !strings.Contains(spec, ":") {
		rest, err := expandRanges(name[close+1:])
		if err != nil {
			return nil, err
		}
		for i := range rest {
			rest[i] = name[:close+1] + rest[i]
		}
		return rest, nil
	}
	items, err := rangeItems(spec)
	if err != nil {
		return nil, err
	}
	tails, err := expandRanges(name[close+1:])
	if err != nil {
		return nil, err
	}
	if len(items)*len(tails) > maxRangeHosts {
		return nil, fmt.Errorf("host range expands to more than %d names", maxRangeHosts)
	}
	out := make([]string, 0, len(items)*len(tails))
	for _, it := range items {
		for _, t := range tails {
			out = append(out, name[:open]+it+t)
		}
	}
	return out, nil
}

// rangeItems lists the values of one range spec "beg:end[:step]".
func rangeItems(spec string) ([]string, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return nil, fmt.Errorf("invalid host range [%s]", spec)
	}
	beg, end := parts[0], parts[1]
	step := 1
	if len(parts) == 3 && parts[2] != "" {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 1 {
			return nil, fmt.Errorf("invalid step in host range [%s]", spec)
		}
		step = s
	}
	if end == "" {
		return nil, fmt.Errorf("host range [%s] has no end value", spec)
	}
	if beg == "" {
		beg = "0"
	}
	if isDigits(beg) && isDigits(end) {
		width := 0
		if beg[0] == '0' && len(beg) > 1 {
			width = len(beg)
			if len(end) != width {
				return nil, fmt.Errorf("host range [%s] needs begin and end of equal length", spec)
			}
		}
		if len(beg) > 9 || len(end) > 9 {
			return nil, fmt.Errorf("host range [%s] is too large", spec)
		}
		b, _ := strconv.Atoi(beg)
		e, _ := strconv.Atoi(end)
		if b > e {
			return nil, fmt.Errorf("host range [%s] begins after it ends", spec)
		}
		if (e-b)/step+1 > maxRangeHosts {
			return nil, fmt.Errorf("host range [%s] expands to more than %d names", spec, maxRangeHosts)
		}
		var out []string
		for i := b; i <= e; i += step {
			out = append(out, fmt.Sprintf("%0*d", width, i))
		}
		return out, nil
	}
	bi, ei := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if len(beg) != 1 || len(end) != 1 || bi < 0 || ei < 0 {
		return nil, fmt.Errorf("host range [%s] must be numeric or single letters", spec)
	}
	if bi > ei {
		return nil, fmt.Errorf("host range [%s] begins after it ends", spec)
	}
	var out []string
	for i := bi; i <= ei; i += step {
		out = append(out, asciiLetters[i:i+1])
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
