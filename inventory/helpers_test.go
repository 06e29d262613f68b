package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadText writes content to a temporary file called name and loads it.
func loadText(t testing.TB, name, content string) (*Inventory, error) {
	t.Helper()
	return Load([]string{writeFile(t, t.TempDir(), name, content)})
}

// mustLoadText is loadText that fails the test on error.
func mustLoadText(t testing.TB, name, content string) *Inventory {
	t.Helper()
	inv, err := loadText(t, name, content)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return inv
}

func mustLoad(t testing.TB, sources ...string) *Inventory {
	t.Helper()
	inv, err := Load(sources)
	if err != nil {
		t.Fatalf("Load(%q): %v", sources, err)
	}
	return inv
}

func hostNames(inv *Inventory) []string {
	var out []string
	for _, h := range inv.Hosts() {
		out = append(out, h.Name)
	}
	return out
}

func eq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// wantErr checks that err is non-nil and that its text, with the temporary
// directory stripped, starts with prefix and contains every part.
func wantErr(t testing.TB, err error, prefix string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %q..., got nil", prefix)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg[:max(0, strings.Index(msg, ":"))], string(filepath.Separator)); i >= 0 {
		msg = msg[i+1:]
	}
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not contain %q", msg, p)
		}
	}
}
