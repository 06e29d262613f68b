package modules

// How uri sends a request: from the controller with Go's HTTP client, or
// from the host with curl; and keeping passwords out of what comes back.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// uriClient is the HTTP client of a request made by the controller: TLS
// with ca_path, client_cert and client_key, redirects as r asks (at most
// 20, *redirected set when one is followed), and r.dial, when set, opening
// the TCP connections (from the host, through its connection). whole bounds
// the whole request by r.timeout; otherwise (a download) only connecting,
// the TLS handshake and the wait for the response headers are, and the
// caller bounds the body's reads.
func uriClient(r *uriRequest, whole bool, redirected *bool) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: r.insecure}
	if r.caPath != "" {
		pem, err := os.ReadFile(r.caPath)
		if err != nil {
			return nil, fmt.Errorf("ca_path: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_path %s: no PEM certificate in it", r.caPath)
		}
		tlsConf.RootCAs = pool
	}
	if len(r.ciphers) > 0 {
		tlsConf.CipherSuites = r.ciphers
	}
	if r.only13 {
		tlsConf.MinVersion = tls.VersionTLS13
	}
	if r.clientCert != "" {
		key := r.clientKey
		if key == "" {
			key = r.clientCert // the key may be in the same PEM file, as Ansible allows
		}
		cert, err := tls.LoadX509KeyPair(r.clientCert, key)
		if err != nil {
			return nil, fmt.Errorf("client_cert: %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConf, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: r.timeout, ResponseHeaderTimeout: r.timeout, DisableCompression: r.noDecompress}
	if r.noProxy {
		tr.Proxy = nil
	}
	switch {
	case r.unixSocket != "":
		tr.Proxy = nil // the socket is the server, whatever the URL's host
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: r.timeout}).DialContext(ctx, "unix", r.unixSocket)
		}
	case r.dial != nil:
		tr.Proxy = nil // from the host: its network, not the controller's proxy
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, r.timeout)
			defer cancel()
			return r.dial(ctx, network, addr)
		}
	default:
		tr.DialContext = (&net.Dialer{Timeout: r.timeout}).DialContext
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !r.follow {
			return http.ErrUseLastResponse
		}
		if m := via[0].Method; r.keepMethodOnly && m != http.MethodGet && m != http.MethodHead &&
			req.Response != nil && (req.Response.StatusCode == 307 || req.Response.StatusCode == 308) {
			return http.ErrUseLastResponse // urllib2 does not repeat a POST elsewhere
		}
		if len(via) >= 20 {
			return errors.New("stopped after 20 redirects")
		}
		for _, h := range r.unredirected {
			req.Header.Del(h)
		}
		*redirected = true
		return nil
	}}
	if whole {
		client.Timeout = r.timeout
	}
	return client, nil
}

// uriDo sends r with client: with the credentials at once (force_basic_auth)
// or only after a 401 that asks for Basic, as Ansible does.
func uriDo(ctx context.Context, client *http.Client, r *uriRequest) (*http.Response, error) {
	send := func(auth bool) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
		if err != nil {
			return nil, err
		}
		req.Header = r.header.Clone()
		if auth {
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(r.user+":"+r.pass)))
		}
		return client.Do(req)
	}
	resp, err := send(r.user != "" && r.forceAuth)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && r.user != "" && !r.forceAuth &&
		strings.Contains(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
		resp.Body.Close()
		resp, err = send(true)
	}
	return resp, err
}

// uriSend makes the request from the controller.
func uriSend(ctx context.Context, r *uriRequest) (*uriResponse, error) {
	redirected := false
	client, err := uriClient(r, true, &redirected)
	if err != nil {
		return nil, fmt.Errorf("uri: %w", err)
	}
	defer client.CloseIdleConnections()
	resp, err := uriDo(ctx, client, r)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("uri: %w", ctx.Err())
		}
		return &uriResponse{status: -1, url: uriRedact(r.url), err: uriScrub(err, r.secrets())}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, uriMaxBody+1))
	out := &uriResponse{status: resp.StatusCode, reason: http.StatusText(resp.StatusCode), url: resp.Request.URL.Redacted(),
		header: resp.Header, body: body, redirected: redirected}
	switch {
	case err != nil:
		out.err = fmt.Errorf("reading the response: %w", uriScrub(err, r.secrets()))
	case len(body) > uriMaxBody:
		out.err, out.body = fmt.Errorf("the response is larger than %d MiB", uriMaxBody>>20), nil
	}
	return out, nil
}

