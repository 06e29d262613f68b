package report

import (
	"sort"
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

// Add registers secret values.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	changed := false
	for _, v := range values {
		if len(v) >= minSecretLen && !r.secrets[v] {
			r.secrets[v] = true
			changed = true
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
