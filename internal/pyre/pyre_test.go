package pyre

import (
	"regexp"
	"strings"
	"testing"
)

// TestReplaceAll: the results are the ones Python's re.sub gives (checked
// with python3), "$" is plain text and Python's errors are errors.
func TestReplaceAll(t *testing.T) {
	tests := []struct{ re, src, tmpl, want string }{
		{`(a)(b)?`, "ab a", `$1-\1-\2-\g<1>\g<0>\n\\.`, "$1-a-b-aab\n\\. $1-a--aa\n\\."},
		{`x`, "x", `\101`, "A"},
		{`(?P<p>\d+)`, "port 80", `\g<p>0 $$ ${p}`, "port 800 $$ ${p}"},
		{`(\w+)=(\w+)`, "key=value", `\2=\1`, "value=key"},
		{`(a)`, "a", `\10`, ""}, // group 10 does not exist: error below
		{`o`, "foo", `0`, "f00"},
		{`z`, "foo", `\1`, "foo"}, // no match: the template is never read
	}
	for _, tt := range tests {
		got, err := ReplaceAll(regexp.MustCompile(tt.re), tt.src, tt.tmpl)
		if tt.tmpl == `\10` {
			if err == nil || !strings.Contains(err.Error(), "invalid group reference 10") {
				t.Errorf("ReplaceAll(%q, %q) = %q, %v; want an invalid group error", tt.src, tt.tmpl, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ReplaceAll(%q, %q, %q) = %q, %v; want %q", tt.re, tt.src, tt.tmpl, got, err, tt.want)
		}
	}
	for tmpl, want := range map[string]string{`\d`: `bad escape \d`, `\g<q>`: `unknown group name "q"`, `\g<1`: `missing group name`, `\2`: "invalid group reference 2"} {
		if _, err := ReplaceAll(regexp.MustCompile(`(x)`), "x", tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReplaceAll with %q: %v, want %q", tmpl, err, want)
		}
	}
}
