package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/runbook-dev/runbook/internal/maporder"
)

// Truthy reports whether v counts as true in a condition.
//
//   - bool: as is
//   - nil: false
//   - numbers: true when non-zero
//   - strings (case-insensitive, surrounding spaces ignored): "true", "yes",
//     "on" and "1" are true; "false", "no", "off", "0" and "" are false; any
//     other non-empty string is true
//   - lists and maps: true when non-empty
//   - anything else: true
func Truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return stringTruth(t)
	case int:
		return t != 0
	case int64:
		return t != 0
	case float64:
		return t != 0
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.String:
		return stringTruth(rv.String())
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() > 0
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

// stringTruth implements Truthy for strings.
func stringTruth(s string) bool {
	if b, ok := parseBoolWord(s); ok {
		return b
	}
	return s != ""
}

// parseBoolWord recognises the words Truthy and bool() give a fixed meaning.
func parseBoolWord(s string) (value, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 5 {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0", "":
		return false, true
	}
	return false, false
}

// toString renders a value the way it appears inside a rendered string:
// strings as is, nil as "", numbers in plain decimal, maps and lists as JSON.
func toString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case nil:
		return "", nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case float64:
		return formatFloat(t), nil
	case []byte:
		return string(t), nil
	case error:
		return t.Error(), nil
	case fmt.Stringer:
		return t.String(), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 32), nil
	case reflect.Float64:
		return formatFloat(rv.Float()), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		return toJSON(v, "")
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "", nil
		}
		return toString(rv.Elem().Interface())
	}
	return fmt.Sprint(v), nil
}

// formatFloat prints a float as Python's str() does, which is what Ansible
// renders: a whole number keeps its ".0" (3.7 | round is "4.0"), and very
// large or small ones use an exponent ("1e+16", "1e-05"). Whole numbers
// read from YAML or JSON are ints (decodeJSON), so "8080" stays "8080".
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:]); exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// toJSON encodes v as JSON without HTML escaping (rendered strings often end
// up in shell commands, where "&" must stay "&"). indent "" means compact.
// Maps with non-string keys, as some YAML decoders produce, are converted.
func toJSON(v any, indent string) (string, error) {
	out, err := encodeJSON(v, indent)
	var unsupported *json.UnsupportedTypeError
	if errors.As(err, &unsupported) && unsupported.Type.Kind() == reflect.Map {
		n, nerr := normalize(v, nil)
		if nerr != nil {
			return "", nerr
		}
		out, err = encodeJSON(n, indent)
	}
	return out, err
}

func encodeJSON(v any, indent string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// maxDepth bounds recursion through nested values.
const maxDepth = 1000

// normalize copies v with every map turned into map[string]any (keys
// stringified). path holds the containers being copied, to detect a value
// that contains itself.
func normalize(v any, path []unsafe.Pointer) (any, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice:
	default:
		return v, nil
	}
	if _, isBytes := v.([]byte); isBytes {
		return v, nil
	}
	p := rv.UnsafePointer()
	if slices.Contains(path, p) || len(path) > maxDepth {
		return nil, fmt.Errorf("value contains itself")
	}
	path = append(path, p)
	if rv.Kind() == reflect.Slice {
		out := make([]any, rv.Len())
		for i := range out {
			x, err := normalize(rv.Index(i).Interface(), path)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	out := make(map[string]any, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		k, err := toString(it.Key().Interface())
		if err != nil {
			return nil, err
		}
		x, err := normalize(it.Value().Interface(), path)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}

// decodeJSON decodes JSON keeping whole numbers as int (like the YAML loader).
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return fixNumbers(v), nil
}

// fixNumbers replaces json.Number with int (when whole and in range) or float64.
func fixNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
				return int(i)
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case map[string]any:
		for k, x := range t {
			t[k] = fixNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = fixNumbers(x)
		}
	}
	return v
}

// toInt converts numbers, numeric strings and bools to int.
func toInt(v any) (int, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case float64:
		return floatToInt(t)
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		s := strings.TrimSpace(t)
		if i, err := strconv.ParseInt(s, 10, 0); err == nil {
			return int(i), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return floatToInt(f)
		}
		return 0, fmt.Errorf("cannot convert %q to int", t)
	case nil:
		return 0, fmt.Errorf("cannot convert nil to int")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt {
			return 0, fmt.Errorf("%d is too large for int", u)
		}
		return int(u), nil
	case reflect.Float32, reflect.Float64:
		return floatToInt(rv.Float())
	case reflect.String:
		return toInt(rv.String())
	}
	return 0, fmt.Errorf("cannot convert %s to int", typeName(v))
}

func floatToInt(f float64) (int, error) {
	if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("cannot convert %v to int", f)
	}
	return int(f), nil
}

// toFloat converts numbers, numeric strings and bools to float64.
func toFloat(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case int:
		return float64(t), nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return 0, fmt.Errorf("cannot convert %q to float", t)
		}
		return f, nil
	case nil:
		return 0, fmt.Errorf("cannot convert nil to float")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return toFloat(rv.String())
	}
	return 0, fmt.Errorf("cannot convert %s to float", typeName(v))
}

// isNumber reports whether v is of a numeric kind.
func isNumber(v any) bool {
	switch v.(type) {
	case int, float64:
		return true
	case nil, string, bool:
		return false
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// asList returns v as []any: []any as is, other slices and arrays copied,
// nil as an empty list.
func asList(v any) ([]any, bool) {
	switch t := v.(type) {
	case []any:
		return t, true
	case nil:
		return nil, true
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, false // []byte is a string, not a list
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	}
	return nil, false
}

// asMap returns v as map[string]any: map[string]any as is, other maps
// copied with keys turned into strings, nil as an empty map.
func asMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case nil:
		return nil, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return nil, false
	}
	out := make(map[string]any, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		k, _ := toString(it.Key().Interface())
		out[k] = it.Value().Interface()
	}
	return out, true
}

// yamlOrderedKeys is m's keys in the order its YAML gave them, as Ansible
// goes through a dict (dict2items, d.items(), {% for %}); sorted for a
// mapping that was built by an expression.
func yamlOrderedKeys(m map[string]any) []string {
	if keys, ok := maporder.Keys(m); ok {
		return keys
	}
	return sortedKeys(m)
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// normalizeResult turns typed slices and maps an expression may produce
// (e.g. []int from 1..3, []string from a builtin) into []any and
// map[string]any, the shapes YAML gives, so callers see one set of types.
func normalizeResult(v any) any {
	switch v.(type) {
	case nil, string, bool, int, float64, []any, map[string]any, pyTuple:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[it.Key().String()] = it.Value().Interface()
		}
		return out
	}
	return v
}

// equal compares two values, treating numbers of different types as equal
// when their values are.
func equal(a, b any) bool {
	if isNumber(a) && isNumber(b) {
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

// typeName names a value's type for error messages in YAML terms.
func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	case DateTime:
		return "datetime"
	case Timedelta:
		return "timedelta"
	}
	if isNumber(v) {
		return "number"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}
