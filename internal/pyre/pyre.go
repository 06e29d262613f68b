// Package pyre applies Python re replacement templates ("\1", "\g<name>",
// "\g<0>", "\n") with Go regular expressions, for the places Ansible uses
// Python's re.sub or match.expand: the regex_replace filter (in expressions
// and in Jinja2 templates) and lineinfile's backrefs. Unlike Go's
// Regexp.Expand, a "$" in the template is plain text.
package pyre

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// escapes are the one-letter escapes Python's templates accept.
var escapes = map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', 'v': '\v', 'a': '\a', 'b': '\b', '\\': '\\'}

// Expand returns tmpl with its group references filled from match m (as
// returned by FindStringSubmatchIndex) of re in src. An unmatched group is
// empty, as in Python 3.5+; an unknown group or an unknown escape of an
// ASCII letter (\d) is an error, as in Python.
func Expand(re *regexp.Regexp, tmpl, src string, m []int) (string, error) {
	var b strings.Builder
	if err := expand(&b, re, tmpl, src, m); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ReplaceAll is Python's re.sub(re, tmpl, src): every match replaced by
// the expansion of tmpl.
func ReplaceAll(re *regexp.Regexp, src, tmpl string) (string, error) {
	out, _, err := Subn(re, src, tmpl)
	return out, err
}

// Subn is Python's re.subn: ReplaceAll and the number of matches replaced.
func Subn(re *regexp.Regexp, src, tmpl string) (string, int, error) {
	matches := re.FindAllStringSubmatchIndex(src, -1)
	if matches == nil {
		return src, 0, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		b.WriteString(src[last:m[0]])
		if err := expand(&b, re, tmpl, src, m); err != nil {
			return "", 0, err
		}
		last = m[1]
	}
	b.WriteString(src[last:])
	return b.String(), len(matches), nil
}

func expand(b *strings.Builder, re *regexp.Regexp, tmpl, src string, m []int) error {
	group := func(ref string) error {
		n, err := strconv.Atoi(ref)
		if err != nil {
			if n = re.SubexpIndex(ref); n < 0 {
				return fmt.Errorf("unknown group name %q in %q", ref, tmpl)
			}
		}
		if n < 0 || n > re.NumSubexp() {
			return fmt.Errorf("invalid group reference %s in %q (the pattern has %d group(s))", ref, tmpl, re.NumSubexp())
		}
		if m[2*n] >= 0 {
			b.WriteString(src[m[2*n]:m[2*n+1]])
		}
		return nil
	}
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '\\' || i+1 == len(tmpl) {
			b.WriteByte(c)
			continue
		}
		i++
		d := tmpl[i]
		switch {
		case d == '0' || isOctal3(tmpl[i:]):
			// An octal escape: \0, \0NN or \NNN.
			j, n := i, 0
			for ; j < len(tmpl) && j < i+3 && tmpl[j] >= '0' && tmpl[j] <= '7'; j++ {
				n = n*8 + int(tmpl[j]-'0')
			}
			if n > 0o377 {
				return fmt.Errorf("octal escape value \\%s outside of range 0-0o377 in %q", tmpl[i:j], tmpl)
			}
			b.WriteByte(byte(n))
			i = j - 1
		case d >= '1' && d <= '9':
			j := i + 1
			if j < len(tmpl) && tmpl[j] >= '0' && tmpl[j] <= '9' {
				j++
			}
			if err := group(tmpl[i:j]); err != nil {
				return err
			}
			i = j - 1
		case d == 'g':
			end := strings.IndexByte(tmpl[i:], '>')
			if i+1 >= len(tmpl) || tmpl[i+1] != '<' || end < 0 {
				return fmt.Errorf("missing group name in \\g<…> in %q", tmpl)
			}
			if err := group(tmpl[i+2 : i+end]); err != nil {
				return err
			}
			i += end
		case escapes[d] != 0:
			b.WriteByte(escapes[d])
		case d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z':
			return fmt.Errorf("bad escape \\%c in %q (write \\\\%c for a backslash)", d, tmpl, d)
		default:
			b.WriteByte('\\')
			b.WriteByte(d)
		}
	}
	return nil
}

// isOctal3 says whether s starts with three octal digits (Python reads
// \NNN as an octal escape, not group NN followed by a digit).
func isOctal3(s string) bool {
	if len(s) < 3 {
		return false
	}
	for _, c := range []byte(s[:3]) {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}
