package conformance

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// recap is a run's PLAY RECAP: host -> counter -> value.
type recap map[string]map[string]int

// recapLine matches one host's line of the PLAY RECAP, in runbook's and in
// Ansible's output alike ("h1 : ok=3 changed=1 unreachable=0 ...").
var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$`)

// parseRecap reads the last PLAY RECAP of out.
func parseRecap(out string) (recap, error) {
	i := strings.LastIndex(out, "PLAY RECAP")
	if i < 0 {
		return nil, fmt.Errorf("no PLAY RECAP in the output")
	}
	r := recap{}
	for _, m := range recapLine.FindAllStringSubmatch(out[i:], -1) {
		c := map[string]int{}
		for _, f := range strings.Fields(m[2]) {
			k, v, _ := strings.Cut(f, "=")
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("recap of %s: %q: %w", m[1], f, err)
			}
			c[k] = n
		}
		r[m[1]] = c
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("PLAY RECAP lists no host")
	}
	return r, nil
}

// recapDiff is one counter two recaps disagree on (k empty: the host is
// in one recap only).
type recapDiff struct {
	host, k string
	text    string
}

// compareRecaps lists how got differs from want, counter by counter (a
// counter either leaves out is 0).
func compareRecaps(got, want recap) []recapDiff {
	var diffs []recapDiff
	for _, h := range union(got, want) {
		g, gok := got[h]
		w, wok := want[h]
		switch {
		case !gok:
			diffs = append(diffs, recapDiff{h, "", fmt.Sprintf("host %s: missing", h)})
			continue
		case !wok:
			diffs = append(diffs, recapDiff{h, "", fmt.Sprintf("host %s: not expected", h)})
			continue
		}
		for _, k := range counters {
			if g[k] != w[k] {
				diffs = append(diffs, recapDiff{h, k, fmt.Sprintf("host %s: %s=%d, want %d", h, k, g[k], w[k])})
			}
		}
	}
	return diffs
}

// union is the keys of a and b, sorted.
func union[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// changedHosts lists the hosts whose recap counts a change.
func changedHosts(r recap) []string {
	var hosts []string
	for h, c := range r {
		if c["changed"] != 0 {
			hosts = append(hosts, fmt.Sprintf("%s changed=%d", h, c["changed"]))
		}
	}
	sort.Strings(hosts)
	return hosts
}
