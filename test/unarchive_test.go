package test

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A hostile archive through the CLI: the task fails naming the host, the
// task and the member, in --check and for real, and nothing is written
// under dest or beside it.
func TestUnarchiveHostileArchiveRefusedByCLI(t *testing.T) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range []*tar.Header{
		{Name: "fine.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg},
		{Name: "escape", Linkname: "../../outside", Mode: 0o777, Typeflag: tar.TypeSymlink},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("ok"))
		}
	}
	tw.Close()
	dir := workdir(t, map[string]string{
		"hosts": "localhost ansible_connection=local\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - name: unpack the delivery
      unarchive: {src: evil.tar, dest: "$DIR/dest"}
`})
	os.MkdirAll(filepath.Join(dir, "files"), 0o755)
	os.WriteFile(filepath.Join(dir, "files", "evil.tar"), b.Bytes(), 0o644)
	os.Mkdir(filepath.Join(dir, "dest"), 0o755)
	for _, args := range [][]string{{"--check"}, nil} {
		r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts"}, args...)...)
		out := r.stdout + r.stderr
		if r.code != 2 || !strings.Contains(out, "unpack the delivery") || !strings.Contains(out, "localhost") ||
			!strings.Contains(out, `symbolic link \"escape\" points to \"../../outside\", outside dest; refused`) {
			t.Fatalf("%v: %s", args, r)
		}
		if entries, _ := os.ReadDir(filepath.Join(dir, "dest")); len(entries) != 0 {
			t.Fatalf("%v: written under dest: %v", args, entries)
		}
		if _, err := os.Lstat(filepath.Join(dir, "..", "outside")); err == nil {
			t.Fatalf("%v: written outside", args)
		}
	}
}
