package modules

// How get_url (and unarchive with a URL src) downloads: Go's HTTP client on
// the controller, the connections opened from the controller or, with
// from: host, from the host through its connection; the body staged in a
// controller temporary file and hashed while it streams.

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// dlAlgorithms are the checksum algorithms get_url takes, each with the
// coreutils command that computes it on the host.
var dlAlgorithms = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New,
}

// dlAnswer is one finished GET: the body in file (a controller temporary
// file the caller removes; "" when there is no body to keep) and its
// digests, keyed by algorithm (sha1, sha256 and the one asked).
type dlAnswer struct {
	status  int
	reason  string
	url     string // the final URL, without a password
	header  http.Header
	file    string
	size    int64
	sums    map[string]string
	elapsed time.Duration
}

// dlOptions are what a download needs besides the request.
type dlOptions struct {
	tmpDir   string    // where the body is staged; "" is the system's
	since    time.Time // If-Modified-Since, unless zero
	algo     string    // a digest to compute besides sha1 and sha256
	maxBytes int64     // 0: no bound
	label    string    // for progress reports (never a secret)
}

// dlFetch sends a GET for r and stages a 200 answer's body. A request that
// got no answer is an error (its text scrubbed of r's passwords); any
// status is returned as it came. Reading the body is bounded by r.timeout
// between two reads, as Ansible's socket timeout bounds it.
func dlFetch(ctx context.Context, mc *Context, r *uriRequest, o dlOptions) (*dlAnswer, error) {
	start := time.Now()
	redirected := false
	client, err := uriClient(r, false, &redirected)
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !o.since.IsZero() {
		r.header.Set("If-Modified-Since", o.since.UTC().Format(http.TimeFormat))
	}
	resp, err := uriDo(ctx, client, r)
	if err != nil {
		return nil, uriScrub(err, r.secrets())
	}
	defer resp.Body.Close()
	d := &dlAnswer{status: resp.StatusCode, reason: http.StatusText(resp.StatusCode), url: resp.Request.URL.Redacted(),
		header: resp.Header, sums: map[string]string{}}
	if resp.StatusCode != http.StatusOK {
		d.elapsed = time.Since(start)
		return d, nil
	}
	f, err := os.CreateTemp(o.tmpDir, ".runbook-download-")
	if err != nil {
		return nil, fmt.Errorf("staging the download: %w", err)
	}
	d.file = f.Name()
	hashes := map[string]hash.Hash{"sha1": sha1.New(), "sha256": sha256.New()}
	if o.algo != "" && hashes[o.algo] == nil {
		hashes[o.algo] = dlAlgorithms[o.algo]()
	}
	writers := []io.Writer{f}
	for _, h := range hashes {
		writers = append(writers, h)
	}
	// The watchdog: no byte for r.timeout ends the request.
	var idled atomic.Bool
	idle := time.AfterFunc(r.timeout, func() { idled.Store(true); cancel() })
	defer idle.Stop()
	body := &dlReader{r: resp.Body, idle: idle, timeout: r.timeout, mc: mc, total: resp.ContentLength, label: o.label, max: o.maxBytes}
	d.size, err = io.Copy(io.MultiWriter(writers...), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	mc.ReportProgress(max(resp.ContentLength, 0), d.size, o.label)
	if err == nil && resp.ContentLength >= 0 && d.size != resp.ContentLength {
		err = fmt.Errorf("the answer ended after %d of %d bytes", d.size, resp.ContentLength)
	}
	if err != nil {
		os.Remove(d.file)
		if idled.Load() {
			err = fmt.Errorf("no data for %s", r.timeout)
		}
		return nil, fmt.Errorf("reading the answer: %w", uriScrub(err, r.secrets()))
	}
	for k, h := range hashes {
		d.sums[k] = hex.EncodeToString(h.Sum(nil))
	}
	d.elapsed = time.Since(start)
	return d, nil
}

// dlReader re-arms the idle watchdog on every read, bounds the size and
// reports progress.
type dlReader struct {
	r          io.Reader
	idle       *time.Timer
	timeout    time.Duration
	mc         *Context
	total, max int64
	done       int64
	last       time.Time
	label      string
}

func (d *dlReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.idle.Reset(d.timeout)
	d.done += int64(n)
	if d.max > 0 && d.done > d.max {
		return n, fmt.Errorf("larger than %d bytes", d.max)
	}
	if time.Since(d.last) > 500*time.Millisecond {
		d.last = time.Now()
		d.mc.ReportProgress(max(d.total, 0), d.done, d.label)
	}
	return n, err
}

// dlRequest builds the GET get_url and unarchive send from their common
// parameters. Relative controller files (ca_path, client_cert, client_key)
// are found next to the playbook. from: host dials through the host.
func dlRequest(mc *Context, args Args, rawURL string) (*uriRequest, error) {
	r := &uriRequest{method: http.MethodGet, url: rawURL, header: http.Header{}, follow: true,
		user: args.String("url_username"), pass: args.String("url_password"), forceAuth: args.Bool("force_basic_auth"),
		insecure: !args.Bool("validate_certs"), noProxy: !args.Bool("use_proxy"),
		timeout: time.Duration(args.Int("timeout")) * time.Second}
	if r.timeout <= 0 {
		r.timeout = 10 * time.Second
	}
	files := map[string]*string{"ca_path": &r.caPath, "client_cert": &r.clientCert, "client_key": &r.clientKey}
	for name, dst := range files {
		if v := args.String(name); v != "" {
			p, err := findLocal(mc, v, "files")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			*dst = p
		}
	}
	if ciphers := args.StringList("ciphers"); len(ciphers) > 0 {
		var err error
		if r.ciphers, r.only13, err = uriCiphers(ciphers); err != nil {
			return nil, err
		}
	}
	r.header.Set("User-Agent", args.String("http_agent"))
	for k, v := range args.Map("headers") {
		r.header.Set(k, fmt.Sprint(v))
	}
	if args.String("from") == "host" {
		d, ok := mc.Conn.(transport.Dialer)
		if !ok {
			return nil, errors.New("from: host needs a connection that can open TCP connections from the host (ssh or local)")
		}
		r.dial = d.DialContext
	}
	return r, nil
}

// dlFileName is the name a download gets in a dest directory: the
// Content-Disposition filename, else the last element of the final URL's
// path, else index.html (Ansible's rule). A name that is not one plain path
// element is refused.
func dlFileName(d *dlAnswer) (string, error) {
	name := ""
	if _, p, err := mime.ParseMediaType(d.header.Get("Content-Disposition")); err == nil && p["filename"] != "" {
		name = p["filename"]
	} else if u, err := url.Parse(d.url); err == nil {
		name = path.Base(u.Path)
	}
	if name == "" || name == "/" || name == "." {
		name = "index.html"
	}
	if strings.ContainsAny(name, "/\x00\\") || name == ".." {
		return "", fmt.Errorf("the server's file name %q is not a plain file name; give dest a file name", name)
	}
	return name, nil
}

// Parameters get_url and unarchive share for a download.
var dlParams = []Param{
	{Name: "headers", Type: TypeMap, Doc: "Request headers."},
	{Name: "url_username", Type: TypeString, Aliases: []string{"username"}, Doc: "User name for HTTP basic authentication."},
	{Name: "url_password", Type: TypeString, Aliases: []string{"password"}, NoLog: true,
		Doc: "Password for HTTP basic authentication; never shown, in the result or in errors."},
	{Name: "force_basic_auth", Type: TypeBool, Default: false,
		Doc: "Send the credentials with the first request; otherwise only after the server answers 401 asking for Basic."},
	{Name: "timeout", Type: TypeInt, Default: 10,
		Doc: "Seconds connecting, the TLS handshake, the wait for the answer and any pause in the body may each take (Ansible's socket timeout)."},
	{Name: "validate_certs", Type: TypeBool, Default: true, Doc: "Verify the server's TLS certificate; false skips the check."},
	{Name: "ca_path", Type: TypePath, Doc: "A PEM file of CA certificates trusted besides the system's, on the controller (relative: next to the playbook or in its files/)."},
	{Name: "client_cert", Type: TypePath, Doc: "A PEM client certificate on the controller, for TLS client authentication (it may hold the key too)."},
	{Name: "client_key", Type: TypePath, Doc: "The PEM key of client_cert, on the controller, when not in client_cert."},
	{Name: "ciphers", Type: TypeList,
		Doc: "The TLS 1.2 cipher suites allowed, by OpenSSL or IANA name, as uri takes them (runbook doc uri)."},
	{Name: "use_proxy", Type: TypeBool, Default: true, Doc: "Use the controller's http_proxy/https_proxy/no_proxy environment (from: controller only)."},
	{Name: "http_agent", Type: TypeString, Default: "runbook-httpget", Doc: "The User-Agent header."},
	{Name: "from", Type: TypeString, Default: "controller", Choices: []string{"controller", "host"},
		Doc: "Where the TCP connection to the server starts: the controller, or the host (tunnelled through its SSH connection, so a URL only the host can reach works; the host needs no curl)."},
}
