package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ansible is how ansible-playbook is run: its config, home and control
// sockets all live in dir.
type ansible struct {
	dir     string
	cfg     string
	ctlDir  string // ControlPersist sockets
	home    string
	version string
}

// ansibleConfig: pipelining and ControlPersist without -C (issue 8), an
// explicit interpreter (no discovery round trip), host keys verified
// against the same known_hosts file runbook gets.
const ansibleConfig = `[defaults]
forks = %d
host_key_checking = True
interpreter_python = /usr/bin/python3
retry_files_enabled = False
deprecation_warnings = False
local_tmp = %s
stdout_callback = default

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s
ssh_common_args = -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
control_path_dir = %s
`

func newAnsible(dir string) (*ansible, error) {
	path, err := exec.LookPath("ansible-playbook")
	if err != nil {
		return nil, fmt.Errorf("ansible-playbook not found (make bench-compare installs Debian's ansible-core): %w", err)
	}
	a := &ansible{dir: dir, cfg: filepath.Join(dir, "ansible.cfg"), home: filepath.Join(dir, "home")}
	// Unix socket paths are short: keep the control directory near /.
	if a.ctlDir, err = os.MkdirTemp("", "rbcp-"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.home, 0o700); err != nil {
		return nil, err
	}
	out, _ := exec.Command(path, "--version").Output() // informative only
	a.version, _, _ = strings.Cut(string(out), "\n")
	return a, nil
}

// job builds the ansible-playbook run of playbook with forks, trusting
// knownHosts.
func (a *ansible) job(name, playbook, inventory, knownHosts string, forks int, extra []string, log string, timeout time.Duration) (job, error) {
	cfg := fmt.Sprintf(ansibleConfig, forks, filepath.Join(a.dir, "local-tmp"), knownHosts, a.ctlDir)
	if err := os.WriteFile(a.cfg, []byte(cfg), 0o644); err != nil {
		return job{}, err
	}
	args := append([]string{"ansible-playbook", "-i", inventory, "-f", strconv.Itoa(forks), playbook}, extra...)
	return job{name: name, args: args, dir: filepath.Dir(playbook), log: log, timeout: timeout,
		env: []string{"ANSIBLE_CONFIG=" + a.cfg, "HOME=" + a.home}}, nil
}

// stopMasters ends the ControlPersist masters ansible left behind: first
// politely through their sockets, then by pid for any that remain (only
// ssh processes whose command line names this run's control directory).
func (a *ansible) stopMasters(ctx context.Context) {
	socks, _ := filepath.Glob(filepath.Join(a.ctlDir, "*")) // none is fine
	for _, s := range socks {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = exec.CommandContext(c, "ssh", "-o", "ControlPath="+s, "-O", "exit", "bench").Run() // gone already is fine
		cancel()
	}
	for _, pid := range pidsMentioning(a.ctlDir) {
		_ = killPid(pid) // may have exited meanwhile
	}
}

func (a *ansible) close(ctx context.Context) {
	a.stopMasters(ctx)
	_ = os.RemoveAll(a.ctlDir) // temp dir: best effort
}

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// pidsMentioning lists processes whose command line contains s.
func pidsMentioning(s string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc") // unreadable /proc: nothing found
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			out = append(out, pid)
		}
	}
	return out
}
