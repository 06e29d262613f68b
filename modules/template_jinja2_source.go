package modules

// Reading a .j2 source the way Ansible's template module does before gonja
// parses it: the "#jinja2:" first line that overrides environment options,
// Python's string-literal escapes, {% raw %} keeping the newline after it,
// and every {{ expression }} printed as Python's str() prints it.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
)

// jinjaOverrideHeader starts a first line that sets environment options,
// as in Ansible ("#jinja2: trim_blocks: False, lstrip_blocks: True").
const jinjaOverrideHeader = "#jinja2:"

// pystrFilter is the filter every printed expression goes through: gonja
// prints values its own way, Ansible prints Python's str().
const pystrFilter = "runbook_pystr"

// iterFilter is the filter the iterable of each {% for %} goes through:
// gonja walks a mapping in sorted order, Python in insertion order.
const iterFilter = "runbook_iter"

// applyJinjaHeader removes a "#jinja2:" first line from text and applies
// its settings to cfg.
func applyJinjaHeader(text string, cfg *config.Config) (string, error) {
	if !strings.HasPrefix(text, jinjaOverrideHeader) {
		return text, nil
	}
	line, rest, _ := strings.Cut(text, "\n")
	line = strings.TrimSuffix(line[len(jinjaOverrideHeader):], "\r")
	for _, pair := range strings.Split(line, ",") {
		key, val, ok := strings.Cut(pair, ":")
		if !ok {
			return "", fmt.Errorf("%s expects key: value pairs separated by commas, got %q", jinjaOverrideHeader, strings.TrimSpace(pair))
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if err := setJinjaOption(cfg, key, val); err != nil {
			return "", fmt.Errorf("%s %s: %w", jinjaOverrideHeader, key, err)
		}
	}
	return rest, nil
}

// setJinjaOption sets one environment option from a Python literal
// (True/False, a quoted string).
func setJinjaOption(cfg *config.Config, key, literal string) error {
	bools := map[string]*bool{"trim_blocks": &cfg.TrimBlocks, "lstrip_blocks": &cfg.LeftStripBlocks, "keep_trailing_newline": &cfg.KeepTrailingNewline}
	strs := map[string]*string{
		"block_start_string": &cfg.BlockStartString, "block_end_string": &cfg.BlockEndString,
		"variable_start_string": &cfg.VariableStartString, "variable_end_string": &cfg.VariableEndString,
		"comment_start_string": &cfg.CommentStartString, "comment_end_string": &cfg.CommentEndString,
		"newline_sequence": &cfg.NewlineSequence,
	}
	if b, ok := bools[key]; ok {
		switch literal {
		case "True", "true":
			*b = true
		case "False", "false":
			*b = false
		default:
			return fmt.Errorf("wants True or False, got %s", literal)
		}
		return nil
	}
	if s, ok := strs[key]; ok {
		v, err := pyStringLiteral(literal)
		if err != nil || v == "" {
			return fmt.Errorf("wants a quoted string, got %s", literal)
		}
		*s = v
		return nil
	}
	return fmt.Errorf("is not an option runbook can set (trim_blocks, lstrip_blocks, keep_trailing_newline, newline_sequence and the *_start_string/*_end_string delimiters are)")
}

// pyStringLiteral reads a Python string literal in single or double quotes.
func pyStringLiteral(s string) (string, error) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", fmt.Errorf("not a string literal")
	}
	return strconv.Unquote(`"` + goEscapes(strings.ReplaceAll(s[1:len(s)-1], `"`, `\"`)) + `"`)
}

// goEscapes rewrites the backslash escapes of a Python string literal's body
// so that Go's strconv.Unquote (which gonja uses) reads the value Python
// would: a backslash before a character that starts no escape ("\d" in a
// regex) stays a backslash, and an escaped backslash is written \x5c so
// that gonja's lexer cannot take the backslash for one escaping a quote.
func goEscapes(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		next := body[i+1]
		switch {
		case next == '\\':
			b.WriteString(`\x5c`)
			i++
		case strings.IndexByte(`abfnrtv'"xuU`, next) >= 0:
			b.WriteByte(c)
		case next >= '0' && next <= '7':
			// Python's octal escape has one to three digits, Go's three.
			j := i + 1
			for j < len(body) && j < i+4 && body[j] >= '0' && body[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(body[i+1:j], 8, 16)
			if n > 0xff {
				fmt.Fprintf(&b, `\u%04x`, n)
			} else {
				fmt.Fprintf(&b, `\x%02x`, n)
			}
			i = j - 1
		default:
			b.WriteString(`\x5c`)
		}
	}
	return b.String()
}

