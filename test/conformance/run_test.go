package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTimeout bounds one run of either tool; ansible-playbook on a loaded
// two-core machine takes tens of seconds for the larger cases.
const runTimeout = 3 * time.Minute

// tool is one of the two programs the suite compares.
type tool struct {
	name string
	// argv is the command line running the case's playbook with out.
	argv func(out string) []string
	// env is what the run adds to the environment, given its private home.
	env func(home string) []string
}

func runbookTool(bin string, args []string) tool {
	return tool{
		name: "runbook",
		argv: func(out string) []string {
			return append([]string{bin, "play", "site.yml", "-i", "inventory.ini", "-e", "out=" + out}, args...)
		},
		env: func(home string) []string { return []string{"HOME=" + home, "NO_COLOR=1"} },
	}
}

// ansibleTool runs ansible-playbook with nothing of the machine's own
// configuration: no ansible.cfg (ANSIBLE_CONFIG names an empty file), a
// private home and temporary directories, no colour, no retry files.
func ansibleTool(bin string, args []string) tool {
	return tool{
		name: "ansible-playbook",
		argv: func(out string) []string {
			return append([]string{bin, "-i", "inventory.ini", "site.yml", "-e", "out=" + out}, args...)
		},
		env: func(home string) []string {
			return []string{"HOME=" + home, "ANSIBLE_CONFIG=" + filepath.Join(home, "ansible.cfg"),
				"ANSIBLE_HOME=" + filepath.Join(home, ".ansible"), "ANSIBLE_LOCAL_TEMP=" + filepath.Join(home, ".ansible", "tmp"),
				"ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
				"ANSIBLE_DEPRECATION_WARNINGS=0", "ANSIBLE_STDOUT_CALLBACK=default"}
		},
	}
}

// run is one run of a tool on a case.
type run struct {
	label  string // "runbook, first run"
	argv   []string
	output string // stdout and stderr as they came
	rc     int
	recap  recap
	err    error // why the recap could not be read, or the run not made
}

func (r run) String() string {
	return fmt.Sprintf("=== %s: %s (exit %d)\n%s", r.label, strings.Join(r.argv, " "), r.rc, r.output)
}

// side is what one tool did with a case: two runs on the same out, and
// the tree under out after each.
type side struct {
	tool  string
	dirs  map[string]string // $CASE, $OUT, $HOME -> this side's directories
	runs  [2]run
	trees [2]tree
}

// play copies the case to a fresh directory, then runs tl twice there on
// one fresh out directory, reading the tree under out after each run.
func play(t *testing.T, tl tool, caseDir string) *side {
	t.Helper()
	base := filepath.Join(t.TempDir(), tl.name)
	s := &side{tool: tl.name, dirs: map[string]string{
		"$CASE": filepath.Join(base, "case"), "$OUT": filepath.Join(base, "out"), "$HOME": filepath.Join(base, "home")}}
	if err := copyDir(caseDir, s.dirs["$CASE"]); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(s.dirs["$CASE"], "inventory.ini")
	if _, err := os.Stat(inv); os.IsNotExist(err) {
		if err := os.WriteFile(inv, []byte("localhost ansible_connection=local\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{s.dirs["$OUT"], s.dirs["$HOME"]} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.dirs["$HOME"], "ansible.cfg"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, label := range []string{"first run", "second run"} {
		s.runs[i] = execute(tl, s.dirs)
		s.runs[i].label = tl.name + ", " + label
		tr, err := snapshot(s.dirs["$OUT"], s.dirs)
		if err != nil {
			t.Fatalf("%s: reading what it wrote: %v", s.runs[i].label, err)
		}
		s.trees[i] = tr
	}
	return s
}

// execute runs tl once in dirs["$CASE"], killing its whole process group
// when it outlives runTimeout.
func execute(tl tool, dirs map[string]string) run {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	r := run{argv: tl.argv(dirs["$OUT"])}
	cmd := exec.CommandContext(ctx, r.argv[0], r.argv[1:]...)
	cmd.Dir = dirs["$CASE"]
	cmd.Env = append(cleanEnv(), tl.env(dirs["$HOME"])...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r.output, r.rc = out.String(), cmd.ProcessState.ExitCode()
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("did not finish within %v", runTimeout)
	case err != nil && r.rc < 0:
		r.err = err
	default:
		r.recap, r.err = parseRecap(r.output)
	}
	return r
}

// cleanEnv is this process's environment without what would let the
// machine's settings into a run: ANSIBLE_* variables, HOME and NO_COLOR
// (each tool's env sets its own).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "ANSIBLE_") && k != "HOME" && k != "NO_COLOR" {
			env = append(env, kv)
		}
	}
	return env
}

// copyDir copies the tree at src to dst (which must not exist), keeping
// modes and symbolic links.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm())
		default:
			return copyFile(p, to, info.Mode().Perm())
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
