package modules

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(registryCheckModule{}) }

type registryCheckModule struct{}

var registryCheckSpec = &Spec{
	Name:  "registry_check",
	Short: "Check that a registry serves the manifests of images",
	Doc: "Asks a registry (the distribution API, /v2/<name>/manifests/<tag or digest>) for the manifest of each " +
		"image, accepting Docker schema 2 and OCI manifests and indexes, and fails listing exactly the images it " +
		"does not serve. Basic authentication (htpasswd) and token authentication (a Bearer challenge, the token " +
		"fetched with the same credentials) are handled. From the controller (Go's HTTP client) or, with from: " +
		"host, from the host with curl (credentials and CA on stdin and in the environment, never on a command " +
		"line). Read-only: never changed, and it runs in check mode too.",
	Params: []Param{
		{Name: "images", Type: TypeList, Required: true,
			Doc: `Image references: "name:tag", "name@sha256:…", optionally with a registry host ("sea.hub:5000/pause:3.10"); the tag defaults to latest.`},
		{Name: "registry", Type: TypeString, Doc: `The endpoint to ask, "host:port"; unset: the host each reference names.`},
		{Name: "scheme", Type: TypeString, Default: "https", Choices: []string{"https", "http"}, Doc: "https, or http for a plain registry."},
		{Name: "ca_path", Type: TypePath, Doc: "A PEM file on the controller (relative to the playbook) with CA certificates to trust besides the system's; also used with from: host."},
		{Name: "ca_content", Type: TypeString, Doc: "PEM CA certificates to trust, instead of ca_path."},
		{Name: "tls_server_name", Type: TypeString, Doc: "The name the certificate must hold (and the TLS server name sent), when registry is an address: ask a host by IP while verifying it as the registry domain. from: controller only."},
		{Name: "validate_certs", Type: TypeBool, Default: true, Doc: "Verify the registry's TLS certificate."},
		{Name: "username", Type: TypeString, Doc: "User for basic authentication or for the token service."},
		{Name: "password", Type: TypeString, NoLog: true, Doc: "Password of username."},
		{Name: "from", Type: TypeString, Default: "controller", Choices: []string{"controller", "host"},
			Doc: "Where the requests are made: the controller, or the host (needs curl there)."},
		{Name: "timeout", Type: TypeInt, Default: 30, Doc: "Seconds each request may take."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "present", Type: TypeList, Doc: "The images served, as given."},
		{Name: "missing", Type: TypeList, Doc: "The images the registry answered 404 for, as given."},
		{Name: "errors", Type: TypeMap, Doc: "Images that could not be checked (no answer, unauthorized, …) and why."},
		{Name: "digests", Type: TypeMap, Doc: "The manifest digest the registry gave for each present image."},
	},
	Example: `- name: The seeded images are served by the new master's registry
  registry_check:
    registry: "{{ inventory_hostname }}:5000"
    images: [pause:3.10, coredns/coredns:v1.11.3]
    ca_path: files/sea.hub.crt
    username: sealer
    password: "{{ registry_password }}"`,
	Validate: func(a Args) error {
		if a.String("password") != "" && a.String("username") == "" {
			return errors.New("password needs username")
		}
		for _, s := range a.StringList("images") {
			r, err := parseRegRef(s)
			if err != nil {
				return err
			}
			if r.host == "" && a.String("registry") == "" {
				return fmt.Errorf("image %q names no registry host and registry is not set", s)
			}
		}
		return nil
	},
}

func (registryCheckModule) Spec() *Spec { return registryCheckSpec }

// regManifestAccept lists the manifest media types a pull accepts.
var regManifestAccept = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

