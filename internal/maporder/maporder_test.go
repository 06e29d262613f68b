package maporder

import (
	"reflect"
	"runtime"
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	m := map[string]any{"zeta": 1, "alpha": 2, "mid": 3}
	if _, ok := Keys(m); ok {
		t.Error("an order before any was recorded")
	}
	Record(m, []string{"zeta", "alpha", "mid"})
	if k, ok := Keys(m); !ok || !reflect.DeepEqual(k, []string{"zeta", "alpha", "mid"}) {
		t.Errorf("Keys = %v, %v", k, ok)
	}
	m["new"] = 4
	if _, ok := Keys(m); ok {
		t.Error("an order for a map changed since")
	}
	delete(m, "new")
	delete(m, "mid")
	m["other"] = 3
	if _, ok := Keys(m); ok {
		t.Error("an order for a map whose keys differ")
	}
	if _, ok := Keys(map[string]any{"a": 1, "b": 2}); ok {
		t.Error("an order for another map")
	}
}

// TestFreedMapsLeaveTheTable: the table keeps no map alive, and forgets a
// map once it is freed (rendering records a copy per task and host).
func TestFreedMapsLeaveTheTable(t *testing.T) {
	count := func() int {
		n := 0
		orders.Range(func(any, any) bool { n++; return true })
		return n
	}
	before := count()
	for range 1000 {
		m := map[string]any{"b": 1, "a": 2}
		Record(m, []string{"b", "a"})
	}
	for range 50 {
		runtime.GC()
		if count() < before+100 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d entries left after the maps were freed (had %d)", count(), before)
}

func TestInherit(t *testing.T) {
	src := map[string]any{"b": 1, "a": 2}
	Record(src, []string{"b", "a"})
	dst := map[string]any{"b": 1, "a": 2}
	Inherit(dst, src)
	if k, ok := Keys(dst); !ok || !reflect.DeepEqual(k, []string{"b", "a"}) {
		t.Errorf("Keys(dst) = %v, %v", k, ok)
	}
}
