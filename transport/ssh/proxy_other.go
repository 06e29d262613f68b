//go:build !unix

package ssh

import (
	"os"
	"os/exec"
)

var (
	hangup = os.Kill
	kill   = os.Kill
)

func ownProcessGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, sig os.Signal) {
	if cmd.Process != nil {
		_ = cmd.Process.Signal(sig) // gone already: fine
	}
}
