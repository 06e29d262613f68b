package shellwords_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/transport"
)

// TestSplitQuoting: the POSIX quoting rules, without expansion.
func TestSplitQuoting(t *testing.T) {
	cases := map[string][]string{
		`a b	c`:                 {"a", "b", "c"},
		"  lead  trail \n":      {"lead", "trail"},
		`a="b c" d\ e 'f'`:      {"a=b c", "d e", "f"},
		`'it''s'`:               {"its"},
		`'a\b'`:                 {`a\b`},                 // nothing escapes in single quotes
		`"a\b" "\$x" "\"" "\\"`: {`a\b`, "$x", `"`, `\`}, // in double quotes only \ " $ ` and newline
		`\a\'`:                  {`a'`},                  // outside quotes a backslash escapes any character
		"a\\\nb":                {"ab"},                  // line continuation
		"\"a\\\nb\"":            {"ab"},
		`''`:                    {""},
		`x""`:                   {"x"},
		`$(rm -rf /) ${HOME}`:   {"$(rm", "-rf", "/)", "${HOME}"},
		`{{ .a }}`:              {"{{", ".a", "}}"},
		"":                      {},
	}
	for in, want := range cases {
		got, err := shellwords.Split(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `a "b\"`, `trail\`} {
		if _, err := shellwords.Split(bad); err == nil || !strings.Contains(err.Error(), "at offset") {
			t.Errorf("Split(%q): err = %v, want an error naming the offset", bad, err)
		}
	}
}

// TestSplitInvertsQuoteArgs: what the transports quote for the host's
// shell splits back into the same argv.
func TestSplitInvertsQuoteArgs(t *testing.T) {
	args := []string{"plain", "two words", "it's", `dq"x`, "$(rm -rf /)", "", "a\\b", "tab\there", "new\nline", `\`, `a\`}
	got, err := shellwords.Split(transport.QuoteArgs(args))
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Errorf("got %q, %v; want %q", got, err, args)
	}
}

// TestWordsTemplates: with templates, a {{ }} action is one piece of a
// word even when it holds blanks or quotes, and spans point into the input.
func TestWordsTemplates(t *testing.T) {
	in := `creates="{{ .dir }}/x" echo {{ .a | printf "%s }}" }}`
	words, err := shellwords.Words(in, true)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, w := range words {
		vals = append(vals, w.Value)
		if strings.TrimSpace(in[w.Start:w.End]) != in[w.Start:w.End] {
			t.Errorf("span %d:%d of %q holds blanks", w.Start, w.End, w.Value)
		}
	}
	want := []string{"creates={{ .dir }}/x", "echo", `{{ .a | printf "%s }}" }}`}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %q, want %q", vals, want)
	}
	if _, err := shellwords.Words("a {{ b", true); err == nil {
		t.Error("unterminated action accepted")
	}
}
