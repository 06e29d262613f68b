package fnmatch

import "testing"

// The cases are what Python 3.11's fnmatch.fnmatchcase answers.
func TestTranslateAsPython(t *testing.T) {
	for _, tc := range []struct {
		glob, name string
		want       bool
	}{
		{"*.log", "a.log", true}, {"*.log", ".hidden.log", true}, {"*.log", "a.log.1", false},
		{"a?c", "abc", true}, {"a?c", "a\nc", true}, {"a.c", "abc", false},
		{"[ab]x", "bx", true}, {"[!ab]x", "bx", false}, {"[!ab]x", "cx", true},
		{"a[", "a[", true}, {"[]]", "]", true}, {"[!]]", "a", true}, {`a\b*`, `a\bc`, true},
		{"h[0-9]", "h5", true}, {"h[^]", "h^", true}, {"h[z-a]", "hz", false}, {"h[z-a]", "h-", false},
		{"x[a-]", "x-", true}, {"ü*", "über", true}, {"[!]", "[!]", true},
	} {
		re, err := Compile(tc.glob)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.glob, err)
			continue
		}
		if got := re.MatchString(tc.name); got != tc.want {
			t.Errorf("glob %q on %q = %v, want %v (%s)", tc.glob, tc.name, got, tc.want, Translate(tc.glob))
		}
	}
}
