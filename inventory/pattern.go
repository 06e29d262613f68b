package inventory

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Select returns the hosts an Ansible host pattern selects, in inventory
// order without duplicates (the implicit localhost, when selected, comes
// last).
//
// A pattern is a list of terms separated by ',' or, when it holds no comma,
// by ':' (so an IPv6 address can only be part of a list written with
// commas). A term is one of:
//
//	all, *          every host
//	name            a group (its hosts and its descendants' hosts) or a host
//	web*, 10.0.0.?  a glob over group and host names ([abc] and [!abc] too)
//	~web\d+         a regular expression (RE2 syntax) matched at the start
//	                of group and host names
//	name[0], name[-1], name[1:3], name[:2], name[2:]
//	                a subscript over the term's hosts; the end is inclusive
//
// A term prefixed with '&' intersects and one prefixed with '!' excludes.
// Plain terms are applied first, then '&' terms, then '!' terms; a pattern
// of only '&'/'!' terms starts from all. Names that match nothing select
// nothing. An empty pattern, an empty term after '&' or '!', or a bad
// regular expression is an error. "localhost" selects the implicit
// localhost when the inventory does not define it.
func (inv *Inventory) Select(pattern string) ([]string, error) {
	terms, err := splitPattern(pattern)
	if err != nil {
		return nil, err
	}
	var unions, inters, excls []string
	for _, t := range terms {
		switch t[0] {
		case '&':
			inters = append(inters, t[1:])
		case '!':
			excls = append(excls, t[1:])
		default:
			unions = append(unions, t)
		}
	}
	if len(unions) == 0 {
		unions = []string{groupAll}
	}
	selected := map[string]bool{}
	for _, t := range unions {
		hs, err := inv.matchTerm(t)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			selected[h] = true
		}
	}
	for _, t := range inters {
		hs, err := inv.matchTerm(t)
		if err != nil {
			return nil, err
		}
		keep := make(map[string]bool, len(hs))
		for _, h := range hs {
			keep[h] = selected[h]
		}
		selected = map[string]bool{}
		for h, ok := range keep {
			if ok {
				selected[h] = true
			}
		}
	}
	for _, t := range excls {
		hs, err := inv.matchTerm(t)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			delete(selected, h)
		}
	}
	out := inv.inOrder(selected)
	if selected[localhostName] && inv.hosts[localhostName] == nil {
		// The implicit localhost has no index; put it last.
		out = append(removeString(out, localhostName), localhostName)
	}
	return out, nil
}

func removeString(ss []string, s string) []string {
	out := ss[:0]
	for _, x := range ss {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// splitPattern splits a pattern into terms, validating the operators.
func splitPattern(pattern string) ([]string, error) {
	if strings.TrimSpace(pattern) == "" {
		return nil, errors.New("empty host pattern")
	}
	var parts []string
	switch {
	case strings.Contains(pattern, ","):
		parts = strings.Split(pattern, ",")
	case isIPv6(strings.TrimLeft(strings.TrimSpace(pattern), "!&")):
		parts = []string{pattern}
	default:
		parts = splitOutsideBrackets(pattern, ':')
	}
	var terms []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if (p[0] == '!' || p[0] == '&') && strings.TrimSpace(p[1:]) == "" {
			return nil, fmt.Errorf("host pattern %q: %q needs a name after it", pattern, p)
		}
		if p[0] == '!' || p[0] == '&' {
			p = p[:1] + strings.TrimSpace(p[1:])
		}
		terms = append(terms, p)
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("host pattern %q has no terms", pattern)
	}
	return terms, nil
}

func isIPv6(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return strings.Contains(s, ":") && net.ParseIP(s) != nil
}

// splitOutsideBrackets splits s at sep, except inside [...].
func splitOutsideBrackets(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

var subscriptRE = regexp.MustCompile(`^(.+)\[\s*(?:(-?[0-9]+)|([0-9]*)\s*:\s*([0-9]*))\s*\]$`)

// matchTerm returns the hosts one term (without operator) selects.
func (inv *Inventory) matchTerm(term string) ([]string, error) {
	if strings.HasPrefix(term, "~") {
		if term == "~" {
			return nil, errors.New("host pattern \"~\": empty regular expression")
		}
		if _, err := regexp.Compile(term[1:]); err != nil {
			return nil, fmt.Errorf("host pattern %q: bad regular expression: %v", term, err)
		}
		re, err := regexp.Compile(`^(?:` + term[1:] + `)`)
		if err != nil {
			return nil, fmt.Errorf("host pattern %q: bad regular expression: %v", term, err)
		}
		return inv.matchNames(re), nil
	}
	m := subscriptRE.FindStringSubmatch(term)
	if m == nil {
		return inv.matchPlain(term)
	}
	hosts, err := inv.matchPlain(m[1])
	if err != nil {
		return nil, err
	}
	return applySubscript(hosts, m[2], m[3], m[4]), nil
}

// matchPlain matches a name or glob against groups, then hosts.
func (inv *Inventory) matchPlain(term string) ([]string, error) {
	special := strings.ContainsAny(term, "*?[")
	if !special {
		var out []string
		if _, ok := inv.groups[term]; ok {
			out = append(out, inv.groupHosts[term]...)
		} else if _, ok := inv.hosts[term]; ok {
			out = append(out, term)
		} else if term == localhostName && inv.localhost != nil {
			out = append(out, localhostName)
		}
		return out, nil
	}
	re, err := globRegexp(term)
	if err != nil {
		return nil, fmt.Errorf("host pattern %q: %v", term, err)
	}
	return inv.matchNames(re), nil
}

// matchNames returns the hosts of every group whose name matches re and the
// hosts whose names match.
func (inv *Inventory) matchNames(re *regexp.Regexp) []string {
	set := map[string]bool{}
	for name := range inv.groups {
		if re.MatchString(name) {
			for _, h := range inv.groupHosts[name] {
				set[h] = true
			}
		}
	}
	for _, h := range inv.order {
		if re.MatchString(h) {
			set[h] = true
		}
	}
	return inv.inOrder(set)
}

// applySubscript picks hosts[idx] or the inclusive slice hosts[from:to].
func applySubscript(hosts []string, idx, from, to string) []string {
	n := len(hosts)
	if idx != "" {
		i, err := strconv.Atoi(idx)
		if err != nil {
			return nil
		}
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil
		}
		return []string{hosts[i]}
	}
	start, end := 0, n-1
	if from != "" {
		v, err := strconv.Atoi(from)
		if err != nil {
			return nil
		}
		start = v
	}
	if to != "" {
		v, err := strconv.Atoi(to)
		if err != nil {
			return nil
		}
		end = min(v, n-1)
	}
	if start > end || start >= n {
		return nil
	}
	return append([]string{}, hosts[start:end+1]...)
}

// globRegexp translates a shell glob (*, ?, [abc], [!abc]) into an anchored
// regular expression. An unclosed '[' is literal.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^(?:")
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(glob) && glob[j] == '!' {
				j++
			}
			if j < len(glob) && glob[j] == ']' {
				j++
			}
			for j < len(glob) && glob[j] != ']' {
				j++
			}
			if j >= len(glob) {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(globClass(glob[i+1 : j]))
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(")$")
	return regexp.Compile(b.String())
}

// globClass turns the inside of a glob bracket expression into a regexp
// character class.
func globClass(body string) string {
	var b strings.Builder
	b.WriteByte('[')
	if strings.HasPrefix(body, "!") {
		b.WriteByte('^')
		body = body[1:]
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\', '[', ']', '^':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(']')
	return b.String()
}
