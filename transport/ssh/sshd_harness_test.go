package ssh

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/test/sshd"
)

// The integration harness runs private OpenSSH servers (/usr/sbin/sshd -D)
// on 127.0.11.x only, as root, with two local users: runbooktest (sudo
// with its password) and runbooknopw (sudo NOPASSWD).
const (
	sshdPath      = sshd.Path
	itUser        = "runbooktest"
	itNoPwUser    = "runbooknopw"
	itSudoersFile = "/etc/sudoers.d/runbooktest"
)

type itEnv struct {
	dir      string // shared: authorized_keys, client key
	password string // of both users (login and sudo)
	keyPath  string // client key authorized for both users
	uid, gid int    // of runbooktest
	home     string // of runbooktest
}

var (
	itOnce    sync.Once
	itShared  *itEnv
	itErr     error
	itNextIP  atomic.Int32
	itCleanup func()
)

// requireSSHD sets up (once) and returns the environment, or skips the
// test: unless RUNBOOK_REQUIRE_SSHD=1, which turns a skip into a failure.
func requireSSHD(t *testing.T) *itEnv {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("RUNBOOK_REQUIRE_SSHD") == "1" {
			t.Fatalf("RUNBOOK_REQUIRE_SSHD=1 but %s", why)
		}
		t.Skip(why)
	}
	if _, err := os.Stat(sshdPath); err != nil {
		skip(sshdPath + " is missing (apt-get install openssh-server)")
	}
	if os.Geteuid() != 0 {
		skip("the sshd integration tests must run as root (they create users)")
	}
	for _, tool := range []string{"ssh-keygen", "ssh-agent", "ssh-add", "sudo", "useradd", "chpasswd", "visudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(tool + " is missing")
		}
	}
	itOnce.Do(func() { itShared, itErr = setupIT() })
	if itErr != nil {
		t.Fatalf("integration setup: %v", itErr)
	}
	return itShared
}

func runTool(stdin string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func setupIT() (*itEnv, error) {
	dir, err := os.MkdirTemp("", "runbook-sshd-")
	if err != nil {
		return nil, err
	}
	// Afterwards: no sudo rule and no usable password are left behind.
	itCleanup = func() {
		os.Remove(itSudoersFile)
		for _, u := range []string{itUser, itNoPwUser} {
			_ = runTool("", "passwd", "-l", u)
		}
		os.RemoveAll(dir)
	}
	// sshd reads authorized_keys as the user: the directory must be open.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	env := &itEnv{dir: dir, password: "Rb-" + hex.EncodeToString(pw)}
	for _, u := range []string{itUser, itNoPwUser} {
		if _, err := user.Lookup(u); err != nil {
			if err := runTool("", "useradd", "-m", "-s", "/bin/sh", u); err != nil {
				return nil, err
			}
		}
	}
	if err := runTool(itUser+":"+env.password+"\n"+itNoPwUser+":"+env.password+"\n", "chpasswd"); err != nil {
		return nil, err
	}
	sudoers := itUser + " ALL=(ALL:ALL) ALL\n" + itNoPwUser + " ALL=(ALL:ALL) NOPASSWD: ALL\n" +
		"Defaults:" + itUser + " timestamp_timeout=0, passwd_tries=3\n"
	tmp := itSudoersFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(sudoers), 0o440); err != nil {
		return nil, err
	}
	if err := runTool("", "visudo", "-cf", tmp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, itSudoersFile); err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	var pub gossh.PublicKey
	if env.keyPath, pub, err = writeKeyFile(dir, "id_client", ""); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), gossh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return nil, err
	}
	u, err := user.Lookup(itUser)
	if err != nil {
		return nil, err
	}
	env.uid, _ = strconv.Atoi(u.Uid)
	env.gid, _ = strconv.Atoi(u.Gid)
	env.home = u.HomeDir
	return env, nil
}

// startSSHD starts a private sshd (test/sshd) for the two test users, with
// password logins on.
func startSSHD(t *testing.T, env *itEnv) *sshd.Server {
	t.Helper()
	return sshd.Start(t, sshd.Options{
		Users:          []string{itUser, itNoPwUser},
		AuthorizedKeys: filepath.Join(env.dir, "authorized_keys"),
		PasswordAuth:   true,
	})
}

// nextLoopback hands out 127.0.11.2 .. 127.0.11.254, never anything else.
func nextLoopback() string {
	return fmt.Sprintf("127.0.11.%d", 2+int(itNextIP.Add(1)-1)%253)
}

// sshdConfig is a client Config for user on p, trusting p's host key.
func sshdConfig(t *testing.T, p *sshd.Server, env *itEnv, user string) Config {
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, knownhosts.Line([]string{p.Addr}, p.HostKey)+"\n")
	return Config{Name: "it-" + p.Host, Addr: p.Host, Port: p.Port, User: user,
		KeyFiles: []string{env.keyPath}, KnownHostsFile: kh, Timeout: 3 * time.Second,
		Logf: (&logBuffer{}).logf}
}
