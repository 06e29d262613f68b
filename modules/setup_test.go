package modules_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func TestSetupLocal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("facts checked against Linux")
	}
	mc := helperContext(t, nil)
	mc.Check = true // gathering changes nothing and runs in check mode
	r := helperMustRun(t, mc, "setup", map[string]any{})
	f := r.Facts
	if r.Failed || r.Changed || len(f) == 0 {
		t.Fatalf("result: %+v", r)
	}
	host, _ := os.Hostname()
	short, _, _ := strings.Cut(host, ".")
	if f["ansible_hostname"] != short || f["ansible_nodename"] != host || f["ansible_fqdn"] == "" {
		t.Errorf("names: %v %v %v (os: %s)", f["ansible_hostname"], f["ansible_nodename"], f["ansible_fqdn"], host)
	}
	if f["ansible_system"] != "Linux" || f["ansible_kernel"] == "" || f["ansible_architecture"] == "" {
		t.Errorf("system: %v %v %v", f["ansible_system"], f["ansible_kernel"], f["ansible_architecture"])
	}
	if f["ansible_user_uid"] != os.Getuid() || f["ansible_user_gid"] != os.Getgid() || f["ansible_user_id"] == "" {
		t.Errorf("user: %v %v %v", f["ansible_user_id"], f["ansible_user_uid"], f["ansible_user_gid"])
	}
	if env, _ := f["ansible_env"].(map[string]any); env["PATH"] != os.Getenv("PATH") {
		t.Errorf("env: %v", f["ansible_env"])
	}
	if _, err := os.Stat("/etc/os-release"); err == nil {
		for _, k := range []string{"ansible_distribution", "ansible_os_family", "ansible_distribution_version"} {
			if f[k] == "" || f[k] == "NA" {
				t.Errorf("%s = %v", k, f[k])
			}
		}
	}
	dt, _ := f["ansible_date_time"].(map[string]any)
	epoch, err := strconv.ParseInt(dt["epoch"].(string), 10, 64)
	if err != nil || time.Since(time.Unix(epoch, 0)).Abs() > time.Minute {
		t.Errorf("date_time: %v", dt)
	}
	if f["ansible_service_mgr"] == "" || f["ansible_processor_nproc"] == nil || f["ansible_memtotal_mb"] == nil {
		t.Errorf("service_mgr/nproc/mem: %v %v %v", f["ansible_service_mgr"], f["ansible_processor_nproc"], f["ansible_memtotal_mb"])
	}

	r = helperMustRun(t, mc, "setup", map[string]any{"filter": []any{"ansible_distribution*", "ansible_user_id"}})
	for k := range r.Facts {
		if !strings.HasPrefix(k, "ansible_distribution") && k != "ansible_user_id" {
			t.Errorf("filter kept %s", k)
		}
	}
	if _, ok := r.Facts["ansible_user_id"]; !ok {
		t.Error("filter dropped ansible_user_id")
	}
}

func setupWithOutput(t *testing.T, out string) map[string]any {
	t.Helper()
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		return &transport.Result{Stdout: []byte(out)}, nil
	}}
	return helperMustRun(t, mc, "setup", map[string]any{}).Facts
}

func TestSetupParsing(t *testing.T) {
	ubuntu := "nodename=web1.example.com\nfqdn=\nsystem=Linux\nmachine=i686\nuser_uid=1000\n" +
		"env_HOME=/home/u\nenv_PATH=/usr/bin\npkg_mgr=apt-get\npid1=systemd\nmemtotal_kb=2097152\n" +
		"date_time=1700000000 2023-11-14 22:13:20 +0000 Tuesday UTC\n" +
		"junk line\nos_NAME=\"Ubuntu\"\nos_VERSION_ID=\"22.04\"\nos_ID=ubuntu\nos_ID_LIKE=debian\n" +
		"os_VERSION_CODENAME=jammy\nos_PRETTY_NAME='Ubuntu 22.04.3 LTS'\n"
	f := setupWithOutput(t, ubuntu)
	want := map[string]any{
		"ansible_hostname": "web1", "ansible_fqdn": "web1.example.com", "ansible_architecture": "i386",
		"ansible_machine": "i686", "ansible_user_uid": 1000, "ansible_user_dir": "/home/u",
		"ansible_distribution": "Ubuntu", "ansible_os_family": "Debian", "ansible_distribution_version": "22.04",
		"ansible_distribution_major_version": "22", "ansible_distribution_release": "jammy",
		"ansible_pkg_mgr": "apt", "ansible_service_mgr": "systemd", "ansible_memtotal_mb": 2048,
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %#v, want %#v", k, f[k], v)
		}
	}
	dt := f["ansible_date_time"].(map[string]any)
	if dt["iso8601"] != "2023-11-14T22:13:20Z" || dt["year"] != "2023" || dt["tz"] != "UTC" || dt["weekday"] != "Tuesday" {
		t.Errorf("date_time = %v", dt)
	}

	derived := setupWithOutput(t, "system=Linux\nos_NAME=\"Derived OS\"\nos_ID=derived\nos_ID_LIKE=\"rhel centos fedora\"\nos_VERSION_ID=9.3\nopenrc=1\n")
	if derived["ansible_distribution"] != "Derived OS" || derived["ansible_os_family"] != "RedHat" ||
		derived["ansible_distribution_release"] != "NA" || derived["ansible_service_mgr"] != "openrc" {
		t.Errorf("derived: %v", derived)
	}
	mac := setupWithOutput(t, "system=Darwin\nkernel=23.1.0\n")
	if mac["ansible_distribution"] != "MacOSX" || mac["ansible_os_family"] != "Darwin" || mac["ansible_service_mgr"] != "launchd" {
		t.Errorf("darwin: %v", mac)
	}
}

func TestSetupScriptFailure(t *testing.T) {
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(cmd *transport.Cmd) (*transport.Result, error) {
		return &transport.Result{ExitCode: 126, Stderr: []byte("sh: permission denied")}, nil
	}}
	r := helperMustRun(t, mc, "setup", map[string]any{})
	if !r.Failed || r.Stderr == "" {
		t.Fatalf("result: %+v", r)
	}
}
