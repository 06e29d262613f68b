package report

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask replaces secret values in output.
const Mask = "********"

// Redactor masks known secret values (passwords, passphrases, tokens) in
// anything written, whatever path the value took to get there: a debug of
// the variable, an error message, a command's stdout.
type Redactor struct {
	mu       sync.RWMutex
	secrets  map[string]bool
	replacer *strings.Replacer
}

// minSecretLen: values shorter than this are not masked; masking "a" or "1"
// everywhere would make output unreadable and protects nothing.
const minSecretLen = 3

// minLineLen: a line of a multi-line secret (a PEM key's body, a password
// with a newline) shorter than this is not masked on its own.
const minLineLen = 8

// Add registers secret values.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	changed := false
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		forms := escapedForms(v)
		// A diff prints a multi-line secret line by line: mask its lines
		// too (those long enough not to mask ordinary words everywhere).
		if strings.Contains(v, "\n") {
			for _, line := range strings.Split(v, "\n") {
				if line = strings.TrimSpace(line); len(line) >= minLineLen {
					forms = append(forms, escapedForms(line)...)
				}
			}
		}
		for _, form := range forms {
			if !r.secrets[form] {
				r.secrets[form] = true
				changed = true
			}
		}
	}
	if !changed {
		return
	}
	// Longest first, so a secret that contains another is masked whole.
	list := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Mask)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Redact returns s with every known secret masked.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// escapedForms returns v as it can appear in output: as is, and as written
// inside a JSON string (with and without HTML escaping, as the JSON lines
// and the text results print it) or a Go quoted string (error messages),
// once or twice (a message quoted inside a result). A password holding a
// quote, a backslash, a newline or "<&>" would otherwise escape the mask.
func escapedForms(v string) []string {
	forms := []string{v}
	seen := map[string]bool{v: true}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, once := range []string{jsonInner(v, true), jsonInner(v, false), goInner(v)} {
		add(once)
		add(jsonInner(once, true))
		add(jsonInner(once, false))
		add(goInner(once))
	}
	return forms
}

// jsonInner is s encoded as a JSON string, without the quotes.
func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, "\""), "\"")
}

// goInner is s as %q writes it, without the quotes.
func goInner(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
