package sshd

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// User is a local account that tests log in as: key (any Server's
// KeyPath, authorized by the server's AuthorizedKeysFile) or password, and
// sudo to anyone with that password.
type User struct {
	Name     string
	Password string // login and sudo password; random per process
	UID, GID int
	Home     string
}

var (
	usersMu sync.Mutex
	users   = map[string]*userRef{}
)

type userRef struct {
	u    *User
	refs int
}

// SudoUser creates (or reuses) the local user name with a fresh random
// password and a sudoers rule "name ALL=(ALL:ALL) ALL" (password required,
// never cached, three tries). When the last test using it ends, the rule is
// removed and the password locked, so nothing usable is left behind. Each
// test package must use its own name: packages run in parallel processes
// and would overwrite each other's password.
func SudoUser(t testing.TB, name string) *User {
	t.Helper()
	Require(t)
	for _, tool := range []string{"sudo", "useradd", "chpasswd", "visudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("RUNBOOK_REQUIRE_SSHD") == "1" {
				t.Fatalf("RUNBOOK_REQUIRE_SSHD=1 but %s is missing", tool)
			}
			t.Skip(tool + " is missing")
		}
	}
	usersMu.Lock()
	defer usersMu.Unlock()
	ref := users[name]
	if ref == nil {
		u, err := createSudoUser(name)
		if err != nil {
			t.Fatalf("creating the sudo test user %s: %v", name, err)
		}
		ref = &userRef{u: u}
		users[name] = ref
	}
	ref.refs++
	t.Cleanup(func() {
		usersMu.Lock()
		defer usersMu.Unlock()
		if ref.refs--; ref.refs == 0 {
			delete(users, name)
			_ = os.Remove(sudoersFile(name)) // gone already: fine
			_ = run("passwd", "-l", name)    // a lock failure leaves only a random password
		}
	})
	return ref.u
}

func sudoersFile(name string) string { return "/etc/sudoers.d/" + name }

func createSudoUser(name string) (*User, error) {
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	u := &User{Name: name, Password: "Rb-" + hex.EncodeToString(pw)}
	if _, err := user.Lookup(name); err != nil {
		if err := run("useradd", "-m", "-s", "/bin/sh", name); err != nil {
			return nil, err
		}
	}
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(name + ":" + u.Password + "\n") // never in argv
	if out, err := chpasswd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("chpasswd: %w: %s", err, out)
	}
	rule := name + " ALL=(ALL:ALL) ALL\nDefaults:" + name + " timestamp_timeout=0, passwd_tries=3\n"
	tmp := sudoersFile(name) + ".tmp"
	if err := os.WriteFile(tmp, []byte(rule), 0o440); err != nil {
		return nil, err
	}
	if err := run("visudo", "-cf", tmp); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, sudoersFile(name)); err != nil {
		return nil, err
	}
	sys, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	u.Home = sys.HomeDir
	if u.UID, err = strconv.Atoi(sys.Uid); err != nil {
		return nil, fmt.Errorf("uid of %s: %w", name, err)
	}
	if u.GID, err = strconv.Atoi(sys.Gid); err != nil {
		return nil, fmt.Errorf("gid of %s: %w", name, err)
	}
	return u, nil
}
