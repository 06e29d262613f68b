package secret

import (
	"slices"
	"sort"
	"testing"
)

func TestIsName(t *testing.T) {
	for name, want := range map[string]bool{
		"db_password": true, "DB_PASSWORD": true, "ansible_become_pass": true, "pass": true, "api_token": true,
		"db_credentials": true, "my_secret": true, "ssh_passphrase": true, "access_key": true, "tls_private_key": true,
		"ansible_ssh_private_key_file": false, "secret_files": false, "token_path": false, "key_dir": false,
		"ssh_public_key": false, "passenger": false, "key": false, "host": false, "compass": false,
		"getent_passwd": false, "getent_shadow": true,
	} {
		if got := IsName(name); got != want {
			t.Errorf("IsName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNamedValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want []string
	}{
		{"app_password", 55512345, []string{"55512345"}},
		{"app_password", 55512345.0, []string{"5.5512345e+07", "55512345"}},
		{"api_tokens", map[string]any{"github": "GH1", "gitlab": []any{"GL2"}}, []string{"GH1", "GL2"}},
		// A record names its secret: the user is not one.
		{"db_credentials", map[string]any{"user": "admin", "password": "PW1"}, []string{"PW1"}},
		{"users", []any{map[string]any{"name": "bob", "password": "PW2"}}, []string{"PW2"}},
		{"tls", map[string]any{"cert": "-----BEGIN CERTIFICATE-----", "key": "-----BEGIN PRIVATE KEY-----\nX"}, []string{"-----BEGIN PRIVATE KEY-----\nX"}},
		{"tls_secret", map[string]any{"key_file": "/etc/k", "value": "V1"}, []string{"V1"}},
		{"api_token", "tok-{{ base }}", nil}, // a template: its rendered value is what counts
		{"ansible_become", true, nil},
		{"host", "h1", nil},
	} {
		got := Named(tc.name, tc.v, nil)
		sort.Strings(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Named(%q, %v) = %q, want %q", tc.name, tc.v, got, tc.want)
		}
	}
	if got := All(map[string]any{"k": []any{"a1", 7}}, nil); len(got) != 2 {
		t.Errorf("All = %q, want both leaves", got)
	}
}
