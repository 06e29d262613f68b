package modules

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(containerdRegistryModule{}) }

type containerdRegistryModule struct{}

var containerdRegistrySpec = &Spec{
	Name:  "containerd_registry",
	Short: "Point containerd at a registry and its mirrors (hosts.toml and config_path)",
	Doc: "Writes CERTS_DIR/REGISTRY/hosts.toml for one registry namespace (REGISTRY is host:port as images name it, " +
		"e.g. sea.hub:5000): server, then one [host.'URL'] table per mirror in the order given. containerd tries " +
		"the mirrors in that order and the server last, so listing every registry replica as a mirror gives pulls " +
		"that survive the loss of any of them. The file is encoded with a TOML library and is byte-for-byte the " +
		"same for the same arguments. With ca_content or ca_src the CA certificate is installed as " +
		"CERTS_DIR/REGISTRY/CA_FILE and referenced (absolute path) by the server and by every mirror that does not " +
		"name its own ca. Changes under CERTS_DIR need no restart: containerd reads them on each pull.\n\n" +
		"With manage_config (default) it also makes containerd's config.toml point the CRI registry at CERTS_DIR: " +
		"config_path in [plugins.\"io.containerd.grpc.v1.cri\".registry] for a version = 2 file (containerd 1.x), " +
		"in [plugins.\"io.containerd.cri.v1.images\".registry] for version = 3 (containerd 2.x), and in " +
		"[plugins.cri.registry] for a file without a version key (the version 1 format, which containerd 1.x reads " +
		"with short plugin names). A missing file, or one without settings, becomes a minimal version 2 config " +
		"(containerd 2.x migrates it on load); containerd fills every unset setting with its default. Only " +
		"config_path is touched: its line is replaced or added and every other line, comment and setting stays; " +
		"when the table is written in a way a line edit cannot follow (inline table, dotted keys), the file is " +
		"re-encoded from its parsed content, which keeps every setting but normalizes formatting and drops " +
		"comments. The file is written only when config_path changes, and only then is containerd restarted " +
		"(restart_command), never in check mode; a failed restart fails the task, and as config.toml is then " +
		"already right a later run does not restart again. A registry table that still has the deprecated mirrors or configs.*.tls makes " +
		"the task fail before anything is written, as containerd would refuse it (configs with only auth stay). Check mode predicts exactly; --diff shows each file.",
	Params: []Param{
		{Name: "registry", Type: TypeString, Required: true, Aliases: []string{"name"},
			Doc: "The registry namespace as image names use it, host[:port] (sea.hub:5000), or _default; it names the directory under certs_dir."},
		{Name: "server", Type: TypeString,
			Doc: "The registry's own URL, tried after the mirrors; default https://REGISTRY; \"\" leaves server out."},
		{Name: "mirrors", Type: TypeList, Default: []any{},
			Doc: "Endpoints tried in order before server: each a URL (https:// is assumed without a scheme) or a mapping " +
				"with url and any of ca (a path on the host, relative paths are relative to the registry's directory; \"\" for none), " +
				"skip_verify, capabilities, override_path."},
		{Name: "capabilities", Type: TypeList, Default: []any{"pull", "resolve"},
			Doc: "Capabilities of mirrors that do not set their own: pull, resolve, push."},
		{Name: "skip_verify", Type: TypeBool, Default: false,
			Doc: "Skip TLS verification for the server and for mirrors that do not set their own."},
		{Name: "ca_content", Type: TypeString, Doc: "PEM CA certificate(s) to install into the registry's directory."},
		{Name: "ca_src", Type: TypePath, Doc: "A PEM CA file on the controller (a relative path is looked up next to the playbook, then in its files/) to install instead of ca_content."},
		{Name: "ca_file", Type: TypeString, Default: "ca.crt", Doc: "File name of the installed CA in the registry's directory (sealer uses DOMAIN.crt)."},
		{Name: "certs_dir", Type: TypePath, Default: "/etc/containerd/certs.d", Aliases: []string{"config_path"},
			Doc: "containerd's registry config_path: the directory holding one directory per registry."},
		{Name: "config_file", Type: TypePath, Default: "/etc/containerd/config.toml", Doc: "containerd's main configuration file."},
		{Name: "manage_config", Type: TypeBool, Default: true, Doc: "Make config_file set config_path to certs_dir; false only writes the registry's directory."},
		{Name: "restart", Type: TypeBool, Default: true, Doc: "Restart containerd when config_file changed (never for hosts.toml changes)."},
		{Name: "restart_command", Type: TypeString, Default: "systemctl restart containerd", Doc: "The shell command that restarts containerd."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "hosts_toml", Type: TypePath, Doc: "Path of the registry's hosts.toml."},
		{Name: "ca_file", Type: TypePath, Doc: "Path of the installed CA, \"\" when none."},
		{Name: "hosts_changed", Type: TypeBool, Doc: "hosts.toml or the CA file changed (or would)."},
		{Name: "config_changed", Type: TypeBool, Doc: "config_file changed (or would)."},
		{Name: "config_version", Type: TypeInt, Doc: "The config.toml version found (1 for a file without version key), 0 without manage_config."},
		{Name: "restarted", Type: TypeBool, Doc: "containerd was restarted."},
	},
	Example: `- name: Every node pulls from any registry replica
  containerd_registry:
    registry: sea.hub:5000
    mirrors:
      - https://192.168.0.2:5000
      - https://192.168.0.3:5000
      - url: https://192.168.0.4:5000
        skip_verify: true
    ca_src: certs/sea.hub.crt
    ca_file: sea.hub.crt`,
	Validate: func(a Args) error {
		if err := containerdCheckName(a.String("registry")); err != nil {
			return err
		}
		if a.Has("ca_content") && a.Has("ca_src") {
			return errors.New("ca_content and ca_src are mutually exclusive")
		}
		if f := a.String("ca_file"); f == "" || f == "." || f == ".." || f == "hosts.toml" || strings.ContainsAny(f, "/\x00\n") {
			return fmt.Errorf("ca_file: %q must be a plain file name", f)
		}
		if err := containerdCheckCaps("capabilities", a.StringList("capabilities")); err != nil {
			return err
		}
		_, err := containerdMirrors(a)
		return err
	},
}

