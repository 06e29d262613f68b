package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// counters are the recap's fields, in the order both tools print them.
var counters = []string{"ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"}

// spec is a case's conformance.yml: what the case expects beyond "both
// tools agree and a second run changes nothing". README.md documents it.
type spec struct {
	// Recap is the first run's recap per host (a counter left out is 0).
	// Both tools are checked against it, so the suite catches a regression
	// where ansible-playbook is not installed.
	Recap map[string]map[string]int `yaml:"recap"`
	// ExpectRC is the exit status of every run of either tool.
	ExpectRC int `yaml:"expect_rc"`
	// NotIdempotent says why a second run changes something by design (a
	// command that always reports changed); empty: it must not.
	NotIdempotent string `yaml:"not_idempotent"`
	// IgnorePaths are globs (path.Match, relative to out) of files that
	// differ from run to run whoever writes them (a timestamp); a directory
	// that matches is ignored with everything under it.
	IgnorePaths []string `yaml:"ignore_paths"`
	// Args are extra command-line arguments both tools get (--tags x,
	// --skip-tags y, --check, --diff, -l host): options both spell alike.
	Args []string `yaml:"args"`
	// Differs lists where runbook knowingly differs from Ansible, each with
	// its reason; those fields are not compared between the tools.
	Differs []difference `yaml:"differs"`
}

// difference is one known difference: a file (glob under out) or a recap
// counter ("HOST.COUNTER", HOST may be *).
type difference struct {
	Path   string `yaml:"path"`
	Recap  string `yaml:"recap"`
	Reason string `yaml:"reason"`
}

// errNoRecap: the case does not say which recap it expects yet.
var errNoRecap = errors.New("no recap: recorded")

// loadSpec reads dir/conformance.yml, refusing unknown keys (a misspelt
// ignore_paths would silently compare nothing), a case without recap:, and a
// difference without its reason.
func loadSpec(dir string) (spec, error) {
	var s spec
	file := filepath.Join(dir, "conformance.yml")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("%s is missing: %w", file, errNoRecap)
	}
	if err != nil {
		return s, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%s: %w", file, err)
	}
	for host, c := range s.Recap {
		for k := range c {
			if !isCounter(k) {
				return s, fmt.Errorf("%s: recap %s: unknown counter %q (want one of %s)", file, host, k, strings.Join(counters, ", "))
			}
		}
	}
	for _, g := range s.IgnorePaths {
		if _, err := path.Match(g, ""); err != nil {
			return s, fmt.Errorf("%s: ignore_paths %q: %w", file, g, err)
		}
	}
	for i, d := range s.Differs {
		switch {
		case strings.TrimSpace(d.Reason) == "":
			return s, fmt.Errorf("%s: differs[%d]: reason: is required", file, i)
		case (d.Path == "") == (d.Recap == ""):
			return s, fmt.Errorf("%s: differs[%d]: give either path: or recap:", file, i)
		case d.Path != "":
			if _, err := path.Match(d.Path, ""); err != nil {
				return s, fmt.Errorf("%s: differs[%d] path %q: %w", file, i, d.Path, err)
			}
		default:
			_, k, ok := strings.Cut(d.Recap, ".")
			if !ok || !isCounter(k) {
				return s, fmt.Errorf("%s: differs[%d]: recap: %q is not HOST.COUNTER", file, i, d.Recap)
			}
		}
	}
	if len(s.Recap) == 0 {
		return s, fmt.Errorf("%s: %w", file, errNoRecap)
	}
	return s, nil
}

func isCounter(k string) bool {
	for _, c := range counters {
		if c == k {
			return true
		}
	}
	return false
}

// ignored reports whether the relative path p (slash-separated) is left
// out of every comparison by ignore_paths. A pattern matching a parent
// directory covers p.
func (s spec) ignored(p string) bool {
	return matchesAny(s.IgnorePaths, p)
}

// knownDifference returns the index in Differs of the entry covering a
// difference at the path p, or at host's recap counter k when p is empty;
// -1 when none does.
func (s spec) knownDifference(p, host, k string) int {
	for i, d := range s.Differs {
		switch {
		case p != "" && d.Path != "" && matchesAny([]string{d.Path}, p):
			return i
		case p == "" && (d.Recap == host+"."+k || d.Recap == "*."+k):
			return i
		}
	}
	return -1
}

func matchesAny(globs []string, p string) bool {
	for q := p; q != "." && q != "/" && q != ""; q = path.Dir(q) {
		for _, g := range globs {
			if ok, _ := path.Match(g, q); ok {
				return true
			}
		}
	}
	return false
}

// recapYAML is the recap: block to paste into conformance.yml for r.
func recapYAML(r recap) string {
	hosts := make([]string, 0, len(r))
	for h := range r {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var b strings.Builder
	b.WriteString("recap:\n")
	for _, h := range hosts {
		var fields []string
		for _, k := range counters {
			if v := r[h][k]; v != 0 {
				fields = append(fields, fmt.Sprintf("%s: %d", k, v))
			}
		}
		fmt.Fprintf(&b, "  %s: {%s}\n", h, strings.Join(fields, ", "))
	}
	return b.String()
}
