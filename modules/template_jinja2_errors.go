package modules

// Errors and the end of a rendered .j2 template, as Ansible reports and
// writes them.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// gonjaLine finds the lines gonja's wrapped errors name.
var gonjaLine = regexp.MustCompile(`at line (\d+)`)

// gonjaIncluded names the file of an {% include %} in gonja's errors.
var gonjaIncluded = regexp.MustCompile(`ControlStructure\(Filename='([^']+)'`)

// gonjaCall is the text gonja puts before an error a filter, test,
// function or method returned.
var gonjaCall = regexp.MustCompile(`invalid call to (?:filter|test|function|method) '[^']*'(?: of [^:]*)?: `)

// jinjaError turns gonja's chain of wrapped errors into "NAME:LINE: what",
// with Jinja's wording for an undefined variable and without the template
// text gonja puts in parse errors.
func jinjaError(name string, err error, rec *jinjaRecorder) error {
	var syn *parser.SyntaxError
	if errors.As(err, &syn) {
		msg := syn.Message
		if syn.Raw != "" {
			msg += fmt.Sprintf(" (near %q)", syn.Raw)
		}
		return fmt.Errorf("%s:%d:%d: template syntax error: %s", name, syn.Line, syn.Column, msg)
	}
	text := err.Error()
	where := name
	if m := gonjaLine.FindAllStringSubmatchIndex(text, -1); m != nil {
		last := m[len(m)-1]
		// An error inside an included file names that file.
		if f := gonjaIncluded.FindAllStringSubmatchIndex(text, -1); f != nil && f[len(f)-1][0] < last[0] {
			where = text[f[len(f)-1][2]:f[len(f)-1][3]]
		}
		where += ":" + text[last[2]:last[3]]
	}
	root := err
	for {
		next := errors.Unwrap(root)
		if next == nil {
			break
		}
		root = next
	}
	msg := root.Error()
	if c := rec.cause(text); c != nil {
		msg = c.Error()
	} else if m := gonjaCall.FindAllStringIndex(msg, -1); m != nil {
		msg = msg[m[len(m)-1][1]:] // what the innermost filter, test or function said
	}
	if m := undefinedName.FindStringSubmatch(msg); m != nil {
		msg = undefinedErrorText(m)
	}
	return fmt.Errorf("%s: %s", where, msg)
}

// jinjaTrailingNewlines gives out as many trailing newlines as the source
// text ends with, as Ansible does after Jinja dropped one.
func jinjaTrailingNewlines(text, out string, cfg *config.Config) string {
	want := len(text) - len(strings.TrimRight(text, "\n"))
	have := len(out) - len(strings.TrimRight(out, "\n"))
	if want > have {
		out += strings.Repeat(cfg.NewlineSequence, want-have)
	}
	return out
}
