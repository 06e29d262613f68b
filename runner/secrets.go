package runner

import "github.com/runbook-dev/runbook/internal/secret"

// collectSecrets returns the values of vars that output must mask: those
// of secret-named variables (inside their maps and lists too) and PEM
// private keys under any name. internal/secret holds the rule, shared with
// the inventory's listings.
func collectSecrets(vars map[string]any, out []string) []string {
	return secret.Collect(vars, out)
}

// secretsOf returns the secrets of the variables merged from l that were
// not known before the task: block and task vars, loop variables, and the
// rendered values of templated variables (api_token: "tok-{{ base }}" is
// a secret only once rendered). Play, vars_files, inventory and extra vars
// were collected when loaded.
func (l *varLayers) secretsOf(merged map[string]any) []string {
	var out []string
	for _, layer := range l.scoped {
		for k := range layer {
			out = secret.Named(k, merged[k], out)
		}
	}
	for _, k := range l.templated {
		out = secret.Named(k, merged[k], out)
	}
	return out
}
