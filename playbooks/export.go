package playbooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/runbook-dev/runbook/templates"
)

// sources are the file systems an export is made of, each under its
// directory in the exported tree.
func sources() []struct {
	dir string
	fs  fs.FS
} {
	return []struct {
		dir string
		fs  fs.FS
	}{{".", files}, {"templates", templates.FS()}}
}

// walkTree calls fn with the path (slash-separated, relative to the
// exported tree) and content of every built-in file.
func walkTree(fn func(rel string, data []byte) error) error {
	for _, src := range sources() {
		err := fs.WalkDir(src.fs, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(src.fs, p)
			if err != nil {
				return err
			}
			return fn(path.Join(src.dir, p), data)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrExists is returned by Export for a file that exists with other
// content: an operator's edits are never overwritten silently.
var ErrExists = errors.New("exists with different content (use --force to overwrite)")

// Export writes the built-in playbooks, their task files, the examples and
// the templates into dir (created when missing) and returns the paths it
// wrote. A file already there with the same content is left alone; one
// with different content is an error unless overwrite is set, and then
// nothing has been written yet: every conflict is found first.
func Export(dir string, overwrite bool) (written []string, err error) {
	type file struct {
		path string
		data []byte
	}
	var todo []file
	var conflicts []error
	err = walkTree(func(rel string, data []byte) error {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		old, rerr := os.ReadFile(dst)
		switch {
		case rerr == nil && bytes.Equal(old, data):
			return nil
		case rerr == nil && !overwrite:
			conflicts = append(conflicts, fmt.Errorf("%s: %w", dst, ErrExists))
			return nil
		case rerr != nil && !errors.Is(rerr, fs.ErrNotExist):
			return fmt.Errorf("reading %s: %w", dst, rerr)
		}
		todo = append(todo, file{dst, data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the built-in playbooks: %w", err)
	}
	if len(conflicts) > 0 {
		return nil, errors.Join(conflicts...)
	}
	for _, f := range todo {
		if err := writeAtomic(f.path, f.data); err != nil {
			return written, err
		}
		written = append(written, f.path)
	}
	return written, nil
}

// writeAtomic writes data to dst through a temporary file in the same
// directory, so an interrupted export never leaves half a playbook.
func writeAtomic(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

// Materialize returns the path of built-in playbook name inside a copy of
// the built-in tree on disk, so a built-in runs exactly like an exported
// copy (relative task files, templates and vars files resolve the same
// way) and the file:line in an error is a file the operator can open. The
// copy lives in the user's cache directory under a name derived from the
// tree's content (written once, shared by later runs of the same build);
// without a cache directory it is a temporary directory that cleanup
// removes.
func Materialize(name string) (file string, cleanup func(), err error) {
	n, ok := canonical(name)
	if !ok {
		return "", nil, fmt.Errorf("%q is not a built-in playbook (built-ins: %v)", name, Names())
	}
	cleanup = func() {}
	dir := ""
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "runbook", "builtin-"+treeHash())
	}
	if dir == "" || os.MkdirAll(dir, 0o755) != nil {
		if dir, err = os.MkdirTemp("", "runbook-builtin-"); err != nil {
			return "", nil, fmt.Errorf("materialising the built-in playbooks: %w", err)
		}
		tmp := dir
		cleanup = func() { _ = os.RemoveAll(tmp) }
	}
	// overwrite: the directory is named after the content, so a file that
	// differs was damaged (an interrupted write, an edit in the cache).
	if _, err := Export(dir, true); err != nil {
		cleanup()
		return "", nil, err
	}
	return filepath.Join(dir, n), cleanup, nil
}

// treeHash is a short SHA-256 of every file of the built-in tree.
func treeHash() string {
	h := sha256.New()
	_ = walkTree(func(rel string, data []byte) error { // embedded: cannot fail
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
