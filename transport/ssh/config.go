package ssh

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellwords"
)

// DefaultTimeout bounds connecting (TCP connect plus SSH handshake) and
// detecting a dead peer when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config says how to reach and authenticate to one host. The zero value of
// every field means "use ssh_config, then the OpenSSH default".
type Config struct {
	// Name is the inventory host name, used in messages and as the
	// ssh_config alias when Addr is empty.
	Name string
	// Addr is the host name or IP address to connect to, as you would pass
	// it to ssh: a HostName for it in ssh_config still applies.
	Addr string
	// Port is the TCP port; 0 means ssh_config's Port, else 22.
	Port int
	// User is the login user; "" means ssh_config's User, else the local user.
	User string
	// Password answers password and keyboard-interactive authentication.
	// It is never sent to a jump host.
	Password string
	// KeyFiles are private key files (RSA, ECDSA, Ed25519). When empty,
	// ssh_config's IdentityFile is used, else ~/.ssh/id_ed25519, id_ecdsa
	// and id_rsa, those that exist.
	KeyFiles []string
	// KeyPassphrase decrypts encrypted key files.
	KeyPassphrase string
	// UseAgent offers the keys of the agent at $SSH_AUTH_SOCK first, when set.
	UseAgent bool
	// JumpHost is a ProxyJump host, "[user@]host[:port]". The connection to
	// it is verified and authenticated (keys and agent only) like the target.
	JumpHost string
	// ProxyCommand, as OpenSSH's: a command run locally with /bin/sh whose
	// stdin and stdout carry the SSH connection; %h, %p, %r, %n, %u, %d
	// and %% are replaced. "" means ssh_config's ProxyCommand, "none" none.
	// Setting it and JumpHost both is an error.
	ProxyCommand string
	// Timeout bounds the TCP connect plus the SSH handshake, and how long a
	// peer may leave a keepalive unanswered before the connection is
	// declared dead. 0 means DefaultTimeout.
	Timeout time.Duration
	// KnownHostsFile is the OpenSSH known_hosts file; "" means
	// ~/.ssh/known_hosts. A missing file is an empty one.
	KnownHostsFile string
	// AcceptNewHostKeys records the keys of hosts not yet in KnownHostsFile
	// (like StrictHostKeyChecking=accept-new). A changed key is still refused.
	AcceptNewHostKeys bool
	// InsecureSkipHostKeyCheck disables host key verification entirely.
	// Dial warns loudly (through Logf) every time it is used.
	InsecureSkipHostKeyCheck bool
	// SSHConfigFile is the OpenSSH client configuration to honour for
	// HostName, User, Port, IdentityFile and ProxyJump; "" means
	// ~/.ssh/config when it exists. Explicit Config values win over it.
	SSHConfigFile string
	// BecomePassword is the sudo password, used when a Cmd's Become carries
	// none and sudo asks for one.
	BecomePassword string
	// Logf receives warnings (insecure host key checking, newly recorded
	// host keys). nil writes them to standard error. Secrets never reach it.
	Logf func(format string, args ...any)
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// ConfigFromVars builds a Config for host name from its inventory variables,
// starting from defaults. It understands ansible_host, ansible_port,
// ansible_user, ansible_password / ansible_ssh_pass,
// ansible_ssh_private_key_file, ansible_ssh_private_key_passphrase,
// ansible_ssh_jump_host (or -J / ProxyJump inside ansible_ssh_common_args or
// ansible_ssh_extra_args), ProxyCommand inside those two,
// ansible_become_password / ansible_become_pass,
// ansible_timeout and ansible_host_key_checking, plus the legacy
// ansible_ssh_host / ansible_ssh_port / ansible_ssh_user spellings. A value
// of the wrong type is an error naming the variable.
func ConfigFromVars(name string, vars map[string]any, defaults Config) (Config, error) {
	cfg := defaults
	cfg.Name = name
	cfg.KeyFiles = append([]string(nil), defaults.KeyFiles...)
	v := varReader{host: name, vars: vars}

	v.str(&cfg.Addr, "ansible_host", "ansible_ssh_host")
	v.str(&cfg.User, "ansible_user", "ansible_ssh_user", "ansible_remote_user")
	v.str(&cfg.Password, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
	v.str(&cfg.KeyPassphrase, "ansible_ssh_private_key_passphrase")
	v.str(&cfg.BecomePassword, "ansible_become_password", "ansible_become_pass")
	if port, ok := v.integer("ansible_port", "ansible_ssh_port"); ok {
		if port < 1 || port > 65535 {
			v.fail("ansible_port", fmt.Errorf("port %d out of range 1-65535", port))
		}
		cfg.Port = int(port)
	}
	if secs, ok := v.integer("ansible_timeout", "ansible_ssh_timeout"); ok {
		if secs < 1 {
			v.fail("ansible_timeout", fmt.Errorf("timeout must be positive, got %d", secs))
		}
		cfg.Timeout = time.Duration(secs) * time.Second
	}
	if b, ok := v.boolean("ansible_host_key_checking", "ansible_ssh_host_key_checking"); ok {
		cfg.InsecureSkipHostKeyCheck = !b
	}
	if files, ok := v.strings("ansible_ssh_private_key_file", "ansible_private_key_file"); ok {
		cfg.KeyFiles = files
	}
	explicitJump := v.str(&cfg.JumpHost, "ansible_ssh_jump_host")
	for _, key := range []string{"ansible_ssh_common_args", "ansible_ssh_extra_args"} {
		var args string
		if !v.str(&args, key) {
			continue
		}
		if j := sshArgOption(args, "ProxyJump"); j != "" && !explicitJump {
			cfg.JumpHost = j
		}
		if pc := sshArgOption(args, "ProxyCommand"); pc != "" {
			cfg.ProxyCommand = pc
		}
	}
	if v.err != nil {
		return Config{}, v.err
	}
	return cfg, nil
}

// varReader reads typed inventory variables, keeping the first error.
type varReader struct {
	host string
	vars map[string]any
	err  error
}

func (v *varReader) fail(key string, err error) {
	if v.err == nil {
		v.err = fmt.Errorf("host %s: variable %s: %w", v.host, key, err)
	}
}

// lookup returns the first of keys that is set (nil values count as unset).
func (v *varReader) lookup(keys ...string) (string, any, bool) {
	for _, k := range keys {
		if val, ok := v.vars[k]; ok && val != nil {
			return k, val, true
		}
	}
	return "", nil, false
}

func (v *varReader) str(dst *string, keys ...string) bool {
	k, val, ok := v.lookup(keys...)
	if !ok {
		return false
	}
	switch s := val.(type) {
	case string:
		*dst = s
		return true
	case fmt.Stringer:
		*dst = s.String()
		return true
	}
	// The value is deliberately not printed: it may be a password.
	v.fail(k, fmt.Errorf("expected a string, got %T", val))
	return false
}

func (v *varReader) integer(keys ...string) (int64, bool) {
	k, val, ok := v.lookup(keys...)
	if !ok {
		return 0, false
	}
	switch n := val.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		if n <= math.MaxInt32 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < math.MaxInt32 {
			return int64(n), true
		}
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64); err == nil {
			return i, true
		}
		v.fail(k, fmt.Errorf("expected an integer, got %q", n))
		return 0, false
	}
	v.fail(k, fmt.Errorf("expected an integer, got %T", val))
	return 0, false
}

