package test

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const uriPassword = "pw-Uri7!never-shown"

// uriFormServer answers /form with what a form carried, in one canonical
// text (multipart parts decoded, as Ansible base64-encodes file parts),
// /static with a document old enough for If-Modified-Since to answer 304,
// and /auth behind basic authentication.
func uriFormServer(t *testing.T) *httptest.Server {
	old := time.Now().Add(-time.Hour)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/static":
			http.ServeContent(w, r, "", old, strings.NewReader("static document\n"))
		case "/auth":
			if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != uriPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="t"`)
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "welcome\n")
		case "/form":
			ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			fmt.Fprintf(w, "%s %s\n", r.Method, ct)
			if ct != "multipart/form-data" {
				b, _ := io.ReadAll(r.Body)
				fmt.Fprintf(w, "%s\n", b)
				return
			}
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
					b, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\n", ""))
				}
				pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				fmt.Fprintf(w, "%s %q %s %q\n", p.FormName(), p.FileName(), pt, b)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const uriPlay = `
- hosts: all
  gather_facts: false
  tasks:
    - name: a form, url-encoded
      uri:
        url: "{{ base }}/form"
        method: POST
        body_format: form-urlencoded
        body: {a: "x y", b: "1&2", c: [p, q]}
        return_content: true
      register: enc
    - name: a form, multipart
      uri:
        url: "{{ base }}/form"
        method: POST
        body_format: form-multipart
        body:
          note: plain text
          upload: {filename: data.txt, mime_type: text/plain}
          inline: {content: "inline content", filename: inline.bin, mime_type: application/octet-stream}
        return_content: true
      register: multi
    - name: the body from a file
      uri: {url: "{{ base }}/form", method: PUT, src: data.txt, return_content: true}
      register: fromsrc
    - name: what the server saw
      copy:
        dest: "{{ out }}/forms.txt"
        content: "{{ enc.content }}{{ multi.content }}{{ fromsrc.content }}"
    - name: a document to a file
      uri: {url: "{{ base }}/static", dest: "{{ out }}/static.txt", mode: "0640", status_code: [200, 304]}
    - name: not asked again once it exists
      uri: {url: "{{ base }}/static", creates: "{{ out }}/static.txt"}
    - name: basic authentication
      uri: {url: "{{ base }}/auth", url_username: admin, url_password: "{{ pw }}", return_content: true}
      register: auth
    - name: results
      assert:
        that:
          - auth.content == 'welcome\n'
          - enc is not changed
`

func uriRunTool(t *testing.T, dir, tool, out, base string, args ...string) result {
	t.Helper()
	return playWithTool(t, dir, tool, fmt.Sprintf(`{"out": %q, "base": %q, "pw": %q}`, out, base, uriPassword), args...)
}

// uri's form bodies, src, dest and creates through the CLI, against
// ansible-playbook when it is installed: the server sees the same forms,
// the recaps and the files written match, the second run changes nothing,
// and the password is never printed, even at -vvv with --diff.
func TestURIPlaybookMatchesAnsible(t *testing.T) {
	srv := uriFormServer(t)
	dir := workdir(t, map[string]string{"site.yaml": uriPlay, "hosts": "localhost ansible_connection=local\n",
		"files/data.txt": "file data\n"})
	out := playTwiceLikeAnsible(t, dir, uriPassword, false, func(tool, out string, args ...string) result {
		return uriRunTool(t, dir, tool, out, srv.URL, args...)
	})
	want := "POST application/x-www-form-urlencoded\na=x+y&b=1%262&c=p&c=q\n" +
		"POST multipart/form-data\n" +
		`inline "inline.bin" application/octet-stream "inline content"` + "\n" +
		`note "" text/plain "plain text"` + "\n" +
		`upload "data.txt" text/plain "file data\n"` + "\n" +
		"PUT application/x-www-form-urlencoded\nfile data\n\n"
	if b, _ := os.ReadFile(filepath.Join(out, "forms.txt")); string(b) != want {
		t.Fatalf("forms.txt:\n%s\nwant\n%s", b, want)
	}
}
