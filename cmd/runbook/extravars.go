package main

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/modules/transport"
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
	words, err := transport.SplitWords(s)
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
