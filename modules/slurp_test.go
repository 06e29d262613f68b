package modules_test

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlurp(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "key")
		writeString(t, p, "secret\x00bytes\n", 0o600)
		mc := connContext(t, c, nil)
		r := helperMustRun(t, mc, "slurp", map[string]any{"src": p})
		got, err := base64.StdEncoding.DecodeString(r.Data["content"].(string))
		if err != nil || string(got) != "secret\x00bytes\n" || r.Data["encoding"] != "base64" || r.Data["source"] != p || r.Data["size"] != 13 || r.Changed {
			t.Fatalf("slurp: %v", r.Data)
		}
		_, err = helperRun(t, mc, "slurp", map[string]any{"path": filepath.Join(dir, "nope")})
		if err == nil || !strings.Contains(err.Error(), "slurp on localhost: "+filepath.Join(dir, "nope")+": file does not exist on the host") {
			t.Errorf("missing: %v", err)
		}
		if _, err = helperRun(t, mc, "slurp", map[string]any{"src": dir}); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("directory: %v", err)
		}
	})
}