// prepareJinjaSource rewrites a template's text for gonja: the escapes in
// the string literals of its tags (goEscapes), "+" on each {% raw %} so
// that trim_blocks leaves the newline after it (Jinja does), and each
// {{ expression }} piped through pystrFilter. Comments and raw blocks are
// left alone. filters receives the names of the filters the tags use.
func prepareJinjaSource(text string, cfg *config.Config, filters map[string]bool) string {
	var b strings.Builder
	var calls callRewriter
	b.Grow(len(text) + len(text)/8)
	for len(text) > 0 {
		i, start := nextJinjaTag(text, cfg)
		if i < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i+len(start)])
		text = text[i+len(start):]
		switch start {
		case cfg.CommentStartString:
			j := strings.Index(text, cfg.CommentEndString)
			if j < 0 {
				j = len(text)
			} else {
				j += len(cfg.CommentEndString)
			}
			b.WriteString(text[:j])
			text = text[j:]
		case cfg.VariableStartString:
			text = copyJinjaTag(&b, text, cfg.VariableEndString, true, filters)
		default:
			raw := isRawTag(text)
			var tag strings.Builder
			text = copyJinjaTag(&tag, text, cfg.BlockEndString, false, filters)
			b.WriteString(calls.rewrite(tag.String(), cfg))
			if raw {
				text = copyRawBody(&b, text, cfg)
			}
		}
	}
	return b.String()
}

// nextJinjaTag finds the first tag start in text.
func nextJinjaTag(text string, cfg *config.Config) (int, string) {
	best, which := -1, ""
	for _, s := range []string{cfg.VariableStartString, cfg.BlockStartString, cfg.CommentStartString} {
		if i := strings.Index(text, s); i >= 0 && (best < 0 || i < best || (i == best && len(s) > len(which))) {
			best, which = i, s
		}
	}
	return best, which
}

// isRawTag says whether the block tag whose body starts text is {% raw %}.
func isRawTag(text string) bool {
	t := strings.TrimLeft(strings.TrimLeft(text, "-+"), " \t\r\n")
	return strings.HasPrefix(t, "raw") && (len(t) == 3 || strings.IndexByte(" \t\r\n-+%", t[3]) >= 0 || !isIdentByte(t[3]))
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// copyJinjaTag copies the body of a tag up to and including end, fixing
// its string literals, and returns what follows. print wraps the body in
// pystrFilter; for a raw block tag without whitespace control, "+" is added
// before end.
func copyJinjaTag(b *strings.Builder, text, end string, print bool, filters map[string]bool) string {
	var body strings.Builder
	closed, depth := -1, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\'' || c == '"' {
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(text) {
				body.WriteString(text[i:]) // an unclosed string: the tag never ends
				break
			}
			body.WriteByte(c)
			body.WriteString(goEscapes(text[i+1 : j]))
			body.WriteByte(c)
			i = j
			continue
		}
		if strings.HasPrefix(text[i:], end) {
			if depth <= 0 {
				closed = i
				break
			}
			// Inside brackets "}}" closes two mappings, as Jinja's lexer
			// sees it; gonja's would end the tag there.
			body.WriteByte(c)
			body.WriteByte(' ')
			depth--
			continue
		}
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '|':
			if i+1 < len(text) && text[i+1] != '|' {
				noteFilterName(text[i+1:], filters)
			}
		}
		body.WriteByte(c)
	}
	s := rewriteTestCalls(body.String())
	if closed < 0 {
		b.WriteString(s)
		return ""
	}
	if print {
		s = wrapPrinted(s)
	} else if strings.HasPrefix(strings.TrimLeft(strings.TrimLeft(s, "-+"), " \t\r\n"), "for") {
		s = wrapForIterable(s)
	} else if isRawTag(s) && !strings.HasSuffix(s, "-") && !strings.HasSuffix(s, "+") {
		s += "+"
	}
	b.WriteString(s)
	b.WriteString(end)
	return text[closed+len(end):]
}

// noteFilterName records the identifier after a "|".
func noteFilterName(s string, filters map[string]bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	n := 0
	for n < len(s) && isIdentByte(s[n]) {
		n++
	}
	if n > 0 && filters != nil {
		filters[s[:n]] = true
	}
}

// wrapPrinted turns the body of {{ body }} into (body) | pystrFilter,
// keeping its whitespace control marks where gonja looks for them. gonja
// reads an inline if only at the top of a print statement, so with one
// each branch is wrapped: (a) | f if c else (b) | f.
func wrapPrinted(s string) string {
	lead, trail := "", ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		lead, s = s[:1], s[1:]
	}
	if strings.HasSuffix(s, "-") || strings.HasSuffix(s, "+") {
		s, trail = s[:len(s)-1], s[len(s)-1:]
	}
	if strings.TrimSpace(s) == "" {
		return lead + s + trail
	}
	wrap := func(e string) string { return "(" + e + ") | " + pystrFilter }
	if i := topLevelWord(s, "if"); i >= 0 {
		cond := s[i+2:]
		out := wrap(s[:i]) + " if"
		if j := topLevelWord(cond, "else"); j >= 0 {
			return lead + " " + out + cond[:j] + "else " + wrap(cond[j+4:]) + " " + trail
		}
		return lead + " " + out + cond + " " + trail
	}
	return lead + " " + wrap(s) + " " + trail
}

