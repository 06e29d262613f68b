package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// parseExtraVars merges -e values in order, later winning: "@file.yaml",
// a JSON or YAML object, or space-separated key=value pairs. A malformed
// -e is a usage error (exit 5); a vars file that is missing or invalid is
// an invalid vars file (exit 3), like a playbook or an inventory.
//
// The messages never quote what was given: -e is how passwords reach a run
// (-e ansible_become_password=…), and a mistyped one must not be printed.
// They name the -e by its position and the variable it sets.
func parseExtraVars(values []string) (map[string]any, error) {
	out := map[string]any{}
	for i, v := range values {
		m, err := parseExtraVar(v, extraVarLabel(i, len(values), v))
		if err != nil {
			return nil, err
		}
		for k, x := range m {
			out[k] = x
		}
	}
	return out, nil
}

// leadingName is the name a key=value -e starts with: shown in errors,
// it comes before any value.
var leadingName = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)=`)

// extraVarLabel names the i-th of n -e values in an error: "-e", "-e #2",
// and the variable it sets when it starts with NAME=.
func extraVarLabel(i, n int, v string) string {
	label := "-e"
	if n > 1 {
		label = fmt.Sprintf("-e #%d", i+1)
	}
	if m := leadingName.FindStringSubmatch(v); m != nil {
		label += " (" + m[1] + "=…)"
	}
	return label
}

func parseExtraVar(v, label string) (map[string]any, error) {
	s := strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(s, "@"):
		path := s[1:]
		if path == "" {
			return nil, withCode(exitUsage, fmt.Errorf("-e @: missing file name (use -e @vars.yaml)"))
		}
		m, err := playbook.LoadVarsFile(path)
		if err != nil {
			return nil, withCode(exitInvalid, fmt.Errorf("-e %s: %w", s, err))
		}
		return m, nil
	case strings.HasPrefix(s, "{"):
		m, err := playbook.ParseVars("-e", []byte(s))
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: not a valid JSON/YAML object: %w", label, err))
		}
		return m, nil
	case s == "":
		return nil, withCode(exitUsage, fmt.Errorf("%s: empty value (use -e key=value)", label))
	}
	m, err := parseKeyValues(s, label)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return m, nil
}

// parseKeyValues splits `a=1 b='two words'` into string values.
func parseKeyValues(s, label string) (map[string]any, error) {
	const forms = "use -e key=value, -e @file.yaml or -e '{\"key\": ...}'"
	out := map[string]any{}
	words, err := shellwords.Split(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%s; quote a value holding spaces or quotes: -e 'key=\"two words\"')", label, err, forms)
	}
	prev := ""
	for i, w := range words {
		k, val, ok := strings.Cut(w, "=")
		switch {
		case ok && k != "":
			out[k], prev = val, k
		case i == 0 && leadingName.MatchString(w+"="):
			// A bare name (-e host) holds no value: say which.
			return nil, fmt.Errorf("%s: %q is not key=value (%s)", label, w, forms)
		case prev != "":
			// Most likely the rest of prev's value, split at a space:
			// never print it, it may be half a password.
			return nil, fmt.Errorf("%s: word %d (after %s=…) is not key=value; a value holding spaces needs quotes: -e '%s=\"two words\"'", label, i+1, prev, prev)
		default:
			return nil, fmt.Errorf("%s: word %d is not key=value (%s)", label, i+1, forms)
		}
	}
	return out, nil
}