var (
	regNameRe   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	regTagRe    = regexp.MustCompile(`^\w[\w.-]{0,127}$`)
	regDigestRe = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

// regRef is one image reference.
type regRef struct{ orig, host, name, ref string }

func parseRegRef(s string) (regRef, error) {
	r := regRef{orig: s}
	rest := s
	if i := strings.Index(rest, "/"); i > 0 {
		if h := rest[:i]; strings.ContainsAny(h, ".:") || h == "localhost" {
			r.host, rest = h, rest[i+1:]
		}
	}
	if name, dg, ok := strings.Cut(rest, "@"); ok {
		r.name, r.ref = name, dg
		if !regDigestRe.MatchString(dg) {
			return r, fmt.Errorf("image %q: bad digest %q", s, dg)
		}
	} else if i := strings.LastIndex(rest, ":"); i >= 0 {
		r.name, r.ref = rest[:i], rest[i+1:]
		if !regTagRe.MatchString(r.ref) {
			return r, fmt.Errorf("image %q: bad tag %q", s, r.ref)
		}
	} else {
		r.name, r.ref = rest, "latest"
	}
	if !regNameRe.MatchString(r.name) {
		return r, fmt.Errorf("image %q: bad repository name %q", s, r.name)
	}
	return r, nil
}

// regReq is one GET: a manifest (with the Accept header) or a token, as
// user (basic authentication with the module's password) or with a bearer token.
type regReq struct {
	url, user, bearer string
	manifest          bool
}

// regResp is its answer; status -1 when there was none.
type regResp struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// regDoer makes a batch of requests.
type regDoer func(ctx context.Context, reqs []regReq) ([]regResp, error)

func (registryCheckModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	user, pass := args.String("username"), args.String("password")
	timeout := time.Duration(max(args.Int("timeout"), 1)) * time.Second
	if args.Has("tls_server_name") && args.String("from") == "host" {
		return nil, &ArgError{Module: "registry_check", Param: "tls_server_name", Msg: "works with from: controller only"}
	}
	ca := []byte(args.String("ca_content"))
	if p := args.String("ca_path"); p != "" && len(ca) == 0 {
		if !filepath.IsAbs(p) {
			p = filepath.Join(mc.PlaybookDir, p)
		}
		var err error
		if ca, err = os.ReadFile(p); err != nil {
			return nil, fmt.Errorf("registry_check: ca_path: %w", err)
		}
	}
	var do regDoer
	if args.String("from") == "host" {
		do = regCurlDoer(mc, ca, !args.Bool("validate_certs"), timeout, pass)
	} else {
		var err error
		if do, err = regHTTPDoer(ca, args.String("tls_server_name"), !args.Bool("validate_certs"), timeout, pass); err != nil {
			return nil, err
		}
	}
	var refs []regRef
	for _, s := range args.StringList("images") {
		r, err := parseRegRef(s)
		if err != nil {
			return nil, &ArgError{Module: "registry_check", Param: "images", Msg: err.Error()}
		}
		if reg := args.String("registry"); reg != "" {
			r.host = reg
		}
		refs = append(refs, r)
	}
	resps, err := regAsk(ctx, do, args.String("scheme"), user, refs)
	if err != nil {
		return nil, fmt.Errorf("registry_check: %w", err)
	}
	present, missing, digests, errs := []any{}, []any{}, map[string]any{}, map[string]any{}
	var missingS, errS []string
	for i, r := range refs {
		switch resp := resps[i]; {
		case resp.status == http.StatusOK && resp.err == nil:
			present = append(present, r.orig)
			digests[r.orig] = resp.header.Get("Docker-Content-Digest")
		case resp.status == http.StatusNotFound:
			missing, missingS = append(missing, r.orig), append(missingS, r.orig)
		default:
			msg := regRespErr(resp)
			errs[r.orig], errS = msg, append(errS, r.orig+" ("+msg+")")
		}
	}
	res := &Result{Data: map[string]any{"present": present, "missing": missing, "digests": digests, "errors": errs},
		Msg: fmt.Sprintf("all %d images are served", len(present))}
	var parts []string
	if len(missingS) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d images are not served: %s", len(missingS), len(refs), strings.Join(missingS, ", ")))
	}
	if len(errS) > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be checked: %s", len(errS), strings.Join(errS, "; ")))
	}
	if len(parts) > 0 {
		res.Failed, res.Msg = true, strings.Join(parts, "; ")
	}
	return res, nil
}

func regRespErr(r regResp) string {
	switch {
	case r.err != nil:
		return r.err.Error()
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		return fmt.Sprintf("HTTP %d: not authorized (check username and password)", r.status)
	}
	return fmt.Sprintf("HTTP %d %s", r.status, http.StatusText(r.status))
}

