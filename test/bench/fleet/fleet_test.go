package fleet

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestFleetSmoke starts three hosts and checks exec (sandbox as cwd and
// HOME, stdin, exit status) and SFTP put/get over real SSH, verifying
// the host keys through the fleet's known_hosts file.
func TestFleetSmoke(t *testing.T) {
	f, err := Start(Options{N: 3, Dir: t.TempDir(), PerAddr: 2, FirstAddr: 201})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Hosts[0].IP != "127.0.12.201" || f.Hosts[2].IP != "127.0.12.202" {
		t.Fatalf("addresses: %+v", f.Hosts)
	}
	spec := f.Spec()
	if inv := spec.Inventory(2); strings.Count(inv, "ansible_host=") != 2 || !strings.Contains(inv, "ansible_ssh_private_key_file=") {
		t.Fatalf("inventory:\n%s", inv)
	}
	if kh := spec.KnownHostsFor(2); strings.Count(kh, "\n") != 2 || !strings.HasPrefix(kh, "[127.0.12.201]:") {
		t.Fatalf("known_hosts for 2:\n%s", kh)
	}
	for _, h := range f.Hosts {
		c := dial(t, f, h)
		if out, code := run(t, c, "pwd; echo $HOME", ""); out != h.Sandbox+"\n"+h.Sandbox+"\n" || code != 0 {
			t.Errorf("%s: cwd/HOME %q exit %d", h.Name, out, code)
		}
		if out, code := run(t, c, "cat; exit 3", "in"); out != "in" || code != 3 {
			t.Errorf("%s: stdin %q exit %d", h.Name, out, code)
		}
		// Fast commands, many at once: each exec reply precedes its exit status.
		errs := make(chan error, 20)
		for range 20 {
			go func() {
				s, err := c.NewSession()
				if err == nil {
					err = s.Run("true")
					s.Close()
				}
				errs <- err
			}()
		}
		for range 20 {
			if err := <-errs; err != nil {
				t.Errorf("%s: concurrent exec: %v", h.Name, err)
			}
		}
		sc, err := sftp.NewClient(c)
		if err != nil {
			t.Fatal(err)
		}
		w, err := sc.Create("put.txt")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(h.Name)); err != nil || w.Close() != nil {
			t.Fatal("sftp put", err)
		}
		if b, _ := os.ReadFile(filepath.Join(h.Sandbox, "put.txt")); string(b) != h.Name {
			t.Errorf("%s: put landed as %q", h.Name, b)
		}
		r, err := sc.Open("put.txt")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(r); string(b) != h.Name {
			t.Errorf("%s: get %q", h.Name, b)
		}
		r.Close()
		sc.Close()
		c.Close()
	}
	f.Close()
	if _, err := net.DialTimeout("tcp", net.JoinHostPort(f.Hosts[0].IP, strconv.Itoa(f.Hosts[0].Port)), time.Second); err == nil {
		t.Error("host still listening after Close")
	}
}

func dial(t *testing.T, f *Fleet, h Host) *gossh.Client {
	t.Helper()
	key, err := os.ReadFile(f.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(f.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(h.IP, strconv.Itoa(h.Port))
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "root", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: hk, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	return c
}

func run(t *testing.T, c *gossh.Client, line, stdin string) (string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	s.Stdout, s.Stdin = &out, strings.NewReader(stdin)
	err = s.Run(line)
	var ee *gossh.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitStatus()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}
