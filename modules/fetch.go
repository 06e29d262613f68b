package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

func init() { Register(fetchModule{}) }

type fetchModule struct{}

var fetchSpec = &Spec{
	Name:  "fetch",
	Short: "Copy a file from the host to the controller",
	Doc: "Copies a file from the host to dest/<inventory_hostname>/<src> on the controller (or to dest itself with " +
		"flat). The file is downloaded only when its SHA-256, computed on the host, differs from the local copy's; " +
		"the download is streamed to a temporary file, verified and renamed into place. A relative dest is relative " +
		"to the playbook's directory. Check mode predicts exactly.",
	Params: []Param{
		{Name: "src", Type: TypePath, Required: true, Doc: "The file on the host (not a directory)."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "Directory on the controller; with flat, the file (or, ending in \"/\", the directory to put it in). Without flat, a host name that is not one plain path component (\"../x\", \"a/b\") is refused."},
		{Name: "flat", Type: TypeBool, Default: false, Doc: "Write to dest as given instead of dest/<inventory_hostname>/<src>."},
		{Name: "fail_on_missing", Type: TypeBool, Default: true, Doc: "Fail when src does not exist on the host; false reports ok with a message."},
		{Name: "validate_checksum", Type: TypeBool, Default: true, Doc: "Check the downloaded file's SHA-256 against the host's."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "file", Type: TypePath, Doc: "The file on the host."},
		{Name: "dest", Type: TypePath, Doc: "The file on the controller."},
		{Name: "checksum", Type: TypeString, Doc: "SHA-256 of the local file afterwards."},
		{Name: "remote_checksum", Type: TypeString, Doc: "SHA-256 of the file on the host."},
		{Name: "size", Type: TypeInt, Doc: "Size of the file in bytes."},
	},
	Example: `- name: Collect each host's configuration under fetched/<host>/etc/app/app.conf
  fetch:
    src: /etc/app/app.conf
    dest: fetched

- fetch:
    src: /root/.ssh/id_ed25519.pub
    dest: keys/{{ inventory_hostname }}.pub
    flat: true`,
}

func (fetchModule) Spec() *Spec { return fetchSpec }

// fetchDest is where src lands on the controller. dest may start with ~/
// (the controller user's home). Without flat the host name is a directory
// under dest, so a name that is not one plain path component ("../../x",
// "a/b", "..") is refused rather than allowed to lead out of dest.
func fetchDest(mc *Context, src, dest string, flat bool) (string, error) {
	dir := strings.HasSuffix(dest, "/")
	if dest == "~" || strings.HasPrefix(dest, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expanding %s on the controller: %w", dest, err)
		}
		dest = filepath.Join(home, dest[1:])
	}
	if !filepath.IsAbs(dest) {
		dest = filepath.Join(mc.PlaybookDir, dest)
	}
	switch {
	case flat && dir:
		return filepath.Join(dest, path.Base(src)), nil
	case flat:
		return dest, nil
	case mc.Host == "" || mc.Host == "." || mc.Host == ".." || strings.ContainsAny(mc.Host, "/\\\x00"):
		return "", fmt.Errorf("the host name %q cannot be a directory under dest: use flat: true with a dest of your choosing", mc.Host)
	}
	return filepath.Join(dest, mc.Host, filepath.FromSlash(path.Clean("/"+src))), nil // no ".." out of dest
}

func (fetchModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	src, err := hostPath(ctx, mc, "fetch", args.String("src"))
	if err != nil {
		return nil, err
	}
	fail := func(p string, err error) (*Result, error) {
		return nil, fmt.Errorf("fetch on %s: %s: %w", mc.Host, p, err)
	}
	local, err := fetchDest(mc, src, args.String("dest"), args.Bool("flat"))
	if err != nil {
		return fail(args.String("dest"), err)
	}
	data := map[string]any{"file": src, "dest": local}
	_, fi, err := resolveLink(ctx, mc, src)
	switch {
	case err != nil:
		return fail(src, err)
	case !fi.Exists && args.Bool("fail_on_missing"):
		return fail(src, fmt.Errorf("%w on the host", fs.ErrNotExist))
	case !fi.Exists:
		return &Result{Msg: "the remote file does not exist, not transferring, ignored", Data: data}, nil
	case fi.IsDir():
		return fail(src, errors.New("is a directory; fetch copies files"))
	}
	remote, err := hostChecksum(ctx, mc, src)
	if err != nil {
		return fail(src, err)
	}
	data["remote_checksum"] = remote
	localSum, n, err := fileSHA256(local)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(local, err)
	}
	if localSum == remote {
		data["checksum"], data["size"] = localSum, n
		return &Result{Data: data}, nil
	}
	data["checksum"], data["size"] = remote, fi.Size
	if mc.Check {
		return &Result{Changed: true, Data: data}, nil
	}
	got, n, err := download(ctx, mc, src, local, remote, args.Bool("validate_checksum"))
	if err != nil {
		return fail(local, err)
	}
	data["checksum"], data["size"] = got, n
	return &Result{Changed: true, Data: data}, nil
}

// download streams src into a temporary file next to local, checks its
// SHA-256 against want, and renames it into place.
func download(ctx context.Context, mc *Context, src, local, want string, validate bool) (string, int64, error) {
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(local), ".runbook-fetch-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	err = hostRead(ctx, mc, src, cw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("downloading %s: %w", src, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if validate && got != want {
		return "", 0, fmt.Errorf("checksum mismatch after download: the host has sha256 %s, the download %s", want, got)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", 0, err
	}
	return got, cw.n, os.Rename(tmp.Name(), local)
}

// fileSHA256 hashes a controller file by streaming it.
func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