func (containerdRegistryModule) Spec() *Spec { return containerdRegistrySpec }

var containerdNameRe = regexp.MustCompile(`^(_default|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?)$`)

func containerdCheckName(n string) error {
	if !containerdNameRe.MatchString(n) {
		return fmt.Errorf("registry: %q is not host[:port]", n)
	}
	return nil
}

func containerdCheckCaps(what string, caps []string) error {
	for _, c := range caps {
		if c != "pull" && c != "resolve" && c != "push" {
			return fmt.Errorf("%s: %q is not one of pull, resolve, push", what, c)
		}
	}
	return nil
}

// containerdHost is one [host."URL"] table of hosts.toml, in containerd's
// field names.
type containerdHost struct {
	Capabilities []string `toml:"capabilities"`
	CA           string   `toml:"ca,omitempty"`
	SkipVerify   bool     `toml:"skip_verify,omitempty"`
	OverridePath bool     `toml:"override_path,omitempty"`
}

// containerdMirror is a mirror as the task gives it; CA is nil when the
// mirror inherits the installed CA.
type containerdMirror struct {
	URL string
	CA  *string
	containerdHost
}

// containerdMirrors reads and checks the mirrors argument.
func containerdMirrors(a Args) ([]containerdMirror, error) {
	var out []containerdMirror
	seen := map[string]bool{}
	for i, item := range a.List("mirrors") {
		m := containerdMirror{containerdHost: containerdHost{Capabilities: a.StringList("capabilities"), SkipVerify: a.Bool("skip_verify")}}
		fields, isMap := item.(map[string]any)
		if !isMap {
			fields = map[string]any{"url": item}
		}
		for k, v := range fields {
			var err error
			switch k {
			case "url", "host":
				m.URL = fmt.Sprint(v)
			case "ca":
				s := fmt.Sprint(v)
				m.CA = &s
			case "skip_verify":
				m.SkipVerify, err = module.ParseBool(v)
			case "override_path":
				m.OverridePath, err = module.ParseBool(v)
			case "capabilities":
				m.Capabilities, err = containerdStrings(v)
				if err == nil {
					err = containerdCheckCaps("capabilities", m.Capabilities)
				}
			default:
				err = errors.New("unknown key (url, ca, skip_verify, capabilities, override_path)")
			}
			if err != nil {
				return nil, fmt.Errorf("mirrors[%d].%s: %v", i, k, err)
			}
		}
		if !strings.Contains(m.URL, "://") {
			m.URL = "https://" + m.URL
		}
		u, err := url.Parse(m.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(m.URL, "'\"\\ \t\r\n") {
			return nil, fmt.Errorf("mirrors[%d]: %q is not an http(s) URL", i, m.URL)
		}
		if seen[m.URL] {
			return nil, fmt.Errorf("mirrors[%d]: %s is listed twice", i, m.URL)
		}
		seen[m.URL] = true
		out = append(out, m)
	}
	return out, nil
}

func containerdStrings(v any) ([]string, error) {
	l, err := module.Coerce(&Param{Type: TypeList}, v)
	if err != nil {
		return nil, err
	}
	return Args{"l": l}.StringList("l"), nil
}

// containerdHostsTOML renders hosts.toml: the server entry, then the mirrors
// in order. The tables are encoded one by one (a TOML map would sort them)
// and the result is checked by parsing it back.
func containerdHostsTOML(server, serverCA string, skipVerify bool, mirrors []containerdMirror, caPath string) ([]byte, error) {
	top := struct {
		Server     string `toml:"server,omitempty"`
		CA         string `toml:"ca,omitempty"`
		SkipVerify bool   `toml:"skip_verify,omitempty"`
	}{server, serverCA, skipVerify}
	var b bytes.Buffer
	b.WriteString("# Managed by runbook (containerd_registry): hosts are tried in order, then server.\n")
	if err := toml.NewEncoder(&b).Encode(top); err != nil {
		return nil, err
	}
	want := map[string]containerdHost{}
	for _, m := range mirrors {
		h := m.containerdHost
		if m.CA == nil {
			h.CA = caPath
		} else {
			h.CA = *m.CA
		}
		body, err := toml.Marshal(h)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\n[host.'%s']\n", m.URL)
		for _, l := range strings.SplitAfter(string(body), "\n") {
			if l != "" {
				b.WriteString("  " + l)
			}
		}
		want[m.URL] = h
	}
	var got struct {
		Server string                    `toml:"server"`
		Host   map[string]containerdHost `toml:"host"`
	}
	if err := toml.Unmarshal(b.Bytes(), &got); err != nil || got.Server != server || len(got.Host) != len(want) {
		return nil, fmt.Errorf("internal error: generated hosts.toml does not read back (%v)", err)
	}
	return b.Bytes(), nil
}

// containerdCA returns the CA certificate(s) to install, nil when none.
func containerdCA(mc *Context, a Args) ([]byte, error) {
	var data []byte
	switch {
	case a.Has("ca_content"):
		data = []byte(a.String("ca_content"))
	case a.Has("ca_src"):
		p, err := findLocal(mc, a.String("ca_src"), "files")
		if err == nil {
			data, err = os.ReadFile(p)
		}
		if err != nil {
			return nil, fmt.Errorf("ca_src: %w", err)
		}
	default:
		return nil, nil
	}
	n, rest := 0, data
	for {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("CA: unexpected PEM block %q (only certificates belong here)", blk.Type)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, fmt.Errorf("CA: %w", err)
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("CA: no PEM certificate found")
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	return data, nil
}

// containerdFile is one file the module ensures.
type containerdFile struct {
	path    string
	data    []byte
	changed bool
	tf      *textFile
}

// ensure reads the file (unless already read) and, when its content
// differs, writes data (not in check mode); a new file gets mode 0644.
func (f *containerdFile) ensure(ctx context.Context, mc *Context, r *Result) error {
	if f.tf == nil {
		tf, err := readTextFile(ctx, mc, "containerd_registry", f.path)
		if err != nil {
			return err
		}
		f.tf = tf
	}
	tf := f.tf
	f.changed = !tf.Exists || !bytes.Equal(tf.Data, f.data)
	if !f.changed {
		return nil
	}
	r.Changed = true
	if mc.Diff {
		r.Diff = append(r.Diff, textContentDiff(mc, tf, f.data))
	}
	if mc.Check {
		return nil
	}
	attrs := textAttrs{uid: -1, gid: -1}
	if !tf.Exists {
		attrs.mode = "0644"
	}
	return writeTextFile(ctx, mc, "containerd_registry", tf, f.data, attrs)
}

func (containerdRegistryModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	certsDir, err := textHostPath(ctx, mc, "containerd_registry", args.String("certs_dir"))
	if err != nil {
		return nil, err
	}
	registry := args.String("registry")
	dir := path.Join(certsDir, registry)
	mirrors, err := containerdMirrors(args)
	if err != nil {
		return nil, &ArgError{Module: "containerd_registry", Param: "mirrors", Msg: err.Error()}
	}
	ca, err := containerdCA(mc, args)
	if err != nil {
		return nil, fmt.Errorf("containerd_registry: %w", err)
	}
	server := "https://" + registry
	if registry == "_default" {
		server = ""
	}
	if args.Has("server") {
		server = args.String("server")
	}
	caPath := ""
	if ca != nil {
		caPath = path.Join(dir, args.String("ca_file"))
	}
	hosts, err := containerdHostsTOML(server, caPath, args.Bool("skip_verify"), mirrors, caPath)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"hosts_toml": path.Join(dir, "hosts.toml"), "ca_file": caPath,
		"hosts_changed": false, "config_changed": false, "config_version": 0, "restarted": false}
	r := &Result{Data: data}
	var cfg *containerdFile // planned before anything is written: a config containerd would refuse changes nothing
	if args.Bool("manage_config") {
		if cfg, err = containerdConfig(ctx, mc, args, certsDir, data); err != nil {
			return nil, err
		}
	}
	var msgs []string
	var files []*containerdFile
	if ca != nil {
		files = append(files, &containerdFile{path: caPath, data: ca})
	}
	files = append(files, &containerdFile{path: path.Join(dir, "hosts.toml"), data: hosts})
	for _, f := range files {
		if err := f.ensure(ctx, mc, r); err != nil {
			return nil, err
		}
		if f.changed {
			data["hosts_changed"] = true
			msgs = append(msgs, path.Base(f.path)+" updated")
		}
	}
	if cfg != nil {
		if err := cfg.ensure(ctx, mc, r); err != nil {
			return nil, err
		}
		msgs = append(msgs, "config_path set in "+cfg.path)
		if args.Bool("restart") && !mc.Check {
			res, err := mc.Conn.Run(ctx, &transport.Cmd{Shell: args.String("restart_command"), Become: mc.Become, Env: mc.Env})
			if err != nil {
				return nil, fmt.Errorf("containerd_registry: restarting containerd on %s: %w", mc.Host, err)
			}
			r.RC, r.Stdout, r.Stderr = IntPtr(res.ExitCode), string(res.Stdout), string(res.Stderr)
			if res.ExitCode != 0 {
				r.Failed = true
				r.Msg = fmt.Sprintf("config.toml updated but restarting containerd failed (%s): %s", args.String("restart_command"), textStderr(res))
				return r, nil
			}
			data["restarted"] = true
			msgs = append(msgs, "containerd restarted")
		}
	}
	r.Msg = strings.Join(msgs, ", ")
	return r, nil
}

// containerdConfig plans the change that makes config_file set config_path
// to certsDir; nil when there is none.
func containerdConfig(ctx context.Context, mc *Context, args Args, certsDir string, data map[string]any) (*containerdFile, error) {
	p, err := textHostPath(ctx, mc, "containerd_registry", args.String("config_file"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "containerd_registry", p)
	if err != nil {
		return nil, err
	}
	ed, err := containerdSetConfigPath(tf.Data, certsDir)
	if err != nil {
		return nil, fmt.Errorf("containerd_registry: %s on %s: %w", p, mc.Host, err)
	}
	data["config_version"] = ed.Version
	if !ed.Changed {
		return nil, nil
	}
	data["config_changed"] = true
	if ed.Rewritten && mc.Log != nil {
		mc.Log("containerd_registry: %s could not be edited line by line; re-encoded from its parsed content", p)
	}
	return &containerdFile{path: p, data: ed.After, tf: tf}, nil
}
