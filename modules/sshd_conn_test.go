package modules_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// One private OpenSSH server for the whole package run, reaching this same
// machine as root over loopback.
var (
	sshdOnce   sync.Once
	sshdServer *sshd.Server
	sshdConnV  transport.Transport
	sshdErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sshdConnV != nil {
		_ = sshdConnV.Close() // end of the run
	}
	if sshdServer != nil {
		sshdServer.Close()
	}
	if err := lab.AfterTests(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// sshdConn returns a connection to the package's sshd, or nil (after the
// skip/fail rule of sshd.Require) when none can run here.
func sshdConn(t *testing.T) transport.Transport {
	t.Helper()
	if !sshd.Available() {
		if os.Getenv("RUNBOOK_REQUIRE_SSHD") == "1" {
			sshd.Require(t) // fails the test with the reason
		}
		return nil
	}
	sshdOnce.Do(func() {
		sshdServer, sshdErr = sshd.Launch(sshd.Options{})
		if sshdErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		sshdConnV, sshdErr = ssh.Dial(ctx, ssh.Config{Name: "sshd", Addr: sshdServer.Host, Port: sshdServer.Port,
			User: "root", KeyFiles: []string{sshdServer.KeyPath}, KnownHostsFile: sshdServer.KnownHosts, Timeout: 5 * time.Second})
	})
	if sshdErr != nil {
		t.Fatalf("real sshd for module tests: %v", fmt.Sprint(sshdErr))
	}
	return sshdConnV
}
