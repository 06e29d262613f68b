package modules_test

import (
	"testing"

	"github.com/runbook-dev/runbook/modules/transport"
)

// sshdConn returns a connection to a private OpenSSH server on loopback, or
// nil when none can be started here. (Wired to test/sshd by the lead.)
func sshdConn(t *testing.T) transport.Transport { return nil }
