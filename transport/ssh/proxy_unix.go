//go:build unix

package ssh

import (
	"os/exec"
	"syscall"
)

const (
	hangup = syscall.SIGHUP
	kill   = syscall.SIGKILL
)

// ownProcessGroup starts cmd in a process group of its own: the terminal's
// Ctrl-C reaches runbook only, which decides what to stop.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to cmd's process group (the command and whatever
// it started).
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, sig) // gone already: fine
	}
}
