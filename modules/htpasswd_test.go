package modules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
	"golang.org/x/crypto/bcrypt"
)

// htTestPass is the password used by the tests; cost 4 keeps bcrypt fast
// under the race detector.
const htTestPass = "s3cret-Pa55"

func htArgs(p string, extra map[string]any) map[string]any {
	a := map[string]any{"path": p, "name": "sealer", "password": htTestPass, "cost": 4}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// htUsers reads the file as user -> hash, failing on duplicates.
func htUsers(t *testing.T, p string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		u, h, _ := strings.Cut(l, ":")
		if _, dup := m[u]; dup {
			t.Fatalf("user %s twice in:\n%s", u, b)
		}
		m[u] = h
	}
	return m
}

// htNoSecret fails when the password or a hash shows in the result.
func htNoSecret(t *testing.T, r *modules.Result, hashes ...string) {
	t.Helper()
	out, _ := json.Marshal(r.Map())
	s := string(out) + r.Msg
	for _, d := range r.Diff {
		s += d.Before + d.After
	}
	if strings.Contains(s, htTestPass) || strings.Contains(s, "$2a$") || strings.Contains(s, "$2y$") {
		t.Fatalf("secret in the result: %s", s)
	}
	for _, h := range hashes {
		if h != "" && strings.Contains(s, h) {
			t.Fatalf("hash in the result: %s", s)
		}
	}
}

func TestHtpasswdLifecycle(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := filepath.Join(t.TempDir(), "rootfs", "etc", "registry_htpasswd")
		mc := connContext(t, c, nil)
		mc.Diff = true
		r := helperMustRun(t, mc, "htpasswd", htArgs(p, nil))
		if !r.Changed || r.Msg != "user added" {
			t.Fatalf("create: %+v", r.Map())
		}
		users := htUsers(t, p)
		if !strings.HasPrefix(users["sealer"], "$2a$04$") || bcrypt.CompareHashAndPassword([]byte(users["sealer"]), []byte(htTestPass)) != nil {
			t.Fatalf("hash %q does not verify", users["sealer"])
		}
		htNoSecret(t, r, users["sealer"])
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
			t.Fatalf("created with mode %v", fi.Mode())
		}
		// Idempotent: the salted hash is verified, not compared.
		before, _ := os.ReadFile(p)
		fi1, _ := os.Stat(p)
		if r := helperMustRun(t, mc, "htpasswd", htArgs(p, nil)); r.Changed || len(r.Diff) != 0 {
			t.Fatalf("second run changed: %+v", r.Map())
		}
		if after, _ := os.ReadFile(p); string(after) != string(before) {
			t.Fatal("file rewritten")
		}
		if fi2, _ := os.Stat(p); !fi2.ModTime().Equal(fi1.ModTime()) {
			t.Fatal("file touched")
		}
		// Other users, including an Apache $2y$ line, are kept byte for byte.
		other, _ := bcrypt.GenerateFromPassword([]byte("other"), 4)
		apache := "admin:$2y$" + string(other)[4:] + "\n"
		os.Remove(p)
		os.WriteFile(p, []byte(apache+"sealer:$apr1$abc$def\nbob:"+string(other)+"\n"), 0o600)
		r = helperMustRun(t, mc, "htpasswd", htArgs(p, nil))
		users = htUsers(t, p)
		if !r.Changed || r.Msg != "password updated" || bcrypt.CompareHashAndPassword([]byte(users["sealer"]), []byte(htTestPass)) != nil {
			t.Fatalf("wrong hash not replaced: %+v %v", r.Map(), users)
		}
		got, _ := os.ReadFile(p)
		if !strings.HasPrefix(string(got), apache+"sealer:$2a$") || !strings.HasSuffix(string(got), "bob:"+string(other)+"\n") {
			t.Fatalf("other lines not kept in place:\n%s", got)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Fatalf("existing mode changed to %v", fi.Mode())
		}
		htNoSecret(t, r, users["sealer"], string(other))
		if !strings.Contains(r.Diff[0].After, "sealer:(new hash hidden)") || !strings.Contains(r.Diff[0].Before, "admin:(hash hidden)") {
			t.Fatalf("diff %+v", r.Diff)
		}
		// Another password for the same user replaces the line.
		r = helperMustRun(t, mc, "htpasswd", htArgs(p, map[string]any{"password": "changed"}))
		if users := htUsers(t, p); !r.Changed || bcrypt.CompareHashAndPassword([]byte(users["sealer"]), []byte("changed")) != nil || len(users) != 3 {
			t.Fatalf("password change: %+v %v", r.Map(), users)
		}
		// absent removes the user only.
		r = helperMustRun(t, mc, "htpasswd", htArgs(p, map[string]any{"state": "absent", "password": nil}))
		if users := htUsers(t, p); !r.Changed || r.Msg != "user removed" || len(users) != 2 || users["bob"] != string(other) {
			t.Fatalf("absent: %+v %v", r.Map(), users)
		}
		if r := helperMustRun(t, mc, "htpasswd", htArgs(p, map[string]any{"state": "absent"})); r.Changed {
			t.Fatal("absent twice changed")
		}
	})
}

func TestHtpasswdCheckModeAndDuplicates(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		p := filepath.Join(t.TempDir(), "htpasswd")
		mc := connContext(t, c, nil)
		mc.Check, mc.Diff = true, true
		r := helperMustRun(t, mc, "htpasswd", htArgs(p, nil))
		if !r.Changed || len(r.Diff) != 1 || r.Diff[0].After != "sealer:(new hash hidden)\n" {
			t.Fatalf("check mode: %+v", r.Map())
		}
		htNoSecret(t, r)
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatal("check mode created the file")
		}
		mc.Check = false
		good, _ := bcrypt.GenerateFromPassword([]byte(htTestPass), 4)
		os.WriteFile(p, []byte("sealer:"+string(good)+"\nx:y\nsealer:$2a$04$stale\n"), 0o644)
		mc.Check = true
		if r := helperMustRun(t, mc, "htpasswd", htArgs(p, nil)); !r.Changed || r.Msg != "duplicate lines removed" {
			t.Fatalf("duplicate prediction: %+v", r.Map())
		}
		mc.Check = false
		helperMustRun(t, mc, "htpasswd", htArgs(p, nil))
		if got, _ := os.ReadFile(p); string(got) != "sealer:"+string(good)+"\nx:y\n" {
			t.Fatalf("duplicates not removed:\n%s", got)
		}
		if _, err := helperRun(t, mc, "htpasswd", htArgs(filepath.Join(t.TempDir(), "none"), map[string]any{"create": false})); err == nil {
			t.Fatal("create: false made a file")
		}
	})
}

func TestHtpasswdArgs(t *testing.T) {
	m, _ := modules.Lookup("htpasswd")
	var pw *modules.Param
	for i := range m.Spec().Params {
		if m.Spec().Params[i].Name == "password" {
			pw = &m.Spec().Params[i]
		}
	}
	if pw == nil || !pw.NoLog {
		t.Fatal("password is not no_log")
	}
	for _, bad := range []map[string]any{
		{"path": "/x", "name": "a:b", "password": "p"},
		{"path": "/x", "name": "a"},
		{"path": "/x", "name": "a", "password": strings.Repeat("p", 73)},
		{"path": "/x", "name": "a", "password": "p", "crypt": "md5"},
		{"path": "/x", "name": "a", "password": "p", "cost": 2},
	} {
		if _, err := m.Spec().Bind(bad, true); err == nil {
			t.Errorf("%v accepted", bad)
		} else if strings.Contains(err.Error(), strings.Repeat("p", 73)) {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}
