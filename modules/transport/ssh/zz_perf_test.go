package ssh

import (
	"bytes"
	"crypto/rand"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules/transport"
)

func TestZZPerf(t *testing.T) {
	env := requireSSHD(t)
	p := startSSHD(t, env)
	data := make([]byte, 64<<20)
	rand.Read(data)
	for _, size := range []int{32 * 1024, 64 * 1024, 128 * 1024, 255 * 1024} {
		openSSHPacket = size
		c := dial(t, p.config(t, env, itUser))
		dir := strings.TrimSpace(runOK(t, c, "mktemp", "-d"))
		start := time.Now()
		if err := c.WriteFile(ctxTimeout(t, time.Minute), dir+"/f", bytes.NewReader(data), transport.KeepOwner()); err != nil {
			t.Fatal(err)
		}
		w := time.Since(start)
		start = time.Now()
		if err := c.ReadFile(ctxTimeout(t, time.Minute), dir+"/f", io.Discard); err != nil {
			t.Fatal(err)
		}
		t.Logf("packet %d: write %.0f MB/s read %.0f MB/s", size, 64/w.Seconds(), 64/time.Since(start).Seconds())
		start = time.Now()
		for range 50 {
			runOK(t, c, "true")
		}
		t.Logf("run true: %v/op", time.Since(start)/50)
		c.Close()
	}
}