func (v *varReader) boolean(keys ...string) (bool, bool) {
	k, val, ok := v.lookup(keys...)
	if !ok {
		return false, false
	}
	switch b := val.(type) {
	case bool:
		return b, true
	case string:
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "yes", "true", "on", "1":
			return true, true
		case "no", "false", "off", "0":
			return false, true
		}
	}
	v.fail(k, fmt.Errorf("expected a boolean, got %T", val))
	return false, false
}

func (v *varReader) strings(keys ...string) ([]string, bool) {
	k, val, ok := v.lookup(keys...)
	if !ok {
		return nil, false
	}
	switch l := val.(type) {
	case string:
		return []string{l}, true
	case []string:
		return append([]string(nil), l...), true
	case []any:
		out := make([]string, 0, len(l))
		for i, e := range l {
			s, isStr := e.(string)
			if !isStr {
				v.fail(k, fmt.Errorf("element %d: expected a string, got %T", i, e))
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	v.fail(k, fmt.Errorf("expected a string or a list of strings, got %T", val))
	return nil, false
}

// sshArgOption finds the value of option name in ssh command-line
// arguments: "-o Name=value", "-oName=value", "-o 'Name value'" (names
// compare case-insensitively) and, for ProxyJump, "-J host" or "-Jhost".
// The first occurrence wins, as in ssh.
func sshArgOption(args, name string) string {
	words, err := shellwords.Split(args)
	if err != nil {
		return ""
	}
	jump := strings.EqualFold(name, "ProxyJump")
	for i := 0; i < len(words); i++ {
		w := words[i]
		var opt string
		switch {
		case jump && w == "-J" && i+1 < len(words):
			return words[i+1]
		case jump && strings.HasPrefix(w, "-J") && len(w) > 2:
			return w[2:]
		case w == "-o" && i+1 < len(words):
			opt = words[i+1]
			i++
		case strings.HasPrefix(w, "-o") && len(w) > 2:
			opt = w[2:]
		default:
			continue
		}
		// As in ssh_config, the keyword ends at the first '=' or blank.
		opt = strings.TrimSpace(opt)
		k := strings.IndexAny(opt, "= \t")
		if k > 0 && strings.EqualFold(opt[:k], name) {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(opt[k:], " \t"), "="))
		}
	}
	return ""
}
