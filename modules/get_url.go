package modules

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(getURLModule{}) }

type getURLModule struct{}

var getURLSpec = &Spec{
	Name:  "get_url",
	Short: "Download a file over HTTP(S) to the host",
	Doc: "Downloads url to dest on the host. Unlike Ansible, where the host itself downloads, runbook's controller " +
		"makes the request (Go's HTTP client) and streams the file to the host the way copy does: a temporary file " +
		"next to dest renamed over it, keeping an existing file's mode and owner unless mode/owner/group say " +
		"otherwise, replaced only when its SHA-256, computed on the host, differs. So hosts of an offline cluster " +
		"need no route to the server, only the controller does; with from: host the TCP connection is opened from " +
		"the host instead (through its SSH connection), for a server only the host can reach. The body is staged " +
		"on the controller (tmp_dest) and verified against checksum before anything on the host is touched: a " +
		"mismatch fails the task and leaves dest as it was. An existing dest is not downloaded again when it " +
		"matches checksum; without checksum and with force: false the request carries If-Modified-Since (dest's " +
		"mtime) and a 304 answer leaves dest alone, as Ansible does. A dest that is a directory receives the file " +
		"under the server's Content-Disposition name or the URL's last path element. Check mode downloads to the " +
		"controller, compares and writes nothing, so it predicts exactly (a checksum mismatch fails it too); " +
		"--diff shows the content change like copy. url_password and a password in the URL never appear in the " +
		"result or errors.",
	Params: append([]Param{
		{Name: "url", Type: TypeString, Required: true, Doc: "The http:// or https:// URL (user:password@ in it is used for basic authentication)."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "Path on the host: the file, or an existing directory to download into."},
		{Name: "checksum", Type: TypeString,
			Doc: "ALGORITHM:DIGEST (md5, sha1, sha224, sha256, sha384, sha512), or ALGORITHM:URL of a checksum file " +
				"(lines of \"DIGEST  NAME\" as sha256sum writes them, or one lone digest) in which the line for the URL's " +
				"file name is used. The download must match it; an existing dest that matches is not downloaded again."},
		{Name: "force", Type: TypeBool, Default: false,
			Doc: "Download even when dest exists (replacing it only when the content differs); false asks the server " +
				"with If-Modified-Since, unless checksum already proves dest right."},
		{Name: "backup", Type: TypeBool, Default: false, Doc: copyParamBackup.Doc},
		{Name: "tmp_dest", Type: TypePath,
			Doc: "An existing directory on the controller where the download is staged and verified (default: the system's temporary directory)."},
		{Name: "mode", Type: TypeMode, Doc: fileParamMode.Doc + " Unset: an existing file keeps its mode, a new one gets 0644."},
		fileParamOwner, fileParamGroup,
	}, dlParams...),
	Check: CheckFull,
	Returns: []Return{
		{Name: "dest", Type: TypePath, Doc: "The file on the host (inside dest when dest is a directory)."},
		{Name: "url", Type: TypeString, Doc: "The URL asked for, without a password."},
		{Name: "status_code", Type: TypeInt, Doc: "The HTTP status of the answer (absent when dest already matched checksum)."},
		{Name: "checksum_src", Type: TypeString, Doc: "SHA-1 of the downloaded content, as Ansible returns it."},
		{Name: "checksum_dest", Type: TypeString, Doc: "SHA-1 of dest before the task, when it existed."},
		{Name: "checksum", Type: TypeString, Doc: "SHA-256 of the content."},
		{Name: "size", Type: TypeInt, Doc: "Size of dest in bytes afterwards."},
		{Name: "elapsed", Type: TypeInt, Doc: "Seconds the download took."},
		{Name: "mode", Type: TypeString, Doc: "dest's permissions afterwards."},
		{Name: "uid", Type: TypeInt, Doc: "dest's owner afterwards."},
		{Name: "gid", Type: TypeInt, Doc: "dest's group afterwards."},
		{Name: "backup_file", Type: TypePath, Doc: "The backup made of the old file (backup: true)."},
	},
	Example: `- name: Fetch a release, verified
  get_url:
    url: https://downloads.example.com/tool/1.4.2/tool-linux-amd64.tar.gz
    dest: /opt/dist/
    checksum: sha256:https://downloads.example.com/tool/1.4.2/SHA256SUMS
    mode: "0644"

- name: From a mirror only the host can reach
  get_url:
    url: http://10.0.0.5:8080/images/pause.tar
    dest: /var/lib/images/pause.tar
    checksum: "sha256:{{ pause_sha256 }}"
    from: host`,
	Validate: func(a Args) error {
		if err := dlCheckURL("url", a.String("url")); err != nil {
			return err
		}
		if _, _, _, err := parseChecksum(a.String("checksum")); err != nil {
			return err
		}
		return checkModeSyntax(a, false)
	},
}

