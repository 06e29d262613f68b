package eval

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python's str.split, str.rsplit and str.splitlines.

// pySplitlines is str.splitlines: split at any line boundary, without a
// final empty line; keepends keeps the boundaries.
func pySplitlines(s string, keepends bool) []any {
	out := []any{}
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		end := i + size
		switch r {
		case '\r':
			if end < len(s) && s[end] == '\n' {
				end++
			}
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		default:
			i = end
			continue
		}
		if keepends {
			out = append(out, s[start:end])
		} else {
			out = append(out, s[start:i])
		}
		start, i = end, end
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// pySplit is str.split and str.rsplit: by sep (nil: runs of whitespace,
// no empty items) at most maxsplit times (-1: no limit).
func pySplit(s string, sep any, maxsplit int, fromRight bool) ([]any, error) {
	var parts []string
	switch sp := sep.(type) {
	case nil:
		parts = splitFields(s, maxsplit, fromRight)
	case string:
		if sp == "" {
			return nil, fmt.Errorf("empty separator")
		}
		switch {
		case maxsplit < 0:
			parts = strings.Split(s, sp)
		case !fromRight:
			parts = strings.SplitN(s, sp, maxsplit+1)
		default:
			for len(parts) < maxsplit {
				k := strings.LastIndex(s, sp)
				if k < 0 {
					break
				}
				parts = append(parts, s[k+len(sp):])
				s = s[:k]
			}
			parts = append(parts, s)
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
	default:
		return nil, fmt.Errorf("must be str or None, not %s", pyTypeName(sep))
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// splitFields splits at runs of whitespace, at most maxsplit times; the
// last part keeps its inner whitespace.
func splitFields(s string, maxsplit int, fromRight bool) []string {
	if maxsplit < 0 {
		return strings.Fields(s)
	}
	var parts []string
	if fromRight {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
		for len(parts) < maxsplit && s != "" {
			k := strings.LastIndexFunc(s, unicode.IsSpace)
			if k < 0 {
				break
			}
			parts = append([]string{s[k+1:]}, parts...)
			s = strings.TrimRightFunc(s[:k], unicode.IsSpace)
		}
		if s != "" {
			parts = append([]string{s}, parts...)
		}
		return parts
	}
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	for len(parts) < maxsplit && s != "" {
		k := strings.IndexFunc(s, unicode.IsSpace)
		if k < 0 {
			break
		}
		parts = append(parts, s[:k])
		s = strings.TrimLeftFunc(s[k:], unicode.IsSpace)
	}
	if s != "" {
		parts = append(parts, s)
	}
	return parts
}
