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
	"path/filepath"
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
		"json. Never reports changed. Check mode: GET and HEAD requests are sent (they only read; the result is " +
		"real), other methods are skipped. url_password and credentials in the URL never appear in the result or errors.",
	Params: []Param{
		{Name: "url", Type: TypeString, Required: true, Doc: "The http:// or https:// URL."},
		{Name: "method", Type: TypeString, Default: "GET", Doc: "The HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, …)."},
		{Name: "body", Type: TypeAny, Doc: "The request body: a string, or with body_format=json any value (encoded as JSON)."},
		{Name: "body_format", Type: TypeString, Default: "raw", Choices: []string{"raw", "json"},
			Doc: "json encodes a non-string body as JSON and sets Content-Type: application/json unless headers set it."},
		{Name: "headers", Type: TypeMap, Doc: "Request headers."},
		{Name: "status_code", Type: TypeAny, Default: []any{200}, Doc: "The status that means success, or a list of them."},
		{Name: "return_content", Type: TypeBool, Default: false, Doc: "Return the body as content (it is always returned on failure)."},
		{Name: "ca_path", Type: TypePath,
			Doc: "A PEM file of CA certificates trusted besides the system's: on the controller (relative to the playbook), or on the host with from: host."},
		{Name: "validate_certs", Type: TypeBool, Default: true, Doc: "Verify the server's TLS certificate; false skips the check."},
		{Name: "url_username", Type: TypeString, Aliases: []string{"user"}, Doc: "User name for basic authentication."},
		{Name: "url_password", Type: TypeString, Aliases: []string{"password"}, NoLog: true, Doc: "Password for basic authentication."},
		{Name: "force_basic_auth", Type: TypeBool, Default: false,
			Doc: "Send the credentials with the first request; otherwise only after the server answers 401 asking for Basic."},
		{Name: "follow_redirects", Type: TypeString, Default: "safe", Choices: []string{"safe", "all", "none"},
			Doc: "Which redirects to follow: safe only for GET and HEAD, all, or none."},
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
    status_code: [201, 409]`,
	Validate: func(a Args) error {
		u, err := url.Parse(a.String("url"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("url must be an absolute http:// or https:// URL")
		}
		if _, err := uriStatuses(a); err != nil {
			return err
		}
		if b, ok := a["body"]; ok && b != nil && a.String("body_format") == "raw" {
			switch b.(type) {
			case string, int, float64, bool:
			default:
				return errors.New("body must be a string with body_format=raw (use body_format: json for structured data)")
			}
		}
		return nil
	},
}

func (uriModule) Spec() *Spec { return uriSpec }

// uriRequest is what both ways of sending need.
type uriRequest struct {
	method, url, user, pass, caPath      string
	clientCert, clientKey                string // controller files (get_url)
	header                               http.Header
	body                                 []byte
	hasBody, forceAuth, follow, insecure bool
	noProxy                              bool
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
	req, err := uriBuild(args)
	if err != nil {
		return nil, err
	}
	if mc.Check && req.method != http.MethodGet && req.method != http.MethodHead {
		return &Result{Skipped: true, Msg: fmt.Sprintf("uri: a %s request is not sent in check mode", req.method)}, nil
	}
	start := time.Now()
	var resp *uriResponse
	if args.String("from") == "host" {
		resp, err = uriCurl(ctx, mc, req)
	} else {
		if req.caPath != "" && !filepath.IsAbs(req.caPath) {
			req.caPath = filepath.Join(mc.PlaybookDir, req.caPath)
		}
		resp, err = uriSend(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	return uriResult(args, resp, time.Since(start)), nil
}

func uriBuild(args Args) (*uriRequest, error) {
	r := &uriRequest{method: strings.ToUpper(args.String("method")), url: args.String("url"), header: http.Header{},
		user: args.String("url_username"), pass: args.String("url_password"), forceAuth: args.Bool("force_basic_auth"),
		caPath: args.String("ca_path"), insecure: !args.Bool("validate_certs"), timeout: time.Duration(args.Int("timeout")) * time.Second}
	if r.timeout <= 0 {
		r.timeout = 30 * time.Second
	}
	switch args.String("follow_redirects") {
	case "all":
		r.follow = true
	case "safe":
		r.follow = r.method == http.MethodGet || r.method == http.MethodHead
	}
	for k, v := range args.Map("headers") {
		r.header.Set(k, fmt.Sprint(v))
	}
	if b, ok := args["body"]; ok && b != nil {
		r.hasBody = true
		if s, isStr := b.(string); isStr {
			r.body = []byte(s)
		} else if args.String("body_format") == "json" {
			var err error
			if r.body, err = json.Marshal(b); err != nil {
				return nil, &ArgError{Module: "uri", Param: "body", Msg: "cannot be encoded as JSON: " + err.Error()}
			}
		} else {
			r.body = []byte(fmt.Sprint(b))
		}
		if args.String("body_format") == "json" && r.header.Get("Content-Type") == "" {
			r.header.Set("Content-Type", "application/json")
		}
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
