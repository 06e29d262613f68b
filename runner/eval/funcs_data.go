package eval

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Helpers on values, conversions, lists and maps.

// maxSeq bounds the lists range() and seq() build.
const maxSeq = 1_000_000

// fnDefault returns the fallback when the value is nil or "" — or, when
// the third argument (Jinja's boolean) is true, when it is false by Truthy.
func fnDefault(args ...any) (any, error) {
	if len(args) > 2 && Truthy(args[2]) && !Truthy(args[0]) {
		return args[1], nil
	}
	if args[0] == nil {
		return args[1], nil
	}
	if s, ok := args[0].(string); ok && s == "" {
		return args[1], nil
	}
	return args[0], nil
}

// fnDefinedIn is defined(name) in expr: the patch in undefined.go turns
// defined("a.b") into defined($env, "a.b").
func fnDefinedIn(args ...any) (any, error) {
	vars, _ := args[0].(map[string]any)
	name, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("expected a variable name as a string, got %s", typeName(args[1]))
	}
	return definedIn(vars, name), nil
}

// definedIn reports whether the dotted name ("a", "a.b.c") exists in vars.
// A variable set to null counts as defined.
func definedIn(vars map[string]any, name string) bool {
	var cur any = vars
	for part := range strings.SplitSeq(name, ".") {
		m, ok := asMap(cur)
		if !ok || m == nil {
			return false
		}
		cur, ok = m[part]
		if !ok {
			return false
		}
	}
	return true
}

// MandatoryError is returned by mandatory() for a missing value.
type MandatoryError struct {
	Msg string
}

func (e *MandatoryError) Error() string { return e.Msg }

// fnMandatory returns the value, or an error (with the given message) when
// it is nil.
func fnMandatory(args ...any) (any, error) {
	if args[0] != nil {
		return args[0], nil
	}
	msg := "mandatory value is not set"
	if len(args) > 1 {
		msg = str(args[1])
	}
	return nil, &MandatoryError{Msg: msg}
}

func fnTernary(args ...any) (any, error) {
	if Truthy(args[0]) {
		return args[1], nil
	}
	return args[2], nil
}

// fnLength: characters of a string, items of a list or map; nil is 0.
func fnLength(args ...any) (any, error) {
	switch t := args[0].(type) {
	case nil:
		return 0, nil
	case string:
		return utf8.RuneCountInString(t), nil
	case []any:
		return len(t), nil
	case map[string]any:
		return len(t), nil
	}
	rv := reflect.ValueOf(args[0])
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len(), nil
	case reflect.String:
		return utf8.RuneCountInString(rv.String()), nil
	}
	return nil, fmt.Errorf("%s has no length", typeName(args[0]))
}

func mapArg(v any) (map[string]any, error) {
	m, ok := asMap(v)
	if !ok {
		return nil, fmt.Errorf("expected a map, got %s", typeName(v))
	}
	return m, nil
}

func listArg(v any) ([]any, error) {
	l, ok := asList(v)
	if !ok {
		return nil, fmt.Errorf("expected a list, got %s", typeName(v))
	}
	return l, nil
}

// fnKeys returns the keys of a map, sorted.
func fnKeys(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	keys := sortedKeys(m)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out, nil
}

// fnValues returns the values of a map, in the order of its sorted keys.
func fnValues(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	keys := sortedKeys(m)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out, nil
}

// set collects distinct values in order of first appearance. Scalars are
// found by hashing (numbers by value, so 1 and 1.0 are the same); lists and
// maps by comparison.
type set struct {
	items  []any
	hashed map[any]struct{}
}

func (s *set) key(v any) (any, bool) {
	if isNumber(v) {
		f, _ := toFloat(v)
		return f, true
	}
	if v == nil || reflect.TypeOf(v).Comparable() {
		return v, true
	}
	return nil, false
}

func (s *set) has(v any) bool {
	if k, ok := s.key(v); ok {
		_, found := s.hashed[k]
		return found
	}
	for _, x := range s.items {
		if equal(x, v) {
			return true
		}
	}
	return false
}

func (s *set) add(v any) {
	if s.has(v) {
		return
	}
	if k, ok := s.key(v); ok {
		if s.hashed == nil {
			s.hashed = map[any]struct{}{}
		}
		s.hashed[k] = struct{}{}
	}
	s.items = append(s.items, v)
}

func newSet(lists ...[]any) *set {
	s := &set{}
	for _, l := range lists {
		for _, x := range l {
			s.add(x)
		}
	}
	return s
}

func (s *set) list() []any {
	if s.items == nil {
		return []any{}
	}
	return s.items
}

// fnUnique removes repeated items, keeping the first of each.
func fnUnique(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	return newSet(l).list(), nil
}

// fnFlatten is Ansible's flatten(list[, levels[, skip_nulls]]): nested
// lists opened up, fully or levels deep; none, 'None' and 'null' are left
// out unless skip_nulls is false.
func fnFlatten(args ...any) (any, error) {
	full := []any{args[0], nil, true}
	copy(full, args)
	return fnFlattenJinja(full...)
}

