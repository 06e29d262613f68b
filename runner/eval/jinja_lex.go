package eval

import (
	"fmt"
	"strconv"
	"strings"
)

// The lexer of the Jinja translation (see jinja.go): names, numbers,
// strings (with Python's escapes decoded) and operators, each with its
// byte offset for error columns.

type tokKind int

const (
	tokEOF tokKind = iota
	tokName
	tokNumber
	tokString
	tokOp
)

type token struct {
	kind tokKind
	text string // the name, the number as written, the decoded string, or the operator
	pos  int    // byte offset in the expression
}

// jinjaOps are the operators, longest first so that "**" wins over "*".
var jinjaOps = []string{
	"**", "//", "==", "!=", "<=", ">=", "&&", "||", "??", "?.",
	"+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "=", "!", "?", "#",
}

// jinjaError is an error at a byte offset of the expression.
type jinjaError struct {
	pos     int
	msg     string
	refused bool // a Jinja form recognised but not supported: report it rather than expr's error
}

func (e *jinjaError) Error() string { return e.msg }

func errAtTok(t token, format string, args ...any) *jinjaError {
	return &jinjaError{pos: t.pos, msg: fmt.Sprintf(format, args...)}
}

func refusedAt(pos int, format string, args ...any) *jinjaError {
	return &jinjaError{pos: pos, msg: fmt.Sprintf(format, args...), refused: true}
}

// lexJinja splits code into tokens.
func lexJinja(code string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(code) {
		c := code[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' && i+1 < len(code) && (code[i+1] == '%' || code[i+1] == '#'):
			return nil, refusedAt(i, "Jinja statements and comments ({%% %%}, {# #}) are not supported in expressions: use an inline if (a if c else b) or a loop: on the task")
		case isNameStart(c):
			j := i + 1
			for j < len(code) && isNameChar(code[j]) {
				j++
			}
			toks = append(toks, token{tokName, code[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := lexNumber(code, i)
			toks = append(toks, token{tokNumber, strings.ReplaceAll(code[i:j], "_", ""), i})
			i = j
		case c == '\'' || c == '"':
			s, j, err := lexString(code, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, s, i})
			i = j
		default:
			op := ""
			for _, o := range jinjaOps {
				if strings.HasPrefix(code[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, &jinjaError{pos: i, msg: fmt.Sprintf("unexpected character %q", c)}
			}
			toks = append(toks, token{tokOp, op, i})
			i += len(op)
		}
	}
	return append(toks, token{tokEOF, "", len(code)}), nil
}

func isNameStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// lexNumber returns the end of the number starting at i: digits, an
// optional fraction (only when a digit follows the dot, so x.0.1 and
// list.0 stay indexes) and exponent.
func lexNumber(code string, i int) int {
	digits := func(j int) int {
		for j < len(code) && (code[j] >= '0' && code[j] <= '9' || code[j] == '_') {
			j++
		}
		return j
	}
	j := digits(i)
	if j+1 < len(code) && code[j] == '.' && code[j+1] >= '0' && code[j+1] <= '9' && (i == 0 || code[i-1] != '.') {
		j = digits(j + 1)
	}
	if j < len(code) && (code[j] == 'e' || code[j] == 'E') {
		k := j + 1
		if k < len(code) && (code[k] == '+' || code[k] == '-') {
			k++
		}
		if k < len(code) && code[k] >= '0' && code[k] <= '9' {
			j = digits(k)
		}
	}
	return j
}

// lexString decodes a quoted string with Python's escapes; an unknown
// escape keeps its backslash, as in Python ('\d+' is the regex \d+).
func lexString(code string, i int) (string, int, error) {
	q := code[i]
	var b strings.Builder
	for j := i + 1; j < len(code); j++ {
		c := code[j]
		if c == q {
			return b.String(), j + 1, nil
		}
		if c != '\\' || j+1 == len(code) {
			b.WriteByte(c)
			continue
		}
		j++
		switch e := code[j]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if j+n < len(code) {
				if r, err := strconv.ParseUint(code[j+1:j+1+n], 16, 32); err == nil {
					b.WriteRune(rune(r))
					j += n
					continue
				}
			}
			return "", 0, &jinjaError{pos: j - 1, msg: fmt.Sprintf("invalid \\%c escape in a string", e)}
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", 0, &jinjaError{pos: i, msg: "unterminated string literal"}
}
