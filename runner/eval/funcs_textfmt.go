package eval

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text filters: Jinja's capitalize, title, indent, center, wordcount,
// truncate, wordwrap and striptags, and Ansible's comment, with Python's
// string semantics (lengths count characters, not bytes).

// maxPadding bounds what center, indent and comment repeat (a width or
// count of billions is a mistake, not a layout).
const maxPadding = 1 << 20

// repeat is strings.Repeat for a count from a filter argument.
func repeat(s string, n int, what string) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if n > maxPadding || len(s)*n > maxPadding {
		return "", fmt.Errorf("%s %d is too large", what, n)
	}
	return strings.Repeat(s, n), nil
}

// fnCapitalize is Python's str.capitalize: the first character upper case
// (title case), the rest lower case.
func fnCapitalize(args ...any) (any, error) {
	s := str(args[0])
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s, nil
	}
	return string(unicode.ToTitle(r)) + strings.ToLower(s[n:]), nil
}

// isTitleSeparator is Jinja's title split: runs of -, whitespace, (, {,
// [ and < start a new word.
func isTitleSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("-({[<", r)
}

// fnTitle is Jinja's title: each word's first letter upper case, the rest
// lower case.
func fnTitle(args ...any) (any, error) {
	var b strings.Builder
	start := true
	for _, r := range str(args[0]) {
		switch {
		case isTitleSeparator(r):
			start = true
			b.WriteRune(r)
		case start:
			start = false
			b.WriteRune(unicode.ToUpper(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String(), nil
}

// splitLines is Python's str.splitlines: the line breaks are \n, \r\n, \r,
// \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029; a final break makes no empty
// last line.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			if r == '\r' && strings.HasPrefix(s[i+n:], "\n") {
				n++
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// fnIndent is Jinja 3's indent(s, width=4, first=False, blank=False):
// every line but the first (unless first) gets width spaces (or the width
// string); blank lines stay empty unless blank.
func fnIndent(args ...any) (any, error) {
	indent := "    "
	switch w := argOr(args, 1).(type) {
	case nil:
	case string:
		indent = w
	default:
		n, err := intParam(w, "width", 4)
		if err != nil {
			return nil, err
		}
		if indent, err = repeat(" ", n, "width"); err != nil {
			return nil, err
		}
	}
	lines := splitLines(str(args[0]) + "\n")
	var out string
	if Truthy(argOr(args, 3)) {
		out = strings.Join(lines, "\n"+indent)
	} else {
		out = lines[0]
		for _, line := range lines[1:] {
			out += "\n"
			if line != "" {
				out += indent + line
			}
		}
	}
	if Truthy(argOr(args, 2)) {
		out = indent + out
	}
	return out, nil
}

// fnCenter is Python's str.center(width): an odd margin puts the extra
// space on the side Python does.
func fnCenter(args ...any) (any, error) {
	s := str(args[0])
	width, err := intParam(argOr(args, 1), "width", 80)
	if err != nil {
		return nil, err
	}
	margin := width - utf8.RuneCountInString(s)
	if margin <= 0 {
		return s, nil
	}
	if margin > maxPadding {
		return nil, fmt.Errorf("width %d is too large", width)
	}
	left := margin/2 + (margin & width & 1)
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", margin-left), nil
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

func fnWordcount(args ...any) (any, error) {
	return len(wordRE.FindAllStringIndex(str(args[0]), -1)), nil
}

// fnTruncate is Jinja's truncate(s, length=255, killwords=False,
// end='...', leeway=5): a string at most leeway characters over length is
// kept whole; otherwise it is cut at a word (or anywhere with killwords)
// so that it and end fit in length.
func fnTruncate(args ...any) (any, error) {
	s := []rune(str(args[0]))
	length, err := intParam(argOr(args, 1), "length", 255)
	if err != nil {
		return nil, err
	}
	end := "..."
	if e := argOr(args, 3); e != nil {
		end = str(e)
	}
	leeway, err := intParam(argOr(args, 4), "leeway", 5)
	if err != nil {
		return nil, err
	}
	endLen := utf8.RuneCountInString(end)
	switch {
	case length < endLen:
		return nil, fmt.Errorf("expected length >= %d, got %d", endLen, length)
	case leeway < 0:
		return nil, fmt.Errorf("expected leeway >= 0, got %d", leeway)
	case len(s) <= length+leeway:
		return string(s), nil
	}
	head := string(s[:length-endLen])
	if !Truthy(argOr(args, 2)) {
		if i := strings.LastIndexByte(head, ' '); i >= 0 {
			head = head[:i]
		}
	}
	return head + end, nil
}

// fnStriptags is Jinja's striptags: comments and tags removed, runs of
// whitespace made one space, then HTML entities decoded.
func fnStriptags(args ...any) (any, error) {
	s := htmlCommentRE.ReplaceAllString(str(args[0]), "")
	s = htmlTagRE.ReplaceAllString(s, "")
	return html.UnescapeString(strings.Join(strings.Fields(s), " ")), nil
}

var (
	htmlCommentRE = regexp.MustCompile(`(?s)<!--.*?-->`)
	htmlTagRE     = regexp.MustCompile(`(?s)<.*?>`)
)

// commentStyles are Ansible's comment styles: beginning, decoration, end.
var commentStyles = map[string][3]string{
	"plain":  {"", "# ", ""},
	"erlang": {"", "% ", ""},
	"c":      {"", "// ", ""},
	"cblock": {"/*", " * ", " */"},
	"xml":    {"<!--", " - ", "-->"},
}

// Positions of comment's parameters after the text (the filter passes
// them in this order, nil when not given).
const (
	cmStyle = 1 + iota
	cmDecoration
	cmBeginning
	cmPrefix
	cmPrefixCount
	cmPostfix
	cmPostfixCount
	cmEnd
	cmNewline
)

// fnComment is Ansible's comment(text, style='plain', decoration=…,
// beginning=…, prefix=…, prefix_count=1, postfix=…, postfix_count=1,
// end=…, newline='\n').
func fnComment(args ...any) (any, error) {
	styleName := "plain"
	if s := argOr(args, cmStyle); s != nil {
		styleName = str(s)
	}
	style, ok := commentStyles[styleName]
	if !ok {
		return nil, fmt.Errorf("unknown style %q (use plain, erlang, c, cblock or xml)", styleName)
	}
	opt := func(i int, def string) string {
		if v := argOr(args, i); v != nil {
			return str(v)
		}
		return def
	}
	decoration := opt(cmDecoration, style[1])
	trimmed := strings.TrimRight(decoration, " \t\n\r\v\f")
	beginning, prefix, postfix := opt(cmBeginning, style[0]), opt(cmPrefix, trimmed), opt(cmPostfix, trimmed)
	end, newline := opt(cmEnd, style[2]), opt(cmNewline, "\n")
	prefixCount, err := intParam(argOr(args, cmPrefixCount), "prefix_count", 1)
	if err != nil {
		return nil, err
	}
	postfixCount, err := intParam(argOr(args, cmPostfixCount), "postfix_count", 1)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if beginning != "" {
		b.WriteString(beginning + newline)
	}
	if prefix != "" {
		line := prefix + newline
		if prefix == newline {
			line = newline
		}
		lines, err := repeat(line, prefixCount, "prefix_count")
		if err != nil {
			return nil, err
		}
		b.WriteString(lines)
	}
	text := decoration + strings.ReplaceAll(str(args[0]), newline, newline+decoration)
	b.WriteString(strings.ReplaceAll(text, decoration+newline, strings.TrimRight(decoration, " \t\n\r\v\f")+newline))
	lines, err := repeat(newline+postfix, postfixCount, "postfix_count")
	if err != nil {
		return nil, err
	}
	b.WriteString(lines)
	if end != "" {
		b.WriteString(newline + end)
	}
	return b.String(), nil
}

// fnWordwrap is Jinja's wordwrap(s, width=79, break_long_words=True,
// wrapstring='\n', break_on_hyphens=True): each line wrapped as Python's
// textwrap does (whitespace kept inside lines, dropped at the breaks).
func fnWordwrap(args ...any) (any, error) {
	width, err := intParam(argOr(args, 1), "width", 79)
	if err != nil {
		return nil, err
	}
	if width <= 0 {
		return nil, fmt.Errorf("invalid width %d (must be > 0)", width)
	}
	breakLong, hyphens := argOr(args, 2) == nil || Truthy(args[2]), argOr(args, 4) == nil || Truthy(args[4])
	wrapstring := "\n"
	if w := argOr(args, 3); w != nil {
		wrapstring = str(w)
	}
	var out []string
	for _, line := range splitLines(str(args[0])) {
		out = append(out, strings.Join(wrapLine(line, width, breakLong, hyphens), wrapstring))
	}
	return strings.Join(out, wrapstring), nil
}

// isWrapSpace is textwrap's whitespace: ASCII only.
func isWrapSpace(r rune) bool { return strings.ContainsRune("\t\n\v\f\r ", r) }

// wrapChunks splits a line as textwrap's wordsep_re does: runs of
// whitespace; a run of two or more hyphens between words (an em-dash);
// words, a hyphenated word broken after each hyphen between letters.
// Without hyphens, only whitespace separates.
func wrapChunks(line string, hyphens bool) [][]rune {
	var chunks [][]rune
	rs := []rune(line)
	for i := 0; i < len(rs); {
		start := i
		switch {
		case isWrapSpace(rs[i]):
			for i < len(rs) && isWrapSpace(rs[i]) {
				i++
			}
		case hyphens && emDashAt(rs, i):
			for i < len(rs) && rs[i] == '-' {
				i++
			}
		default:
			i = wordEnd(rs, i, hyphens)
		}
		chunks = append(chunks, rs[start:i])
	}
	return chunks
}

// wordEnd is where the word starting at start ends: the first place after
// at least one character that is whitespace or the end, follows a hyphen
// textwrap breaks at, or starts an em-dash.
func wordEnd(rs []rune, start int, hyphens bool) int {
	for i := start + 1; i < len(rs); i++ {
		switch {
		case isWrapSpace(rs[i]):
			return i
		case !hyphens:
		case rs[i] == '-' && hyphenBreak(rs, i):
			return i + 1
		case emDashAt(rs, i):
			return i
		}
	}
	return len(rs)
}

// isWordRune is \w; isLetterRune is textwrap's letter, \w but digits;
// isWordPunct is its word_punct, \w and !"'&.,?.
func isWordRune(r rune) bool   { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }
func isLetterRune(r rune) bool { return isWordRune(r) && !unicode.IsDigit(r) }
func isWordPunct(r rune) bool  { return isWordRune(r) || strings.ContainsRune(`!"'&.,?`, r) }

// emDashAt reports whether two or more hyphens start at i, after a word
// character or punctuation and before a word character.
func emDashAt(rs []rune, i int) bool {
	if i == 0 || !isWordPunct(rs[i-1]) || i+1 >= len(rs) || rs[i] != '-' || rs[i+1] != '-' {
		return false
	}
	j := i
	for j < len(rs) && rs[j] == '-' {
		j++
	}
	return j < len(rs) && isWordRune(rs[j])
}

// hyphenBreak reports whether textwrap breaks after the hyphen at i: it
// follows two letters (or letter-hyphen-letter) and two letters (maybe
// with a hyphen between) follow it.
func hyphenBreak(rs []rune, i int) bool {
	letter := func(k int) bool { return k >= 0 && k < len(rs) && isLetterRune(rs[k]) }
	before := letter(i-1) && (letter(i-2) || (i >= 3 && rs[i-2] == '-' && letter(i-3)))
	after := letter(i+1) && (letter(i+2) || (i+3 < len(rs) && rs[i+2] == '-' && letter(i+3)))
	return before && after
}

// wrapLine is textwrap.wrap with expand_tabs and replace_whitespace off.
func wrapLine(line string, width int, breakLong, hyphens bool) []string {
	chunks := wrapChunks(line, hyphens)
	blank := func(c []rune) bool { return strings.TrimSpace(string(c)) == "" }
	var lines []string
	for len(chunks) > 0 {
		var cur [][]rune
		n := 0
		if len(lines) > 0 && blank(chunks[0]) {
			chunks = chunks[1:]
		}
		for len(chunks) > 0 && n+len(chunks[0]) <= width {
			cur, n = append(cur, chunks[0]), n+len(chunks[0])
			chunks = chunks[1:]
		}
		if len(chunks) > 0 && len(chunks[0]) > width {
			switch {
			case breakLong:
				c, cut := chunks[0], max(width-n, 1)
				if hyphens && len(c) > cut {
					if h := lastHyphen(c[:cut]); h > 0 {
						cut = h + 1
					}
				}
				cur = append(cur, c[:cut])
				chunks[0] = c[cut:]
			case len(cur) == 0:
				cur = append(cur, chunks[0])
				chunks = chunks[1:]
			}
		}
		if len(cur) > 0 && blank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			var b strings.Builder
			for _, c := range cur {
				b.WriteString(string(c))
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}

// lastHyphen is the last hyphen that has something other than hyphens
// before it, or -1.
func lastHyphen(c []rune) int {
	for h := len(c) - 1; h > 0; h-- {
		if c[h] == '-' && strings.Trim(string(c[:h]), "-") != "" {
			return h
		}
	}
	return -1
}