// uriCurlScript runs curl with the config on stdin and prints
// "RC HEADERBYTES BODYBYTES", "STATUS REDIRECTS URL", the headers and the body.
const uriCurlScript = `command -v curl >/dev/null 2>&1 || { echo "curl is not installed" >&2; exit 125; }
d=$(mktemp -d) || exit 125
trap 'rm -rf -- "$d"' EXIT
: > "$d/h"; : > "$d/b"
curl -sS -K - -D "$d/h" -o "$d/b" -w '%{http_code} %{num_redirects} %{url_effective}' > "$d/w"
rc=$?
printf '%s %s %s\n' "$rc" "$(wc -c < "$d/h")" "$(wc -c < "$d/b")"
cat "$d/w"; echo; cat "$d/h" "$d/b"`

// uriCurl makes the request on the host with curl; every detail, the
// password included, goes to curl's stdin as a config file.
func uriCurl(ctx context.Context, mc *Context, r *uriRequest) (*uriResponse, error) {
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
	}
	var c strings.Builder
	fmt.Fprintf(&c, "url = %s\nmax-time = %d\nmax-filesize = %d\n", q(r.url), int(r.timeout/time.Second), uriMaxBody)
	if r.method == http.MethodHead {
		c.WriteString("head\n")
	} else {
		fmt.Fprintf(&c, "request = %s\n", q(r.method))
	}
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		fmt.Fprintf(&c, "header = %s\n", q(k+": "+r.header.Get(k)))
	}
	if r.user != "" {
		fmt.Fprintf(&c, "user = %s\n", q(r.user+":"+r.pass))
		if !r.forceAuth {
			c.WriteString("anyauth\n")
		}
	}
	if r.hasBody {
		if bytes.IndexByte(r.body, 0) >= 0 {
			return nil, errors.New("uri: a body with NUL bytes cannot be sent from: host (curl's config cannot carry it); send it from the controller")
		}
		fmt.Fprintf(&c, "data-raw = %s\n", q(string(r.body)))
	}
	if r.follow {
		c.WriteString("location\nmax-redirs = 20\n")
	}
	if r.insecure {
		c.WriteString("insecure\n")
	}
	for opt, v := range map[string]string{"cacert": r.caPath, "cert": r.clientCert, "key": r.clientKey,
		"unix-socket": r.unixSocket, "ciphers": r.cipherList} {
		if v != "" {
			fmt.Fprintf(&c, "%s = %s\n", opt, q(v))
		}
	}
	if r.noProxy {
		c.WriteString("noproxy = \"*\"\n")
	}
	res, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c", uriCurlScript}, Stdin: strings.NewReader(c.String()),
		Env: mc.Env})
	if err != nil {
		return nil, fmt.Errorf("uri: running curl on %s: %w", mc.Host, uriScrub(err, r.secrets()))
	}
	var rc, hn, bn int
	head, rest, _ := bytes.Cut(res.Stdout, []byte("\n"))
	w, rest, _ := bytes.Cut(rest, []byte("\n"))
	if _, err := fmt.Sscan(string(head), &rc, &hn, &bn); err != nil || hn+bn != len(rest) {
		return nil, fmt.Errorf("uri: unexpected output from curl on %s: %q", mc.Host, textFirstLine(res.Stdout))
	}
	out := &uriResponse{status: -1, url: uriRedact(r.url), header: http.Header{}, body: rest[hn:]}
	if rc != 0 {
		out.err = uriScrub(errors.New(textStderr(res)), r.secrets())
		return out, nil
	}
	var redirects int
	var final string
	fmt.Sscan(string(w), &out.status, &redirects, &final)
	out.redirected, out.url, out.reason = redirects > 0, uriRedact(final), http.StatusText(out.status)
	// The headers of the last response (curl writes one block per redirect).
	blocks := strings.Split(strings.ReplaceAll(string(rest[:hn]), "\r\n", "\n"), "\n\n")
	for i := len(blocks) - 1; i >= 0; i-- {
		if strings.TrimSpace(blocks[i]) == "" {
			continue
		}
		for _, l := range strings.Split(blocks[i], "\n")[1:] {
			if k, v, ok := strings.Cut(l, ":"); ok {
				out.header.Add(k, strings.TrimSpace(v))
			}
		}
		break
	}
	return out, nil
}

// uriRedact drops the password from a URL; from one that does not parse,
// everything between "://" and the last "@" of the authority.
func uriRedact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return scheme + "://xxxxx" + rest[at:]
	}
	return s
}

// secrets are the passwords of the request: url_password and one in the URL.
func (r *uriRequest) secrets() []string {
	s := []string{r.pass}
	if u, err := url.Parse(r.url); err == nil {
		if p, ok := u.User.Password(); ok {
			s = append(s, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	return s
}

// uriScrub makes sure no password appears in an error.
func uriScrub(err error, secrets []string) error {
	msg := err.Error()
	for _, p := range secrets {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "********")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
