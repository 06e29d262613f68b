package lab

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A descriptor inherited without close-on-exec (a shell's `flock 9`) must
// not reach the nodes the lab starts.
func TestInheritedDescriptorsAreClosedOnExec(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd on this machine")
	}
	fd, err := syscall.Open(filepath.Join(t.TempDir(), "lock"), syscall.O_CREAT|syscall.O_RDWR, 0o600) // no O_CLOEXEC, as inherited
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if fdFlags(t, fd)&syscall.FD_CLOEXEC != 0 {
		t.Fatal("setup: the descriptor is already close-on-exec")
	}
	closeInheritedOnExec()
	if fdFlags(t, fd)&syscall.FD_CLOEXEC == 0 {
		t.Errorf("fd %d would still be passed to the nodes", fd)
	}
}

func fdFlags(t *testing.T, fd int) uintptr {
	t.Helper()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 {
		t.Fatalf("fcntl(%d, F_GETFD): %v", fd, errno)
	}
	return flags
}