func (getURLModule) Spec() *Spec { return getURLSpec }

// dlCheckURL refuses what is not an absolute http(s) URL.
func dlCheckURL(param, s string) error {
	u, err := url.Parse(s)
	if err != nil { // the parser's message quotes the URL, password and all
		return fmt.Errorf("%s must be an absolute http:// or https:// URL; %q does not parse", param, uriRedact(s))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http:// or https:// URL, not %q", param, u.Redacted())
	}
	return nil
}

var nonWord = regexp.MustCompile(`\W+`)

// parseChecksum splits ALGORITHM:DIGEST or ALGORITHM:URL; the digest is
// lower-cased hex with stray characters dropped, as Ansible cleans it.
func parseChecksum(s string) (algo, digest, sumURL string, err error) {
	if s == "" {
		return "", "", "", nil
	}
	algo, v, ok := strings.Cut(s, ":")
	algo = strings.ToLower(strings.TrimSpace(algo))
	if !ok {
		return "", "", "", errors.New("checksum must be ALGORITHM:DIGEST or ALGORITHM:URL, such as sha256:9f86d0…")
	}
	newHash, known := dlAlgorithms[algo]
	if !known {
		return "", "", "", fmt.Errorf("checksum: unknown algorithm %q (md5, sha1, sha224, sha256, sha384 or sha512)", algo)
	}
	v = strings.TrimSpace(v)
	if strings.Contains(v, "://") {
		return algo, "", v, dlCheckURL("checksum", v)
	}
	digest, err = cleanDigest(algo, v, newHash().Size())
	return algo, digest, "", err
}

func cleanDigest(algo, v string, size int) (string, error) {
	d := strings.ToLower(nonWord.ReplaceAllString(v, ""))
	if len(d) != 2*size || strings.Trim(d, "0123456789abcdef") != "" {
		return "", fmt.Errorf("checksum: %q is not a %s digest (%d hex digits)", v, algo, 2*size)
	}
	return d, nil
}

// getURL is one get_url task on one host.
type getURL struct {
	mc   *Context
	args Args
	url  string // without a password, for messages
}

func (g *getURL) fail(err error) error {
	return fmt.Errorf("get_url on %s: %s: %w", g.mc.Host, g.url, err)
}

func (getURLModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	g := &getURL{mc: mc, args: args, url: uriRedact(args.String("url"))}
	req, err := dlRequest(mc, args, args.String("url"))
	if err != nil {
		return nil, g.fail(err)
	}
	algo, want, sumURL, _ := parseChecksum(args.String("checksum"))
	if sumURL != "" {
		if want, err = g.sumFromFile(ctx, algo, sumURL); err != nil {
			return nil, g.fail(err)
		}
	}
	dest, err := hostPath(ctx, mc, "get_url", args.String("dest"))
	if err != nil {
		return nil, err
	}
	fi, err := hostStat(ctx, mc, dest)
	if err != nil {
		return nil, g.fail(err)
	}
	w, err := newCopyWriter(ctx, mc, "get_url", Args{"mode": args.String("mode"), "owner": args.String("owner"),
		"group": args.String("group"), "backup": args.Bool("backup"), "force": true})
	if err != nil {
		return nil, err
	}
	data := map[string]any{"dest": dest, "url": g.url}
	opts := dlOptions{tmpDir: args.String("tmp_dest"), algo: algo, label: "get_url " + path.Base(dest)}
	force := args.Bool("force")
	if fi.Exists && !fi.IsDir() && !force {
		if want != "" {
			have, err := hostDigest(ctx, mc, algo, dest)
			if err != nil {
				return nil, g.fail(err)
			}
			if have == want { // proven right: no request at all
				return g.keep(ctx, w, dest, fi, data, "file already exists")
			}
			force = true
		} else {
			opts.since = fi.ModTime
		}
	}
	if force {
		req.header.Set("Cache-Control", "no-cache")
	}
	if err := dlCheckTmp(opts.tmpDir); err != nil {
		return nil, g.fail(err)
	}
	dl, err := dlFetch(ctx, mc, req, opts)
	if err != nil {
		return nil, g.fail(err)
	}
	defer func() {
		if dl.file != "" {
			os.Remove(dl.file)
		}
	}()
	data["status_code"], data["elapsed"] = dl.status, int(dl.elapsed.Seconds())
	switch {
	case dl.status == http.StatusNotModified && fi.Exists && !fi.IsDir():
		return g.keep(ctx, w, dest, fi, data, "Not Modified")
	case dl.status != http.StatusOK:
		return &Result{Failed: true, Msg: fmt.Sprintf("Request failed: HTTP Error %d: %s", dl.status, dl.reason), Data: data}, nil
	}
	data["checksum_src"] = dl.sums["sha1"]
	if want != "" && dl.sums[algo] != want {
		return &Result{Failed: true, Data: data, Msg: fmt.Sprintf("The checksum for %s did not match %s; it was %s. %s is untouched.",
			g.url, want, dl.sums[algo], dest)}, nil
	}
	base := ""
	if fi.IsDir() {
		if base, err = dlFileName(dl); err != nil {
			return nil, g.fail(err)
		}
		if fi, err = hostStat(ctx, mc, path.Join(dest, base)); err != nil {
			return nil, g.fail(err)
		}
	}
	if fi.Exists && fi.Mode.IsRegular() {
		if data["checksum_dest"], err = hostDigest(ctx, mc, "sha1", path.Join(dest, base)); err != nil {
			return nil, g.fail(err)
		}
	}
	file := dl.file
	res, err := w.file(ctx, copySource{name: g.url, size: dl.size, sum: dl.sums["sha256"], perm: 0o644,
		open: func() (io.ReadCloser, error) { return os.Open(file) }}, dest, base)
	if err != nil {
		return nil, err
	}
	delete(data, "dest") // w.file's is the file's, inside a dest directory
	for k, v := range data {
		res.Data[k] = v
	}
	delete(res.Data, "src")
	delete(res.Data, "state")
	res.Msg = "OK (" + fmt.Sprint(dl.size) + " bytes)"
	return res, nil
}

