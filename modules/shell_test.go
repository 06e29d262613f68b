package modules_test

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShellFeatures(t *testing.T) {
	dir := t.TempDir()
	mc := helperContext(t, nil)
	mc.Env = map[string]string{"RB_NAME": "world"}
	script := `echo "hello $RB_NAME" | tr a-z A-Z > out.txt && cat *.txt; echo err >&2`
	r := helperMustRun(t, mc, "shell", map[string]any{"cmd": script, "chdir": dir})
	if r.Failed || !r.Changed || r.Stdout != "HELLO WORLD" || r.Stderr != "err" {
		t.Fatalf("result: %+v", r)
	}
	if r.Data["cmd"] != script { // shell returns the script, not a list
		t.Fatalf("cmd = %#v", r.Data["cmd"])
	}
	r = helperMustRun(t, mc, "shell", map[string]any{"cmd": "read x; echo \"got $x\"; exit 4", "stdin": "input"})
	if !r.Failed || *r.RC != 4 || r.Stdout != "got input" || r.Msg != "non-zero return code" {
		t.Fatalf("stdin/rc: %+v", r)
	}
}

func TestShellMultiLine(t *testing.T) {
	r := helperMustRun(t, helperContext(t, nil), "shell", map[string]any{"cmd": "x=1\nif [ $x = 1 ]; then\n  echo one\nfi\n"})
	if r.Stdout != "one" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

func TestShellExecutable(t *testing.T) {
	bash, err := filepath.Abs("/bin/bash")
	if _, statErr := os.Stat(bash); err != nil || statErr != nil {
		t.Skip("no /bin/bash")
	}
	r := helperMustRun(t, helperContext(t, nil), "shell", map[string]any{"cmd": `[[ abc == a* ]] && echo "$BASH_VERSION" | cut -c1`, "executable": bash})
	if r.Failed || r.Stdout == "" {
		t.Fatalf("result: %+v", r)
	}
}

func TestShellValidation(t *testing.T) {
	if _, err := helperRun(t, helperContext(t, nil), "shell", map[string]any{"cmd": " "}); err == nil {
		t.Fatal("empty script accepted")
	}
	if _, err := helperRun(t, helperContext(t, nil), "shell", map[string]any{"argv": []any{"x"}}); err == nil {
		t.Fatal("argv accepted by shell")
	}
}
