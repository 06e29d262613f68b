// Package fnmatch reads shell globs as Python's fnmatch does, which is how
// Ansible's find matches names. (The inventory's host patterns have their
// own translation, which refuses a reversed range instead of matching
// nothing, as a typo in a pattern should be an error there.)
package fnmatch

import (
	"fmt"
	"regexp"
	"strings"
)

// Compile is Translate, compiled.
func Compile(pat string) (*regexp.Regexp, error) { return regexp.Compile(Translate(pat)) }

// Translate turns a shell glob into an anchored Go regular expression, as
// Python's fnmatch reads the glob:
// * and ? match any characters (dots and newlines too), [...] is a set
// ([!...] its complement, a reversed range matching nothing), a [ without
// its ] is literal, and a backslash is an ordinary character.
func Translate(pat string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(pat)
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < len(rs) && rs[j] == '!' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(set(rs[i:j]))
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// set is a bracket expression's content as a Go character class,
// every character written as \x{…} so none is special.
func set(set []rune) string {
	neg := len(set) > 0 && set[0] == '!'
	if neg {
		set = set[1:]
	}
	var b strings.Builder
	for k := 0; k < len(set); {
		if k+2 < len(set) && set[k+1] == '-' {
			if set[k] <= set[k+2] {
				fmt.Fprintf(&b, `\x{%x}-\x{%x}`, set[k], set[k+2])
			}
			k += 3
			continue
		}
		fmt.Fprintf(&b, `\x{%x}`, set[k])
		k++
	}
	switch {
	case b.Len() == 0 && neg:
		return `.`
	case b.Len() == 0:
		return `[^\x00-\x{10ffff}]` // matches nothing
	case neg:
		return `[^` + b.String() + `]`
	}
	return `[` + b.String() + `]`
}
