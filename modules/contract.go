// Package modules holds runbook's built-in modules, one file each. Every
// module declares its parameters in a module.Spec and registers itself from
// an init function; the engine validates task arguments against the Spec
// before anything runs and calls Run once per host (and loop item).
//
// The contract itself lives in package module; a program gets the built-ins
// by importing this package (for its side effect, if it needs nothing else).
package modules

import "github.com/runbook-dev/runbook/module"

// The contract's names, so a built-in reads `Spec`, `Args`, `Result` like
// the module it is. They are aliases: a modules.Spec is a module.Spec.
type (
	Module       = module.Module
	Context      = module.Context
	Predictions  = module.Predictions
	Result       = module.Result
	Diff         = module.Diff
	Spec         = module.Spec
	Param        = module.Param
	ParamType    = module.ParamType
	Return       = module.Return
	CheckSupport = module.CheckSupport
	Args         = module.Args
	ArgError     = module.ArgError
)

// Parameter types and check-mode support levels (see package module).
const (
	TypeString = module.TypeString
	TypeBool   = module.TypeBool
	TypeInt    = module.TypeInt
	TypeList   = module.TypeList
	TypeMap    = module.TypeMap
	TypeAny    = module.TypeAny
	TypePath   = module.TypePath
	TypeMode   = module.TypeMode

	CheckNone    = module.CheckNone
	CheckFull    = module.CheckFull
	CheckPartial = module.CheckPartial
)

// Register adds a built-in module to the registry (module.Register).
func Register(m Module) { module.Register(m) }

// Lookup finds a registered module by name (module.Lookup).
func Lookup(name string) (Module, bool) { return module.Lookup(name) }

// Names lists the registered modules, sorted (module.Names).
func Names() []string { return module.Names() }

// IntPtr is a helper for Result.RC.
func IntPtr(i int) *int { return module.IntPtr(i) }