// regAsk gets every manifest (with basic credentials when given), then, for
// a registry that answers with a Bearer challenge, a token per challenge
// and the manifests again.
func regAsk(ctx context.Context, do regDoer, scheme, user string, refs []regRef) ([]regResp, error) {
	reqs := make([]regReq, len(refs))
	for i, r := range refs {
		reqs[i] = regReq{url: fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, r.host, r.name, r.ref), user: user, manifest: true}
	}
	resps, err := do(ctx, reqs)
	if err != nil {
		return nil, err
	}
	tokenURLs := make([]string, len(refs))
	index := map[string]int{}
	var tokenReqs []regReq
	for i, resp := range resps {
		if u := regTokenURL(resp, refs[i].name); u != "" {
			if _, ok := index[u]; !ok {
				index[u] = len(tokenReqs)
				tokenReqs = append(tokenReqs, regReq{url: u, user: user})
			}
			tokenURLs[i] = u
		}
	}
	if len(tokenReqs) == 0 {
		return resps, nil
	}
	toks, err := do(ctx, tokenReqs)
	if err != nil {
		return nil, err
	}
	var retry []regReq
	var idx []int
	for i, u := range tokenURLs {
		if u == "" {
			continue
		}
		t := toks[index[u]]
		var tr struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
		}
		if t.status != http.StatusOK || json.Unmarshal(t.body, &tr) != nil {
			tr.Token, tr.AccessToken = "", ""
		}
		tok := cmp.Or(tr.Token, tr.AccessToken)
		if tok == "" {
			resps[i] = regResp{status: -1, err: fmt.Errorf("token service: %s", regRespErr(t))}
			continue
		}
		retry, idx = append(retry, regReq{url: reqs[i].url, bearer: tok, manifest: true}), append(idx, i)
	}
	out, err := do(ctx, retry)
	if err != nil {
		return nil, err
	}
	for j, i := range idx {
		resps[i] = out[j]
	}
	return resps, nil
}

var regChallengeRe = regexp.MustCompile(`([a-zA-Z_]+)="([^"]*)"`)

// regTokenURL is where to get a token when resp is a Bearer challenge.
func regTokenURL(resp regResp, name string) string {
	if resp.status != http.StatusUnauthorized {
		return ""
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(resp.header.Get("WWW-Authenticate")), " ")
	params := map[string]string{}
	for _, m := range regChallengeRe.FindAllStringSubmatch(rest, -1) {
		params[strings.ToLower(m[1])] = m[2]
	}
	u, err := url.Parse(params["realm"])
	if !strings.EqualFold(scheme, "bearer") || params["realm"] == "" || err != nil {
		return "" // basic: the credentials were sent already
	}
	q := u.Query()
	if params["service"] != "" {
		q.Set("service", params["service"])
	}
	if params["scope"] == "" {
		params["scope"] = "repository:" + name + ":pull"
	}
	q.Set("scope", params["scope"])
	u.RawQuery = q.Encode()
	return u.String()
}

// regHTTPDoer makes requests from the controller.
func regHTTPDoer(ca []byte, serverName string, insecure bool, timeout time.Duration, pass string) (regDoer, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure, ServerName: serverName}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("registry_check: ca_path or ca_content holds no PEM certificate")
		}
		conf.RootCAs = pool
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: conf}}
	get := func(ctx context.Context, r regReq) regResp {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
		if err != nil {
			return regResp{status: -1, err: err}
		}
		for k, v := range r.headers(pass) {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return regResp{status: -1, err: uriScrub(err, []string{pass})}
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return regResp{status: resp.StatusCode, header: resp.Header, body: body, err: err}
	}
	return func(ctx context.Context, reqs []regReq) ([]regResp, error) {
		out := make([]regResp, len(reqs))
		for i, r := range reqs { // one connection, kept alive
			out[i] = get(ctx, r)
		}
		return out, ctx.Err()
	}, nil
}

// headers are the request's headers, credentials included.
func (r regReq) headers(pass string) map[string]string {
	h := map[string]string{}
	if r.manifest {
		h["Accept"] = strings.Join(regManifestAccept, ", ")
	}
	switch {
	case r.bearer != "":
		h["Authorization"] = "Bearer " + r.bearer
	case r.user != "":
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(r.user+":"+pass))
	}
	return h
}

