package transport_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// TestStatFullOneCommand: StatFull describes a file in one command with
// the digests asked, in order, nanosecond times equal to the kernel's,
// and a missing path is Exists false without an error; a link is
// described itself or, with Follow, by its target.
func TestStatFullOneCommand(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("data"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	var runs int
	conn := countingConn{Transport: transport.NewLocal(), runs: &runs}
	ctx := context.Background()
	fi, err := transport.StatFull(ctx, conn, nil, p, transport.StatOptions{Digests: []string{"sha1sum", "md5sum"}})
	if err != nil {
		t.Fatal(err)
	}
	s1, m5 := sha1.Sum([]byte("data")), md5.Sum([]byte("data"))
	var k syscall.Stat_t
	if err := syscall.Stat(p, &k); err != nil {
		t.Fatal(err)
	}
	if !fi.Exists || fi.Size != 4 || fi.Mode.Perm() != 0o640 || len(fi.Digests) != 2 || fi.Digests[0] != hex.EncodeToString(s1[:]) ||
		fi.Digests[1] != hex.EncodeToString(m5[:]) || fi.Inode != k.Ino || !fi.ModTime.Equal(time.Unix(k.Mtim.Sec, k.Mtim.Nsec)) || runs != 1 {
		t.Errorf("StatFull = %+v after %d commands", fi, runs)
	}
	if fi, err = transport.StatFull(ctx, conn, nil, filepath.Join(dir, "nope"), transport.StatOptions{}); err != nil || fi.Exists {
		t.Errorf("missing: %+v %v", fi, err)
	}
	fi, err = transport.StatFull(ctx, conn, nil, filepath.Join(dir, "l"), transport.StatOptions{Digests: []string{"sha1sum"}})
	if err != nil || fi.Mode&os.ModeSymlink == 0 || fi.LinkTarget != "f" || fi.RealPath != p || fi.Digests[0] != "" {
		t.Errorf("link: %+v %v", fi, err)
	}
	fi, err = transport.StatFull(ctx, conn, nil, filepath.Join(dir, "l"), transport.StatOptions{Follow: true, Digests: []string{"sha1sum"}})
	if err != nil || !fi.Mode.IsRegular() || fi.LinkTarget != "" || fi.Digests[0] != hex.EncodeToString(s1[:]) {
		t.Errorf("link followed: %+v %v", fi, err)
	}
}

// countingConn counts the commands run through it.
type countingConn struct {
	transport.Transport
	runs *int
}

func (c countingConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	*c.runs++
	return c.Transport.Run(ctx, cmd)
}
