package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the numbers were measured.
type machine struct {
	date, cpus, cpuModel, memory, kernel string
	goVersion, ansible, openssh, runbook string
}

func describeMachine(root string, a *ansible) machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpus: fmt.Sprint(runtime.NumCPU())}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.memory = strings.Join(strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:], " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.goVersion = output(root, "go", "version")
	m.openssh = output(root, "ssh", "-V") + " (server: openssh-server " + output(root, "dpkg-query", "-W", "-f", "${Version}", "openssh-server") + ")"
	m.runbook = output(root, "git", "describe", "--tags", "--always", "--dirty")
	m.ansible = "not run"
	if a != nil {
		m.ansible = a.version + " (Debian ansible-core " + output(root, "dpkg-query", "-W", "-f", "${Version}", "ansible-core") + ")"
	}
	return m
}

// output is the trimmed combined output of a command ("?" when it fails).
func output(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func (m machine) summary() string {
	return fmt.Sprintf("machine: %s CPUs (%s), %s, kernel %s\n%s; %s; %s; runbook %s",
		m.cpus, m.cpuModel, m.memory, m.kernel, m.goVersion, m.ansible, m.openssh, m.runbook)
}