func twoLists(args []any) ([]any, []any, error) {
	a, err := listArg(args[0])
	if err != nil {
		return nil, nil, err
	}
	b, err := listArg(args[1])
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// fnUnion: distinct items of both lists.
func fnUnion(args ...any) (any, error) {
	a, b, err := twoLists(args)
	if err != nil {
		return nil, err
	}
	return newSet(a, b).list(), nil
}

// fnDifference: distinct items of the first list that are not in the second.
func fnDifference(args ...any) (any, error) {
	a, b, err := twoLists(args)
	if err != nil {
		return nil, err
	}
	exclude := newSet(b)
	out := &set{}
	for _, x := range a {
		if !exclude.has(x) {
			out.add(x)
		}
	}
	return out.list(), nil
}

// fnIntersect: distinct items of the first list that are also in the second.
func fnIntersect(args ...any) (any, error) {
	a, b, err := twoLists(args)
	if err != nil {
		return nil, err
	}
	in := newSet(b)
	out := &set{}
	for _, x := range a {
		if in.has(x) {
			out.add(x)
		}
	}
	return out.list(), nil
}

// itemNames returns the key and value field names of dict2items/items2dict.
func itemNames(args []any) (string, string) {
	key, value := "key", "value"
	if len(args) > 1 {
		key = str(args[1])
	}
	if len(args) > 2 {
		value = str(args[2])
	}
	return key, value
}

// fnDict2Items turns {a: 1} into [{key: a, value: 1}], sorted by key.
func fnDict2Items(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	keyName, valueName := itemNames(args)
	out := make([]any, 0, len(m))
	for _, k := range yamlOrderedKeys(m) {
		out = append(out, map[string]any{keyName: k, valueName: m[k]})
	}
	return out, nil
}

// fnItems2Dict turns [{key: a, value: 1}] into {a: 1}.
func fnItems2Dict(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	keyName, valueName := itemNames(args)
	out := make(map[string]any, len(l))
	for i, x := range l {
		item, ok := asMap(x)
		if !ok || item == nil {
			return nil, fmt.Errorf("item %d is %s, not a map", i, typeName(x))
		}
		k, ok := item[keyName]
		v, vok := item[valueName]
		if !ok || !vok {
			return nil, fmt.Errorf("item %d has no %q or no %q", i, keyName, valueName)
		}
		out[str(k)] = v
	}
	return out, nil
}

// fnCombine merges maps, later ones winning (shallow); nil counts as
// empty, and an argument may be a list of maps, as in Ansible.
func fnCombine(args ...any) (any, error) {
	return fnCombineMerge(append([]any{false, "replace"}, args...)...)
}

func intArgs(args []any) ([]int, error) {
	out := make([]int, len(args))
	for i, a := range args {
		if _, ok := a.(string); ok || !isNumber(a) {
			return nil, fmt.Errorf("argument %d: expected a number, got %s", i+1, typeName(a))
		}
		n, err := toInt(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		out[i] = n
	}
	return out, nil
}

// fnRange is Python's range: range(stop), range(start, stop[, step]), stop
// excluded.
func fnRange(args ...any) (any, error) {
	n, err := intArgs(args)
	if err != nil {
		return nil, err
	}
	start, stop, step := 0, 0, 1
	switch len(n) {
	case 1:
		stop = n[0]
	case 2:
		start, stop = n[0], n[1]
	default:
		start, stop, step = n[0], n[1], n[2]
	}
	if step == 0 {
		return nil, fmt.Errorf("step must not be zero")
	}
	return sequence(start, stop, step, false)
}

// fnSeq counts like the Unix seq: seq(last) gives 1..last, seq(first, last)
// gives first..last (counting down when first > last), both ends included.
func fnSeq(args ...any) (any, error) {
	n, err := intArgs(args)
	if err != nil {
		return nil, err
	}
	first, last := 1, n[0]
	if len(n) == 2 {
		first, last = n[0], n[1]
	} else if last < 1 {
		return []any{}, nil
	}
	step := 1
	if first > last {
		step = -1
	}
	return sequence(first, last, step, true)
}

// sequence returns start, start+step, … up to stop (included or not).
func sequence(start, stop, step int, inclusive bool) ([]any, error) {
	var span uint64 // |stop - start|, exact even for extreme values
	up := stop >= start
	if up {
		span = uint64(stop) - uint64(start)
	} else {
		span = uint64(start) - uint64(stop)
	}
	stride := uint64(step)
	if step < 0 {
		stride = -stride
	}
	var count uint64
	switch {
	case span == 0:
		if inclusive {
			count = 1
		}
	case up != (step > 0):
		// counting away from stop: nothing
	case inclusive:
		count = span/stride + 1
	default:
		count = (span-1)/stride + 1
	}
	if count > maxSeq {
		return nil, fmt.Errorf("too many items (%d; the limit is %d)", count, maxSeq)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = start + i*step
	}
	return out, nil
}
