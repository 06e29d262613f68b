package modules

import (
	"context"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(serviceFactsModule{}) }

type serviceFactsModule struct{}

var serviceFactsSpec = &Spec{
	Name:  "service_facts",
	Short: "Gather the host's services into ansible_facts.services",
	Doc: "Lists the host's services with one shell script, as Ansible's service_facts shapes them: " +
		"ansible_facts.services (and the variable services) maps each name to {name, state, status, source}. " +
		"On a host booted with systemd every .service unit, from systemctl list-units and list-unit-files: " +
		"state is running, stopped, or for a unit file systemd has not loaded inactive (unknown for a " +
		"template such as getty@.service); status is the unit file's state (enabled, disabled, static, " +
		"indirect, …) or not-found, masked or failed. SysV scripts from service --status-all (source sysv, " +
		"state running or stopped, no status), chkconfig on Red Hat style hosts (with status), OpenRC from " +
		"rc-status and rc-update (with runlevels). Upstart is not read. With no service found the task is " +
		"skipped, as in Ansible. Changes nothing.",
	GathersFacts: true,
	Check:        CheckFull,
	Returns: []Return{
		{Name: "ansible_facts", Type: TypeMap, Doc: `services: {"nginx.service": {"name": "nginx.service", "state": "running", "status": "enabled", "source": "systemd"}, …}`},
	},
	Example: `- service_facts:

- debug:
    msg: "nginx is {{ ansible_facts.services['nginx.service'].state }}"
  when: "'nginx.service' in ansible_facts.services"`,
}

func (serviceFactsModule) Spec() *Spec { return serviceFactsSpec }

// serviceFactsScript prints each source's listing after a @@source line;
// the C locale keeps the tools' words parseable.
const serviceFactsScript = `export LANG=C LC_ALL=C
PATH=$PATH:/sbin:/usr/sbin:/bin:/usr/bin
has() { command -v "$1" >/dev/null 2>&1; }
if has service && ! has chkconfig && ! has rc-status; then
  echo @@sysv; service --status-all 2>/dev/null
fi
if has chkconfig; then
  echo @@chkconfig
  chkconfig --list 2>/dev/null | while read -r n levels; do
    case $levels in *3:on*) st=enabled;; *3:off*) st=disabled;; *) continue;; esac
    if service "$n" status >/dev/null 2>&1; then r=running; else r=stopped; fi
    echo "$n $st $r"
  done
elif has rc-status && has rc-update; then
  echo @@openrc; rc-status -a -s -m 2>&1 | grep '^ ' | tr -d '[]'
  echo @@runlevels; rc-update show -v 2>&1 | grep '|'
fi
if grep -q systemd /proc/1/comm 2>/dev/null && has systemctl; then
  echo @@units; systemctl list-units --no-pager --no-legend --type service --all
  echo @@files; systemctl list-unit-files --no-pager --no-legend --type service --all
fi
exit 0`

func (serviceFactsModule) Run(ctx context.Context, mc *Context, _ Args) (*Result, error) {
	res, err := hostRun(ctx, mc, "service_facts on "+mc.Host, &transport.Cmd{Args: []string{"/bin/sh", "-c", serviceFactsScript}, Env: mc.Env})
	if err != nil {
		return nil, err
	}
	services := parseServiceListings(string(res.Stdout))
	if len(services) == 0 {
		return &Result{Skipped: true, Msg: "Failed to find any services. This can be due to privileges or some other configuration issue."}, nil
	}
	return &Result{Facts: map[string]any{"services": services}}, nil
}

// sysvStatusLine is one line of service --status-all: " [ + ]  ssh".
var sysvStatusLine = regexp.MustCompile(`^\s*\[ ([+-]) \]\s+(.+)$`)

// parseServiceListings turns the script's sections into
// ansible_facts.services; systemd's entries come last and win, as in
// Ansible.
func parseServiceListings(out string) map[string]any {
	services := map[string]any{}
	sections := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "@@"); ok {
			cur = name
			continue
		}
		sections[cur] = append(sections[cur], line)
	}
	for _, line := range sections["sysv"] {
		if m := sysvStatusLine.FindStringSubmatch(line); m != nil {
			state := map[string]string{"+": "running", "-": "stopped"}[m[1]]
			services[m[2]] = map[string]any{"name": m[2], "state": state, "source": "sysv"}
		}
	}
	for _, line := range sections["chkconfig"] {
		if f := strings.Fields(line); len(f) == 3 {
			services[f[0]] = map[string]any{"name": f[0], "state": f[2], "status": f[1], "source": "sysv"}
		}
	}
	openrcServices(services, sections["openrc"], sections["runlevels"])
	systemdServices(services, sections["units"], sections["files"])
	return services
}

// openrcServices reads rc-status lines ("sshd started") and rc-update's
// "sshd | default boot" lines.
func openrcServices(services map[string]any, status, runlevels []string) {
	levels := map[string]any{}
	for _, line := range runlevels {
		name, rl, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		var l any // null: in no runlevel
		if f := strings.Fields(rl); len(f) > 0 {
			l = toAnyList(f)
		}
		levels[strings.TrimSpace(name)] = l
	}
	for _, line := range status {
		if f := strings.Fields(line); len(f) >= 2 {
			services[f[0]] = map[string]any{"name": f[0], "runlevels": levels[f[0]], "state": f[1], "source": "openrc"}
		}
	}
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// systemdServices reads list-units lines (UNIT LOAD ACTIVE SUB …, maybe
// after a status mark) and then list-unit-files lines (UNIT STATE …).
func systemdServices(services map[string]any, units, files []string) {
	bad := func(s string) bool { return s == "not-found" || s == "masked" || s == "failed" }
	for _, line := range units {
		f := strings.Fields(line)
		if len(f) > 0 && !strings.Contains(f[0], ".service") {
			f = f[1:] // the ● or * before a failed or missing unit
		}
		if len(f) < 4 || !strings.HasSuffix(f[0], ".service") {
			continue
		}
		load, active, sub := f[1], f[2], f[3]
		status := active
		switch {
		case load == "not-found" || load == "masked":
			status = load
		case active == "failed" || sub == "failed":
			status = "failed"
		}
		state := "stopped"
		if sub == "running" {
			state = "running"
		}
		services[f[0]] = map[string]any{"name": f[0], "state": state, "status": status, "source": "systemd"}
	}
	for _, line := range files {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasSuffix(f[0], ".service") {
			continue
		}
		if s, ok := services[f[0]].(map[string]any); ok && s["source"] == "systemd" {
			if st, _ := s["status"].(string); !bad(st) {
				s["status"] = f[1]
			}
			continue
		}
		// A unit systemd has not loaded is inactive; a template has no state.
		state := "inactive"
		if strings.HasSuffix(f[0], "@.service") {
			state = "unknown"
		}
		services[f[0]] = map[string]any{"name": f[0], "state": state, "status": f[1], "source": "systemd"}
	}
}
