//go:build unix

package ssh

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockWait bounds how long lockFile waits for another process's lock.
const lockWait = 10 * time.Second

// lockFile takes an exclusive advisory lock on f, waiting (boundedly) for
// another process that holds it.
func lockFile(f *os.File) error {
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("another process holds the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
