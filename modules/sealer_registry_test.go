package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// fakeRuntime puts a fake container runtime named rt on PATH (local
// transport) and a fake sealer rootfs with an init-registry.sh that
// records its arguments and "starts" the container. The container's state
// lives in a file, so the module's probe sees what the script did. The
// real thing (docker, sealer's script, the registry) is proven on the lab
// (test/recovery_story_test.go).
func fakeRuntime(t *testing.T, rt, state string) (rootfs, stateFile, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	bin, rootfs := filepath.Join(dir, "bin"), filepath.Join(dir, "rootfs")
	stateFile, argsFile = filepath.Join(dir, "state"), filepath.Join(dir, "args")
	for _, d := range []string{bin, filepath.Join(rootfs, "scripts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if state != "" {
		if err := os.WriteFile(stateFile, []byte(state), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runtime := `#!/bin/sh
case "$1 $2" in
"container inspect") [ -f ` + stateFile + ` ] || exit 1; printf '[{\n  "State": {\n    "Status": "%s",\n' "$(cat ` + stateFile + `)"; echo '}}]' ;;
"rm -f") rm -f ` + stateFile + ` ;;
*) exit 2 ;;
esac
`
	script := "#!/bin/bash\necho \"$PWD $*\" >" + argsFile + "\necho running >" + stateFile + "\n"
	for p, body := range map[string]string{filepath.Join(bin, rt): runtime, filepath.Join(rootfs, "scripts", "init-registry.sh"): script} {
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	return rootfs, stateFile, argsFile
}

func TestSealerRegistryStartsWithSealersScript(t *testing.T) {
	rootfs, stateFile, argsFile := fakeRuntime(t, "docker", "")
	mc := helperContext(t, nil)
	mc.Conn = transport.NewLocal()
	args := map[string]any{"rootfs": rootfs, "port": 5443, "domain": "hub.example.com"}

	mc.Check = true
	res := helperMustRun(t, mc, "sealer_registry", args)
	if !res.Changed || res.Data["after"] != "running" || res.Data["runtime"] != "docker" {
		t.Fatalf("check mode must predict a start under docker: %+v", res)
	}
	if _, err := os.Stat(argsFile); err == nil {
		t.Fatal("check mode ran init-registry.sh")
	}

	mc.Check = false
	res = helperMustRun(t, mc, "sealer_registry", args)
	got, _ := os.ReadFile(argsFile)
	want := filepath.Join(rootfs, "scripts") + " 5443 " + rootfs + "/registry hub.example.com\n"
	if !res.Changed || res.Data["before"] != "absent" || res.Data["after"] != "running" || string(got) != want {
		t.Fatalf("want init-registry.sh run from the scripts dir as %q, got %q: %+v", want, got, res)
	}

	// Running: nothing to do, nothing run.
	os.Remove(argsFile)
	res = helperMustRun(t, mc, "sealer_registry", args)
	if res.Changed || res.Data["before"] != "running" {
		t.Fatalf("a running container must be left alone: %+v", res)
	}
	if _, err := os.Stat(argsFile); err == nil {
		t.Fatal("init-registry.sh ran for a running container")
	}

	// restarted: removed, then created again by the script.
	res = helperMustRun(t, mc, "sealer_registry", map[string]any{"rootfs": rootfs, "state": "restarted"})
	if got, _ := os.ReadFile(argsFile); !res.Changed || !strings.Contains(string(got), " 5000 ") {
		t.Fatalf("restarted must re-run the script (default port 5000): %q %+v", got, res)
	}

	// absent: removed as sealer's uninstall does.
	res = helperMustRun(t, mc, "sealer_registry", map[string]any{"rootfs": rootfs, "state": "absent"})
	if _, err := os.Stat(stateFile); !res.Changed || err == nil {
		t.Fatalf("absent must remove the container: %+v", res)
	}
}

// A container run by nerdctl (sealer's images before 2023 on containerd
// hosts) is recognised: a running one is not started a second time.
func TestSealerRegistryRecognisesNerdctl(t *testing.T) {
	rootfs, _, argsFile := fakeRuntime(t, "nerdctl", "running")
	mc := helperContext(t, nil)
	mc.Conn = transport.NewLocal()
	res := helperMustRun(t, mc, "sealer_registry", map[string]any{"rootfs": rootfs})
	if res.Changed || res.Data["runtime"] != "nerdctl" {
		t.Fatalf("the running nerdctl container must be recognised: %+v", res)
	}
	if _, err := os.Stat(argsFile); err == nil {
		t.Fatal("init-registry.sh ran although the registry runs under nerdctl")
	}
}

// No sealer rootfs, or no runtime at all: a clear error that says what to
// check, never a silent success.
func TestSealerRegistryRefusesAHostWithoutSealer(t *testing.T) {
	rootfs, _, _ := fakeRuntime(t, "docker", "")
	mc := helperContext(t, nil)
	mc.Conn = transport.NewLocal()
	_, err := helperRun(t, mc, "sealer_registry", map[string]any{"rootfs": rootfs + "/nope"})
	if err == nil || !strings.Contains(err.Error(), "init-registry.sh is missing") || !strings.Contains(err.Error(), "registry_launch=systemd") {
		t.Fatalf("want a missing-script error naming the way out, got %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = helperRun(t, mc, "sealer_registry", map[string]any{"rootfs": rootfs})
	if err == nil || !strings.Contains(err.Error(), "neither docker nor nerdctl") {
		t.Fatalf("want a no-runtime error, got %v", err)
	}
}
