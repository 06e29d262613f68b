package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() { Register(uriModule{}) }

type uriModule struct{}

var uriSpec = &Spec{
	Name:  "uri",
	Short: "Make an HTTP(S) request and check the answer",
	Doc: "Sends one HTTP request, from the controller (Go's HTTP client) or, with from: host, from the host " +
		"(curl, with the request's details and credentials fed on stdin, never on the command line). The task fails " +
		"when the status is not in status_code (status -1 when there was no answer). A JSON answer is parsed into " +
		"json. Reports changed only when dest is written (or its mode/owner fixed). Check mode: GET and HEAD " +
		"requests are sent (they only read; the result is real, and dest is compared, not written), other methods " +
		"are skipped. Files of the request (src, form-multipart files, ca_path, client_cert, client_key) are on " +
		"the controller, relative ones next to the playbook or in its files/; ca_path, client_cert and client_key " +
		"are on the host with from: host, src and form-multipart files with remote_src: true. url_password, a " +
		"password in the URL and the client key never appear in the result or errors.",
	Params: []Param{
		{Name: "url", Type: TypeString, Required: true, Doc: "The http:// or https:// URL."},
		{Name: "method", Type: TypeString, Default: "GET", Doc: "The HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, …)."},
		{Name: "body", Type: TypeAny, Doc: "The request body: a string (sent as it is), or structured data encoded as body_format says."},
		{Name: "body_format", Type: TypeString, Default: "raw", Choices: []string{"raw", "json", "form-urlencoded", "form-multipart"},
			Doc: "json encodes a non-string body as JSON; form-urlencoded encodes a mapping (keys sorted) or a list of " +
				"[key, value] pairs (a list value repeats the key, a null one is left out; a string body is sent as it is); " +
				"both set Content-Type unless headers set it (a raw or src body gets application/x-www-form-urlencoded, as " +
				"Ansible's urllib and curl send). form-multipart takes a mapping of fields: a string is a " +
				"text/plain part, a mapping {filename, content, mime_type} a file part whose content is the file's " +
				"unless content is given (mime_type guessed from the name otherwise); parts are sent unencoded, where " +
				"Ansible base64-encodes file parts; it always sets Content-Type with its boundary."},
		{Name: "src", Type: TypePath, Doc: "A file whose content is the request body (instead of body)."},
		{Name: "remote_src", Type: TypeBool, Default: false, Doc: "src and form-multipart files are on the host, not on the controller."},
		{Name: "headers", Type: TypeMap, Doc: "Request headers."},
		{Name: "unredirected_headers", Type: TypeList, Doc: "Headers not sent again when a redirect is followed (from: controller only)."},
		{Name: "http_agent", Type: TypeString, Default: "runbook-httpget", Doc: "The User-Agent header (headers may set it too)."},
		{Name: "status_code", Type: TypeAny, Default: []any{200}, Doc: "The status that means success, or a list of them."},
		{Name: "return_content", Type: TypeBool, Default: false, Doc: "Return the body as content (it is always returned on failure)."},
		{Name: "dest", Type: TypePath,
			Doc: "Write the body to this file on the host when the status is in status_code (a directory: under the " +
				"server's Content-Disposition name or the URL's last path element), the way copy writes: atomically, " +
				"keeping an existing file's mode and owner unless mode/owner/group say otherwise, and only when the " +
				"content differs (Ansible reports changed on every write). An existing file's mtime is sent as " +
				"If-Modified-Since, as Ansible does; a 304 answer leaves it alone and passes only if status_code has 304."},
		{Name: "force", Type: TypeBool, Default: false, Aliases: []string{"thirsty"},
			Doc: "Ask for a fresh answer: Cache-Control: no-cache, and no If-Modified-Since for an existing dest."},
		{Name: "mode", Type: TypeMode, Doc: fileParamMode.Doc + " For dest."},
		fileParamOwner, fileParamGroup,
		{Name: "creates", Type: TypePath, Doc: "A path on the host: when it exists, no request is made."},
		{Name: "removes", Type: TypePath, Doc: "A path on the host: when it does not exist, no request is made."},
		{Name: "ca_path", Type: TypePath,
			Doc: "A PEM file of CA certificates trusted besides the system's: on the controller (relative: next to the playbook or in its files/), or on the host with from: host."},
		{Name: "client_cert", Type: TypePath, Doc: "A PEM client certificate for TLS client authentication (it may hold the key too); where ca_path is."},
		{Name: "client_key", Type: TypePath, Doc: "The PEM key of client_cert when not in it; where ca_path is."},
		{Name: "ciphers", Type: TypeList,
			Doc: "The TLS 1.2 cipher suites allowed, by OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256) or IANA name; from the " +
				"controller only the suites Go implements, and OpenSSL keywords (HIGH, !aNULL, …) are refused. TLS 1.3 " +
				"suites cannot be chosen in Go (nor in Ansible's OpenSSL cipher list): TLS 1.3 stays on with all of them, " +
				"and a list of only TLS 1.3 names means TLS 1.3 only. From the host the list goes to curl as it is."},
		{Name: "validate_certs", Type: TypeBool, Default: true, Doc: "Verify the server's TLS certificate; false skips the check."},
		{Name: "url_username", Type: TypeString, Aliases: []string{"user"}, Doc: "User name for basic authentication."},
		{Name: "url_password", Type: TypeString, Aliases: []string{"password"}, NoLog: true, Doc: "Password for basic authentication."},
		{Name: "force_basic_auth", Type: TypeBool, Default: false,
			Doc: "Send the credentials with the first request; otherwise only after the server answers 401 asking for Basic."},
		{Name: "follow_redirects", Type: TypeString, Default: "safe", Choices: []string{"safe", "all", "none", "urllib2", "yes", "no"},
			Doc: "Which redirects to follow: safe only for GET and HEAD; all (yes); none (no); urllib2 all but a 307/308 " +
				"of a method other than GET or HEAD (from the host: as all)."},
		{Name: "use_proxy", Type: TypeBool, Default: true, Doc: "Use the http_proxy/https_proxy/no_proxy environment (the controller's, or the host's with from: host)."},
		{Name: "unix_socket", Type: TypePath, Doc: "Connect to this Unix socket instead of the URL's host (on the controller, or on the host with from: host)."},
		{Name: "decompress", Type: TypeBool, Default: true, Doc: "Ask for gzip and decompress the answer (from: controller)."},
		{Name: "timeout", Type: TypeInt, Default: 30, Doc: "Seconds the whole request may take."},
		{Name: "from", Type: TypeString, Default: "controller", Choices: []string{"controller", "host"},
			Doc: "Where the request is made: the controller, or the host (needs curl there)."},
	},
	Check: CheckPartial,
	Returns: []Return{
		{Name: "status", Type: TypeInt, Doc: "The HTTP status, -1 when the request failed."},
		{Name: "url", Type: TypeString, Doc: "The final URL after redirects (without a password)."},
		{Name: "headers", Type: TypeMap, Doc: "The response headers, keys lower-case; each is also returned top-level with - as _ (content_type) unless that key is taken."},
		{Name: "content", Type: TypeString, Doc: "The body, with return_content or when the task fails."},
		{Name: "json", Type: TypeAny, Doc: "The body parsed, when the response is JSON."},
		{Name: "redirected", Type: TypeBool, Doc: "Whether a redirect was followed."},
		{Name: "elapsed", Type: TypeInt, Doc: "Seconds the request took."},
		{Name: "path", Type: TypePath, Doc: "The file written, with dest."},
	},
	Example: `- name: Create a project, from the controller
  uri:
    url: https://registry.example.com/api/v2.0/projects
    method: POST
    body_format: json
    body: {project_name: apps}
    url_username: admin
    url_password: "{{ registry_password }}"
    force_basic_auth: true
    ca_path: files/ca.crt
    status_code: [201, 409]

- name: Upload a chart with a form, over mutual TLS
  uri:
    url: https://charts.example.com/api/charts
    method: POST
    body_format: form-multipart
    body:
      chart: {filename: files/app-1.2.0.tgz, mime_type: application/gzip}
      force: "true"
    client_cert: files/client.crt
    client_key: files/client.key
    status_code: [200, 201]

- name: Save a document on the host
  uri:
    url: http://10.0.0.5:8080/config.json
    dest: /etc/app/config.json
    mode: "0640"`,
	Validate: func(a Args) error {
		u, err := url.Parse(a.String("url"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("url must be an absolute http:// or https:// URL")
		}
		if _, err := uriStatuses(a); err != nil {
			return err
		}
		if b, ok := a["body"]; ok && b != nil {
			if a.String("src") != "" {
				return errors.New("body and src are mutually exclusive")
			}
			if a.String("body_format") == "raw" {
				switch b.(type) {
				case string, int, float64, bool:
				default:
					return errors.New("body must be a string with body_format=raw (use body_format: json, form-urlencoded or form-multipart for structured data)")
				}
			}
		}
		if ciphers := a.StringList("ciphers"); len(ciphers) > 0 && a.String("from") != "host" {
			if _, _, err := uriCiphers(ciphers); err != nil {
				return err
			}
		}
		if a.String("from") == "host" && len(a.StringList("unredirected_headers")) > 0 {
			return errors.New("unredirected_headers works only from: controller (curl sends its headers to every redirect)")
		}
		return checkModeSyntax(a, false)
	},
}

func (uriModule) Spec() *Spec { return uriSpec }

// uriRequest is what both ways of sending need.
type uriRequest struct {
	method, url, user, pass, caPath      string
	clientCert, clientKey                string
	header                               http.Header
	body                                 []byte
	hasBody, forceAuth, follow, insecure bool
	noProxy, noDecompress                bool
	keepMethodOnly                       bool     // urllib2: no 307/308 for other methods than GET/HEAD
	unredirected                         []string // headers dropped on a redirect
	ciphers                              []uint16 // TLS 1.2 suites, nil for Go's
	only13                               bool     // TLS 1.3 only (ciphers named only its suites)
	cipherList                           string   // ciphers for curl, OpenSSL's syntax
	unixSocket                           string
	timeout                              time.Duration
	// dial, when set, opens the TCP connections from the host (get_url from: host).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// uriResponse is what came back; status -1 with err when nothing did.
type uriResponse struct {
	status      int
	reason, url string
	header      http.Header
	body        []byte
	redirected  bool
	err         error
}

// uriMaxBody bounds the response body kept in memory.
const uriMaxBody = 64 << 20

func (uriModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	if r, err := uriGuard(ctx, mc, args); r != nil || err != nil {
		return r, err
	}
	req, err := uriBuild(ctx, mc, args)
	if err != nil {
		return nil, err
	}
	if mc.Check && req.method != http.MethodGet && req.method != http.MethodHead {
		return &Result{Skipped: true, Msg: fmt.Sprintf("uri: a %s request is not sent in check mode", req.method)}, nil
	}
	var dest *uriDest
	if args.String("dest") != "" {
		if dest, err = uriDestPrepare(ctx, mc, args, req); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	var resp *uriResponse
	if args.String("from") == "host" {
		resp, err = uriCurl(ctx, mc, req)
	} else {
		resp, err = uriSend(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	res := uriResult(args, resp, time.Since(start))
	if dest != nil && !res.Failed {
		return dest.write(ctx, resp, res)
	}
	return res, nil
}

// uriBuild makes the request from args. Relative controller files are
// found next to the playbook (or in its files/); from: host they are paths
// on the host, for curl.
func uriBuild(ctx context.Context, mc *Context, args Args) (*uriRequest, error) {
	r := &uriRequest{method: strings.ToUpper(args.String("method")), url: args.String("url"), header: http.Header{},
		user: args.String("url_username"), pass: args.String("url_password"), forceAuth: args.Bool("force_basic_auth"),
		insecure: !args.Bool("validate_certs"), noProxy: !args.Bool("use_proxy"), noDecompress: !args.Bool("decompress"),
		unredirected: args.StringList("unredirected_headers"), unixSocket: args.String("unix_socket"),
		timeout: time.Duration(args.Int("timeout")) * time.Second}
	if r.timeout <= 0 {
		r.timeout = 30 * time.Second
	}
	switch args.String("follow_redirects") {
	case "all", "yes":
		r.follow = true
	case "urllib2":
		r.follow, r.keepMethodOnly = true, true
	case "safe":
		r.follow = r.method == http.MethodGet || r.method == http.MethodHead
	}
	host := args.String("from") == "host"
	files := map[string]*string{"ca_path": &r.caPath, "client_cert": &r.clientCert, "client_key": &r.clientKey}
	for name, dst := range files {
		v := args.String(name)
		if v == "" || host {
			*dst = v
			continue
		}
		p, err := findLocal(mc, v, "files")
		if err != nil {
			return nil, &ArgError{Module: "uri", Param: name, Msg: err.Error()}
		}
		*dst = p
	}
	if ciphers := args.StringList("ciphers"); len(ciphers) > 0 {
		r.cipherList = strings.Join(ciphers, ":")
		if !host {
			var err error
			if r.ciphers, r.only13, err = uriCiphers(ciphers); err != nil {
				return nil, err
			}
		}
	}
	if args.Bool("force") {
		r.header.Set("Cache-Control", "no-cache")
	}
	if a := args.String("http_agent"); a != "" {
		r.header.Set("User-Agent", a)
	}
	for k, v := range args.Map("headers") {
		r.header.Set(k, fmt.Sprint(v))
	}
	if err := uriBody(ctx, mc, args, r); err != nil {
		return nil, err
	}
	return r, nil
}

func uriStatuses(a Args) ([]int, error) {
	list, ok := a["status_code"].([]any)
	if !ok {
		list = []any{a["status_code"]}
	}
	var out []int
	for _, v := range list {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil {
			return nil, fmt.Errorf("status_code: %q is not a number", fmt.Sprint(v))
		}
		out = append(out, n)
	}
	return out, nil
}

// uriReserved are result keys a response header must not overwrite.
var uriReserved = map[string]bool{"changed": true, "failed": true, "skipped": true, "msg": true, "rc": true, "stdout": true,
	"stderr": true, "diff": true, "content": true, "json": true, "headers": true, "elapsed": true, "redirected": true, "status": true, "url": true}

// uriResult turns the response into the module's result.
func uriResult(args Args, resp *uriResponse, elapsed time.Duration) *Result {
	data := map[string]any{"status": resp.status, "url": resp.url, "elapsed": int(elapsed.Seconds()),
		"redirected": resp.redirected, "headers": map[string]any{}}
	for k, v := range resp.header {
		lk := strings.ToLower(k)
		data["headers"].(map[string]any)[lk] = strings.Join(v, ", ")
		if u := strings.ReplaceAll(lk, "-", "_"); !uriReserved[u] {
			data[u] = strings.Join(v, ", ")
		}
	}
	ct, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
	if len(resp.body) > 0 && (ct == "application/json" || ct == "text/json" || strings.HasSuffix(ct, "+json")) {
		if v, err := uriParseJSON(resp.body); err == nil {
			data["json"] = v
		}
	}
	want, _ := uriStatuses(args)
	r := &Result{Data: data, Msg: fmt.Sprintf("OK (%d bytes)", len(resp.body))}
	if args.Bool("return_content") {
		data["content"] = string(resp.body)
	}
	switch {
	case resp.err != nil:
		r.Failed, r.Msg = true, fmt.Sprintf("Status code was %d and not %v: Request failed: %v", resp.status, want, resp.err)
	case !slices.Contains(want, resp.status):
		r.Failed, r.Msg = true, fmt.Sprintf("Status code was %d and not %v: HTTP Error %d: %s", resp.status, want, resp.status, resp.reason)
	}
	if r.Failed && resp.body != nil {
		data["content"] = string(resp.body)
	}
	return r
}

// uriParseJSON decodes JSON with whole numbers as int.
func uriParseJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var conv func(any) any
	conv = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			if i, err := strconv.Atoi(x.String()); err == nil {
				return i
			}
			f, _ := x.Float64()
			return f
		case []any:
			for i := range x {
				x[i] = conv(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = conv(x[k])
			}
		}
		return v
	}
	return conv(v), nil
}
