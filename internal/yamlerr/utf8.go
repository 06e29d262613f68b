package yamlerr

import (
	"fmt"
	"unicode/utf8"
)

// InvalidUTF8 finds the first byte of data that is not UTF-8. It returns
// its 1-based line and column (in bytes) and a message naming the byte, or
// ok=false when data is valid UTF-8. The YAML parser rejects such bytes too,
// but names line 1 whatever their line; an INI reader would take them in as
// U+FFFD.
func InvalidUTF8(data []byte) (line, col int, msg string, bad bool) {
	if utf8.Valid(data) {
		return 0, 0, "", false
	}
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col, fmt.Sprintf("byte 0x%02x is not valid UTF-8: save the file as UTF-8", data[i]), true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += size
		}
		i += size
	}
	return 0, 0, "", false // unreachable: utf8.Valid said otherwise
}
