// Package maporder remembers the order a mapping's keys had in the YAML it
// was read from. runbook's values are Go maps, which keep no order, while
// Ansible goes through a dict in insertion order (with_dict, dict2items,
// {% for k in d %}). The YAML decoders record the order of each mapping
// they build; the places that follow Ansible's order ask for it. A mapping
// built by an expression, or changed after it was read, has no recorded
// order (Keys reports false) and its users sort its keys instead.
package maporder

import (
	"reflect"
	"runtime"
	"sync"
)

// orders maps a map's address (a uintptr: the table must not keep maps
// alive) to its keys in YAML order. An entry goes when its map is freed.
var orders sync.Map

// Record notes that m's keys were read in the order keys.
func Record(m map[string]any, keys []string) {
	if len(keys) < 2 || len(keys) != len(m) {
		return // nothing to order, or keys repeated
	}
	p := reflect.ValueOf(m).UnsafePointer()
	addr := uintptr(p)
	if _, loaded := orders.Swap(addr, keys); !loaded {
		runtime.AddCleanup((*byte)(p), func(addr uintptr) { orders.Delete(addr) }, addr)
	}
}

// Inherit gives dst, a copy of src with the same keys, src's order.
func Inherit(dst, src map[string]any) {
	if keys, ok := Keys(src); ok {
		Record(dst, keys)
	}
}

// Keys returns m's keys in the order they were read. ok is false when no
// order was recorded or m's keys are no longer the ones recorded (it was
// changed, or another map now lives at the address of one that was freed).
func Keys(m map[string]any) (keys []string, ok bool) {
	if len(m) < 2 {
		return nil, false
	}
	v, found := orders.Load(uintptr(reflect.ValueOf(m).UnsafePointer()))
	if !found {
		return nil, false
	}
	keys = v.([]string)
	if len(keys) != len(m) {
		return nil, false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return nil, false
		}
	}
	return keys, true
}
