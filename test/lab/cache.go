package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The cache (Config.CacheDir) holds two artefacts, each named by a key that
// hashes its inputs, so a change to an input builds a new one beside the old:
//
//	rootfs/<suite>-<hash>.tar.zst           base rootfs (suite, packages, build-rootfs.sh)
//	kube-apiserver/<version>-<hash>/kube-apiserver   (go.mod, go.sum, tools.go, build script)

// BaseKey names the base rootfs built from the current inputs.
func (l *Lab) BaseKey() (string, error) {
	script, err := os.ReadFile(filepath.Join(l.cfg.SourceDir, "scripts", "build-rootfs.sh"))
	if err != nil {
		return "", err
	}
	return Suite + "-" + hashOf([]byte(Suite), []byte(strings.Join(BasePackages, ",")), []byte(RootPassword), script), nil
}

// BaseTarball is the cached base rootfs for the current inputs.
func (l *Lab) BaseTarball() (string, error) {
	key, err := l.BaseKey()
	if err != nil {
		return "", err
	}
	return filepath.Join(l.cfg.CacheDir, "rootfs", key+".tar.zst"), nil
}

// APIServerBinary is the cached kube-apiserver for the current inputs.
func (l *Lab) APIServerBinary() (string, error) {
	var parts [][]byte
	for _, f := range []string{"kube-apiserver/go.mod", "kube-apiserver/go.sum", "kube-apiserver/tools.go", "scripts/build-kube-apiserver.sh"} {
		b, err := os.ReadFile(filepath.Join(l.cfg.SourceDir, f))
		if err != nil {
			return "", err
		}
		parts = append(parts, b)
	}
	return filepath.Join(l.cfg.CacheDir, "kube-apiserver", KubeVersion+"-"+hashOf(parts...), "kube-apiserver"), nil
}

func hashOf(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d\n", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// CacheReady reports whether both cached artefacts exist for the current
// inputs, i.e. whether Up can start without building anything heavy.
func (l *Lab) CacheReady() bool {
	t, err1 := l.BaseTarball()
	b, err2 := l.APIServerBinary()
	return err1 == nil && err2 == nil && exists(t) && exists(b)
}

// BuildCache builds whichever cached artefact is missing (both at once when
// both are): the base rootfs with debootstrap (~1.5 min) and kube-apiserver
// from the Go module proxy (~6 min cold). Progress goes to log.
func (l *Lab) BuildCache(ctx context.Context, log io.Writer) error {
	tarball, err := l.BaseTarball()
	if err != nil {
		return err
	}
	bin, err := l.APIServerBinary()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	build := func(what, out string, args ...string) {
		defer wg.Done()
		start := time.Now()
		fmt.Fprintf(log, "lab: building %s (%s)\n", what, out)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			return
		}
		cmd := exec.CommandContext(ctx, "bash", args...)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if err := cmd.Run(); err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("building %s: %w", what, err))
			mu.Unlock()
			return
		}
		fmt.Fprintf(log, "lab: built %s in %s\n", what, time.Since(start).Round(time.Second))
	}
	if !exists(tarball) {
		if _, err := exec.LookPath("debootstrap"); err != nil {
			return fmt.Errorf("lab: debootstrap is needed to build the base rootfs (apt-get install debootstrap)")
		}
		wg.Add(1)
		go build("base rootfs", tarball, filepath.Join(l.cfg.SourceDir, "scripts", "build-rootfs.sh"),
			tarball, Suite, strings.Join(BasePackages, ","))
	}
	if !exists(bin) {
		wg.Add(1)
		go build("kube-apiserver "+KubeVersion, bin, filepath.Join(l.cfg.SourceDir, "scripts", "build-kube-apiserver.sh"), bin)
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("lab: %w", errors.Join(errs...))
	}
	return nil
}

// ensureBase extracts the cached tarball into Dir/base unless it already
// holds the current key. Nodes must be stopped.
func (l *Lab) ensureBase(ctx context.Context) error {
	tarball, err := l.BaseTarball()
	if err != nil {
		return err
	}
	key := strings.TrimSuffix(filepath.Base(tarball), ".tar.zst")
	marker := filepath.Join(l.baseDir(), "etc", "runbook-lab-base")
	if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == key+".tar.zst" {
		return nil
	}
	tmp := l.baseDir() + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "sh", "-c",
		`zstd -q -dc "$1" | tar -C "$2" --numeric-owner --xattrs --xattrs-include='*' -xpf -`, "sh", tarball, tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: extracting %s: %w: %s", tarball, err, out)
	}
	if err := os.RemoveAll(l.baseDir()); err != nil {
		return err
	}
	return os.Rename(tmp, l.baseDir())
}
