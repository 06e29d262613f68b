package module

import (
	"fmt"
	"sort"
	"sync"
)

// The registry of built-in modules. Modules add themselves from an init
// function in their own file, so adding a module touches nothing else.
var (
	regMu    sync.RWMutex
	registry = map[string]Module{}
)

// Register adds a module; it panics on a duplicate name, which is a
// programming error caught by any test run.
func Register(m Module) {
	regMu.Lock()
	defer regMu.Unlock()
	name := m.Spec().Name
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("modules: %s registered twice", name))
	}
	registry[name] = m
}

// Lookup finds a module by name.
func Lookup(name string) (Module, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	m, ok := registry[name]
	return m, ok
}

// Names lists the registered modules, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	n := make([]string, 0, len(registry))
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
