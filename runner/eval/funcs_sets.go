package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Ansible's list and mapping filters: symmetric_difference, extract,
// subelements, zip_longest, permutations, combinations, product with
// repeat, flatten with skip_nulls, combine with list_merge, from_yaml_all.

// fnSymmetricDifference: the distinct items in one list but not both, in
// the order of a + b.
func fnSymmetricDifference(args ...any) (any, error) {
	a, b, err := twoLists(args)
	if err != nil {
		return nil, err
	}
	inA, inB := newSet(a), newSet(b)
	out := []any{}
	for _, x := range newSet(a, b).list() {
		if !(inA.has(x) && inB.has(x)) {
			out = append(out, x)
		}
	}
	return out, nil
}

// getItem is Jinja's x[key]: a mapping's key, a list's index.
func getItem(c, key any) (any, error) {
	if m, ok := asMap(c); ok && c != nil {
		v, found := m[str(key)]
		if !found {
			return nil, fmt.Errorf("%s has no key %q", typeName(c), str(key))
		}
		return v, nil
	}
	if l, ok := asList(c); ok && c != nil {
		i, err := toInt(key)
		if err != nil || !isNumber(key) {
			return nil, fmt.Errorf("a list index must be a number, got %s", typeName(key))
		}
		if i < 0 {
			i += len(l)
		}
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("list index %s out of range", str(key))
		}
		return l[i], nil
	}
	return nil, fmt.Errorf("cannot look %s up in %s", str(key), typeName(c))
}

// fnExtract is extract(key, container[, morekeys]): container[key], then
// [k] for each of morekeys (one key, or a list).
func fnExtract(args ...any) (any, error) {
	keys := []any{args[0]}
	if len(args) > 2 && args[2] != nil {
		if l, ok := args[2].([]any); ok {
			keys = append(keys, l...)
		} else {
			keys = append(keys, args[2])
		}
	}
	v := args[1]
	for _, k := range keys {
		var err error
		if v, err = getItem(v, k); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// fnSubelements is subelements(items, path[, skip_missing]): a pair
// [item, sub] for each sub of each item's list at path ("a.b" or a list
// of keys). A mapping's values are the items.
func fnSubelements(args ...any) (any, error) {
	var items []any
	if m, ok := args[0].(map[string]any); ok {
		for _, k := range yamlOrderedKeys(m) {
			items = append(items, m[k])
		}
	} else if l, ok := args[0].([]any); ok {
		items = l
	} else {
		return nil, fmt.Errorf("expected a list of mappings or a mapping, got %s", typeName(args[0]))
	}
	var path []any
	switch p := args[1].(type) {
	case string:
		for _, part := range splitDots(p) {
			path = append(path, part)
		}
	case []any:
		path = p
	default:
		return nil, fmt.Errorf("the path must be a string or a list, got %s", typeName(args[1]))
	}
	skip := len(args) > 2 && Truthy(args[2])
	out := []any{}
	for _, item := range items {
		v, err := subelementsAt(item, path, skip)
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("the key %q should point to a list, got %s", str(path[len(path)-1]), typeName(v))
		}
		for _, x := range l {
			out = append(out, []any{item, x})
		}
	}
	return out, nil
}

func subelementsAt(item any, path []any, skip bool) (any, error) {
	v := item
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the key %s should point to a mapping, got %s", str(k), typeName(v))
		}
		if v, ok = m[str(k)]; !ok {
			if skip {
				return []any{}, nil
			}
			return nil, fmt.Errorf("could not find %q in an item (skip_missing=true skips it)", str(k))
		}
	}
	return v, nil
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// fnZipLongest is zip_longest(fillvalue, lists…): rows up to the longest
// list, fillvalue for the missing items.
func fnZipLongest(args ...any) (any, error) {
	lists, err := listsArg(args[1:])
	if err != nil {
		return nil, err
	}
	n := 0
	for _, l := range lists {
		n = max(n, len(l))
	}
	return zipRows(lists, n, args[0]), nil
}

// sizeArg reads r of permutations and combinations (nil: the list's length).
func sizeArg(v any, n int) (int, error) {
	if v == nil {
		return n, nil
	}
	r, err := toInt(v)
	if err != nil || !isNumber(v) {
		return 0, fmt.Errorf("r must be a number, got %s", typeName(v))
	}
	if r < 0 {
		return 0, fmt.Errorf("r must not be negative")
	}
	return r, nil
}

// fnPermutations is itertools.permutations(l, r): ordered choices of r
// items, in lexicographic order of positions.
func fnPermutations(args ...any) (any, error) {
	l, err := iterable(args[0])
	if err != nil {
		return nil, err
	}
	r, err := sizeArg(args[1], len(l))
	if err != nil {
		return nil, err
	}
	out := []any{}
	if r > len(l) {
		return out, nil
	}
	used := make([]bool, len(l))
	row := make([]any, 0, r)
	var walk func() error
	walk = func() error {
		if len(row) == r {
			if len(out) >= maxSeq {
				return fmt.Errorf("too many items (the limit is %d)", maxSeq)
			}
			out = append(out, append([]any{}, row...))
			return nil
		}
		for i, x := range l {
			if used[i] {
				continue
			}
			used[i] = true
			row = append(row, x)
			if err := walk(); err != nil {
				return err
			}
			row = row[:len(row)-1]
			used[i] = false
		}
		return nil
	}
	return out, walk()
}