// regCurlScript runs curl once for the whole batch (config on stdin, CA in
// $RUNBOOK_CA) and prints, per request, "HEADERBYTES BODYBYTES" and the two
// files, then curl's messages.
const regCurlScript = `command -v curl >/dev/null 2>&1 || { echo "curl is not installed" >&2; exit 125; }
d=$(mktemp -d) || exit 125
trap 'rm -rf -- "$d"' EXIT
cd "$d" || exit 125
[ -z "$RUNBOOK_CA" ] || printf '%s\n' "$RUNBOOK_CA" > ca.pem
curl -sS -K - 2> e
i=0
while [ "$i" -lt "$1" ]; do
  touch "h$i" "b$i"
  printf '%s %s\n' "$(wc -c < "h$i")" "$(wc -c < "b$i")"
  cat "h$i" "b$i"
  i=$((i + 1))
done
cat e`

// regCurlDoer makes requests on the host with curl: every detail, the
// password included, goes to curl's stdin as a config file.
func regCurlDoer(mc *Context, ca []byte, insecure bool, timeout time.Duration, pass string) regDoer {
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
	}
	return func(ctx context.Context, reqs []regReq) ([]regResp, error) {
		var c strings.Builder
		for i, r := range reqs {
			if i > 0 {
				c.WriteString("next\n")
			}
			fmt.Fprintf(&c, "url = %s\noutput = \"b%d\"\ndump-header = \"h%d\"\nmax-time = %d\nmax-filesize = 1048576\n",
				q(r.url), i, i, int(timeout/time.Second))
			h := r.headers(pass)
			for _, k := range []string{"Accept", "Authorization"} {
				if v, ok := h[k]; ok {
					fmt.Fprintf(&c, "header = %s\n", q(k+": "+v))
				}
			}
			if insecure {
				c.WriteString("insecure\n")
			}
			if len(ca) > 0 {
				c.WriteString("cacert = \"ca.pem\"\n")
			}
		}
		env := map[string]string{"RUNBOOK_CA": strings.TrimSpace(string(ca))}
		for k, v := range mc.Env {
			env[k] = v
		}
		res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", regCurlScript, "runbook-registry-check",
			strconv.Itoa(len(reqs))}, Stdin: strings.NewReader(c.String()), Env: env, Become: mc.Become})
		if err == nil && res.ExitCode != 0 {
			err = errors.New(textStderr(res))
		}
		if err != nil {
			return nil, fmt.Errorf("running curl on %s: %w", mc.Host, uriScrub(err, []string{pass}))
		}
		return parseRegCurl(res.Stdout, len(reqs), pass)
	}
}

// parseRegCurl reads regCurlScript's output: the last response of each
// header dump, its body, and curl's messages for requests without answer.
func parseRegCurl(out []byte, n int, pass string) ([]regResp, error) {
	resps := make([]regResp, n)
	rest := out
	for i := range resps {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		var hn, bn int
		if _, err := fmt.Sscan(string(line), &hn, &bn); !ok || err != nil || hn+bn > len(after) {
			return nil, fmt.Errorf("unexpected output from curl: %q", textFirstLine(rest))
		}
		r := regResp{status: -1, header: http.Header{}, body: after[hn : hn+bn]}
		for _, l := range strings.Split(string(after[:hn]), "\n") {
			l = strings.TrimRight(l, "\r")
			if f := strings.Fields(l); strings.HasPrefix(l, "HTTP/") && len(f) >= 2 {
				r.header = http.Header{}
				r.status, _ = strconv.Atoi(f[1])
			} else if k, v, ok := strings.Cut(l, ":"); ok {
				r.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		resps[i], rest = r, after[hn+bn:]
	}
	msg := strings.TrimSpace(string(rest))
	if msg == "" {
		msg = "no answer"
	}
	for i := range resps {
		if resps[i].status < 0 {
			resps[i].err = uriScrub(fmt.Errorf("curl: %s", msg), []string{pass})
		}
	}
	return resps, nil
}
