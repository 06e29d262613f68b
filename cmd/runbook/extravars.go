package main

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// parseExtraVars merges -e values in order, later winning: "@file.yaml",
// a JSON or YAML object, or space-separated key=value pairs.
func parseExtraVars(values []string) (map[string]any, error) {
	out := map[string]any{}
	for _, v := range values {
		m, err := parseExtraVar(v)
		if err != nil {
			return nil, err
		}
		for k, x := range m {
			out[k] = x
		}
	}
	return out, nil
}

func parseExtraVar(v string) (map[string]any, error) {
	s := strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(s, "@"):
		path := s[1:]
		if path == "" {
			return nil, fmt.Errorf("-e @: missing file name")
		}
		m, err := playbook.LoadVarsFile(path)
		if err != nil {
			return nil, fmt.Errorf("-e %s: %w", s, err)
		}
		return m, nil
	case strings.HasPrefix(s, "{"):
		m, err := playbook.ParseVars("-e", []byte(s))
		if err != nil {
			return nil, fmt.Errorf("-e %q: not a valid JSON/YAML object: %w", s, err)
		}
		return m, nil
	case s == "":
		return nil, fmt.Errorf("-e: empty value")
	}
	return parseKeyValues(s)
}

// parseKeyValues splits `a=1 b='two words'` into string values.
func parseKeyValues(s string) (map[string]any, error) {
	out := map[string]any{}
	words, err := splitWords(s)
	if err != nil {
		return nil, fmt.Errorf("-e %q: %w", s, err)
	}
	for _, w := range words {
		k, val, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-e %q: %q is not key=value (use -e key=value, -e @file.yaml or -e '{\"key\": ...}')", s, w)
		}
		out[k] = val
	}
	return out, nil
}

// splitWords splits on spaces, honouring single and double quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
