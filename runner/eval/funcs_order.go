package eval

import (
	"fmt"
	"sort"
	"strings"
)

// Helpers that order and combine lists: sort, min, max, sum, zip, product.

// compareValues orders numbers by value, strings (case-insensitively
// unless caseSensitive) and bools; other mixes are an error.
func compareValues(a, b any, caseSensitive bool) (int, error) {
	if isNumber(a) && isNumber(b) {
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		switch {
		case fa < fb:
			return -1, nil
		case fa > fb:
			return 1, nil
		}
		return 0, nil
	}
	sa, aok := a.(string)
	sb, bok := b.(string)
	if aok && bok {
		if !caseSensitive {
			sa, sb = strings.ToLower(sa), strings.ToLower(sb)
		}
		return strings.Compare(sa, sb), nil
	}
	ba, aok := a.(bool)
	bb, bok := b.(bool)
	if aok && bok {
		switch {
		case ba == bb:
			return 0, nil
		case bb:
			return -1, nil
		}
		return 1, nil
	}
	return 0, fmt.Errorf("cannot compare %s with %s", typeName(a), typeName(b))
}

// sortKeys returns the items of list and the values they sort by.
func sortKeys(v, attribute any) ([]any, []any, error) {
	l, err := listArg(v)
	if err != nil {
		return nil, nil, err
	}
	keys := l
	if attribute != nil {
		keys = make([]any, len(l))
		for i, x := range l {
			k, ok := attr(x, str(attribute))
			if !ok {
				return nil, nil, fmt.Errorf("item %d has no attribute %q", i, str(attribute))
			}
			keys[i] = k
		}
	}
	return l, keys, nil
}

// fnSort is sort(list, reverse, case_sensitive, attribute), stable.
func fnSort(args ...any) (any, error) {
	l, keys, err := sortKeys(args[0], args[3])
	if err != nil {
		return nil, err
	}
	idx, err := sortedOrder(keys, Truthy(args[2]), Truthy(args[1]))
	if err != nil {
		return nil, err
	}
	out := make([]any, len(l))
	for i, k := range idx {
		out[i] = l[k]
	}
	return out, nil
}

// sortedOrder returns the indexes of keys in their stable sorted order.
func sortedOrder(keys []any, caseSensitive, reverse bool) ([]int, error) {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	var cmpErr error
	sort.SliceStable(idx, func(i, j int) bool {
		c, err := compareValues(keys[idx[i]], keys[idx[j]], caseSensitive)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return idx, cmpErr
}

// extremeFn builds min (sign -1) and max (sign 1): (list, case_sensitive,
// attribute); an empty list gives nil.
func extremeFn(sign int) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		l, keys, err := sortKeys(args[0], args[2])
		if err != nil {
			return nil, err
		}
		best := -1
		for i := range l {
			if best < 0 {
				best = i
				continue
			}
			c, err := compareValues(keys[i], keys[best], Truthy(args[1]))
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best = i
			}
		}
		if best < 0 {
			return nil, nil
		}
		return l[best], nil
	}
}

// fnSum is sum(list, attribute, start).
func fnSum(args ...any) (any, error) {
	_, keys, err := sortKeys(args[0], args[1])
	if err != nil {
		return nil, err
	}
	total := args[2]
	for _, k := range keys {
		if total, err = fnAdd(total, k); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func listsArg(args []any) ([][]any, error) {
	out := make([][]any, len(args))
	for i, a := range args {
		l, err := listArg(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		out[i] = l
	}
	return out, nil
}

// fnZip pairs the items of lists up to the shortest.
func fnZip(args ...any) (any, error) {
	lists, err := listsArg(args)
	if err != nil {
		return nil, err
	}
	n := len(lists[0])
	for _, l := range lists {
		n = min(n, len(l))
	}
	return zipRows(lists, n, nil), nil
}

// zipRows returns n rows of the lists' items side by side, fill where a
// list has ended.
func zipRows(lists [][]any, n int, fill any) []any {
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			row[j] = fill
			if i < len(l) {
				row[j] = l[i]
			}
		}
		out[i] = row
	}
	return out
}

// fnProduct is the cartesian product of lists.
func fnProduct(args ...any) (any, error) {
	lists, err := listsArg(args)
	if err != nil {
		return nil, err
	}
	rows := [][]any{{}}
	for _, l := range lists {
		if len(rows)*len(l) > maxSeq {
			return nil, fmt.Errorf("too many items (the limit is %d)", maxSeq)
		}
		next := make([][]any, 0, len(rows)*len(l))
		for _, r := range rows {
			for _, x := range l {
				next = append(next, append(append(make([]any, 0, len(r)+1), r...), x))
			}
		}
		rows = next
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out, nil
}
