package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Two file locks in the lab directory:
//   - setup.lock is held while the lab is built, started, seeded or stopped,
//     so concurrent callers (two test processes, make lab-up) do not race;
//   - use.lock is held by a test for as long as it uses the lab (Require),
//     so tests of different packages that run at once take turns instead of
//     breaking each other's nodes.

// fileLock is a held flock.
type fileLock struct{ f *os.File }

// lockFile takes an exclusive flock on path, polling until timeout or ctx
// ends.
func lockFile(ctx context.Context, path string, timeout time.Duration) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lab: cannot lock %s within %s: %w", path, timeout, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tryLockFile takes the lock only if it is free now.
func tryLockFile(path string) *fileLock {
	l, err := lockFile(context.Background(), path, 0)
	if err != nil {
		return nil
	}
	return l
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil
	}
}

func (l *Lab) setupLockPath() string { return filepath.Join(l.cfg.Dir, "setup.lock") }
func (l *Lab) useLockPath() string   { return filepath.Join(l.cfg.Dir, "use.lock") }
