package modules_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func hexSum(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func sha1Of(s string) string { return hexSum(sha1.New(), s) }

// statDict runs stat and returns its stat dictionary.
func statDict(t *testing.T, c testConn, args map[string]any) map[string]any {
	t.Helper()
	return helperMustRun(t, connContext(t, c, nil), "stat", args).Data["stat"].(map[string]any)
}

// TestStatReturnsAnsibleFields: every field of Ansible's stat, checked
// against what the kernel (syscall.Lstat) and the password file say about
// the same paths; checksum is SHA-1 by default as in Ansible, and each
// checksum_algorithm gives its digest.
func TestStatReturnsAnsibleFields(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		writeString(t, f, "hello\n", 0o750)
		if err := os.Chmod(f, 0o750|os.ModeSetuid); err != nil {
			t.Fatal(err)
		}
		var k syscall.Stat_t // before stat reads the file for its checksum, which moves atime
		if err := syscall.Lstat(f, &k); err != nil {
			t.Fatal(err)
		}
		st := statDict(t, c, map[string]any{"path": f})
		me, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"exists": true, "path": f, "mode": "4750", "isreg": true, "isdir": false, "islnk": false, "ischr": false,
			"isblk": false, "isfifo": false, "issock": false, "uid": int(k.Uid), "gid": int(k.Gid), "size": int64(6),
			"inode": k.Ino, "dev": k.Dev, "nlink": uint64(k.Nlink), "blocks": k.Blocks, "block_size": k.Blksize,
			"device_type": k.Rdev, "rusr": true, "wusr": true, "xusr": true, "rgrp": true, "wgrp": false, "xgrp": true,
			"roth": false, "woth": false, "xoth": false, "isuid": true, "isgid": false,
			"readable": true, "writeable": true, "executable": true, "pw_name": me.Username,
			"checksum": hexSum(sha1.New(), "hello\n"), "mimetype": "text/plain", "charset": "us-ascii",
			"mtime": float64(k.Mtim.Sec) + float64(k.Mtim.Nsec)*1e-9, "atime": float64(k.Atim.Sec) + float64(k.Atim.Nsec)*1e-9,
			"ctime": float64(k.Ctim.Sec) + float64(k.Ctim.Nsec)*1e-9,
		}
		for key, w := range want {
			if got := st[key]; got != w {
				t.Errorf("stat[%s] = %#v, want %#v", key, got, w)
			}
		}
		if _, ok := st["lnk_target"]; ok {
			t.Errorf("a file has lnk_target: %v", st)
		}
		if g, err := user.LookupGroupId(strconv.Itoa(int(k.Gid))); err == nil && st["gr_name"] != g.Name {
			t.Errorf("gr_name = %v, want %s", st["gr_name"], g.Name)
		}
		for algo, h := range map[string]hash.Hash{"md5": md5.New(), "sha512": sha512.New(), "sha256": nil} {
			st := statDict(t, c, map[string]any{"path": f, "checksum_algorithm": algo})
			w := sha256Of("hello\n")
			if h != nil {
				w = hexSum(h, "hello\n")
			}
			if st["checksum"] != w {
				t.Errorf("%s checksum = %v, want %s", algo, st["checksum"], w)
			}
		}
		st = statDict(t, c, map[string]any{"path": f, "get_checksum": false, "get_mime": false, "get_attributes": false})
		for _, key := range []string{"checksum", "mimetype", "charset", "attributes", "attr_flags", "version"} {
			if v, ok := st[key]; ok {
				t.Errorf("%s = %v though not asked", key, v)
			}
		}
	})
}

// TestStatLinksDevicesAndPipes: a link gives lnk_target as written and
// lnk_source resolved; follow describes the target; a dangling link
// followed does not exist; a character device, a directory and a FIFO say
// what they are, and a directory's executable means searchable.
func TestStatLinksDevicesAndPipes(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		writeString(t, filepath.Join(dir, "f"), "x", 0o600)
		for link, target := range map[string]string{"l": "f", "dangling": "nope"} {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
		if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
			t.Fatal(err)
		}
		st := statDict(t, c, map[string]any{"path": filepath.Join(dir, "l")})
		if st["islnk"] != true || st["lnk_target"] != "f" || st["lnk_source"] != filepath.Join(dir, "f") ||
			st["mimetype"] != "inode/symlink" || st["checksum"] != nil || st["readable"] != true {
			t.Errorf("link: %v", st)
		}
		st = statDict(t, c, map[string]any{"path": filepath.Join(dir, "l"), "follow": true})
		if st["islnk"] != false || st["isreg"] != true || st["checksum"] != hexSum(sha1.New(), "x") || st["lnk_source"] != nil {
			t.Errorf("followed link: %v", st)
		}
		st = statDict(t, c, map[string]any{"path": filepath.Join(dir, "dangling")})
		if st["islnk"] != true || st["lnk_source"] != filepath.Join(dir, "nope") || st["readable"] != false {
			t.Errorf("dangling link: %v", st)
		}
		if st = statDict(t, c, map[string]any{"path": filepath.Join(dir, "dangling"), "follow": true}); len(st) != 1 || st["exists"] != false {
			t.Errorf("dangling link followed: %v", st)
		}
		var k syscall.Stat_t
		if err := syscall.Stat("/dev/null", &k); err != nil {
			t.Fatal(err)
		}
		if st = statDict(t, c, map[string]any{"path": "/dev/null"}); st["ischr"] != true || st["isblk"] != false || st["device_type"] != k.Rdev {
			t.Errorf("/dev/null: ischr %v isblk %v device_type %v, want rdev %d", st["ischr"], st["isblk"], st["device_type"], k.Rdev)
		}
		if st = statDict(t, c, map[string]any{"path": filepath.Join(dir, "pipe")}); st["isfifo"] != true || st["isreg"] != false || st["checksum"] != nil {
			t.Errorf("fifo: %v", st)
		}
		if st = statDict(t, c, map[string]any{"path": dir}); st["isdir"] != true || st["executable"] != true || st["mimetype"] != "inode/directory" {
			t.Errorf("dir: %v", st)
		}
	})
}
