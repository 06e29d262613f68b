package eval

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Conversion helpers: int, float, string, bool.

// fnInt is int(x[, default[, base]]), as Jinja's int filter: nil, "" and
// a value that does not convert give the default (0 when none is given);
// "3.7" gives 3.
func fnInt(args ...any) (any, error) {
	var def any = 0
	if len(args) > 1 && args[1] != nil {
		def = args[1]
	}
	if blank(args[0]) {
		return def, nil
	}
	n, err := 0, errBadBase
	if _, isStr := args[0].(string); isStr && len(args) > 2 && args[2] != nil && !equal(args[2], 10) {
		if n, err = intInBase(args[0], args[2]); errors.Is(err, errBadBase) {
			return nil, err
		}
	}
	if err != nil {
		n, err = toInt(args[0])
	}
	if err != nil {
		return def, nil
	}
	return n, nil
}

// errBadBase: int's base is out of range (an error, not the default).
var errBadBase = errors.New("base must be between 2 and 36")

// intInBase parses a string in base 2 to 36 (a 0x, 0o or 0b prefix
// matching the base is allowed, as in Python).
func intInBase(v, baseArg any) (int, error) {
	base, err := toInt(baseArg)
	if err != nil || base < 2 || base > 36 {
		return 0, fmt.Errorf("%w, got %v", errBadBase, baseArg)
	}
	s := strings.ToLower(strings.TrimSpace(str(v)))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if prefix := map[int]string{16: "0x", 8: "0o", 2: "0b"}[base]; prefix != "" {
		s = strings.TrimPrefix(s, prefix)
	}
	i, err := strconv.ParseInt(s, base, 0)
	if err != nil {
		return 0, fmt.Errorf("cannot convert %q to int in base %d", str(v), base)
	}
	if neg {
		i = -i
	}
	return int(i), nil
}

// fnFloat is float(x[, default]), as Jinja's float filter: nil, "" and a
// value that does not convert give the default (0.0 when none is given).
func fnFloat(args ...any) (any, error) {
	var def any = 0.0
	if len(args) > 1 && args[1] != nil {
		def = args[1]
	}
	if blank(args[0]) {
		return def, nil
	}
	f, err := toFloat(args[0])
	if err != nil {
		return def, nil
	}
	return f, nil
}

// blank reports whether v is nil or a string of spaces.
func blank(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && strings.TrimSpace(s) == ""
}

func fnString(args ...any) (any, error) { return pyStr(args[0]), nil }

// fnBool is Ansible's bool filter: a bool as is, nil as nil, the strings
// yes/on/1/true (any case, spaces around ignored) and the number 1 true,
// anything else false.
func fnBool(args ...any) (any, error) {
	switch t := args[0].(type) {
	case bool:
		return t, nil
	case nil:
		return nil, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "yes", "on", "1", "true":
			return true, nil
		}
		return false, nil
	}
	if isNumber(args[0]) {
		return equal(args[0], 1), nil
	}
	return false, nil
}
