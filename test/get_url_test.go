package test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const getURLPassword = "pw-Zq8!never-shown"

// getURLServer serves a.txt (old enough for If-Modified-Since to answer
// 304), its SHA256SUMS and f behind basic authentication, on loopback.
func getURLServer(t *testing.T) *httptest.Server {
	sum := sha256.Sum256([]byte("alpha\n"))
	old := time.Now().Add(-time.Hour)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a.txt":
			http.ServeContent(w, r, "", old, strings.NewReader("alpha\n"))
		case "/SHA256SUMS":
			fmt.Fprintf(w, "%s  a.txt\n", hex.EncodeToString(sum[:]))
		case "/f":
			if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != getURLPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="t"`)
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "behind auth\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const getURLPlay = `
- hosts: all
  gather_facts: false
  tasks:
    - name: download
      get_url: {url: "{{ base }}/a.txt", dest: "{{ out }}/a.txt", mode: "0640"}
      register: dl1
    - name: again, the server says not modified
      get_url: {url: "{{ base }}/a.txt", dest: "{{ out }}/a.txt", mode: "0640"}
      register: dl2
    - name: into the directory, checksum from a file
      get_url: {url: "{{ base }}/a.txt", dest: "{{ out }}/", checksum: "sha256:{{ base }}/SHA256SUMS"}
    - name: checksum already matches
      get_url: {url: "{{ base }}/a.txt", dest: "{{ out }}/a.txt", checksum: "sha1:{{ 'alpha\n' | hash('sha1') }}"}
      register: matched
    - name: basic authentication
      get_url: {url: "{{ base }}/f", dest: "{{ out }}/f", url_username: admin, url_password: "{{ pw }}"}
    # Ansible reports this failure changed (it wrote dest, then removed it);
    # runbook does not (dest is never written), hence changed_when.
    - name: a wrong checksum fails
      get_url: {url: "{{ base }}/a.txt", dest: "{{ out }}/bad.txt", checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}
      ignore_errors: true
      changed_when: false
    - name: results
      when: not ansible_check_mode
      assert:
        that:
          - dl1.status_code == 200 or dl1.status_code == 304
          - dl2 is not changed
          - dl2.status_code == 304
          - matched is not changed
          - matched.msg == 'file already exists'
`

// getURLRun runs the playbook with one tool, extra vars as JSON.
func getURLRun(t *testing.T, dir, tool, out, base string, args ...string) result {
	t.Helper()
	vars := fmt.Sprintf(`{"out": %q, "base": %q, "pw": %q}`, out, base, getURLPassword)
	if tool == "runbook" {
		return runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts", "-e", vars}, args...)...)
	}
	cmd := exec.Command(tool, append([]string{"-i", "hosts", "site.yaml", "-e", vars}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent", "ANSIBLE_RETRY_FILES_ENABLED=0")
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	return result{stdout: b.String(), code: cmd.ProcessState.ExitCode()}
}

// get_url through the CLI: --check writes nothing, the first run changes
// what ansible-playbook changes and the second nothing, the same files end
// up in both trees, and the password is never printed, even at -vvv with
// --diff.
func TestGetURLPlaybookMatchesAnsible(t *testing.T) {
	srv := getURLServer(t)
	dir := workdir(t, map[string]string{"site.yaml": getURLPlay, "hosts": "localhost ansible_connection=local\n"})
	tools := []string{"runbook"}
	if p, err := exec.LookPath("ansible-playbook"); err == nil {
		tools = append(tools, p)
	} else if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
		t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
	}
	out := map[string]string{}
	var recaps []map[string]int
	for _, tool := range tools {
		out[tool] = filepath.Join(dir, "out-"+filepath.Base(tool))
		os.Mkdir(out[tool], 0o755)
		if tool == "runbook" {
			r := getURLRun(t, dir, tool, out[tool], srv.URL, "--check", "-vvv", "--diff")
			if entries, _ := os.ReadDir(out[tool]); r.code != 0 || len(entries) != 0 {
				t.Fatalf("--check: wrote %v\n%s", entries, r)
			}
		}
		first := getURLRun(t, dir, tool, out[tool], srv.URL, "-vvv", "--diff")
		second := getURLRun(t, dir, tool, out[tool], srv.URL)
		if first.code != 0 || second.code != 0 {
			t.Fatalf("%s: first %s\nsecond %s", tool, first, second)
		}
		if tool == "runbook" && strings.Contains(first.stdout+first.stderr, getURLPassword) {
			t.Fatalf("the password was printed:\n%s", first)
		}
		if c := recap(t, second.stdout)["localhost"]["changed"]; c != 0 {
			t.Fatalf("%s: second run changed=%d\n%s", tool, c, second)
		}
		recaps = append(recaps, recap(t, first.stdout)["localhost"])
	}
	if len(recaps) == 2 && !reflect.DeepEqual(recaps[0], recaps[1]) {
		t.Fatalf("recap: runbook %v, ansible %v", recaps[0], recaps[1])
	}
	var trees []string
	for _, tool := range tools {
		trees = append(trees, strings.ReplaceAll(snapshot(t, out[tool]), out[tool], ""))
	}
	if len(trees) == 2 && trees[0] != trees[1] {
		t.Fatalf("files: runbook\n%s\nansible\n%s", trees[0], trees[1])
	}
	if b, _ := os.ReadFile(filepath.Join(out["runbook"], "a.txt")); string(b) != "alpha\n" {
		t.Fatalf("a.txt: %q", b)
	}
}
