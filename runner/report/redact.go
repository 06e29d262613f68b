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
	added    map[string]bool // values given to Add, so adding one again is cheap
	secrets  map[string]bool // every form of them output can hold
	replacer *strings.Replacer
}

// minSecretLen: values shorter than this are not masked; masking "a" or "1"
// everywhere would make output unreadable and protects nothing.
const minSecretLen = 3

// minLineLen: a line of a multi-line secret (a PEM key's body, a password
// with a newline) or a word of a secret with spaces shorter than this is
// not masked on its own.
const minLineLen = 8

// pieces returns the parts of v that output can show apart from the rest:
// a diff prints a multi-line secret line by line, and a command split into
// words (command: "login {{ pw }}") prints a one-line secret with spaces
// word by word. Only pieces long enough not to mask ordinary words
// everywhere are returned.
func pieces(v string) []string {
	parts := strings.Split(v, "\n")
	if len(parts) == 1 {
		parts = strings.Fields(v)
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); len(p) >= minLineLen && p != v {
			out = append(out, p)
		}
	}
	return out
}

// Add registers secret values. A run adds the values it learns of for every
// task on every host, so values already known cost a read lock only.
func (r *Redactor) Add(values ...string) {
	if len(values) == 0 || r.known(values) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets, r.added = map[string]bool{}, map[string]bool{}
	}
	changed := false
	for _, v := range values {
		if len(v) < minSecretLen || r.added[v] {
			continue
		}
		r.added[v] = true
		forms := escapedForms(v)
		for _, p := range pieces(v) {
			forms = append(forms, escapedForms(p)...)
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

// known reports whether every value was added already (or is too short to
// be masked).
func (r *Redactor) known(values []string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range values {
		if len(v) >= minSecretLen && !r.added[v] {
			return false
		}
	}
	return true
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

// escapedForms returns v as it can appear in output: as is, shell-quoted
// (quote() and every -vvv EXEC line write ' as '"'"', and a script passed
// to sh -c is quoted once more), and each of those as written inside a
// JSON string (with and without HTML escaping, as the JSON lines and the
// text results print it) or a Go quoted string (error messages), once or
// twice (a message quoted inside a result). A password holding a quote, a
// backslash, a newline or "<&>" would otherwise escape the mask.
func escapedForms(v string) []string {
	var forms []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	once := shellInner(v)
	for _, sh := range []string{v, once, shellInner(once)} {
		add(sh)
		for _, q := range []string{jsonInner(sh, true), jsonInner(sh, false), goInner(sh)} {
			add(q)
			add(jsonInner(q, true))
			add(jsonInner(q, false))
			add(goInner(q))
		}
	}
	return forms
}

// shellInner is s inside a single-quoted shell word, without the outer
// quotes: each ' closes the quote, adds a double-quoted ', and reopens it.
func shellInner(s string) string {
	return strings.ReplaceAll(s, "'", `'"'"'`)
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
