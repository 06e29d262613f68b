package modules_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
)

// helperContext is a module context on this machine. Eval is a stub: the
// expression is looked up in vars (after trimming); true/false are literals.
func helperContext(t *testing.T, vars map[string]any) *modules.Context {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	return &modules.Context{
		Host: "localhost",
		Conn: transport.NewLocal(),
		Vars: vars,
		Eval: func(expr string) (any, error) {
			e := strings.TrimSpace(expr)
			switch e {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			if v, ok := vars[e]; ok {
				return v, nil
			}
			return nil, fmt.Errorf("%q is undefined", e)
		},
		Render: func(name, text string) (string, error) { return text, nil },
		Log:    t.Logf,
	}
}

// helperRun binds raw to the module's spec (as rendered arguments) and runs it.
func helperRun(t *testing.T, mc *modules.Context, name string, raw map[string]any) (*modules.Result, error) {
	t.Helper()
	m, ok := modules.Lookup(name)
	if !ok {
		t.Fatalf("module %s is not registered", name)
	}
	args, err := m.Spec().Bind(raw, true)
	if err != nil {
		return nil, err
	}
	return m.Run(context.Background(), mc, args)
}

// helperMustRun is helperRun failing the test on an error.
func helperMustRun(t *testing.T, mc *modules.Context, name string, raw map[string]any) *modules.Result {
	t.Helper()
	r, err := helperRun(t, mc, name, raw)
	if err != nil {
		t.Fatalf("%s %v: %v", name, raw, err)
	}
	return r
}

// helperConn is a transport whose Run answers from a function; the other
// methods are not used by the modules tested with it.
type helperConn struct {
	run func(cmd *transport.Cmd) (*transport.Result, error)
}

func (c helperConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	return c.run(cmd)
}
func (helperConn) Stat(context.Context, string) (transport.FileInfo, error) {
	return transport.FileInfo{}, fmt.Errorf("not implemented")
}
func (helperConn) Checksum(context.Context, string) (string, error) {
	return "", fmt.Errorf("not implemented")
}
func (helperConn) WriteFile(context.Context, string, io.Reader, transport.WriteOptions) error {
	return fmt.Errorf("not implemented")
}
func (helperConn) ReadFile(context.Context, string, io.Writer) error {
	return fmt.Errorf("not implemented")
}
func (helperConn) Close() error { return nil }

func TestRegisteredModulesDocumented(t *testing.T) {
	names := modules.Names()
	if len(names) == 0 {
		t.Fatal("no modules registered")
	}
	for _, name := range names {
		m, _ := modules.Lookup(name)
		s := m.Spec()
		if s.Name != name || strings.TrimSpace(s.Short) == "" || strings.TrimSpace(s.Example) == "" {
			t.Errorf("module %s: name, Short and Example are required", name)
		}
		for _, p := range s.Params {
			if strings.TrimSpace(p.Doc) == "" {
				t.Errorf("module %s: parameter %s has no Doc", name, p.Name)
			}
		}
		if s.FreeForm != "" {
			if _, ok := s.Param(s.FreeForm); !ok {
				t.Errorf("module %s: free-form parameter %s is not declared", name, s.FreeForm)
			}
		}
	}
}

func TestUnquotedModeIsReadAsOctalDigits(t *testing.T) {
	m, _ := modules.Lookup("file")
	a, err := m.Spec().Bind(map[string]any{"path": "/x", "mode": 644}, true)
	if err != nil || a.String("mode") != "644" {
		t.Errorf("mode 644 → %q, %v; want \"644\" (octal digits)", a.String("mode"), err)
	}
	if _, err := m.Spec().Bind(map[string]any{"path": "/x", "mode": 689}, true); err == nil || !strings.Contains(err.Error(), "quote it") {
		t.Errorf("mode 689 is not octal: %v", err)
	}
}
