package ssh

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	sshconfig "github.com/kevinburke/ssh_config"
)

// userHomeDir finds ~ (a variable so tests can point it elsewhere).
var userHomeDir = os.UserHomeDir

// defaultKeyNames are tried, in order, when no key file is configured.
var defaultKeyNames = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// endpoint is one SSH server to reach, with everything resolved.
type endpoint struct {
	name     string // for messages
	host     string // what is dialled
	port     int
	user     string
	keyFiles []string
	// explicitKeys is true when keyFiles were configured (a missing one is
	// then worth mentioning if authentication fails).
	explicitKeys bool
	password     string // "" for jump hosts
	// proxyCommand, tokens expanded, is run to reach the host instead of
	// dialling it ("" for none).
	proxyCommand string
}

func (e *endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// label is "user@host:port" for messages.
func (e *endpoint) label() string { return e.user + "@" + e.addr() }

// resolved is a Config with ssh_config and defaults applied.
type resolved struct {
	target *endpoint
	jump   *endpoint // nil without ProxyJump
}

// resolve applies ssh_config and the OpenSSH defaults to cfg: explicit
// Config values win over ssh_config, which wins over defaults.
func resolve(cfg Config) (*resolved, error) {
	sc, err := loadSSHConfig(cfg.SSHConfigFile)
	if err != nil {
		return nil, err
	}
	alias := cfg.Addr
	if alias == "" {
		alias = cfg.Name
	}
	if alias == "" {
		return nil, errors.New("no address: set Addr (ansible_host) or Name")
	}
	target := &endpoint{name: cfg.Name, port: cfg.Port, user: cfg.User, password: cfg.Password}
	if target.name == "" {
		target.name = alias
	}
	target.keyFiles, target.explicitKeys = cfg.KeyFiles, len(cfg.KeyFiles) > 0
	if err := sc.fill(alias, target); err != nil {
		return nil, err
	}
	r := &resolved{target: target}

	// Explicit values win over ssh_config, for both ways of going through
	// another host ("none" for either means directly).
	jump, proxy, from := cfg.JumpHost, cfg.ProxyCommand, "the inventory"
	if jump == "" && proxy == "" {
		jump, proxy, from = sc.get(alias, "ProxyJump"), sc.get(alias, "ProxyCommand"), "ssh config"
	}
	if jump = noneAsEmpty(jump); jump != "" && noneAsEmpty(proxy) != "" {
		return nil, fmt.Errorf("%s sets both a jump host (%s) and a ProxyCommand for %s: keep one", from, jump, alias)
	}
	if target.proxyCommand, err = expandProxyCommand(noneAsEmpty(proxy), alias, target); err != nil {
		return nil, err
	}
	if jump != "" {
		if strings.Contains(jump, ",") {
			return nil, fmt.Errorf("jump host %q: chains of jump hosts are not supported", jump)
		}
		ju, jhost, jport, err := parseJump(jump)
		if err != nil {
			return nil, err
		}
		j := &endpoint{name: "jump host " + jhost, port: jport, user: ju}
		if err := sc.fill(jhost, j); err != nil {
			return nil, err
		}
		if j.proxyCommand, err = expandProxyCommand(noneAsEmpty(sc.get(jhost, "ProxyCommand")), jhost, j); err != nil {
			return nil, err
		}
		if !j.explicitKeys && target.explicitKeys {
			// No IdentityFile for the jump host: use the target's keys.
			j.keyFiles, j.explicitKeys = target.keyFiles, true
		}
		r.jump = j
	}
	return r, nil
}

// proxyTokenChars may appear in a value put into a ProxyCommand.
const proxyTokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@:[]+"

func noneAsEmpty(s string) string {
	if strings.EqualFold(s, "none") {
		return ""
	}
	return s
}

// expandProxyCommand replaces the ssh_config tokens of a ProxyCommand for
// endpoint e reached as alias: %h host, %p port, %r remote user, %n alias,
// %u local user, %d local home, %%. Other tokens are an error, as in ssh.
func expandProxyCommand(cmd, alias string, e *endpoint) (string, error) {
	var b strings.Builder
	for i := 0; i < len(cmd); i++ {
		if cmd[i] != '%' {
			b.WriteByte(cmd[i])
			continue
		}
		if i++; i == len(cmd) {
			return "", fmt.Errorf("ProxyCommand for %s ends with a lone %%", alias)
		}
		switch cmd[i] {
		case 'h', 'r', 'n':
			v := map[byte]string{'h': e.host, 'r': e.user, 'n': alias}[cmd[i]]
			// The command goes to a shell: an inventory value must not
			// bring shell syntax along.
			if strings.Trim(v, proxyTokenChars) != "" || v == "" {
				return "", fmt.Errorf("ProxyCommand for %s: %%%c would be %q: only letters, digits and %q are allowed there", alias, cmd[i], v, "._-@:[]+")
			}
			b.WriteString(v)
		case 'p':
			b.WriteString(strconv.Itoa(e.port))
		case 'u':
			b.WriteString(localUser())
		case 'd':
			home, _ := userHomeDir()
			b.WriteString(home)
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("ProxyCommand for %s: unknown token %%%c (known: %%h %%p %%r %%n %%u %%d %%%%)", alias, cmd[i])
		}
	}
	return b.String(), nil
}

// parseJump splits "[user@]host[:port]" (IPv6 in brackets).
func parseJump(s string) (user, host string, port int, err error) {
	rest := s
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		user, rest = rest[:i], rest[i+1:]
	}
	host = rest
	if h, p, splitErr := net.SplitHostPort(rest); splitErr == nil {
		host = h
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return "", "", 0, fmt.Errorf("jump host %q: bad port %q", s, p)
		}
	} else if strings.Count(rest, ":") == 1 {
		return "", "", 0, fmt.Errorf("jump host %q: %v", s, splitErr)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return "", "", 0, fmt.Errorf("jump host %q: no host", s)
	}
	return user, host, port, nil
}

