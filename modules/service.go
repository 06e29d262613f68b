package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(serviceModule{}) }

// serviceModule is Ansible's generic service module: on a host booted with
// systemd it is the systemd module; elsewhere it drives OpenRC's rc-service
// or SysV init scripts (service_sysv.go).
type serviceModule struct{}

var serviceSpec = &Spec{
	Name:  "service",
	Short: "Start, stop, restart, reload or enable a service, whatever the init system",
	Doc: `Manages a service through the host's init system. On a host booted with systemd
(or with use: systemd) it runs the systemd module with name, state and enabled, and
returns what systemd returns (status is the unit's properties); pattern, sleep,
arguments and runlevel are ignored there, as in Ansible. Elsewhere, as Ansible's
service module does: OpenRC (rc-service, rc-update add/delete NAME RUNLEVEL) when
rc-service exists, else the SysV script /etc/init.d/NAME through service (or the
script itself), enabled with update-rc.d, insserv or chkconfig. The running state
is read from "service NAME status" (its exit status and output), or from ps when
pattern is given. started and stopped change only what differs; restarted always
restarts (stop, sleep, start for SysV); reloaded reloads a running service and
starts a stopped one. Check mode reads the current state and predicts the same
changes as a real run. use: auto (the default) looks at the host itself rather
than ansible_service_mgr, so a delegated task looks at its delegate.`,
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Doc: "Name of the service (a systemd unit name on systemd)."},
		{Name: "state", Type: TypeString, Choices: systemdStates, Doc: "started/stopped are idempotent; restarted and reloaded always act."},
		{Name: "enabled", Type: TypeBool, Doc: "Whether the service starts on boot."},
		{Name: "pattern", Type: TypeString, Doc: "Not systemd: a substring of the service's line in ps auxww, used instead of its status command."},
		{Name: "sleep", Type: TypeInt, Doc: "Not systemd: seconds between stop and start when restarting a SysV service."},
		{Name: "arguments", Type: TypeString, Aliases: []string{"args"}, Default: "", Doc: "Not systemd: extra words for the service command line."},
		{Name: "runlevel", Type: TypeString, Default: "default", Doc: "OpenRC only: the runlevel enabled adds the service to or deletes it from."},
		{Name: "use", Type: TypeString, Default: "auto", Doc: "auto, or the service manager to use: systemd, or sysvinit/openrc/service for the generic path."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "name", Type: TypeString, Doc: "The service (on systemd: the unit name)."},
		{Name: "state", Type: TypeString, Doc: "With state: started (for started, restarted, reloaded) or stopped; on systemd the requested state."},
		{Name: "enabled", Type: TypeBool, Doc: "Whether the service starts on boot (when enabled was given; on systemd always)."},
		{Name: "status", Type: TypeMap, Doc: "On systemd: the unit's properties (ActiveState, SubState, UnitFileState, …)."},
	},
	Example: `- name: Start and enable nginx
  service:
    name: nginx
    state: started
    enabled: true

- name: Restart a SysV service whose stop returns early
  service:
    name: legacy-daemon
    state: restarted
    sleep: 2`,
	Validate: func(a Args) error {
		if !a.Has("state") && !a.Has("enabled") {
			return errors.New("one of the following is required: state, enabled")
		}
		return nil
	},
}

func (serviceModule) Spec() *Spec { return serviceSpec }

func (serviceModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	if strings.EqualFold(a.String("use"), "systemd") {
		return serviceViaSystemd(ctx, mc, a)
	}
	tools, err := probeServiceTools(ctx, mc, a.String("name"))
	if err != nil {
		return nil, err
	}
	if tools.systemd && tools.bins["systemctl"] != "" {
		return serviceViaSystemd(ctx, mc, a)
	}
	return runInitService(ctx, mc, a, tools)
}

// serviceViaSystemd runs the systemd module with the arguments it shares
// with service, as Ansible's service action does on a systemd host.
func serviceViaSystemd(ctx context.Context, mc *Context, a Args) (*Result, error) {
	raw := map[string]any{"name": a.String("name")}
	for _, p := range []string{"state", "enabled"} {
		if a.Has(p) {
			raw[p] = a[p]
		}
	}
	ignored := map[string]bool{"pattern": a.Has("pattern"), "sleep": a.Has("sleep"),
		"arguments": a.String("arguments") != "", "runlevel": a.String("runlevel") != "default"}
	for _, p := range []string{"arguments", "pattern", "runlevel", "sleep"} {
		if ignored[p] {
			mc.Log("service: ignoring %q as it is not used with systemd", p)
		}
	}
	sd := systemdModule{}
	args, err := sd.Spec().Bind(raw, true)
	if err != nil {
		return nil, fmt.Errorf("service %s on %s: %w", a.String("name"), mc.Host, err)
	}
	return sd.Run(ctx, mc, args)
}

// serviceTools is what the host offers to manage a service: the tools
// found (service, rc-service, update-rc.d, …, by path), the SysV script,
// whether systemd booted the host, and the script's rc?.d links.
type serviceTools struct {
	bins       map[string]string
	initscript string
	systemd    bool
	startLinks bool // /etc/rc?.d/S??NAME exists: update-rc.d's "enabled"
	killLinks  bool // /etc/rc?.d/K??NAME exists
}

// serviceProbeScript prints what serviceTools holds, one key=value a line.
// The tools are looked for in PATH and the usual sbin directories; systemd
// counts as booted by its run-time directories or PID 1's name, as
// sd_booted() and Ansible decide.
const serviceProbeScript = `PATH=$PATH:/sbin:/usr/sbin:/bin:/usr/bin
for b in service rc-service rc-update update-rc.d insserv chkconfig systemctl; do
  p=$(command -v "$b" 2>/dev/null) && printf 'bin_%s=%s\n' "$b" "$p"
done
if [ -f "/etc/init.d/$1" ]; then printf 'initscript=/etc/init.d/%s\n' "$1"; fi
for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do
  if [ -e "$c" ]; then echo systemd=1; fi
done
if grep -q systemd /proc/1/comm 2>/dev/null; then echo systemd=1; fi
set +f
for f in /etc/rc?.d/S??"$1"; do if [ -e "$f" ]; then echo startlinks=1; break; fi; done
for f in /etc/rc?.d/K??"$1"; do if [ -e "$f" ]; then echo killlinks=1; break; fi; done
exit 0`

// probeServiceTools looks at the host (as the become user) once.
func probeServiceTools(ctx context.Context, mc *Context, name string) (*serviceTools, error) {
	res, err := hostRun(ctx, mc, "service "+name+" on "+mc.Host+": looking for the init system",
		&transport.Cmd{Args: []string{"/bin/sh", "-c", serviceProbeScript, "runbook-service", name}, Env: mc.Env})
	if err != nil {
		return nil, err
	}
	t := &serviceTools{bins: map[string]string{}}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch {
		case strings.HasPrefix(k, "bin_"):
			t.bins[strings.TrimPrefix(k, "bin_")] = v
		case k == "initscript":
			t.initscript = v
		case k == "systemd":
			t.systemd = true
		case k == "startlinks":
			t.startLinks = true
		case k == "killlinks":
			t.killLinks = true
		}
	}
	return t, nil
}