// fnCombinations is itertools.combinations(l, r): r items in their order.
func fnCombinations(args ...any) (any, error) {
	l, err := iterable(args[0])
	if err != nil {
		return nil, err
	}
	if args[1] == nil {
		return nil, fmt.Errorf("needs r, the number of items in each combination")
	}
	r, err := sizeArg(args[1], len(l))
	if err != nil {
		return nil, err
	}
	out := []any{}
	row := make([]any, 0, r)
	var walk func(from int) error
	walk = func(from int) error {
		if len(row) == r {
			if len(out) >= maxSeq {
				return fmt.Errorf("too many items (the limit is %d)", maxSeq)
			}
			out = append(out, append([]any{}, row...))
			return nil
		}
		for i := from; i <= len(l)-(r-len(row)); i++ {
			row = append(row, l[i])
			if err := walk(i + 1); err != nil {
				return err
			}
			row = row[:len(row)-1]
		}
		return nil
	}
	return out, walk(0)
}

// fnProductRepeat is product(repeat, lists…): the lists repeated that many
// times, then their cartesian product.
func fnProductRepeat(args ...any) (any, error) {
	n, err := toInt(args[0])
	if err != nil || !isNumber(args[0]) {
		return nil, fmt.Errorf("repeat must be a number, got %s", typeName(args[0]))
	}
	if n < 0 {
		return nil, fmt.Errorf("repeat must not be negative")
	}
	var lists []any
	for range min(n, maxSeq) {
		lists = append(lists, args[1:]...)
	}
	if len(lists) == 0 {
		return []any{[]any{}}, nil
	}
	return fnProduct(lists...)
}

// fnFlattenJinja is Ansible's flatten(l, levels, skip_nulls): nested lists
// opened up (levels deep when given); with skip_nulls, none, 'None' and
// 'null' are left out.
func fnFlattenJinja(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	levels := -1
	if args[1] != nil {
		if levels, err = toInt(args[1]); err != nil || !isNumber(args[1]) {
			return nil, fmt.Errorf("levels must be a number, got %s", typeName(args[1]))
		}
	}
	return flattenSkip(nil, l, levels, Truthy(args[2]), 0), nil
}

func flattenSkip(out, l []any, levels int, skipNulls bool, depth int) []any {
	for _, x := range l {
		if skipNulls && (x == nil || x == "None" || x == "null") {
			continue
		}
		inner, isList := x.([]any)
		if !isList || levels == 0 || depth > maxDepth {
			out = append(out, x)
			continue
		}
		out = flattenSkip(out, inner, max(levels-1, -1), skipNulls, depth+1)
	}
	if out == nil {
		return []any{}
	}
	return out
}

// listMerges are combine's list_merge values.
var listMerges = map[string]bool{"replace": true, "keep": true, "append": true, "prepend": true, "append_rp": true, "prepend_rp": true}

// fnCombineMerge is combine(recursive, list_merge, terms…): the mappings
// (a term may be a list of them) merged left to right, as Ansible's
// merge_hash does.
func fnCombineMerge(args ...any) (any, error) {
	recursive, mode := Truthy(args[0]), str(args[1])
	if !listMerges[mode] {
		return nil, fmt.Errorf("list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, got %q", mode)
	}
	var maps []map[string]any
	for i, t := range args[2:] {
		terms := []any{t}
		if l, ok := t.([]any); ok {
			terms = l
		}
		for _, x := range terms {
			m, ok := asMap(x)
			if !ok || m == nil && x != nil {
				return nil, fmt.Errorf("argument %d: expected a map, got %s", i+1, typeName(x))
			}
			maps = append(maps, m)
		}
	}
	out := map[string]any{}
	for _, m := range maps {
		out = mergeHash(out, m, recursive, mode, 0)
	}
	return out, nil
}

// mergeHash returns x with y merged into it (y wins), x left unchanged.
func mergeHash(x, y map[string]any, recursive bool, mode string, depth int) map[string]any {
	out := make(map[string]any, len(x)+len(y))
	for k, v := range x {
		out[k] = v
	}
	for k, yv := range y {
		xv, found := out[k]
		if !found {
			out[k] = yv
			continue
		}
		xm, xIsMap := xv.(map[string]any)
		ym, yIsMap := yv.(map[string]any)
		if xIsMap && yIsMap {
			if recursive && depth < maxDepth {
				out[k] = mergeHash(xm, ym, recursive, mode, depth+1)
			} else {
				out[k] = yv
			}
			continue
		}
		xl, xIsList := xv.([]any)
		yl, yIsList := yv.([]any)
		if xIsList && yIsList {
			out[k] = mergeLists(xl, yl, mode)
			continue
		}
		out[k] = yv
	}
	return out
}

func mergeLists(x, y []any, mode string) []any {
	switch mode {
	case "keep":
		return x
	case "append":
		return append(append([]any{}, x...), y...)
	case "prepend":
		return append(append([]any{}, y...), x...)
	case "append_rp", "prepend_rp":
		inY := newSet(y)
		var rest []any
		for _, v := range x {
			if !inY.has(v) {
				rest = append(rest, v)
			}
		}
		if mode == "append_rp" {
			return append(rest, y...)
		}
		return append(append([]any{}, y...), rest...)
	}
	return y
}

// fnFromYAMLAll parses a stream of YAML documents into a list; a value
// that is not a string is returned as it is.
func fnFromYAMLAll(args ...any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return args[0], nil
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	out := []any{}
	for range maxSeq {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, err
		}
		v, err := fnFromYAML(string(b))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return nil, fmt.Errorf("too many documents (the limit is %d)", maxSeq)
}
