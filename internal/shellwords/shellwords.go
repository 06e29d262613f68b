// Package shellwords splits command lines into words with POSIX shell
// quoting rules and no expansion. It is the one splitter in runbook: the
// free-form task arguments, the command and script modules and the
// transports all use it, so a command line means the same everywhere.
package shellwords

import (
	"fmt"
	"strings"
)

// Word is one word of a command line: its span in the input and its value
// with the quoting removed.
type Word struct {
	Start, End int
	Value      string
}

// Words splits s into words the way a POSIX shell does, without any
// expansion: blanks separate words; single quotes keep everything literally;
// in double quotes a backslash escapes only \ " $ ` and newline; outside
// quotes a backslash escapes any character, and a trailing one is an error.
// With templates set, a {{ }} action outside single quotes is kept verbatim
// as part of the word.
func Words(s string, templates bool) ([]Word, error) {
	var words []Word
	var cur strings.Builder
	inWord, start := false, 0
	begin := func(i int) {
		if !inWord {
			inWord, start = true, i
			cur.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, Word{start, i, cur.String()})
				inWord = false
			}
			i++
		case templates && strings.HasPrefix(s[i:], "{{"):
			begin(i)
			n := actionEnd(s[i:])
			if n < 0 {
				return nil, fmt.Errorf("unterminated {{ at offset %d", i)
			}
			cur.WriteString(s[i : i+n])
			i += n
		case c == '\'':
			begin(i)
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote at offset %d", i)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			begin(i)
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if templates && strings.HasPrefix(s[j:], "{{") {
					n := actionEnd(s[j:])
					if n < 0 {
						return nil, fmt.Errorf("unterminated {{ at offset %d", j)
					}
					cur.WriteString(s[j : j+n])
					j += n - 1
					continue
				}
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\\\"$`\n", s[j+1]) >= 0 {
					j++
					if s[j] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated double quote at offset %d", i)
			}
			i = j + 1
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2 // line continuation
		case c == '\\':
			if i+1 == len(s) {
				// It escapes nothing: an error, as in Python's shlex (and
				// so Ansible), rather than a guess at what was meant.
				return nil, fmt.Errorf("trailing backslash at offset %d", i)
			}
			begin(i)
			cur.WriteByte(s[i+1])
			i += 2
		default:
			begin(i)
			cur.WriteByte(c)
			i++
		}
	}
	if inWord {
		words = append(words, Word{start, len(s), cur.String()})
	}
	return words, nil
}

// actionEnd returns the length of the {{ }} action at the start of s, or
// -1. Quoted strings inside the action may hold "}}".
func actionEnd(s string) int {
	for i := 2; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return -1
			}
			i += j + 1
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				return i + 2
			}
		}
	}
	return -1
}

// Split splits a command line into argv the way a POSIX shell does (see
// Words), without any expansion. It is the inverse of transport.QuoteArgs.
func Split(s string) ([]string, error) {
	words, err := Words(s, false)
	if err != nil {
		return nil, err
	}
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.Value
	}
	return argv, nil
}