// keep leaves dest's content alone, fixing only mode and owner.
func (g *getURL) keep(ctx context.Context, w *copyWriter, dest string, fi transport.FileInfo, data map[string]any, msg string) (*Result, error) {
	o := putResult{dest: dest, size: fi.Size}
	if err := w.fixAttrs(ctx, &o, w.attrs, fi, false); err != nil {
		return nil, err
	}
	data["size"], data["mode"], data["uid"], data["gid"] = fi.Size, fmtMode(*o.mode), o.uid, o.gid
	if w.res.Changed {
		msg += " but file attributes changed"
	}
	w.res.Msg, w.res.Data = msg, data
	return w.res, nil
}

// sumFromFile downloads a checksum file and finds the digest for the URL's
// file name: the only word of a one-word file, or the line "DIGEST  NAME"
// (also " *NAME", "./NAME") naming it.
func (g *getURL) sumFromFile(ctx context.Context, algo, sumURL string) (string, error) {
	req, err := dlRequest(g.mc, g.args, sumURL)
	if err != nil {
		return "", err
	}
	dl, err := dlFetch(ctx, g.mc, req, dlOptions{tmpDir: g.args.String("tmp_dest"), maxBytes: 16 << 20, label: "checksum file"})
	if err != nil {
		return "", fmt.Errorf("checksum file %s: %w", uriRedact(sumURL), err)
	}
	if dl.file == "" {
		return "", fmt.Errorf("checksum file %s: HTTP Error %d: %s", uriRedact(sumURL), dl.status, dl.reason)
	}
	defer os.Remove(dl.file)
	f, err := os.Open(dl.file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	u, _ := url.Parse(g.args.String("url"))
	name := path.Base(u.Path)
	var lines [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 0 {
			lines = append(lines, fields)
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("checksum file %s: %w", uriRedact(sumURL), err)
	}
	for _, l := range lines {
		if len(lines) == 1 && len(l) == 1 {
			return cleanDigest(algo, l[0], dlAlgorithms[algo]().Size())
		}
		if len(l) >= 2 && strings.TrimLeft(strings.TrimPrefix(l[1], "*"), "./") == name {
			return cleanDigest(algo, l[0], dlAlgorithms[algo]().Size())
		}
	}
	return "", fmt.Errorf("unable to find a checksum for file %q in %s", name, uriRedact(sumURL))
}

// dlCheckTmp checks tmp_dest as Ansible does: an existing directory.
func dlCheckTmp(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("tmp_dest %s: directory does not exist on the controller", dir)
	case err != nil:
		return fmt.Errorf("tmp_dest: %w", err)
	case !st.IsDir():
		return fmt.Errorf("tmp_dest %s is a file but should be a directory", dir)
	}
	return nil
}

// hostDigest computes a file's digest on the host with coreutils
// (ALGORITHMsum), as the become user; SHA-256 goes through the connection's
// own checksum.
func hostDigest(ctx context.Context, mc *Context, algo, p string) (string, error) {
	if algo == "sha256" {
		return hostChecksum(ctx, mc, p)
	}
	res, err := hostRun(ctx, mc, "computing "+algo, &transport.Cmd{Args: []string{algo + "sum", "--", p}})
	if err != nil {
		return "", err
	}
	sum, _, _ := strings.Cut(strings.TrimPrefix(string(res.Stdout), `\`), " ")
	return sum, nil
}
