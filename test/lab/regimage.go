package lab

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The registry image sealer's cluster images carry in <rootfs>/images
// (registry:2.7.1, loaded by init-registry.sh with `docker load`). The lab
// builds it offline from what the base rootfs already has: Debian's
// docker-registry binary (distribution v2.8) and the shared libraries it
// links, with the image's default configuration and the entry point of the
// official image (`registry serve /etc/docker/registry/config.yml`).
const (
	// RegistryImage is the image reference init-registry.sh runs.
	RegistryImage = "registry:2.7.1"
	// RegistryImageFile is its file name under <rootfs>/images (basefs
	// downloads docker-amd64-registry-image.tar.gz to the same place).
	RegistryImageFile = "docker-amd64-registry-image.tar.gz"
	// RegistryContainer is the container sealer runs the registry as.
	RegistryContainer = "sealer-registry"
)

// registryImageTarball returns the gzip'd `docker save` tarball of the
// registry image and its SHA-256, building it once per base rootfs into the
// lab directory.
func (l *Lab) registryImageTarball() (data []byte, sum string, err error) {
	base, err := os.ReadFile(filepath.Join(l.baseDir(), "etc", "runbook-lab-base"))
	if err != nil {
		return nil, "", fmt.Errorf("lab: no base rootfs (make lab-up): %w", err)
	}
	path := filepath.Join(l.cfg.Dir, "registry-image-"+hashOf(base)+".tar.gz")
	if data, err = os.ReadFile(path); err != nil {
		cfg, err := os.ReadFile(l.rootfsSource("etc/registry_config.yml"))
		if err != nil {
			return nil, "", err
		}
		if data, err = buildRegistryImage(l.baseDir(), cfg); err != nil {
			return nil, "", err
		}
		if err := writeIfChanged(path, data, 0o644); err != nil {
			return nil, "", err
		}
	}
	h := sha256.Sum256(data)
	return data, hex.EncodeToString(h[:]), nil
}

// buildRegistryImage builds registry:2.7.1 from root (a Debian rootfs),
// with cfg as the image's default configuration.
func buildRegistryImage(root string, cfg []byte) ([]byte, error) {
	bin := "/usr/bin/docker-registry"
	files := map[string]string{"/bin/registry": bin} // image path → path in root
	if err := addELFDeps(root, bin, files); err != nil {
		return nil, fmt.Errorf("lab: registry image: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	mkdirs := func(p string) error {
		var parts []string
		for d := filepath.Dir(p); d != "/" && d != "."; d = filepath.Dir(d) {
			parts = append([]string{d}, parts...)
		}
		for _, d := range parts {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}); err != nil {
				return err
			}
		}
		return nil
	}
	add := func(dst string, body []byte, mode int64) error {
		if err := mkdirs(dst); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(dst, "/"), Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, dst := range keys {
		body, err := os.ReadFile(filepath.Join(root, files[dst]))
		if err != nil {
			return nil, err
		}
		if err := add(dst, body, 0o755); err != nil {
			return nil, err
		}
	}
	if err := add("/etc/docker/registry/config.yml", cfg, 0o644); err != nil {
		return nil, err
	}
	if err := mkdirs("/var/lib/registry/x"); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerBytes)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = []string{"/bin/registry"}
	cf.Config.Cmd = []string{"serve", "/etc/docker/registry/config.yml"}
	cf.Config.ExposedPorts = map[string]struct{}{"5000/tcp": {}}
	cf.Config.Volumes = map[string]struct{}{"/var/lib/registry": {}}
	cf.Config.Labels = map[string]string{"dev.runbook.lab": "registry built from Debian's docker-registry"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	tag, err := name.NewTag(RegistryImage)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if err := tarball.Write(tag, img, zw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// addELFDeps adds bin's program interpreter and every shared library it
// needs (recursively) to files, found under root's library directories.
func addELFDeps(root, bin string, files map[string]string) error {
	f, err := elf.Open(filepath.Join(root, bin))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return err
			}
			interp := strings.TrimRight(string(b), "\x00")
			files[interp] = interp
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	for _, lib := range libs {
		found := ""
		for _, dir := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"} {
			if exists(filepath.Join(root, dir, lib)) {
				found = dir + "/" + lib
				break
			}
		}
		if found == "" {
			return fmt.Errorf("%s needs %s, not found in the base rootfs", bin, lib)
		}
		dst := "/lib/x86_64-linux-gnu/" + lib
		if _, done := files[dst]; done {
			continue
		}
		files[dst] = found
		if err := addELFDeps(root, found, files); err != nil {
			return err
		}
	}
	return nil
}

// rootfsSource is a file of the lab's copy of sealer's cluster rootfs
// (test/lab/rootfs: scripts/init-registry.sh, etc/registry_config.yml).
func (l *Lab) rootfsSource(rel string) string {
	return filepath.Join(l.cfg.SourceDir, "rootfs", filepath.FromSlash(rel))
}
