package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Every node is found by scanning /proc rather than trusting pid files: its
// init (the systemd that systemd-nspawn started, PID 1 in the node's PID
// namespace) carries RUNBOOK_LAB_DIR and RUNBOOK_LAB_NODE in its environment,
// and its systemd-nspawn carries the same --setenv arguments on its command
// line. Killing nspawn does not stop a node, so the init is what counts.

// nodeProcs are a running node's host-side processes (0 = none).
type nodeProcs struct {
	nspawn int
	init   int
}

const (
	envDir  = "RUNBOOK_LAB_DIR="
	envNode = "RUNBOOK_LAB_NODE="
)

// scan returns the processes of every node of this lab directory by name.
func (l *Lab) scan() map[string]nodeProcs {
	out := map[string]nodeProcs{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	wantDir := envDir + l.cfg.Dir
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || zombie(pid) {
			continue
		}
		base := filepath.Join("/proc", e.Name())
		if cmd, err := os.ReadFile(filepath.Join(base, "cmdline")); err == nil && len(cmd) > 0 {
			args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
			if filepath.Base(args[0]) == "systemd-nspawn" {
				if name := argValue(args, wantDir); name != "" {
					p := out[name]
					p.nspawn = pid
					out[name] = p
				}
				continue
			}
		}
		if !isNamespaceInit(pid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(base, "environ"))
		if err != nil {
			continue
		}
		vars := bytes.Split(env, []byte{0})
		var dirOK bool
		var name string
		for _, v := range vars {
			s := string(v)
			if s == wantDir {
				dirOK = true
			} else if strings.HasPrefix(s, envNode) {
				name = strings.TrimPrefix(s, envNode)
			}
		}
		if dirOK && name != "" {
			p := out[name]
			p.init = pid
			out[name] = p
		}
	}
	return out
}

// argValue returns the node name of an nspawn command line that has
// --setenv=<wantDir> and --setenv=RUNBOOK_LAB_NODE=<name>.
func argValue(args []string, wantDir string) string {
	var dirOK bool
	var name string
	for _, a := range args {
		switch {
		case a == "--setenv="+wantDir:
			dirOK = true
		case strings.HasPrefix(a, "--setenv="+envNode):
			name = strings.TrimPrefix(a, "--setenv="+envNode)
		}
	}
	if dirOK {
		return name
	}
	return ""
}

// isNamespaceInit reports whether pid is PID 1 of a PID namespace other than
// ours (its NSpid line has more than one entry and ends in 1).
func isNamespaceInit(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "NSpid:" {
			return len(f) > 2 && f[len(f)-1] == "1"
		}
	}
	return false
}

// zombie reports whether pid is gone or a zombie.
func zombie(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(st, ')')
	return i < 0 || i+2 >= len(st) || st[i+2] == 'Z' || st[i+2] == 'X'
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool { return pid > 0 && !zombie(pid) }

// pidNamespace returns the inode link of a process's PID namespace.
func pidNamespace(pid int) string {
	s, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	return s
}