// topLevelWord finds word as a whole word in an expression, outside
// strings and brackets, or returns -1.
func topLevelWord(s, word string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		default:
			if depth == 0 && strings.HasPrefix(s[i:], word) && (i == 0 || !isIdentByte(s[i-1])) &&
				(i+len(word) == len(s) || !isIdentByte(s[i+len(word)])) {
				return i
			}
		}
	}
	return -1
}

// copyRawBody copies a raw block's body verbatim, up to its {% endraw %}.
func copyRawBody(b *strings.Builder, text string, cfg *config.Config) string {
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], cfg.BlockStartString)
		if j < 0 {
			break
		}
		j += i
		rest := strings.TrimLeft(strings.TrimLeft(text[j+len(cfg.BlockStartString):], "-+"), " \t\r\n")
		if strings.HasPrefix(rest, "endraw") {
			b.WriteString(text[:j])
			return text[j:]
		}
		i = j + len(cfg.BlockStartString)
	}
	b.WriteString(text)
	return ""
}

// testArgsFunc is the global that carries a test's arguments: gonja reads
// one value after a test's name, so "x is version('1.2', '>=')" would pass
// the tuple ('1.2', '>=') as one argument. rewriteTestCalls writes
// "x is version(runbook_targs('1.2', '>='))" and the test unpacks it.
const testArgsFunc = "runbook_targs"

// rewriteTestCalls wraps the arguments of each test call that has more
// than one argument, or a keyword argument, in testArgsFunc.
func rewriteTestCalls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '"' {
			j := skipString(s, i)
			b.WriteString(s[i:j])
			i = j - 1
			continue
		}
		if c != 'i' || !strings.HasPrefix(s[i:], "is") || (i > 0 && isIdentByte(s[i-1])) || (i+2 < len(s) && isIdentByte(s[i+2])) {
			b.WriteByte(c)
			continue
		}
		j := skipSpace(s, i+2)
		if strings.HasPrefix(s[j:], "not") && j+3 < len(s) && !isIdentByte(s[j+3]) {
			j = skipSpace(s, j+3)
		}
		k := j
		for k < len(s) && isIdentByte(s[k]) {
			k++
		}
		open := skipSpace(s, k)
		if k == j || open >= len(s) || s[open] != '(' {
			b.WriteByte(c)
			continue
		}
		end, multi := closingParen(s, open)
		if end < 0 || !multi {
			b.WriteByte(c)
			continue
		}
		b.WriteString(s[i:open+1] + testArgsFunc + "(" + s[open+1:end] + "))")
		i = end
	}
	return b.String()
}

// skipString returns the index after the string literal starting at i.
func skipString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] == '\\' {
			j++
		} else if s[j] == q {
			return j + 1
		}
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// closingParen finds the ")" matching the "(" at open, and says whether
// the arguments between hold a top-level comma or keyword "=".
func closingParen(s string, open int) (int, bool) {
	depth, multi := 0, false
	for i := open; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			i = skipString(s, i) - 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return i, multi
			}
		case ',':
			multi = multi || depth == 1
		case '=':
			kw := depth == 1 && i+1 < len(s) && s[i+1] != '=' && strings.IndexByte("=!<>", s[i-1]) < 0
			multi = multi || kw
		}
	}
	return -1, false
}

// wrapForIterable turns "for x in ITER [if c] [recursive]" into
// "for x in (ITER) | iterFilter ...".
func wrapForIterable(s string) string {
	in := topLevelWord(s, "in")
	if in < 0 || topLevelWord(s[:in], "for") < 0 {
		return s
	}
	rest := s[in+2:]
	end := len(rest)
	for _, w := range []string{"if", "recursive"} {
		if i := topLevelWord(rest, w); i >= 0 && i < end {
			end = i
		}
	}
	trail := ""
	iter := rest[:end]
	if end == len(rest) && (strings.HasSuffix(iter, "-") || strings.HasSuffix(iter, "+")) {
		iter, trail = iter[:len(iter)-1], iter[len(iter)-1:]
	}
	if strings.TrimSpace(iter) == "" {
		return s
	}
	return s[:in+2] + " (" + iter + ") | " + iterFilter + " " + rest[end:] + trail
}
