//go:build !unix

package ssh

import "os"

// lockFile is a no-op where flock does not exist; the process-wide mutex
// still serialises this process's writers.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
