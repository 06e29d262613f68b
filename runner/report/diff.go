package report

import (
	"fmt"
	"strings"
)

// maxDiffBytes mirrors Ansible's MAX_FILE_SIZE_FOR_DIFF: larger content is
// not diffed line by line.
const maxDiffBytes = 104448

// UnifiedDiff renders before/after as a unified diff with 3 lines of context.
func UnifiedDiff(beforeHeader, afterHeader, before, after string) string {
	if before == after {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- before: %s\n+++ after: %s\n", orDash(beforeHeader), orDash(afterHeader))
	if len(before) > maxDiffBytes || len(after) > maxDiffBytes {
		b.WriteString("(content larger than 100 KiB: diff not shown)\n")
		return b.String()
	}
	if isBinary(before) || isBinary(after) {
		b.WriteString("(binary content: diff not shown)\n")
		return b.String()
	}
	a, z := splitKeep(before), splitKeep(after)
	ops := lineDiff(a, z)
	for _, h := range hunks(ops, 3) {
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", rangeStr(h.aStart, h.aLen), rangeStr(h.bStart, h.bLen))
		for _, o := range h.ops {
			line := o.text
			b.WriteByte(o.kind)
			b.WriteString(strings.TrimSuffix(line, "\n"))
			b.WriteByte('\n')
			if !strings.HasSuffix(line, "\n") {
				b.WriteString("\\ No newline at end of file\n")
			}
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func isBinary(s string) bool { return strings.IndexByte(s, 0) >= 0 }

func rangeStr(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	if n == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// splitKeep splits into lines keeping their newline, so a missing final
// newline is visible in the diff.
func splitKeep(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	text string
}

// lineDiff computes an edit script by longest common subsequence. Inputs
// are bounded by maxDiffBytes, so the quadratic table stays small.
func lineDiff(a, b []string) []diffOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	ops := make([]diffOp, 0, n+m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{'+', b[j]})
	}
	return ops
}

type hunk struct {
	aStart, aLen, bStart, bLen int
	ops                        []diffOp
}

// hunks groups changes with ctx lines of context around them.
func hunks(ops []diffOp, ctx int) []hunk {
	var out []hunk
	aLine, bLine := 1, 1
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			aLine, bLine, i = aLine+1, bLine+1, i+1
			continue
		}
		// Start a hunk ctx lines before this change.
		start := max(i-ctx, 0)
		for k := start; k < i; k++ {
			if ops[k].kind != ' ' {
				start = k + 1
			}
		}
		h := hunk{aStart: aLine - (i - start), bStart: bLine - (i - start)}
		end, quiet := i, 0
		for end < len(ops) && quiet <= 2*ctx {
			if ops[end].kind == ' ' {
				quiet++
			} else {
				quiet = 0
			}
			end++
		}
		if quiet > ctx {
			end -= quiet - ctx
		}
		for k := start; k < end; k++ {
			o := ops[k]
			h.ops = append(h.ops, o)
			if o.kind != '+' {
				h.aLen++
			}
			if o.kind != '-' {
				h.bLen++
			}
			if k >= i {
				if o.kind != '+' {
					aLine++
				}
				if o.kind != '-' {
					bLine++
				}
			}
		}
		out = append(out, h)
		i = end
	}
	return out
}