// sshConfig is a parsed ssh_config file (possibly empty).
type sshConfig struct{ cfg *sshconfig.Config }

func loadSSHConfig(path string) (sshConfig, error) {
	explicit := path != ""
	if !explicit {
		home, err := userHomeDir()
		if err != nil {
			return sshConfig{}, nil
		}
		path = filepath.Join(home, ".ssh", "config")
	}
	f, err := os.Open(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return sshConfig{}, nil
		}
		return sshConfig{}, fmt.Errorf("ssh config: %w", err)
	}
	defer f.Close()
	c, err := sshconfig.Decode(f)
	if err != nil {
		return sshConfig{}, fmt.Errorf("ssh config %s: %w", path, err)
	}
	return sshConfig{cfg: c}, nil
}

func (s sshConfig) get(alias, key string) string {
	if s.cfg == nil {
		return ""
	}
	v, _ := s.cfg.Get(alias, key)
	return strings.TrimSpace(v)
}

func (s sshConfig) getAll(alias, key string) []string {
	if s.cfg == nil {
		return nil
	}
	v, _ := s.cfg.GetAll(alias, key)
	return v
}

// fill completes e (whose set fields win) from ssh_config for alias, then
// from the defaults.
func (s sshConfig) fill(alias string, e *endpoint) error {
	e.host = alias
	if hn := s.get(alias, "HostName"); hn != "" {
		e.host = strings.ReplaceAll(hn, "%h", alias)
	}
	if e.port == 0 {
		if p := s.get(alias, "Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("ssh config: Port %q for %s is not a valid port", p, alias)
			}
			e.port = n
		}
	}
	if e.port == 0 {
		e.port = 22
	}
	if e.user == "" {
		e.user = s.get(alias, "User")
	}
	if e.user == "" {
		e.user = localUser()
	}
	home, _ := userHomeDir()
	if len(e.keyFiles) == 0 {
		for _, f := range s.getAll(alias, "IdentityFile") {
			e.keyFiles = append(e.keyFiles, expandPath(f, home, alias, e.user))
			e.explicitKeys = true
		}
	} else {
		expanded := make([]string, len(e.keyFiles))
		for i, f := range e.keyFiles {
			expanded[i] = expandPath(f, home, alias, e.user)
		}
		e.keyFiles = expanded
	}
	if len(e.keyFiles) == 0 && home != "" {
		for _, n := range defaultKeyNames {
			e.keyFiles = append(e.keyFiles, filepath.Join(home, ".ssh", n))
		}
	}
	return nil
}

// expandPath expands ~ and the ssh_config tokens %d, %h, %r, %u and %%.
func expandPath(p, home, host, remoteUser string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		p = home + p[1:]
	}
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 == len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case 'd':
			b.WriteString(home)
		case 'h':
			b.WriteString(host)
		case 'r':
			b.WriteString(remoteUser)
		case 'u':
			b.WriteString(localUser())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}
