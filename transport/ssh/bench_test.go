package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// BenchmarkRunEcho measures one command round trip on an open connection
// (new session, exec, exit status) against the in-process server.
func BenchmarkRunEcho(b *testing.B) {
	_, cfg := keyServer(b)
	c := dial(b, cfg)
	ctx := context.Background()
	cmd := &transport.Cmd{Args: []string{"echo", "hi"}}
	b.ResetTimer()
	for b.Loop() {
		res, err := c.Run(ctx, cmd)
		if err != nil || res.ExitCode != 0 {
			b.Fatal(err, res)
		}
	}
}

// BenchmarkWriteFile1MiB measures an atomic 1 MiB write over SFTP (temp
// file, chmod, stream, rename).
func BenchmarkWriteFile1MiB(b *testing.B) {
	_, cfg := keyServer(b)
	c := dial(b, cfg)
	ctx := context.Background()
	data := make([]byte, 1<<20)
	rand.Read(data)
	target := filepath.Join(b.TempDir(), "bench.bin")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if err := c.WriteFile(ctx, target, bytes.NewReader(data), transport.KeepOwner()); err != nil {
			b.Fatal(err)
		}
	}
}
