package ssh

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport"
)

// rootOnly makes base/open/NAME (0600 root, in a directory anyone may
// traverse) and base/closed/NAME (0600 root, in a 0700 root directory).
func rootOnly(t *testing.T, name string, data []byte) (open, closed string) {
	t.Helper()
	base := t.TempDir()
	for _, d := range []struct {
		p    string
		mode os.FileMode
	}{{filepath.Dir(base), 0o755}, {base, 0o755}, {filepath.Join(base, "open"), 0o755}, {filepath.Join(base, "closed"), 0o700}} {
		if err := os.MkdirAll(d.p, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.p, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	open, closed = filepath.Join(base, "open", name), filepath.Join(base, "closed", name)
	for _, p := range []string{open, closed} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return open, closed
}

// TestIntegrationBecomeReads: against real OpenSSH and real sudo (with a
// password), a non-root login cannot stat, checksum or read root-only
// files, and StatAs, ChecksumAs and ReadFileAs can, as the become user;
// the password is in no process's arguments meanwhile.
func TestIntegrationBecomeReads(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.BecomePassword = env.password
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 60*time.Second)
	data := make([]byte, 3<<20+7) // larger than one SFTP or channel window
	rand.Read(data)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	open, closed := rootOnly(t, "secret.bin", data)
	root := &transport.Become{}

	// The login user is refused, with errors that say so.
	if _, err := c.Stat(ctx, closed); !transport.IsPermission(err) {
		t.Fatalf("Stat as %s: %v, want a permission error", itUser, err)
	}
	if _, err := c.Checksum(ctx, open); !transport.IsPermission(err) {
		t.Fatalf("Checksum as %s: %v, want a permission error", itUser, err)
	}
	if err := c.ReadFile(ctx, open, &bytes.Buffer{}); !transport.IsPermission(err) {
		t.Fatalf("ReadFile as %s: %v, want a permission error", itUser, err)
	}

	stop := sshd.WatchArgs(env.password)
	for _, p := range []string{open, closed} {
		fi, err := transport.StatAs(ctx, c, root, p)
		if err != nil || !fi.Exists || fi.Size != int64(len(data)) || fi.Mode != 0o600 || fi.UID != 0 || fi.GID != 0 || fi.Path != p {
			t.Errorf("StatAs %s: %+v %v", p, fi, err)
		}
		if got, err := transport.ChecksumAs(ctx, c, root, p); err != nil || got != want {
			t.Errorf("ChecksumAs %s: %q %v, want %s", p, got, err, want)
		}
		var buf bytes.Buffer
		if err := transport.ReadFileAs(ctx, c, root, p, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Errorf("ReadFileAs %s: %v (%d of %d bytes)", p, err, buf.Len(), len(data))
		}
	}
	if seen := stop(); seen != "" {
		t.Errorf("the become password was in a process's arguments: %q", seen)
	}

	// A missing file behind the closed directory: as Stat and ReadFile say it.
	missing := filepath.Join(filepath.Dir(closed), "missing")
	if fi, err := transport.StatAs(ctx, c, root, missing); err != nil || fi.Exists {
		t.Errorf("StatAs missing: %+v %v", fi, err)
	}
	if _, err := transport.ChecksumAs(ctx, c, root, missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ChecksumAs missing: %v", err)
	}
	if err := transport.ReadFileAs(ctx, c, root, missing, &bytes.Buffer{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFileAs missing: %v", err)
	}

	// The reads run as the become user, not as root: another unprivileged
	// user is refused too.
	other := &transport.Become{User: itNoPwUser}
	if _, err := transport.ChecksumAs(ctx, c, other, open); !transport.IsPermission(err) || !strings.Contains(err.Error(), "as "+itNoPwUser) {
		t.Errorf("ChecksumAs %s: %v, want a permission error", itNoPwUser, err)
	}
	if err := transport.ReadFileAs(ctx, c, other, open, &bytes.Buffer{}); !transport.IsPermission(err) {
		t.Errorf("ReadFileAs %s: %v, want a permission error", itNoPwUser, err)
	}

	// A wrong become password: a clear error, not a hang, not printed.
	bad := sshdConfig(t, p, env, itUser)
	bad.BecomePassword = "wrong-become-password"
	start := time.Now()
	_, err := transport.ChecksumAs(ctx, dial(t, bad), root, open)
	if err == nil || !strings.Contains(err.Error(), "incorrect sudo password") || strings.Contains(err.Error(), bad.BecomePassword) {
		t.Errorf("wrong password: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("wrong password took %v", d)
	}
}
