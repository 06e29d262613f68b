package yamlerr

import "testing"

func TestInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		in        string
		line, col int
		bad       bool
	}{
		{"a: é\n", 0, 0, false},
		{"a: 1\nb: caf\xe9\n", 2, 7, true},
		{"\xff", 1, 1, true},
		{"x\n\ny: \"\xc3\"\n", 3, 5, true},
	} {
		line, col, msg, bad := InvalidUTF8([]byte(tc.in))
		if line != tc.line || col != tc.col || bad != tc.bad || bad != (msg != "") {
			t.Errorf("InvalidUTF8(%q) = %d, %d, %q, %v; want %d, %d, %v", tc.in, line, col, msg, bad, tc.line, tc.col, tc.bad)
		}
	}
}
