package eval

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Number filters: Jinja's round and filesizeformat, Ansible's log, pow,
// root, human_readable and human_to_bytes, with Python's results (round and
// the math filters give floats, human_to_bytes an int).

// argOr returns args[i], or nil when it was not given (a filter passes nil
// for a parameter left to its default).
func argOr(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// numArg requires an int or a float (not a numeric string: Python's math
// functions refuse those).
func numArg(v any) (float64, error) {
	if _, isBool := v.(bool); !isBool && isNumber(v) {
		return toFloat(v)
	}
	return 0, fmt.Errorf("can only be used on numbers, got %s", typeName(v))
}

// intParam reads an optional int parameter.
func intParam(v any, name string, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	if _, isBool := v.(bool); isBool || !isNumber(v) {
		return 0, fmt.Errorf("%s must be an integer, got %s", name, typeName(v))
	}
	return toInt(v)
}

// fnRound is Jinja's round(value, precision=0, method='common'): common
// rounds half to even (Python's round; an int stays an int), ceil and floor
// always give a float.
func fnRound(args ...any) (any, error) {
	v := args[0]
	if _, err := numArg(v); err != nil {
		return nil, err
	}
	prec, err := intParam(argOr(args, 1), "precision", 0)
	if err != nil {
		return nil, err
	}
	method := "common"
	if m := argOr(args, 2); m != nil {
		method = str(m)
	}
	if method != "common" && method != "ceil" && method != "floor" {
		return nil, fmt.Errorf("method must be common, ceil or floor, got %q", method)
	}
	f, _ := toFloat(v)
	i, isInt := v.(int)
	switch {
	case method == "common" && isInt && prec >= 0:
		return i, nil
	case prec > 400: // more digits than a float has: unchanged, as in Python
		return f, nil
	case prec < -400:
		return 0.0, nil
	case prec < 0:
		// Whole tens, hundreds…: divide by the exact power of ten.
		p := math.Pow(10, float64(-prec))
		r := map[string]func(float64) float64{"common": math.RoundToEven, "ceil": math.Ceil, "floor": math.Floor}[method](f/p) * p
		if isInt && method == "common" {
			return floatToInt(r)
		}
		return mathResult(r)
	case method == "common":
		// FormatFloat rounds the exact binary value half to even, as
		// Python's round does (0.125 → 0.12, 2.675 → 2.67).
		return strconv.ParseFloat(strconv.FormatFloat(f, 'f', prec, 64), 64)
	}
	scale := math.Pow(10, float64(prec))
	if method == "ceil" {
		return mathResult(math.Ceil(f*scale) / scale)
	}
	return mathResult(math.Floor(f*scale) / scale)
}

// mathResult turns NaN and infinities into Python's errors.
func mathResult(f float64) (any, error) {
	switch {
	case math.IsNaN(f):
		return nil, fmt.Errorf("math domain error")
	case math.IsInf(f, 0):
		return nil, fmt.Errorf("math range error")
	}
	return f, nil
}

// fnLog is Ansible's log(x, base=e).
func fnLog(args ...any) (any, error) {
	x, err := numArg(args[0])
	if err != nil {
		return nil, err
	}
	if x <= 0 {
		return nil, fmt.Errorf("math domain error (the value must be positive)")
	}
	base := argOr(args, 1)
	if base == nil {
		return math.Log(x), nil
	}
	b, err := numArg(base)
	if err != nil {
		return nil, err
	}
	switch {
	case b == 10:
		return math.Log10(x), nil
	case b <= 0:
		return nil, fmt.Errorf("math domain error (the base must be positive)")
	case b == 1:
		return nil, fmt.Errorf("float division by zero (base 1)")
	}
	return math.Log(x) / math.Log(b), nil
}

// fnPow is Ansible's pow(x, y): math.pow, always a float.
func fnPow(args ...any) (any, error) {
	x, err := numArg(args[0])
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || args[1] == nil {
		return nil, fmt.Errorf("needs the exponent: pow(y)")
	}
	y, err := numArg(args[1])
	if err != nil {
		return nil, err
	}
	return mathResult(math.Pow(x, y))
}

// fnRoot is Ansible's root(x, base=2): the square root or the base-th root.
func fnRoot(args ...any) (any, error) {
	x, err := numArg(args[0])
	if err != nil {
		return nil, err
	}
	b := 2.0
	if base := argOr(args, 1); base != nil {
		if b, err = numArg(base); err != nil {
			return nil, err
		}
	}
	if b == 2 {
		return mathResult(math.Sqrt(x))
	}
	if b == 0 {
		return nil, fmt.Errorf("float division by zero (base 0)")
	}
	r := math.Pow(x, 1/b)
	// Go's Pow can be an ulp off where C's is not (27 | root(3) is 3.0 in
	// Ansible): a root that is a whole number is given exactly.
	if n := math.Round(r); b == math.Trunc(b) && math.Pow(n, b) == x {
		r = n
	}
	return mathResult(r)
}

// sizeRanges are Ansible's SIZE_RANGES, largest first.
var sizeRanges = []struct {
	suffix string
	limit  float64
}{
	{"Y", 1 << 80}, {"Z", 1 << 70}, {"E", 1 << 60}, {"P", 1 << 50}, {"T", 1 << 40},
	{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
}

// fnHumanReadable is Ansible's human_readable(size, isbits=False,
// unit=None): "1.50 KB", "10.00 Bytes", "1.00 Kb" for bits.
func fnHumanReadable(args ...any) (any, error) {
	size, err := numArg(args[0])
	if err != nil {
		return nil, err
	}
	base := "Bytes"
	if Truthy(argOr(args, 1)) {
		base = "bits"
	}
	unit := argOr(args, 2)
	suffix, limit := "", 1.0
	for _, r := range sizeRanges {
		suffix, limit = r.suffix, r.limit
		if (unit == nil && size >= limit) || (unit != nil && strings.HasPrefix(strings.ToUpper(str(unit)), suffix)) {
			break
		}
	}
	if limit != 1 {
		suffix += base[:1]
	} else {
		suffix = base
	}
	return fmt.Sprintf("%.2f %s", size/limit, suffix), nil
}

var humanSizeRE = regexp.MustCompile(`^\s*(\d*\.?\d*)\s*([A-Za-z]+)?`)

// fnHumanToBytes is Ansible's human_to_bytes(size, default_unit=None,
// isbits=False): "1.5M" is 1572864; a unit of more than one letter must be
// B (bytes) or, with isbits, b (bits) after the size letter.
func fnHumanToBytes(args ...any) (any, error) {
	text := str(args[0])
	bad := fmt.Errorf("can't interpret following string: %s", text)
	m := humanSizeRE.FindStringSubmatch(text)
	num, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return nil, bad
	}
	unit := m[2]
	if unit == "" && argOr(args, 1) != nil {
		unit = str(args[1])
	}
	if unit == "" {
		return int(math.RoundToEven(num)), nil
	}
	key := strings.ToUpper(unit[:1])
	limit := 0.0
	for _, r := range sizeRanges {
		if r.suffix == key {
			limit = r.limit
		}
	}
	if limit == 0 {
		return nil, bad
	}
	class, className := "B", "byte"
	if Truthy(argOr(args, 2)) {
		class, className = "b", "bit"
	}
	if len(unit) > 1 && !strings.Contains(strings.ToLower(unit), className) && unit[1:2] != class {
		return nil, bad
	}
	return floatToInt(math.RoundToEven(num * limit))
}

// fnFilesizeformat is Jinja's filesizeformat(value, binary=False):
// "123.5 MB", "117.7 MiB", "1 Byte", "12 Bytes".
func fnFilesizeformat(args ...any) (any, error) {
	size, err := toFloat(args[0])
	if err != nil {
		return nil, err
	}
	base, prefixes := 1000.0, []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if Truthy(argOr(args, 1)) {
		base, prefixes = 1024, []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	switch {
	case size == 1:
		return "1 Byte", nil
	case size < base:
		return fmt.Sprintf("%d Bytes", int(size)), nil
	}
	unit := base
	for _, prefix := range prefixes {
		unit *= base
		if size < unit || prefix == prefixes[len(prefixes)-1] {
			return fmt.Sprintf("%.1f %s", base*size/unit, prefix), nil
		}
	}
	return nil, nil // not reached: the last prefix always returns
}
