//go:build linux

package test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair: the controlling side and the
// terminal a child process writes to.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlocking the pty: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("pty number: %v", e)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}

// runOnTerminal runs the binary with stdout and stderr on a terminal and
// returns what it wrote there.
func runOnTerminal(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ptm, pts := openPTY(t)
	defer ptm.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = pts, pts
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptm); close(copied) }() // ends with EIO when the child exits
	waitAtMostAMinute(t, cmd)
	select {
	case <-copied:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal output did not end")
	}
	return out.String()
}

// TestColourOnlyOnATerminalWithoutNoColor: colour codes on a terminal,
// none with NO_COLOR set, none when piped (TestPlayOutputShapeAndRecap).
func TestColourOnlyOnATerminalWithoutNoColor(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": "- hosts: web\n  gather_facts: false\n  tasks: [{name: c, command: 'true'}]\n"})
	args := []string{"play", "site.yaml", "-i", "hosts"}
	out := runOnTerminal(t, dir, []string{"NO_COLOR=", "TERM=xterm"}, args...)
	if !strings.Contains(out, "\x1b[0;33mchanged: [h1]") {
		t.Errorf("no colour on a terminal:\n%q", out)
	}
	out = runOnTerminal(t, dir, []string{"NO_COLOR=1", "TERM=xterm"}, args...)
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, "changed: [h1]") {
		t.Errorf("colour with NO_COLOR=1:\n%q", out)
	}
}
